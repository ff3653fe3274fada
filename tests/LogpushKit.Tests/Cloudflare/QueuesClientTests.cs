using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Tests.Infrastructure.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class QueuesClientTests : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;
    private QueuesClient _client = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _client = new QueuesClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new QueuesClientOptions()));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    private static string Path(string tail) => $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/queues{tail}";

    [Fact]
    public async Task CreateQueueAsync_ThenFindAndGet()
    {
        var created = await _client.CreateQueueAsync("logpush-events");
        var found = await _client.FindQueueAsync("logpush-events");
        var got = await _client.GetQueueAsync(created.QueueId!);

        Assert.Equal(("POST", Path(string.Empty), """{"queue_name":"logpush-events"}"""), (_api.Requests[0].Method, _api.Requests[0].Path, _api.Requests[0].Body));
        Assert.Equal(created.QueueId, found!.QueueId);
        Assert.Equal("logpush-events", got.QueueName);
        Assert.Matches("^[0-9a-f]{32}$", created.QueueId!);
    }

    [Fact]
    public async Task ListQueuesAsync_MoreThanOnePage_FollowsPages()
    {
        for (var i = 0; i < 130; i++)
        {
            _api.CreateQueue($"q{i:000}");
        }

        var queues = await _client.ListQueuesAsync().ToListAsync();

        Assert.Equal(130, queues.Select(q => q.QueueId).Distinct().Count());
        Assert.Equal(["?page=1&per_page=100", "?page=2&per_page=100"], _api.Requests.Select(r => r.Query));
    }

    [Fact]
    public async Task FindQueueAsync_Missing_ReturnsNull()
    {
        Assert.Null(await _client.FindQueueAsync("nope"));
    }

    [Fact]
    public async Task CreateHttpPullConsumerAsync_SendsDocumentedBody()
    {
        var queue = _api.CreateQueue("q");

        var consumer = await _client.CreateHttpPullConsumerAsync(
            queue.Id,
            new QueueConsumerSettings { BatchSize = 50, MaxRetries = 5, RetryDelay = 30, VisibilityTimeoutMs = 600_000 },
            deadLetterQueue: "q-dlq");

        var request = Assert.Single(_api.Requests);
        Assert.Equal(("POST", Path($"/{queue.Id}/consumers")), (request.Method, request.Path));
        CloudflareFixture.AssertJsonEqual(
            """{"type":"http_pull","dead_letter_queue":"q-dlq","settings":{"batch_size":50,"max_retries":5,"retry_delay":30,"visibility_timeout_ms":600000}}""",
            request.Body);
        Assert.Equal("http_pull", consumer.Type);
        Assert.Equal(5, queue.MaxRetries);
        Assert.NotNull((await _client.GetQueueAsync(queue.Id)).Consumers?.SingleOrDefault(c => c.Type == "http_pull"));
    }

    [Fact]
    public async Task CreateQueueAsync_Duplicate_ThrowsConflict()
    {
        _api.CreateQueue("dup");

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.CreateQueueAsync("dup"));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
    }
}
