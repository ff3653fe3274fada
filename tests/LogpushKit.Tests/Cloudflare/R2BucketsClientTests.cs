using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class R2BucketsClientTests : FakeApiClientTest<R2BucketsClient>
{

    protected override R2BucketsClient CreateClient(FakeCloudflareApi api) => new R2BucketsClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new R2BucketsClientOptions()));

    [Fact]
    public async Task CreateBucketAsync_PostsNameAndJurisdictionHeader()
    {
        var bucket = await Client.CreateBucketAsync("logs-eu", "eu", "weur");

        var request = Assert.Single(Api.Requests);
        Assert.Equal(("POST", $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/r2/buckets"), (request.Method, request.Path));
        Assert.Equal("eu", request.Header("cf-r2-jurisdiction"));
        CloudflareFixture.AssertJsonEqual("""{"name":"logs-eu","locationHint":"weur"}""", request.Body);
        Assert.Equal("logs-eu", bucket.Name);
        Assert.Equal("eu", bucket.Jurisdiction);
    }

    [Fact]
    public async Task ListBucketsAsync_FollowsCursor()
    {
        for (var i = 0; i < 1500; i++)
        {
            Api.AddBucket($"b{i:0000}");
        }

        var names = await Client.ListBucketsAsync().Select(b => b.Name).ToListAsync();

        Assert.Equal(1500, names.Distinct().Count());
        Assert.Equal(["?per_page=1000", "?per_page=1000&cursor=1000"], Api.Requests.Select(r => r.Query));
    }
}
