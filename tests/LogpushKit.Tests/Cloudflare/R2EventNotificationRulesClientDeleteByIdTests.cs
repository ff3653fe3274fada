using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

/// <summary>
/// <see cref="R2EventNotificationRulesClient.DeleteRulesByIdAsync"/>: the <c>{"ruleIds":[…]}</c> body of Wrangler's
/// <c>notification delete --rule</c> (workers-sdk <c>packages/wrangler/src/r2/helpers/notification.ts</c>).
/// </summary>
public sealed class R2EventNotificationRulesClientDeleteByIdTests : FakeApiClientTest<R2EventNotificationRulesClient>
{
    private FakeQueue _queue = null!;

    protected override R2EventNotificationRulesClient CreateClient(FakeCloudflareApi api) => new R2EventNotificationRulesClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new R2EventNotificationRulesClientOptions()));

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _queue = Api.CreateQueue("logpush-events");
    }

    private async Task<IReadOnlyList<R2NotificationRule>> AddTwoRulesAsync()
    {
        await Client.PutRulesAsync("b", _queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = "a/" }]);
        await Client.PutRulesAsync("b", _queue.Id, [R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = "b/" }]);
        var rules = (await Client.GetQueueRulesAsync("b", _queue.Id)).Rules;
        Api.ClearRequests();
        return rules;
    }

    [Fact]
    public async Task DeleteRulesByIdAsync_DeletesOnlyThatRule_WithDocumentedBodyAndJurisdiction()
    {
        var rules = await AddTwoRulesAsync();

        await Client.DeleteRulesByIdAsync("b", _queue.Id, [rules[0].RuleId!], "eu");

        var request = Assert.Single(Api.Requests);
        Assert.Equal(("DELETE", $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/event_notifications/r2/b/configuration/queues/{_queue.Id}"), (request.Method, request.Path));
        Assert.Equal("eu", request.Header(R2EventNotificationRulesClient.JurisdictionHeader));
        CloudflareFixture.AssertJsonEqual($$"""{"ruleIds":["{{rules[0].RuleId}}"]}""", request.Body);
        var left = Assert.Single(Api.NotificationRules("b", _queue.Id)!);
        Assert.Equal("b/", (string?)left!["prefix"]);
    }

    [Fact]
    public async Task DeleteRulesByIdAsync_RetryAfterServerSideSuccess_Finds404_IsSuccess()
    {
        var rules = await AddTwoRulesAsync();
        await Client.DeleteRulesByIdAsync("b", _queue.Id, [rules[0].RuleId!]);
        Api.FailNext(FakeFailure.ServerError(HttpStatusCode.GatewayTimeout).For("DELETE"));

        await Client.DeleteRulesByIdAsync("b", _queue.Id, [rules[0].RuleId!]);

        Assert.Equal(3, Api.Requests.Count(r => r.Method == "DELETE"));
    }

    [Fact]
    public async Task DeleteRulesByIdAsync_UnknownRuleOnFirstAttempt_Throws()
    {
        await AddTwoRulesAsync();

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.DeleteRulesByIdAsync("b", _queue.Id, ["nope"]));

        Assert.Equal((HttpStatusCode.NotFound, 1), (ex.StatusCode, ex.Attempts));
        Assert.Equal(2, Api.NotificationRules("b", _queue.Id)!.Count);
    }

    [Theory]
    [InlineData]
    [InlineData(" ")]
    public async Task DeleteRulesByIdAsync_NoOrBlankIds_IsRefusedBeforeSending(params string[] ids)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.DeleteRulesByIdAsync("b", _queue.Id, ids));

        Assert.Empty(Api.Requests);
    }
}
