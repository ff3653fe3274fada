using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>logpushkit setup</c> through the real process against the fake Cloudflare API. The ownership challenge is read
/// through an S3 endpoint that refuses connections here (127.0.0.1:9), so these runs exercise the "cannot read" path;
/// <see cref="SetupOwnershipChallengeTests"/> reads it from s3rver.
/// </summary>
public sealed class SetupCommandTests : IAsyncLifetime
{
    private const string Secret = "r2-secret-value";
    private static readonly LogpushScope Account = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private static readonly string[] Basic = ["setup", "--source-bucket", "logpush-src", "--target-bucket", "logpush-csv", "--queue", "logpush-events", "--r2-endpoint", "http://127.0.0.1:9/"];

    [Fact]
    public async Task Setup_DryRun_PrintsWholePlanAndChangesNothing()
    {
        var run = await CloudflareCli.RunAsync(Environment(), [.. Basic, "--dry-run"]);

        Assert.True(run.ExitCode == 0, run.StandardError);
        foreach (var line in new[]
        {
            "+ R2 bucket: logpush-src — create", "+ R2 bucket: logpush-csv — create",
            "+ lifecycle rule: logpush-csv: abort incomplete multipart uploads after 1 day — add rule 'logpushkit-abort-incomplete-multipart-uploads'",
            "+ dead-letter queue: logpush-events-dlq — create; keeps poison messages 14 days",
            "+ queue: logpush-events — create",
            "+ HTTP pull consumer: logpush-events — create (dead-letter queue logpush-events-dlq, max retries 3, lease 5 min, retry delay 30 s, batch size 10)",
            "+ notification rule: logpush-src → logpush-events (object-create, prefix 'gateway_http/', suffix '.log.gz') — create",
            "? Logpush destination: r2://logpush-src/gateway_http/{DATE}?account-id=",
            "? ownership challenge: r2://logpush-src/gateway_http/{DATE}/ownership-challenge.txt — request it, read it from the source bucket, validate it",
            "+ Logpush job: gateway_http → r2://logpush-src/gateway_http/{DATE} — create (all fields, ndjson, timestamps unix",
            "Dry run: 8 to create, 0 to change, 0 blocked; nothing changed.",
        })
        {
            Assert.Contains(line, run.StandardOutput, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Secret, run.StandardOutput + run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Requests, r => r.Method is "PUT" or "PATCH" or "DELETE" || (r.Method == "POST" && !r.Path.EndsWith("/validate/destination/exists", StringComparison.Ordinal)));
        Assert.Empty(_api.BucketNames);
    }

    [Fact]
    public async Task Setup_Flags_SetConsumerDeadLetterQueueAndLifecycleDeliberately()
    {
        var run = await CloudflareCli.RunAsync(
            Environment(),
            [.. Basic, "--dead-letter-queue", "poison", "--dead-letter-retention-days", "7", "--max-retries", "5", "--visibility-timeout", "900",
                "--retry-delay", "120", "--batch-size", "50", "--abort-multipart-days", "3"]);

        Assert.True(run.ExitCode == 0, run.StandardError + run.StandardOutput);
        var queue = _api.Queue(QueueId("logpush-events"));
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse("""{"batch_size":50,"max_retries":5,"retry_delay":120,"visibility_timeout_ms":900000}"""), queue.Consumer!["settings"]),
            queue.Consumer!.ToJsonString());
        Assert.Equal("poison", (string?)queue.Consumer["dead_letter_queue"]);
        Assert.Equal(604_800, _api.QueueSettings(QueueId("poison"))["message_retention_period"]!.GetValue<int>());
        Assert.Equal(259_200, _api.LifecycleRules("logpush-csv")![1]!["abortMultipartUploadsTransition"]!["condition"]!["maxAge"]!.GetValue<long>());
        Assert.Contains("Poison messages end in queue poison after 6 deliveries (consume --max-attempts 6).", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("? ownership challenge:", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("not read: reading gateway_http/", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_Twice_SecondRunChangesNothing()
    {
        _api.AddBucket("logpush-csv");

        var first = await CloudflareCli.RunAsync(Environment(), Basic);
        _api.ClearRequests();
        var second = await CloudflareCli.RunAsync(Environment(), Basic);

        Assert.True(first.ExitCode == 0, first.StandardError + first.StandardOutput);
        Assert.Contains("= R2 bucket: logpush-csv — exists", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("+ R2 bucket: logpush-src — created", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Done: 7 created, 0 changed.", first.StandardOutput, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.StandardError);
        Assert.Contains("Nothing to do", second.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("+ ", second.StandardOutput, StringComparison.Ordinal);
        Assert.All(_api.Requests, r => Assert.Equal("GET", r.Method));
        Assert.Single(_api.JobsOf(Account));
    }

    [Fact]
    public async Task Setup_EuJurisdiction_SendsHeaderAndWritesThroughTheEuEndpoint()
    {
        var run = await CloudflareCli.RunAsync(Environment(), [.. Basic, "--jurisdiction", "eu"]);

        Assert.True(run.ExitCode == 0, run.StandardError + run.StandardOutput);
        Assert.All(
            _api.Requests.Where(r => r.Path.Contains("/r2/buckets", StringComparison.Ordinal) || r.Path.Contains("/event_notifications/", StringComparison.Ordinal)),
            r => Assert.Equal("eu", r.Header("cf-r2-jurisdiction")));
        var job = Assert.Single(_api.JobsOf(Account));
        Assert.EndsWith($"&endpoint={FakeCloudflareApi.DefaultAccountId}.eu.r2.cloudflarestorage.com", (string?)job["destination_conf"], StringComparison.Ordinal);
        Assert.StartsWith("s3://logpush-src/gateway_http/{DATE}?region=auto", (string?)job["destination_conf"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_QueueHasWorkerConsumer_ExitsOneAndChangesNothing()
    {
        var queue = _api.CreateQueue("logpush-events");
        _api.AddWorkerConsumer(queue.Id, "seed-worker");

        var run = await CloudflareCli.RunAsync(Environment(), Basic);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("! HTTP pull consumer: logpush-events — the queue has a worker consumer (Worker seed-worker)", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("logpushkit: setup cannot go on, nothing was changed", run.StandardError, StringComparison.Ordinal);
        Assert.All(_api.Requests, r => Assert.True(r.Method == "GET" || r.Path.EndsWith("/exists", StringComparison.Ordinal), r.Method + " " + r.Path));
    }

    [Fact]
    public async Task Setup_JobRefusedWithoutChallenge_PrintsExactlyWhatToDo()
    {
        _api.OwnershipChallengeWriter = (_, _, _) => { }; // Cloudflare wrote it, but this run cannot read the bucket
        _api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.BadRequest, (1002, "incorrect ownership challenge")).For("POST", "/logpush/jobs"));

        var run = await CloudflareCli.RunAsync(Environment(), Basic);

        Assert.Equal(1, run.ExitCode);
        var today = DateTimeOffset.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"read the ownership challenge Cloudflare wrote to r2://logpush-src/gateway_http/{today}/ownership-challenge.txt", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("run this setup again with --ownership-challenge <its content>", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("[1002]", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("! Logpush job:", run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.StandardOutput + run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.JobsOf(Account));

        // The token the user read is validated and sent; everything else already exists.
        var destination = $"r2://logpush-src/gateway_http/{{DATE}}?account-id={FakeCloudflareApi.DefaultAccountId}&access-key-id=r2-key-id&secret-access-key={Secret}";
        var token = _api.OwnershipTokenFor(destination)!;
        var again = await CloudflareCli.RunAsync(Environment(), [.. Basic, "--ownership-challenge", token]);

        Assert.True(again.ExitCode == 0, again.StandardError + again.StandardOutput);
        Assert.Contains("Done: 1 created, 0 changed.", again.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(token, (string?)JsonNode.Parse(_api.Requests.Last(r => r.Method == "POST" && r.Path.EndsWith("/logpush/jobs", StringComparison.Ordinal)).Body)!["ownership_challenge"]);
    }

    [Fact]
    public async Task Setup_WithoutR2Credentials_PrintsPlanThenUsageErrorNamingVariables()
    {
        var environment = CloudflareCli.Environment(_api);

        var run = await CloudflareCli.RunAsync(environment, Basic);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("! Logpush job:", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.BucketNames);
    }

    [Theory]
    [InlineData("--max-retries", "101")]
    [InlineData("--visibility-timeout", "0")]
    [InlineData("--dead-letter-retention-days", "15")]
    [InlineData("--abort-multipart-days", "0")]
    [InlineData("--jurisdiction", "moon")]
    [InlineData("--json")]
    public async Task Setup_BadFlag_ExitsUsageBeforeAnyCall(params string[] flag)
    {
        var run = await CloudflareCli.RunAsync(Environment(), [.. Basic, .. flag]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(flag[0] == "--jurisdiction" ? "'moon' not recognized" : flag[0], run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Setup_DeadLetterQueueSameAsQueue_ExitsUsage()
    {
        var run = await CloudflareCli.RunAsync(Environment(), [.. Basic, "--dead-letter-queue", "logpush-events"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--dead-letter-queue must name another queue than --queue", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    private string QueueId(string name)
    {
        using var client = new QueuesClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new QueuesClientOptions()));
        return client.FindQueueAsync(name).GetAwaiter().GetResult()!.QueueId!;
    }

    private Dictionary<string, string?> Environment()
    {
        var environment = CloudflareCli.Environment(_api);
        environment["R2_ACCESS_KEY_ID"] = "r2-key-id";
        environment["R2_SECRET_ACCESS_KEY"] = Secret;
        return environment;
    }
}
