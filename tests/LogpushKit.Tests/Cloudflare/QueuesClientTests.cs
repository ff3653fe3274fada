using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class QueuesClientTests : FakeApiClientTest<QueuesClient>
{

    protected override QueuesClient CreateClient(FakeCloudflareApi api) => new QueuesClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new QueuesClientOptions()));

    private static string Path(string tail) => $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/queues{tail}";

    [Fact]
    public async Task CreateQueueAsync_ThenFindAndGet()
    {
        var created = await Client.CreateQueueAsync("logpush-events");
        var found = await Client.FindQueueAsync("logpush-events");
        var got = await Client.GetQueueAsync(created.QueueId!);

        Assert.Equal(("POST", Path(string.Empty), """{"queue_name":"logpush-events"}"""), (Api.Requests[0].Method, Api.Requests[0].Path, Api.Requests[0].Body));
        Assert.Equal(created.QueueId, found!.QueueId);
        Assert.Equal("logpush-events", got.QueueName);
        Assert.Matches("^[0-9a-f]{32}$", created.QueueId!);
    }

    [Fact]
    public async Task ListQueuesAsync_MoreThanOnePage_FollowsPages()
    {
        for (var i = 0; i < 130; i++)
        {
            Api.CreateQueue($"q{i:000}");
        }

        var queues = await Client.ListQueuesAsync().ToListAsync();

        Assert.Equal(130, queues.Select(q => q.QueueId).Distinct().Count());
        Assert.Equal(["?page=1&per_page=100", "?page=2&per_page=100"], Api.Requests.Select(r => r.Query));
    }

    [Fact]
    public async Task FindQueueAsync_Missing_ReturnsNull()
    {
        Assert.Null(await Client.FindQueueAsync("nope"));
    }

    [Fact]
    public async Task CreateHttpPullConsumerAsync_SendsDocumentedBody()
    {
        var queue = Api.CreateQueue("q");

        var consumer = await Client.CreateHttpPullConsumerAsync(
            queue.Id,
            new QueueConsumerSettings { BatchSize = 50, MaxRetries = 5, RetryDelay = 30, VisibilityTimeoutMs = 600_000 },
            deadLetterQueue: "q-dlq");

        var request = Assert.Single(Api.Requests);
        Assert.Equal(("POST", Path($"/{queue.Id}/consumers")), (request.Method, request.Path));
        CloudflareFixture.AssertJsonEqual(
            """{"type":"http_pull","dead_letter_queue":"q-dlq","settings":{"batch_size":50,"max_retries":5,"retry_delay":30,"visibility_timeout_ms":600000}}""",
            request.Body);
        Assert.Equal("http_pull", consumer.Type);
        Assert.Equal(5, queue.MaxRetries);
        Assert.NotNull((await Client.GetQueueAsync(queue.Id)).Consumers?.SingleOrDefault(c => c.Type == "http_pull"));
    }

    [Fact]
    public async Task CreateQueueAsync_Duplicate_ThrowsConflict()
    {
        Api.CreateQueue("dup");

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.CreateQueueAsync("dup"));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
    }
}
