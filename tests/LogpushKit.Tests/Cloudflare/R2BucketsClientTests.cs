using LogpushKit.Cloudflare;
using LogpushKit.Tests.Infrastructure.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class R2BucketsClientTests : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;
    private R2BucketsClient _client = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _client = new R2BucketsClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new R2BucketsClientOptions()));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task CreateBucketAsync_PostsNameAndJurisdictionHeader()
    {
        var bucket = await _client.CreateBucketAsync("logs-eu", "eu", "weur");

        var request = Assert.Single(_api.Requests);
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
            _api.AddBucket($"b{i:0000}");
        }

        var names = await _client.ListBucketsAsync().Select(b => b.Name).ToListAsync();

        Assert.Equal(1500, names.Distinct().Count());
        Assert.Equal(["?per_page=1000", "?per_page=1000&cursor=1000"], _api.Requests.Select(r => r.Query));
    }
}
