using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Tests.Infrastructure.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

/// <summary>
/// <see cref="R2EventNotificationRulesClient.DeleteRulesByIdAsync"/>: the <c>{"ruleIds":[…]}</c> body of Wrangler's
/// <c>notification delete --rule</c> (workers-sdk <c>packages/wrangler/src/r2/helpers/notification.ts</c>).
/// </summary>
public sealed class R2EventNotificationRulesClientDeleteByIdTests : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;
    private R2EventNotificationRulesClient _client = null!;
    private FakeQueue _queue = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _queue = _api.CreateQueue("logpush-events");
        _client = new R2EventNotificationRulesClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new R2EventNotificationRulesClientOptions()));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    private async Task<IReadOnlyList<R2NotificationRule>> AddTwoRulesAsync()
    {
        await _client.PutRulesAsync("b", _queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = "a/" }]);
        await _client.PutRulesAsync("b", _queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = "b/" }]);
        var rules = (await _client.GetQueueRulesAsync("b", _queue.Id)).Rules;
        _api.ClearRequests();
        return rules;
    }

    [Fact]
    public async Task DeleteRulesByIdAsync_DeletesOnlyThatRule_WithDocumentedBodyAndJurisdiction()
    {
        var rules = await AddTwoRulesAsync();

        await _client.DeleteRulesByIdAsync("b", _queue.Id, [rules[0].RuleId!], "eu");

        var request = Assert.Single(_api.Requests);
        Assert.Equal(("DELETE", $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/event_notifications/r2/b/configuration/queues/{_queue.Id}"), (request.Method, request.Path));
        Assert.Equal("eu", request.Header(R2EventNotificationRulesClient.JurisdictionHeader));
        CloudflareFixture.AssertJsonEqual($$"""{"ruleIds":["{{rules[0].RuleId}}"]}""", request.Body);
        var left = Assert.Single(_api.NotificationRules("b", _queue.Id)!);
        Assert.Equal("b/", (string?)left!["prefix"]);
    }

    [Fact]
    public async Task DeleteRulesByIdAsync_RetryAfterServerSideSuccess_Finds404_IsSuccess()
    {
        var rules = await AddTwoRulesAsync();
        await _client.DeleteRulesByIdAsync("b", _queue.Id, [rules[0].RuleId!]);
        _api.FailNext(FakeFailure.ServerError(HttpStatusCode.GatewayTimeout).For("DELETE"));

        await _client.DeleteRulesByIdAsync("b", _queue.Id, [rules[0].RuleId!]);

        Assert.Equal(3, _api.Requests.Count(r => r.Method == "DELETE"));
    }

    [Fact]
    public async Task DeleteRulesByIdAsync_UnknownRuleOnFirstAttempt_Throws()
    {
        await AddTwoRulesAsync();

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.DeleteRulesByIdAsync("b", _queue.Id, ["nope"]));

        Assert.Equal((HttpStatusCode.NotFound, 1), (ex.StatusCode, ex.Attempts));
        Assert.Equal(2, _api.NotificationRules("b", _queue.Id)!.Count);
    }

    [Theory]
    [InlineData]
    [InlineData(" ")]
    public async Task DeleteRulesByIdAsync_NoOrBlankIds_IsRefusedBeforeSending(params string[] ids)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _client.DeleteRulesByIdAsync("b", _queue.Id, ids));

        Assert.Empty(_api.Requests);
    }
}
