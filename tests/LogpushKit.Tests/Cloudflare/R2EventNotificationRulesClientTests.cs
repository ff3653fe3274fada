using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class R2EventNotificationRulesClientTests : FakeApiClientTest<R2EventNotificationRulesClient>
{
    private FakeQueue _queue = null!;

    protected override R2EventNotificationRulesClient CreateClient(FakeCloudflareApi api) => new R2EventNotificationRulesClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new R2EventNotificationRulesClientOptions()));

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _queue = Api.CreateQueue("logpush-events", "11111111111111111111111111111111");
    }

    private static string Path(string tail) => $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/event_notifications/r2/logpush-bucket/configuration{tail}";

    [Fact]
    public async Task PutRulesAsync_SendsDocumentedBody()
    {
        var rule = new R2NotificationRule
        {
            Actions = ["PutObject", "CompleteMultipartUpload"],
            Prefix = "gateway_http/",
            Suffix = ".log.gz",
            Description = "LogpushKit: new Logpush batches",
        };

        await Client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        var request = Assert.Single(Api.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal(Path($"/queues/{_queue.Id}"), request.Path);
        Assert.Null(request.Header(R2EventNotificationRulesClient.JurisdictionHeader));
        CloudflareFixture.AssertJsonEqual(CloudflareFixture.Read("r2-rules-put-request.json"), request.Body);
    }

    [Fact]
    public async Task PutRulesAsync_ThenGet_ReturnsStoredRulesWithIds()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Suffix = ".log.gz" };

        await Client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);
        var queueRules = await Client.GetQueueRulesAsync("logpush-bucket", _queue.Id);
        var configuration = await Client.GetConfigurationAsync("logpush-bucket");

        var stored = Assert.Single(queueRules.Rules);
        Assert.Equal(["PutObject", "CopyObject", "CompleteMultipartUpload"], stored.Actions);
        Assert.Equal(".log.gz", stored.Suffix);
        Assert.NotNull(stored.RuleId);
        Assert.Equal("logpush-events", queueRules.QueueName);
        Assert.Equal("logpush-bucket", configuration.BucketName);
        Assert.Equal(_queue.Id, Assert.Single(configuration.Queues).QueueId);
        Assert.Equal(("GET", Path($"/queues/{_queue.Id}")), (Api.Requests[1].Method, Api.Requests[1].Path));
        Assert.Equal(("GET", Path(string.Empty)), (Api.Requests[2].Method, Api.Requests[2].Path));
    }

    [Fact]
    public async Task PutRulesAsync_ReadOnlyMembers_NotSent()
    {
        var rule = new R2NotificationRule { Actions = ["PutObject"], RuleId = "r1", CreatedAt = "2025-06-01T09:00:00Z" };

        await Client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        CloudflareFixture.AssertJsonEqual("""{"rules":[{"actions":["PutObject"]}]}""", Assert.Single(Api.Requests).Body);
    }

    [Fact]
    public async Task PutRulesAsync_Overlapping_ThrowsConflict()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Suffix = ".log.gz" };
        await Client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
    }

    [Fact]
    public async Task DeleteRulesAsync_WithJurisdiction_SendsHeaderAndNoBody()
    {
        await Client.DeleteRulesAsync("logpush-bucket", _queue.Id, "eu");

        var request = Assert.Single(Api.Requests);
        Assert.Equal("DELETE", request.Method);
        Assert.Equal(Path($"/queues/{_queue.Id}"), request.Path);
        Assert.Equal("eu", request.Header("cf-r2-jurisdiction"));
        Assert.Equal(string.Empty, request.Body);
    }

    [Fact]
    public async Task PutRulesAsync_NoActions_Rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.PutRulesAsync("b", _queue.Id, [new R2NotificationRule()]));
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public void ForEventTypes_Both_HasAllFiveActions()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate, R2EventType.ObjectDelete);

        Assert.Equal(["PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject", "LifecycleDeletion"], rule.Actions);
    }

    [Fact]
    public async Task PutRulesAsync_5xxAfterTheRulesWereStored_ReadsBackAndSucceedsWithoutAnOverlap()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Suffix = ".log.gz" };
        Api.FailNext(FakeFailure.ServerError(HttpStatusCode.BadGateway).For("PUT").AfterTheRequestTookEffect());

        await Client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        Assert.Equal(["PUT", "GET"], Api.Requests.Select(r => r.Method));
        Assert.Single(Api.NotificationRules("logpush-bucket", _queue.Id)!);
    }

    [Fact]
    public async Task PutRulesAsync_5xxBeforeTheRulesWereStored_ReadsBackThenRepeats()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = "gw/" };
        Api.FailNext(FakeFailure.ServerError().For("PUT"));

        await Client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        Assert.Equal(["PUT", "GET", "PUT"], Api.Requests.Select(r => r.Method));
        Assert.Single(Api.NotificationRules("logpush-bucket", _queue.Id)!);
    }

    [Fact]
    public async Task PutRulesAsync_Persistent5xx_ThrowsAfterBoundedRepeats()
    {
        using var client = new R2EventNotificationRulesClient(FakeCloudflareApi.DefaultAccountId, Api.ClientOptions(new R2EventNotificationRulesClientOptions()) with
        {
            Retry = new CloudflareRetryOptions { MaxRetryAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(10) },
        });
        Api.FailNext(FakeFailure.ServerError().For("PUT"), times: 10);

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => client.PutRulesAsync("logpush-bucket", _queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate)]));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal(3, Api.Requests.Count(r => r.Method == "PUT"));
    }

    [Fact]
    public async Task DeleteRulesAsync_5xxAfterTheyWereDeleted_Succeeds()
    {
        await Client.PutRulesAsync("logpush-bucket", _queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate)]);
        Api.FailNext(FakeFailure.ServerError().For("DELETE").AfterTheRequestTookEffect());
        var deleted = false;
        Api.ResponseShaper = (request, envelope) =>
        {
            // a second DELETE of rules that are gone: 404, as a strict server may answer
            if (request.Method == "DELETE" && deleted)
            {
                return new JsonObject { ["success"] = false, ["errors"] = new JsonArray(new JsonObject { ["code"] = 1003, ["message"] = "not found" }), ["messages"] = new JsonArray(), ["result"] = null };
            }

            deleted |= request.Method == "DELETE";
            return envelope;
        };

        await Client.DeleteRulesAsync("logpush-bucket", _queue.Id);

        Assert.Null(Api.NotificationRules("logpush-bucket", _queue.Id));
    }

    [Fact]
    public async Task GetConfigurationAsync_OlderMapForm_ReadsEveryQueueAndRule()
    {
        Api.ResponseShaper = (_, envelope) =>
        {
            envelope["result"] = JsonNode.Parse("""
                {"logpush-bucket":{
                   "detail-1":{"queue":"QUEUE_ID","rules":[{"prefix":"gw/","suffix":".log.gz","actions":["PutObject","CompleteMultipartUpload"]}]},
                   "detail-2":{"queue":"22222222222222222222222222222222","rules":[{"actions":["DeleteObject"]}]}}}
                """.Replace("QUEUE_ID", _queue.Id, StringComparison.Ordinal));
            return envelope;
        };

        var configuration = await Client.GetConfigurationAsync("logpush-bucket");
        var rules = await Client.GetQueueRulesAsync("logpush-bucket", _queue.Id);

        Assert.Equal("logpush-bucket", configuration.BucketName);
        Assert.Equal([_queue.Id, "22222222222222222222222222222222"], configuration.Queues.Select(q => q.QueueId));
        var rule = Assert.Single(configuration.Queues[0].Rules);
        Assert.Equal(("gw/", ".log.gz"), (rule.Prefix, rule.Suffix));
        Assert.Equal(["PutObject", "CompleteMultipartUpload"], rule.Actions);
        Assert.Equal(["DeleteObject"], Assert.Single(configuration.Queues[1].Rules).Actions);
        Assert.Equal(_queue.Id, rules.QueueId);
        Assert.Equal(["PutObject", "CompleteMultipartUpload"], Assert.Single(rules.Rules).Actions);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("""{"bucketName":"logpush-bucket"}""")]
    [InlineData("""{"queues":[{"queueId":"q"}]}""")]
    public async Task GetConfigurationAsync_EmptyOrPartial_NoNullLists(string result)
    {
        Api.ResponseShaper = (_, envelope) =>
        {
            envelope["result"] = JsonNode.Parse(result);
            return envelope;
        };

        var configuration = await Client.GetConfigurationAsync("logpush-bucket");

        Assert.All(configuration.Queues, q => Assert.NotNull(q.Rules));
        Assert.NotNull(configuration.Queues);
    }

    [Fact]
    public async Task GetConfigurationAsync_NeitherForm_ThrowsWithRay()
    {
        Api.ResponseShaper = (_, envelope) =>
        {
            envelope["result"] = new JsonArray(1, 2);
            return envelope;
        };

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.GetConfigurationAsync("logpush-bucket"));

        Assert.Contains("notification configuration", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.RayId);
    }
}
