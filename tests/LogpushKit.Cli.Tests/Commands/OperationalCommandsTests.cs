using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>logpushkit notifications …</c>, <c>queues consumers …</c>, <c>jobs validate</c> and <c>jobs ownership</c> through
/// the real process against the fake Cloudflare API.
/// </summary>
public sealed class OperationalCommandsTests : IAsyncLifetime
{
    private const string R2Secret = "5ecre7a11b2c3d4e5f60718293a4b5c6";
    private static readonly string AccountPath = $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}";
    private FakeCloudflareApi _api = null!;
    private R2EventNotificationRulesClient _rules = null!;
    private QueuesClient _queues = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _rules = new R2EventNotificationRulesClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new R2EventNotificationRulesClientOptions()));
        _queues = new QueuesClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new QueuesClientOptions()));
    }

    public async Task DisposeAsync()
    {
        _rules.Dispose();
        _queues.Dispose();
        await _api.DisposeAsync();
    }

    private Dictionary<string, string?> Env() => CloudflareCli.Environment(_api);

    private async Task<(FakeQueue Queue, IReadOnlyList<R2NotificationRule> Rules)> TwoRulesAsync(string? jurisdiction = null)
    {
        var queue = _api.CreateQueue("logpush-events");
        await _rules.PutRulesAsync("logpush-src", queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = "gateway_http/", Suffix = ".log.gz", Description = "LogpushKit" }], jurisdiction);
        await _rules.PutRulesAsync("logpush-src", queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectDelete) with { Prefix = "http_requests/" }], jurisdiction);
        var rules = (await _rules.GetQueueRulesAsync("logpush-src", queue.Id, jurisdiction)).Rules;
        _api.ClearRequests();
        return (queue, rules);
    }

    [Fact]
    public async Task NotificationsList_Table_ShowsEveryRuleWithQueue()
    {
        var (queue, rules) = await TwoRulesAsync();

        var run = await CloudflareCli.RunAsync(Env(), "notifications", "list", "--bucket", "logpush-src");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^RULE ID\s+QUEUE\s+QUEUE ID\s+PREFIX\s+SUFFIX\s+ACTIONS\s+DESCRIPTION\s+CREATED$", lines[0]);
        Assert.Matches($@"^{rules[0].RuleId}\s+logpush-events\s+{queue.Id}\s+gateway_http/\s+\.log\.gz\s+PutObject,CopyObject,CompleteMultipartUpload\s+LogpushKit\s+\S+$", lines[1]);
        Assert.Matches($@"^{rules[1].RuleId}\s+logpush-events\s+{queue.Id}\s+http_requests/\s+-\s+DeleteObject,LifecycleDeletion\s+-\s+\S+$", lines[2]);
        Assert.Equal(("GET", $"{AccountPath}/event_notifications/r2/logpush-src/configuration"), (_api.Requests[0].Method, _api.Requests[0].Path));
    }

    [Fact]
    public async Task NotificationsList_Json_IsTheConfiguration()
    {
        var (queue, rules) = await TwoRulesAsync();

        var run = await CloudflareCli.RunAsync(Env(), "notifications", "list", "--bucket", "logpush-src", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var json = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal("logpush-src", (string?)json["bucketName"]);
        Assert.Equal(queue.Id, (string?)json["queues"]![0]!["queueId"]);
        Assert.Equal(rules.Select(r => r.RuleId), json["queues"]![0]!["rules"]!.AsArray().Select(r => (string?)r!["ruleId"]));
    }

    [Fact]
    public async Task NotificationsList_NoRules_SaysSo()
    {
        var run = await CloudflareCli.RunAsync(Env(), "notifications", "list", "--bucket", "empty-bucket", "--jurisdiction", "eu");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal("Bucket empty-bucket has no event-notification rules.\n", run.StandardOutput);
        Assert.Equal("eu", _api.Requests.Single().Header("cf-r2-jurisdiction"));
    }

    [Fact]
    public async Task NotificationsRemove_OneRule_KeepsTheOthers()
    {
        var (queue, rules) = await TwoRulesAsync("eu");

        var run = await CloudflareCli.RunAsync(Env(), "notifications", "remove", "--bucket", "logpush-src", "--queue", "logpush-events", "--rule", rules[1].RuleId!, "--jurisdiction", "eu");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal($"Removed rule {rules[1].RuleId} of bucket logpush-src for queue logpush-events.\n", run.StandardOutput);
        var left = Assert.Single(_api.NotificationRules("logpush-src", queue.Id)!)!;
        Assert.Equal(rules[0].RuleId, (string?)left["ruleId"]);
        var delete = _api.Requests.Single(r => r.Method == "DELETE");
        Assert.Equal("eu", delete.Header("cf-r2-jurisdiction"));
        Assert.Equal($$"""{"ruleIds":["{{rules[1].RuleId}}"]}""", delete.Body);
    }

    [Fact]
    public async Task NotificationsRemove_All_RemovesEveryRuleOfTheQueue()
    {
        var (queue, _) = await TwoRulesAsync();

        var run = await CloudflareCli.RunAsync(Env(), "notifications", "remove", "--bucket", "logpush-src", "--queue-id", queue.Id, "--all");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Null(_api.NotificationRules("logpush-src", queue.Id));
        Assert.Equal(string.Empty, _api.Requests.Single(r => r.Method == "DELETE").Body);
    }

    [Fact]
    public async Task NotificationsRemove_UnknownRule_ExitsOneAndRemovesNothing()
    {
        var (queue, _) = await TwoRulesAsync();

        var run = await CloudflareCli.RunAsync(Env(), "notifications", "remove", "--bucket", "logpush-src", "--queue", "logpush-events", "--rule", "nope");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("has no rule nope for queue logpush-events", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, _api.NotificationRules("logpush-src", queue.Id)!.Count);
        Assert.DoesNotContain(_api.Requests, r => r.Method == "DELETE");
    }

    [Theory]
    [InlineData("notifications", "remove", "--bucket", "b", "--queue", "q")]
    [InlineData("notifications", "remove", "--bucket", "b", "--queue", "q", "--all", "--rule", "r")]
    [InlineData("notifications", "remove", "--bucket", "b", "--all")]
    [InlineData("notifications", "list", "--bucket", "b", "--zone-id", "z")]
    [InlineData("queues", "consumers", "list", "--queue", "q", "--queue-id", "i")]
    [InlineData("queues", "consumers", "add", "--queue", "q", "--batch-size", "101")]
    [InlineData("queues", "consumers", "add", "--queue", "q", "--json")]
    [InlineData("queues", "consumers", "add", "--queue", "q", "--batch-size", "abc")] // ended the process with a stack trace
    [InlineData("setup", "--max-retries", "three")] // likewise
    [InlineData("jobs", "validate")]
    [InlineData("jobs", "ownership")]
    public async Task Command_BadArguments_ExitUsageBeforeAnyCall(params string[] args)
    {
        var run = await CloudflareCli.RunAsync(Env(), args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("logpushkit: ", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task QueuesConsumersAdd_ThenList_ThenRemove()
    {
        var queue = _api.CreateQueue("logpush-events");
        _api.CreateQueue("logpush-events-dlq");

        var add = await CloudflareCli.RunAsync(
            Env(), "queues", "consumers", "add", "--queue", "logpush-events", "--batch-size", "20", "--max-retries", "4", "--retry-delay", "60", "--visibility-timeout", "600", "--dead-letter-queue", "logpush-events-dlq");
        var list = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "list", "--queue", "logpush-events");
        var json = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "list", "--queue-id", queue.Id, "--json");
        var remove = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "remove", "--queue", "logpush-events");
        var empty = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "list", "--queue", "logpush-events");

        Assert.True(add.ExitCode == 0, add.StandardError);
        var post = _api.Requests.Single(r => r.Method == "POST");
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"type":"http_pull","dead_letter_queue":"logpush-events-dlq","settings":{"batch_size":20,"max_retries":4,"retry_delay":60,"visibility_timeout_ms":600000}}"""),
            JsonNode.Parse(post.Body)), post.Body);
        Assert.Contains("Added an HTTP pull consumer (id ", add.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dead-letter queue logpush-events-dlq", add.StandardOutput, StringComparison.Ordinal);

        Assert.True(list.ExitCode == 0, list.StandardError);
        var lines = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^CONSUMER ID\s+TYPE\s+WORKER\s+DEAD LETTER QUEUE\s+BATCH SIZE\s+MAX RETRIES\s+RETRY DELAY\s+LEASE\s+CREATED$", lines[0]);
        Assert.Matches(@"^[0-9a-f]{32}\s+http_pull\s+-\s+logpush-events-dlq\s+20\s+4\s+60 s\s+600 s\s+\S+$", lines[1]);

        var consumers = JsonNode.Parse(json.StandardOutput)!.AsArray();
        Assert.Equal(600_000, consumers.Single()!["settings"]!["visibility_timeout_ms"]!.GetValue<long>());

        Assert.True(remove.ExitCode == 0, remove.StandardError);
        Assert.Matches("^Removed consumer [0-9a-f]{32} from queue logpush-events\\.\n$", remove.StandardOutput);
        Assert.Null(queue.Consumer);
        Assert.Equal("Queue logpush-events has no consumer.\n", empty.StandardOutput);
    }

    [Fact]
    public async Task QueuesConsumersAdd_NoSettings_SendsNoneAndWarnsAboutMissingDeadLetterQueue()
    {
        _api.CreateQueue("q");

        var run = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "add", "--queue", "q");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal("""{"type":"http_pull"}""", _api.Requests.Single(r => r.Method == "POST").Body);
        Assert.Contains("no dead-letter queue: messages are deleted after the retries", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueuesConsumersAdd_QueueHasWorkerConsumer_ExitsOneNamingIt()
    {
        var queue = _api.CreateQueue("q");
        _api.AddWorkerConsumer(queue.Id, "seed-worker");

        var run = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "add", "--queue", "q");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("already has a worker consumer (id ", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("queues consumers remove --queue q --consumer-id ", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task QueuesConsumersList_WorkerConsumer_ShowsScript()
    {
        var queue = _api.CreateQueue("q");
        _api.AddWorkerConsumer(queue.Id, "seed-worker");

        var run = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "list", "--queue", "q");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Matches(@"(?m)^[0-9a-f]{32}\s+worker\s+seed-worker\s+-\s+10\s+3\s+-\s+-\s+\S+$", run.StandardOutput);
    }

    [Fact]
    public async Task QueuesConsumers_UnknownQueue_ExitsOneNamingIt()
    {
        var run = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "list", "--queue", "nope");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no queue named nope in this account", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueuesConsumersRemove_RetryAfterServerSideSuccess_IsReportedAsRemoved()
    {
        var queue = _api.CreateQueue("q");
        var created = await _queues.CreateHttpPullConsumerAsync(queue.Id);
        await _queues.DeleteConsumerAsync(queue.Id, created.ConsumerId!); // the first attempt's server side removed it ...
        _api.ClearRequests();
        _api.FailNext(FakeFailure.ServerError(HttpStatusCode.BadGateway).For("DELETE")); // ... and its reply was lost

        var run = await CloudflareCli.RunAsync(Env(), "queues", "consumers", "remove", "--queue", "q", "--consumer-id", created.ConsumerId!);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(2, _api.Requests.Count(r => r.Method == "DELETE"));
    }

    [Fact]
    public async Task JobsValidate_R2Destination_PrintsValidityAndExistence()
    {
        var run = await CloudflareCli.RunAsync(
            Env(), "jobs", "validate", "--r2-bucket", "logpush-src", "--r2-path", "gateway_http/{DATE}", "--r2-access-key-id", "AK", "--r2-secret-access-key", R2Secret, "--logpull-options", "fields=RayID&timestamps=rfc3339");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(
            $"destination r2://logpush-src/gateway_http/{{DATE}}?account-id={FakeCloudflareApi.DefaultAccountId}&access-key-id=AK&secret-access-key=***: valid\n"
            + "no Logpush job writes there\nlogpull options fields=RayID&timestamps=rfc3339: valid\n",
            run.StandardOutput);
        Assert.Equal(
            [$"{AccountPath}/logpush/validate/destination", $"{AccountPath}/logpush/validate/destination/exists", $"{AccountPath}/logpush/validate/origin"],
            _api.Requests.Select(r => r.Path));
        Assert.Contains(R2Secret, _api.Requests[0].Body, StringComparison.Ordinal);
        Assert.DoesNotContain(R2Secret, run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsValidate_Invalid_ExitsOneWithReason_Json()
    {
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = """{"success":true,"errors":[],"messages":[],"result":{"valid":false,"message":"bucket not found for secret-access-key=SECRET"}}""".Replace("SECRET", R2Secret, StringComparison.Ordinal) }.For("POST", "/validate/destination"));

        var run = await CloudflareCli.RunAsync(Env(), "jobs", "validate", "--destination", $"r2://b/p?account-id=a&access-key-id=AK&secret-access-key={R2Secret}", "--json");

        Assert.Equal(1, run.ExitCode);
        var json = JsonNode.Parse(run.StandardOutput)!["destination"]!;
        Assert.False(json["valid"]!.GetValue<bool>());
        Assert.Equal("bucket not found for secret-access-key=***", (string?)json["message"]);
        Assert.EndsWith("secret-access-key=***", (string?)json["destination_conf"], StringComparison.Ordinal);
        Assert.DoesNotContain(R2Secret, run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsValidate_InvalidOrigin_ExitsOne()
    {
        var run = await CloudflareCli.RunAsync(Env(), "jobs", "validate", "--logpull-options", "timestamps=rfc3339");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("logpull options timestamps=rfc3339: INVALID: fields are required\n", run.StandardOutput);
    }

    [Fact]
    public async Task JobsOwnership_RequestThenCheck_ThenCreateWithIt()
    {
        string[] destination = ["--destination", "s3://siem-logs/cf?region=us-east-1"];

        var request = await CloudflareCli.RunAsync(Env(), ["jobs", "ownership", .. destination]);
        var token = _api.OwnershipTokenFor("s3://siem-logs/cf?region=us-east-1")!;
        var check = await CloudflareCli.RunAsync(Env(), ["jobs", "ownership", .. destination, "--challenge", token, "--json"]);
        var wrong = await CloudflareCli.RunAsync(Env(), ["jobs", "ownership", .. destination, "--challenge", "eyJwrong"]);
        var create = await CloudflareCli.RunAsync(Env(), ["jobs", "create", "--dataset", "gateway_http", "--fields", "Datetime", .. destination, "--ownership-challenge", token]);

        Assert.True(request.ExitCode == 0, request.StandardError);
        Assert.Contains("Cloudflare wrote the ownership challenge to ", request.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--ownership-challenge TOKEN", request.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, check.ExitCode);
        Assert.True(JsonNode.Parse(check.StandardOutput)!["valid"]!.GetValue<bool>());
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("[1002]", wrong.StandardError, StringComparison.Ordinal);
        Assert.True(create.ExitCode == 0, create.StandardError);
        Assert.Equal(token, (string?)JsonNode.Parse(_api.Requests.Last(r => r.Method == "POST" && r.Path.EndsWith("/logpush/jobs", StringComparison.Ordinal)).Body)!["ownership_challenge"]);
    }

    [Fact]
    public async Task JobsOwnership_ZoneScope_UsesZonePath()
    {
        var env = Env();
        env["CLOUDFLARE_ACCOUNT_ID"] = null;

        var run = await CloudflareCli.RunAsync(env, "jobs", "ownership", "--destination", "gs://b/p", "--zone-id", FakeCloudflareApi.DefaultZoneId, "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal($"/client/v4/zones/{FakeCloudflareApi.DefaultZoneId}/logpush/ownership", _api.Requests.Single().Path);
        Assert.True(JsonNode.Parse(run.StandardOutput)!["valid"]!.GetValue<bool>());
    }
}
