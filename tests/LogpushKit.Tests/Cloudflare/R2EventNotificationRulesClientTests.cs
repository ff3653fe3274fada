using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Tests.Infrastructure.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class R2EventNotificationRulesClientTests : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;
    private R2EventNotificationRulesClient _client = null!;
    private FakeQueue _queue = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _queue = _api.CreateQueue("logpush-events", "11111111111111111111111111111111");
        _client = new R2EventNotificationRulesClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new R2EventNotificationRulesClientOptions()));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
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

        await _client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        var request = Assert.Single(_api.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal(Path($"/queues/{_queue.Id}"), request.Path);
        Assert.Null(request.Header(R2EventNotificationRulesClient.JurisdictionHeader));
        CloudflareFixture.AssertJsonEqual(CloudflareFixture.Read("r2-rules-put-request.json"), request.Body);
    }

    [Fact]
    public async Task PutRulesAsync_ThenGet_ReturnsStoredRulesWithIds()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Suffix = ".log.gz" };

        await _client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);
        var queueRules = await _client.GetQueueRulesAsync("logpush-bucket", _queue.Id);
        var configuration = await _client.GetConfigurationAsync("logpush-bucket");

        var stored = Assert.Single(queueRules.Rules);
        Assert.Equal(["PutObject", "CopyObject", "CompleteMultipartUpload"], stored.Actions);
        Assert.Equal(".log.gz", stored.Suffix);
        Assert.NotNull(stored.RuleId);
        Assert.Equal("logpush-events", queueRules.QueueName);
        Assert.Equal("logpush-bucket", configuration.BucketName);
        Assert.Equal(_queue.Id, Assert.Single(configuration.Queues).QueueId);
        Assert.Equal(("GET", Path($"/queues/{_queue.Id}")), (_api.Requests[1].Method, _api.Requests[1].Path));
        Assert.Equal(("GET", Path(string.Empty)), (_api.Requests[2].Method, _api.Requests[2].Path));
    }

    [Fact]
    public async Task PutRulesAsync_ReadOnlyMembers_NotSent()
    {
        var rule = new R2NotificationRule { Actions = ["PutObject"], RuleId = "r1", CreatedAt = "2025-06-01T09:00:00Z" };

        await _client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        CloudflareFixture.AssertJsonEqual("""{"rules":[{"actions":["PutObject"]}]}""", Assert.Single(_api.Requests).Body);
    }

    [Fact]
    public async Task PutRulesAsync_Overlapping_ThrowsConflict()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Suffix = ".log.gz" };
        await _client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]);

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.PutRulesAsync("logpush-bucket", _queue.Id, [rule]));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
    }

    [Fact]
    public async Task DeleteRulesAsync_WithJurisdiction_SendsHeaderAndNoBody()
    {
        await _client.DeleteRulesAsync("logpush-bucket", _queue.Id, "eu");

        var request = Assert.Single(_api.Requests);
        Assert.Equal("DELETE", request.Method);
        Assert.Equal(Path($"/queues/{_queue.Id}"), request.Path);
        Assert.Equal("eu", request.Header("cf-r2-jurisdiction"));
        Assert.Equal(string.Empty, request.Body);
    }

    [Fact]
    public async Task PutRulesAsync_NoActions_Rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _client.PutRulesAsync("b", _queue.Id, [new R2NotificationRule()]));
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public void ForEventTypes_Both_HasAllFiveActions()
    {
        var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate, R2EventType.ObjectDelete);

        Assert.Equal(["PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject", "LifecycleDeletion"], rule.Actions);
    }
}
