using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Pipeline;

/// <summary><see cref="LogpushPipelineProvisioner"/> against the fake Cloudflare API, with an in-memory bucket standing in for the source bucket's S3 side.</summary>
public sealed class LogpushPipelineProvisionerTests : IAsyncLifetime
{
    private const string Account = FakeCloudflareApi.DefaultAccountId;
    private const string Secret = "r2-secret-0123456789abcdef";
    private static readonly LogpushScope AccountScope = LogpushScope.Account(Account);

    private readonly InMemoryBucket _source = new("logpush-src");
    private FakeCloudflareApi _api = null!;
    private R2BucketsClient _buckets = null!;
    private QueuesClient _queues = null!;
    private R2EventNotificationRulesClient _rules = null!;
    private LogpushClient _logpush = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _buckets = new R2BucketsClient(Account, _api.ClientOptions(new R2BucketsClientOptions()));
        _queues = new QueuesClient(Account, _api.ClientOptions(new QueuesClientOptions()));
        _rules = new R2EventNotificationRulesClient(Account, _api.ClientOptions(new R2EventNotificationRulesClientOptions()));
        _logpush = new LogpushClient(_api.ClientOptions(new LogpushClientOptions()));
        _api.OwnershipChallengeWriter = (bucket, key, token) =>
        {
            Assert.Equal(_source.Name, bucket);
            _source.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(token + "\n"))).GetAwaiter().GetResult();
        };
    }

    public async Task DisposeAsync()
    {
        _buckets.Dispose();
        _queues.Dispose();
        _rules.Dispose();
        _logpush.Dispose();
        await _api.DisposeAsync();
    }

    private static ProvisioningOptions Options(string? jurisdiction = null) => new()
    {
        SourceBucket = "logpush-src",
        TargetBucket = "logpush-csv",
        QueueName = "logpush-events",
        Scope = AccountScope,
        AccountId = Account,
        Jurisdiction = jurisdiction,
        R2AccessKeyId = "r2-key",
        R2SecretAccessKey = Secret,
    };

    private LogpushPipelineProvisioner Provisioner(bool canReadSource = true) => new(_buckets, _queues, _rules, _logpush, canReadSource ? _source : null);

    private IReadOnlyList<RecordedRequest> Mutations() => [.. _api.Requests.Where(r => r.Method != "GET" && !r.Path.EndsWith("/validate/destination/exists", StringComparison.Ordinal))];

    private string QueueId(string name) => _queues.FindQueueAsync(name).GetAwaiter().GetResult()!.QueueId!;

    [Fact]
    public async Task ApplyAsync_FreshAccount_CreatesEveryResourceInOrder()
    {
        var reported = new List<ProvisioningStep>();

        var steps = await Provisioner().ApplyAsync(Options(), new Progress(reported));

        Assert.Equal(
            [
                ("R2 bucket", ProvisioningAction.Create), ("R2 bucket", ProvisioningAction.Create), ("lifecycle rule", ProvisioningAction.Create),
                ("dead-letter queue", ProvisioningAction.Create), ("queue", ProvisioningAction.Create), ("HTTP pull consumer", ProvisioningAction.Create),
                ("notification rule", ProvisioningAction.Create), ("Logpush destination", ProvisioningAction.Check), ("ownership challenge", ProvisioningAction.Check),
                ("Logpush job", ProvisioningAction.Create),
            ],
            steps.Select(s => (s.Resource, s.Action)));
        Assert.Equal(steps, reported);
        Assert.Equal(["logpush-csv", "logpush-src"], _api.BucketNames.Order(StringComparer.Ordinal));

        var lifecycle = _api.LifecycleRules("logpush-csv")!;
        Assert.Equal(["Default Multipart Abort Rule", ProvisioningOptions.DefaultLifecycleRuleId], lifecycle.Select(r => (string)r!["id"]!));
        Assert.Equal(86_400, lifecycle[1]!["abortMultipartUploadsTransition"]!["condition"]!["maxAge"]!.GetValue<long>());

        var dlq = QueueId("logpush-events-dlq");
        Assert.Equal(1_209_600, _api.QueueSettings(dlq)["message_retention_period"]!.GetValue<int>());
        var consumer = _api.Queue(QueueId("logpush-events")).Consumer!;
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"type":"http_pull","dead_letter_queue":"logpush-events-dlq","settings":{"batch_size":10,"max_retries":3,"retry_delay":30,"visibility_timeout_ms":300000}}"""),
            new JsonObject { ["type"] = consumer["type"]!.DeepClone(), ["dead_letter_queue"] = consumer["dead_letter_queue"]!.DeepClone(), ["settings"] = consumer["settings"]!.DeepClone() }));
        Assert.Null(_api.Queue(dlq).Consumer);

        var rule = Assert.Single(_api.NotificationRules("logpush-src", QueueId("logpush-events"))!)!;
        Assert.Equal(("gateway_http/", ".log.gz"), ((string?)rule["prefix"], (string?)rule["suffix"]));

        var create = _api.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith("/logpush/jobs", StringComparison.Ordinal));
        var body = JsonNode.Parse(create.Body)!;
        var destination = $"r2://logpush-src/gateway_http/{{DATE}}?account-id={Account}&access-key-id=r2-key&secret-access-key={Secret}";
        Assert.Equal(destination, (string?)body["destination_conf"]);
        Assert.Equal(_api.OwnershipTokenFor(destination), (string?)body["ownership_challenge"]);
        Assert.Contains("read from the source bucket and validated", steps[8].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(steps, s => (s.Name + s.Detail).Contains(Secret, StringComparison.Ordinal));

        var order = _api.Requests.Where(r => r.Method != "GET").Select(r => r.Method + " " + r.ApiPath.Split('/', 3)[2]).ToList();
        Assert.True(order.FindIndex(p => p.StartsWith("PUT event_notifications", StringComparison.Ordinal)) < order.FindIndex(p => p == "POST logpush/jobs"), string.Join("\n", order));
        Assert.True(order.FindIndex(p => p == "POST logpush/ownership/validate") < order.FindIndex(p => p == "POST logpush/jobs"));
        Assert.True(order.IndexOf("POST queues") < order.FindIndex(p => p.EndsWith("/consumers", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ApplyAsync_Twice_SecondRunChangesNothing()
    {
        await Provisioner().ApplyAsync(Options());
        _api.ClearRequests();

        var second = await Provisioner().ApplyAsync(Options());

        Assert.All(second, s => Assert.Equal(ProvisioningAction.None, s.Action));
        Assert.Empty(Mutations());
        Assert.Single(_api.JobsOf(AccountScope));
    }

    [Fact]
    public async Task PlanAsync_FreshAccount_ListsEverythingAndChangesNothing()
    {
        var plan = await Provisioner().PlanAsync(Options());

        Assert.Equal(10, plan.Count);
        Assert.DoesNotContain(plan, s => s.Action is ProvisioningAction.None or ProvisioningAction.Blocked);
        Assert.Empty(Mutations());
        Assert.Empty(_api.BucketNames);
        Assert.Empty(_source.ListAsync().ToBlockingEnumerable());
    }

    [Fact]
    public async Task ApplyAsync_BucketWithUserLifecycleRules_KeepsThemAndAddsOne()
    {
        _api.AddBucket("logpush-csv");
        var userRules = new JsonArray(
            new JsonObject { ["id"] = "expire", ["enabled"] = true, ["conditions"] = new JsonObject { ["prefix"] = "old/" }, ["deleteObjectsTransition"] = new JsonObject { ["condition"] = new JsonObject { ["type"] = "Age", ["maxAge"] = 100 } } },
            new JsonObject { ["id"] = "abort-logs-slowly", ["enabled"] = true, ["conditions"] = new JsonObject { ["prefix"] = "logs/" }, ["abortMultipartUploadsTransition"] = new JsonObject { ["condition"] = new JsonObject { ["type"] = "Age", ["maxAge"] = 999_999 } } });
        _api.SetLifecycleRules("logpush-csv", userRules);

        var steps = await Provisioner().ApplyAsync(Options());

        var rules = _api.LifecycleRules("logpush-csv")!;
        Assert.Equal(3, rules.Count);
        Assert.True(JsonNode.DeepEquals(userRules[0], rules[0]));
        Assert.True(JsonNode.DeepEquals(userRules[1], rules[1]));
        Assert.Contains("the bucket's 2 other rule(s) kept", steps.Single(s => s.Resource == "lifecycle rule").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyAsync_OwnRuleWithOtherAge_ReplacesOnlyIt()
    {
        _api.AddBucket("logpush-csv");
        _api.SetLifecycleRules("logpush-csv", new JsonArray(
            new JsonObject { ["id"] = "user", ["enabled"] = false, ["conditions"] = new JsonObject { ["prefix"] = string.Empty } },
            JsonNode.Parse(CloudflareFixtureRule(ProvisioningOptions.DefaultLifecycleRuleId, 604_800))));

        var steps = await Provisioner().ApplyAsync(Options() with { AbortIncompleteUploadsAfter = TimeSpan.FromDays(2) });

        Assert.Equal(ProvisioningAction.Update, steps.Single(s => s.Resource == "lifecycle rule").Action);
        var rules = _api.LifecycleRules("logpush-csv")!;
        Assert.Equal(["user", ProvisioningOptions.DefaultLifecycleRuleId], rules.Select(r => (string)r!["id"]!));
        Assert.Equal(172_800, rules[1]!["abortMultipartUploadsTransition"]!["condition"]!["maxAge"]!.GetValue<long>());
    }

    [Fact]
    public async Task ApplyAsync_UserRuleAbortsSoonerOnWholeBucket_LeavesLifecycleAlone()
    {
        _api.AddBucket("logpush-csv");
        _api.SetLifecycleRules("logpush-csv", new JsonArray(JsonNode.Parse(CloudflareFixtureRule("theirs", 3600))));

        var steps = await Provisioner().ApplyAsync(Options());

        var step = steps.Single(s => s.Resource == "lifecycle rule");
        Assert.Equal(ProvisioningAction.None, step.Action);
        Assert.Contains("covered by the bucket's rule 'theirs'", step.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Requests, r => r.Method == "PUT" && r.Path.EndsWith("/lifecycle", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyAsync_LifecycleReadIs404_TreatsItAsNoRules()
    {
        _api.AddBucket("logpush-csv");
        _api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.NotFound, (10040, "The bucket has no lifecycle configuration")).For("GET", "/lifecycle"), times: 2);

        var steps = await Provisioner().ApplyAsync(Options());

        Assert.Contains("the bucket's 0 other rule(s) kept", steps.Single(s => s.Resource == "lifecycle rule").Detail, StringComparison.Ordinal);
        Assert.Equal([ProvisioningOptions.DefaultLifecycleRuleId], _api.LifecycleRules("logpush-csv")!.Select(r => (string)r!["id"]!));
    }

    [Fact]
    public async Task ApplyAsync_ConsumerWithOtherSettings_IsUpdated()
    {
        var queue = _api.CreateQueue("logpush-events");
        await _queues.CreateHttpPullConsumerAsync(queue.Id, new QueueConsumerSettings { MaxRetries = 1, BatchSize = 5 });

        var steps = await Provisioner().ApplyAsync(Options() with { MaxRetries = 5, RetryDelaySeconds = 120, VisibilityTimeoutMs = 600_000 });

        var step = steps.Single(s => s.Resource == "HTTP pull consumer");
        Assert.Equal(ProvisioningAction.Update, step.Action);
        Assert.Contains("dead-letter queue none, max retries 1", step.Detail, StringComparison.Ordinal);
        Assert.EndsWith("→ dead-letter queue logpush-events-dlq, max retries 5, lease 10 min, retry delay 2 min, batch size 10", step.Detail, StringComparison.Ordinal);
        Assert.Equal(5, queue.MaxRetries);
        Assert.Equal("logpush-events-dlq", (string?)queue.Consumer!["dead_letter_queue"]);
        Assert.Single(_api.Requests, r => r.Method == "PUT" && r.Path.Contains("/consumers/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyAsync_QueueHasWorkerConsumer_IsBlockedAndChangesNothing()
    {
        var queue = _api.CreateQueue("logpush-events");
        _api.AddWorkerConsumer(queue.Id, "old-worker");

        var ex = await Assert.ThrowsAsync<ProvisioningException>(() => Provisioner().ApplyAsync(Options()));

        Assert.Equal(("HTTP pull consumer", ProvisioningAction.Blocked), (ex.Step.Resource, ex.Step.Action));
        Assert.Contains("worker consumer (Worker old-worker)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Mutations());
    }

    [Fact]
    public async Task ApplyAsync_OverlappingNotificationRule_IsBlocked()
    {
        _api.AddBucket("logpush-src");
        var other = _api.CreateQueue("someone-elses");
        await _rules.PutRulesAsync("logpush-src", other.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = "gateway_http/" }]);
        _api.ClearRequests();

        var plan = await Provisioner().PlanAsync(Options());
        var ex = await Assert.ThrowsAsync<ProvisioningException>(() => Provisioner().ApplyAsync(Options()));

        Assert.Equal(ProvisioningAction.Blocked, plan.Single(s => s.Resource == "notification rule").Action);
        Assert.Contains("into queue someone-elses", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Mutations());
    }

    [Fact]
    public async Task ApplyAsync_EuJurisdiction_UsesHeaderEverywhereAndS3CompatibleDestination()
    {
        var reader = new InMemoryBucket("logpush-src");
        _api.OwnershipChallengeWriter = (_, key, token) => reader.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(token))).GetAwaiter().GetResult();

        await new LogpushPipelineProvisioner(_buckets, _queues, _rules, _logpush, reader).ApplyAsync(Options("eu"));

        foreach (var request in _api.Requests.Where(r => r.Path.Contains("/r2/buckets", StringComparison.Ordinal) || r.Path.Contains("/event_notifications/", StringComparison.Ordinal)))
        {
            Assert.True(request.Header("cf-r2-jurisdiction") == "eu", $"{request.Method} {request.Path} without the jurisdiction header");
        }

        Assert.Equal(2, _buckets.ListBucketsAsync("eu").ToBlockingEnumerable().Count());
        Assert.Empty(_buckets.ListBucketsAsync().ToBlockingEnumerable());
        Assert.NotNull(_api.LifecycleRules("logpush-csv", "eu"));
        var job = Assert.Single(_api.JobsOf(AccountScope));
        Assert.Equal(
            $"s3://logpush-src/gateway_http/{{DATE}}?region=auto&access-key-id=r2-key&secret-access-key={Secret}&endpoint={Account}.eu.r2.cloudflarestorage.com",
            (string?)job["destination_conf"]);

        _api.ClearRequests();
        var second = await new LogpushPipelineProvisioner(_buckets, _queues, _rules, _logpush, reader).ApplyAsync(Options("eu"));
        Assert.All(second, s => Assert.Equal(ProvisioningAction.None, s.Action));
    }

    [Fact]
    public async Task ApplyAsync_CannotReadSourceBucket_CreatesJobWithoutChallengeAndSaysSo()
    {
        var steps = await Provisioner(canReadSource: false).ApplyAsync(Options());

        var ownership = steps.Single(s => s.Resource == "ownership challenge");
        Assert.Contains("skipped: no R2 read access", ownership.Detail, StringComparison.Ordinal);
        Assert.Null(JsonNode.Parse(_api.Requests.Single(r => r.Path.EndsWith("/logpush/jobs", StringComparison.Ordinal) && r.Method == "POST").Body)!["ownership_challenge"]);
        Assert.DoesNotContain(_api.Requests, r => r.Path.EndsWith("/logpush/ownership", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyAsync_ChallengeNotInBucketAndJobRefused_NamesTheChallengeObject()
    {
        _api.OwnershipChallengeWriter = (_, _, _) => { };
        _api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.BadRequest, (1002, "incorrect ownership challenge")).For("POST", "/logpush/jobs"));

        var ex = await Assert.ThrowsAsync<ProvisioningException>(() => Provisioner().ApplyAsync(Options()));

        Assert.Equal(("Logpush job", ProvisioningAction.Blocked), (ex.Step.Resource, ex.Step.Action));
        var today = DateTimeOffset.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(new OwnershipChallengeFile("logpush-src", $"gateway_http/{today}/ownership-challenge.txt", null), ex.ChallengeFile);
        Assert.Contains($"r2://logpush-src/gateway_http/{today}/ownership-challenge.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[1002]", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
        Assert.Empty(_api.JobsOf(AccountScope));
    }

    [Fact]
    public async Task ApplyAsync_GivenChallenge_IsValidatedAndSent()
    {
        var destination = $"r2://logpush-src/gateway_http/{{DATE}}?account-id={Account}&access-key-id=r2-key&secret-access-key={Secret}";
        await _logpush.RequestOwnershipChallengeAsync(AccountScope, destination);
        var token = _api.OwnershipTokenFor(destination)!;

        await Provisioner(canReadSource: false).ApplyAsync(Options() with { OwnershipChallenge = token });

        Assert.Equal(token, (string?)JsonNode.Parse(_api.Requests.Last(r => r.Path.EndsWith("/logpush/jobs", StringComparison.Ordinal)).Body)!["ownership_challenge"]);
    }

    [Fact]
    public async Task ApplyAsync_WrongGivenChallenge_StopsBeforeTheJob()
    {
        var ex = await Assert.ThrowsAsync<ProvisioningException>(() => Provisioner(canReadSource: false).ApplyAsync(Options() with { OwnershipChallenge = "eyJwrong" }));

        Assert.Equal("ownership challenge", ex.Step.Resource);
        Assert.Contains("[1002]", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_api.JobsOf(AccountScope));
    }

    [Fact]
    public async Task ApplyAsync_InvalidDestination_StopsBeforeTheJob()
    {
        // The plan's "exists" check comes first and matches its own canned reply; the validation then gets the invalid one.
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = """{"success":true,"errors":[],"messages":[],"result":{"exists":false}}""" }.For("POST", "/validate/destination/exists"));
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = """{"success":true,"errors":[],"messages":[],"result":{"valid":false,"message":"access denied for secret-access-key=leak"}}""" }.For("POST", "/validate/destination"));

        var ex = await Assert.ThrowsAsync<ProvisioningException>(() => Provisioner().ApplyAsync(Options()));

        Assert.Equal("Logpush destination", ex.Step.Resource);
        Assert.Contains("Cloudflare cannot write there: access denied", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("leak", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_api.JobsOf(AccountScope));
    }

    [Fact]
    public async Task ApplyAsync_DestinationExistsResultNull_IsTolerated()
    {
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = """{"success":true,"errors":[],"messages":[],"result":null}""" }.For("POST", "/validate/destination/exists"), times: 2);

        var steps = await Provisioner().ApplyAsync(Options());

        Assert.Contains("Cloudflare did not say whether another job writes there", steps.Single(s => s.Resource == "Logpush destination").Detail, StringComparison.Ordinal);
        Assert.Single(_api.JobsOf(AccountScope));
    }

    [Fact]
    public async Task ApplyAsync_ValidationAndChallengeResultsNull_ReportedAsUnknownAndTheJobIsCreated()
    {
        // result: null is what the SDK allows for validate/destination and ownership; it is no answer, neither valid nor a failure
        const string NoResult = """{"success":true,"errors":[],"messages":[],"result":null}""";
        // the plan's "exists" check comes first and matches its own canned reply; the validation then gets no result
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = """{"success":true,"errors":[],"messages":[],"result":{"exists":false}}""" }.For("POST", "/validate/destination/exists"));
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = NoResult }.For("POST", "/validate/destination"));
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = NoResult }.For("POST", "/logpush/ownership"));

        var steps = await Provisioner().ApplyAsync(Options());

        Assert.StartsWith("Cloudflare did not say whether it can write there", steps.Single(s => s.Resource == "Logpush destination").Detail, StringComparison.Ordinal);
        Assert.Equal("skipped: Cloudflare issued none (its reply had no result)", steps.Single(s => s.Resource == "ownership challenge").Detail);
        Assert.Single(_api.JobsOf(AccountScope));
    }

    [Fact]
    public async Task ApplyAsync_QueueCreateGets5xx_IsNotRetried_AndRunningAgainResumes()
    {
        _api.FailNext(FakeFailure.ServerError().For("POST", "/queues"));

        var ex = await Assert.ThrowsAsync<ProvisioningException>(() => Provisioner().ApplyAsync(Options()));
        Assert.Equal("dead-letter queue", ex.Step.Resource);
        Assert.Single(_api.Requests, r => r.Method == "POST" && r.Path.EndsWith("/queues", StringComparison.Ordinal));

        var steps = await Provisioner().ApplyAsync(Options());

        Assert.Equal(ProvisioningAction.None, steps.Single(s => s.Resource == "lifecycle rule").Action);
        Assert.Equal(ProvisioningAction.Create, steps.Single(s => s.Resource == "dead-letter queue").Action);
        Assert.Equal(2, _queues.ListQueuesAsync().ToBlockingEnumerable().Count());
    }

    [Fact]
    public async Task ApplyAsync_ExistingDisabledJob_IsReportedNotRecreated()
    {
        _api.AddJob(AccountScope, new JsonObject
        {
            ["dataset"] = "gateway_http",
            ["enabled"] = false,
            ["destination_conf"] = $"r2://logpush-src/gateway_http/{{DATE}}?account-id={Account}&access-key-id=k&secret-access-key=s",
        });

        var steps = await Provisioner().ApplyAsync(Options());

        Assert.Contains("disabled", steps.Single(s => s.Resource == "Logpush job").Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(steps, s => s.Resource is "Logpush destination" or "ownership challenge");
        Assert.Single(_api.JobsOf(AccountScope));
    }

    [Fact]
    public async Task PlanAsync_WithoutR2Credentials_BlocksOnlyTheJob()
    {
        var plan = await Provisioner().PlanAsync(Options() with { R2AccessKeyId = null });

        Assert.Equal(("Logpush job", ProvisioningAction.Blocked), (plan[^1].Resource, plan[^1].Action));
        Assert.Single(plan, s => s.Action == ProvisioningAction.Blocked);
    }

    [Theory]
    [InlineData("BatchSize")]
    [InlineData("MaxRetries")]
    [InlineData("Jurisdiction")]
    [InlineData("DeadLetterQueueName")]
    public async Task PlanAsync_InvalidOption_IsRefusedNamingIt(string property)
    {
        var options = property switch
        {
            "BatchSize" => Options() with { BatchSize = 0 },
            "MaxRetries" => Options() with { MaxRetries = 101 },
            "Jurisdiction" => Options("moon"),
            _ => Options() with { DeadLetterQueueName = "logpush-events" },
        };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Provisioner().PlanAsync(options));

        Assert.Contains("ProvisioningOptions." + property, ex.Message, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    private static string CloudflareFixtureRule(string id, long maxAge) =>
        new JsonObject
        {
            ["id"] = id,
            ["enabled"] = true,
            ["conditions"] = new JsonObject { ["prefix"] = string.Empty },
            ["abortMultipartUploadsTransition"] = new JsonObject { ["condition"] = new JsonObject { ["maxAge"] = maxAge, ["type"] = "Age" } },
        }.ToJsonString();

    private sealed class Progress(List<ProvisioningStep> steps) : IProgress<ProvisioningStep>
    {
        public void Report(ProvisioningStep value) => steps.Add(value);
    }
}
