using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Json;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

/// <summary>
/// <see cref="R2BucketsClient.GetLifecycleRulesAsync"/> and <see cref="R2BucketsClient.PutLifecycleRulesAsync"/> against
/// the shapes of cloudflare-typescript <c>src/resources/r2/buckets/lifecycle.ts</c>.
/// </summary>
public sealed class R2BucketsClientLifecycleTests : FakeApiClientTest<R2BucketsClient>
{

    protected override R2BucketsClient CreateClient(FakeCloudflareApi api) => new R2BucketsClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new R2BucketsClientOptions()));

    private static string Path(string bucket) => $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/r2/buckets/{bucket}/lifecycle";

    private void Serve(string method, string fixture) =>
        Api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = CloudflareFixture.Read("Setup/" + fixture) }.For(method, "/lifecycle"));

    [Fact]
    public async Task GetLifecycleRulesAsync_MinimalReply_WithoutRules_IsEmpty()
    {
        Serve("GET", "r2-lifecycle-get-minimal.json");

        var config = await Client.GetLifecycleRulesAsync("b");

        Assert.Empty(config.Rules);
        Assert.Equal(("GET", Path("b")), (Api.Requests[0].Method, Api.Requests[0].Path));
        Assert.Null(Api.Requests[0].Header("cf-r2-jurisdiction"));
    }

    [Fact]
    public async Task GetLifecycleRulesAsync_NullRules_IsEmpty()
    {
        Api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = """{"success":true,"errors":[],"messages":[],"result":{"rules":null}}""" }.For("GET"));

        var config = await Client.GetLifecycleRulesAsync("b");

        Assert.Empty(config.Rules);
    }

    [Fact]
    public async Task GetLifecycleRulesAsync_FullReply_ReadsEveryTransition()
    {
        Serve("GET", "r2-lifecycle-get-full.json");

        var rules = (await Client.GetLifecycleRulesAsync("b", "eu")).Rules;

        Assert.Equal("eu", Api.Requests[0].Header("cf-r2-jurisdiction"));
        Assert.Equal(3, rules.Count);
        Assert.Equal(("Default Multipart Abort Rule", string.Empty, true), (rules[0].Id, rules[0].Prefix, rules[0].Enabled));
        Assert.Equal(("Age", 604_800L), (rules[0].AbortMultipartUploadsTransition!.Condition!.Type, rules[0].AbortMultipartUploadsTransition!.Condition!.MaxAge));
        Assert.Empty(rules[0].StorageClassTransitions);
        Assert.Equal(("gateway_http/", false, 7_776_000L), (rules[1].Prefix, rules[1].Enabled, rules[1].DeleteObjectsTransition!.Condition!.MaxAge));
        var storage = Assert.Single(rules[1].StorageClassTransitions);
        Assert.Equal(("InfrequentAccess", 2_592_000L), (storage.StorageClass, storage.Condition!.MaxAge));
        Assert.Equal(("Date", "2026-01-01T00:00:00Z"), (rules[2].DeleteObjectsTransition!.Condition!.Type, rules[2].DeleteObjectsTransition!.Condition!.Date));
        Assert.Equal("2025-12-01T00:00:00Z", rules[2].StorageClassTransitions[0].Condition!.Date);
    }

    [Fact]
    public async Task GetLifecycleRulesAsync_UnknownMembers_AreKept()
    {
        Serve("GET", "r2-lifecycle-get-unknown-members.json");

        var rule = Assert.Single((await Client.GetLifecycleRulesAsync("b")).Rules);

        Assert.Equal(("user-rule", "logs/", 86_400L), (rule.Id, rule.Prefix, rule.AbortMultipartUploadsTransition!.Condition!.MaxAge));
        Assert.True(rule.AdditionalProperties!.ContainsKey("futureTransition"));
        Assert.Equal(".tmp", rule.Conditions!.AdditionalProperties!["suffix"].GetString());
    }

    [Fact]
    public async Task PutLifecycleRulesAsync_RulesReadFromApi_AreWrittenBackUnchanged()
    {
        Api.AddBucket("b");
        Serve("GET", "r2-lifecycle-get-full.json");
        var read = (await Client.GetLifecycleRulesAsync("b")).Rules;
        var mine = R2LifecycleRule.AbortIncompleteMultipartUploads("logpushkit", TimeSpan.FromDays(1));

        await Client.PutLifecycleRulesAsync("b", [.. read, mine]);

        var sent = JsonNode.Parse(Api.Requests.Single(r => r.Method == "PUT").Body)!.AsObject();
        var original = JsonNode.Parse(CloudflareFixture.Read("Setup/r2-lifecycle-get-full.json"))!["result"]!["rules"]!.AsArray();
        Assert.Equal(["rules"], sent.Select(p => p.Key));
        var rules = sent["rules"]!.AsArray();
        Assert.Equal(4, rules.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(JsonNode.DeepEquals(original[i], rules[i]), $"rule {i} changed: {rules[i]!.ToJsonString()}");
        }

        CloudflareFixture.AssertJsonEqual(
            """{"id":"logpushkit","conditions":{"prefix":""},"enabled":true,"abortMultipartUploadsTransition":{"condition":{"type":"Age","maxAge":86400}}}""",
            rules[3]!.ToJsonString());
        Assert.Equal(4, Api.LifecycleRules("b")!.Count);
    }

    [Fact]
    public async Task PutLifecycleRulesAsync_UnknownMembersOfAUserRule_AreWrittenBack()
    {
        Serve("GET", "r2-lifecycle-get-unknown-members.json");
        var read = (await Client.GetLifecycleRulesAsync("b")).Rules;
        Api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = CloudflareFixture.Read("Setup/r2-lifecycle-put-response.json") }.For("PUT"));

        await Client.PutLifecycleRulesAsync("b", read);

        var sent = JsonNode.Parse(Api.Requests.Single(r => r.Method == "PUT").Body)!["rules"]![0]!;
        var original = JsonNode.Parse(CloudflareFixture.Read("Setup/r2-lifecycle-get-unknown-members.json"))!["result"]!["rules"]![0]!;
        Assert.True(JsonNode.DeepEquals(original, sent), sent.ToJsonString());
    }

    [Fact]
    public async Task PutLifecycleRulesAsync_WithJurisdiction_SendsHeaderAndFakeStoresPerJurisdiction()
    {
        Api.AddBucket("b", "eu");

        await Client.PutLifecycleRulesAsync("b", [R2LifecycleRule.AbortIncompleteMultipartUploads("x", TimeSpan.FromHours(36))], "eu");

        Assert.Equal("eu", Api.Requests[0].Header("cf-r2-jurisdiction"));
        Assert.Equal(129_600, Api.LifecycleRules("b", "eu")![0]!["abortMultipartUploadsTransition"]!["condition"]!["maxAge"]!.GetValue<long>());
        Assert.Null(Api.LifecycleRules("b"));
    }

    [Fact]
    public async Task PutLifecycleRulesAsync_ServerErrorOnce_IsRetried()
    {
        Api.AddBucket("b");
        Api.FailNext(FakeFailure.ServerError(HttpStatusCode.ServiceUnavailable).For("PUT"));

        await Client.PutLifecycleRulesAsync("b", [R2LifecycleRule.AbortIncompleteMultipartUploads("x", TimeSpan.FromDays(1))]);

        Assert.Equal(2, Api.Requests.Count);
        Assert.Single(Api.LifecycleRules("b")!);
    }

    [Fact]
    public async Task GetLifecycleRulesAsync_UnknownBucket_ThrowsWithCode()
    {
        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.GetLifecycleRulesAsync("missing"));

        Assert.Equal((HttpStatusCode.NotFound, 10006), (ex.StatusCode, ex.ErrorCodes.Single()));
    }

    [Fact]
    public async Task PutLifecycleRulesAsync_RuleWithoutId_IsRefusedBeforeSending()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.PutLifecycleRulesAsync("b", [new R2LifecycleRule { Conditions = new() { Prefix = string.Empty } }]));

        Assert.Empty(Api.Requests);
    }

    [Fact]
    public void AbortIncompleteMultipartUploads_SerializesOnlySchemaMembers()
    {
        CloudflareFixture.AssertJsonEqual(
            """{"id":"r","conditions":{"prefix":"p/"},"enabled":true,"abortMultipartUploadsTransition":{"condition":{"type":"Age","maxAge":3600}}}""",
            CloudflareJson.Serialize(R2LifecycleRule.AbortIncompleteMultipartUploads("r", TimeSpan.FromHours(1), "p/")));
    }
}
