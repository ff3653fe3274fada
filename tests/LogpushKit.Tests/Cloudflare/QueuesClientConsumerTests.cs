using System.Net;
using System.Text.Json;
using LogpushKit.Cloudflare;
using LogpushKit.Json;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

/// <summary>
/// The consumer management methods of <see cref="QueuesClient"/> (list, get, update, delete) against the shapes of
/// cloudflare-typescript <c>src/resources/queues/consumers.ts</c> (fixtures in <c>Fixtures/Cloudflare/Setup</c>, sources
/// in <c>FIXTURES-setup.md</c>).
/// </summary>
public sealed class QueuesClientConsumerTests : FakeApiClientTest<QueuesClient>
{

    protected override QueuesClient CreateClient(FakeCloudflareApi api) => new QueuesClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new QueuesClientOptions()));

    private static string Path(string tail) => $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/queues{tail}";

    private void Serve(string method, string pathContains, string fixture) =>
        Api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = CloudflareFixture.Read("Setup/" + fixture) }.For(method, pathContains));

    [Fact]
    public async Task ListConsumersAsync_MinimalReply_WithoutResult_IsEmpty()
    {
        Serve("GET", "/consumers", "queues-consumers-list-minimal.json");

        var consumers = await Client.ListConsumersAsync("q1").ToListAsync();

        Assert.Empty(consumers);
        Assert.Equal(("GET", Path("/q1/consumers")), (Api.Requests[0].Method, Api.Requests[0].Path));
    }

    [Fact]
    public async Task ListConsumersAsync_FullReply_ReadsHttpPullAndWorkerConsumers()
    {
        Serve("GET", "/consumers", "queues-consumers-list-full.json");

        var consumers = await Client.ListConsumersAsync("q1").ToListAsync();

        Assert.Equal(2, consumers.Count);
        var pull = consumers[0];
        Assert.Equal(("7c1d3ac1e5e24a4b9b4bbf0d64b3b3a2", "http_pull", "logpush-events-dlq"), (pull.ConsumerId, pull.Type, pull.DeadLetterQueue));
        Assert.Equal((10, 3, 30, 300_000L), (pull.Settings!.BatchSize, pull.Settings.MaxRetries, pull.Settings.RetryDelay, pull.Settings.VisibilityTimeoutMs));
        Assert.Equal(("2025-06-01T09:00:00.000Z", "logpush-events", null), (pull.CreatedOn, pull.QueueName, pull.ScriptName));
        var worker = consumers[1];
        Assert.Equal(("worker", string.Empty), (worker.Type, worker.DeadLetterQueue));
        Assert.Equal(("my-consumer-worker", "2025-05-01T09:00:00.000Z", "logpush-events"), (worker.ScriptName, worker.CreatedOn, worker.QueueName));
        Assert.Equal((5, 5000L), (worker.Settings!.MaxConcurrency, worker.Settings.MaxWaitTimeMs));
        Assert.Null(worker.Settings.VisibilityTimeoutMs);
        Assert.All(consumers, c => Assert.Null(c.AdditionalProperties)); // every member the schema lists is a property
    }

    [Fact]
    public async Task ListConsumersAsync_UnknownMembers_AreKeptAndRoundTrip()
    {
        Serve("GET", "/consumers", "queues-consumers-list-unknown-members.json");

        var consumers = await Client.ListConsumersAsync("q1").ToListAsync();

        Assert.Equal(2, consumers.Count);
        Assert.Equal(600_000L, consumers[0].Settings!.VisibilityTimeoutMs);
        Assert.Equal("kept", consumers[0].AdditionalProperties!["future_member"].GetString());
        Assert.Equal("future_kind", consumers[1].Type);
        using var original = JsonDocument.Parse(CloudflareFixture.Read("Setup/queues-consumers-list-unknown-members.json"));
        CloudflareFixture.AssertJsonEqual(original.RootElement.GetProperty("result")[0].GetRawText(), CloudflareJson.Serialize(consumers[0]));
    }

    [Fact]
    public async Task GetConsumerAsync_MinimalResult_HasNoMembers()
    {
        Serve("GET", "/consumers/c1", "queues-consumer-get-minimal.json");

        var consumer = await Client.GetConsumerAsync("q1", "c1");

        Assert.Equal((null, null, null), (consumer.ConsumerId, consumer.Type, consumer.Settings));
        Assert.Equal(Path("/q1/consumers/c1"), Api.Requests[0].Path);
    }

    [Fact]
    public async Task UpdateHttpPullConsumerAsync_SettingsReadFromApi_SendsOnlySchemaMembers()
    {
        var queue = Api.CreateQueue("q");
        Api.CreateQueue("q-dlq");
        var created = await Client.CreateHttpPullConsumerAsync(queue.Id, new QueueConsumerSettings { BatchSize = 5 });
        var fromApi = CloudflareJson.Deserialize<QueueConsumerSettings>("""{"batch_size":10,"max_retries":3,"max_concurrency":5,"max_wait_time_ms":100,"visibility_timeout_ms":1000}""")!;

        var updated = await Client.UpdateHttpPullConsumerAsync(queue.Id, created.ConsumerId!, fromApi with { RetryDelay = 30 }, "q-dlq");

        var put = Api.Requests.Single(r => r.Method == "PUT");
        Assert.Equal(Path($"/{queue.Id}/consumers/{created.ConsumerId}"), put.Path);
        CloudflareFixture.AssertJsonEqual(
            """{"type":"http_pull","dead_letter_queue":"q-dlq","settings":{"batch_size":10,"max_retries":3,"retry_delay":30,"visibility_timeout_ms":1000}}""",
            put.Body);
        Assert.Equal(("q-dlq", 30), (updated.DeadLetterQueue, updated.Settings!.RetryDelay));
        Assert.Equal(3, queue.MaxRetries);
    }

    [Fact]
    public async Task UpdateHttpPullConsumerAsync_ServerErrorOnce_IsRetried()
    {
        var queue = Api.CreateQueue("q");
        var created = await Client.CreateHttpPullConsumerAsync(queue.Id);
        Api.FailNext(FakeFailure.ServerError().For("PUT"));

        await Client.UpdateHttpPullConsumerAsync(queue.Id, created.ConsumerId!, new QueueConsumerSettings { MaxRetries = 7 });

        Assert.Equal(2, Api.Requests.Count(r => r.Method == "PUT"));
        Assert.Equal(7, queue.MaxRetries);
    }

    [Fact]
    public async Task CreateHttpPullConsumerAsync_ServerError_IsNotRetried()
    {
        var queue = Api.CreateQueue("q");
        Api.FailNext(FakeFailure.ServerError().For("POST", "/consumers"));

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.CreateHttpPullConsumerAsync(queue.Id));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Single(Api.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task DeleteConsumerAsync_RemovesIt()
    {
        var queue = Api.CreateQueue("q");
        var created = await Client.CreateHttpPullConsumerAsync(queue.Id);

        await Client.DeleteConsumerAsync(queue.Id, created.ConsumerId!);

        Assert.Null(queue.Consumer);
        Assert.Empty(await Client.ListConsumersAsync(queue.Id).ToListAsync());
        Assert.Equal(Path($"/{queue.Id}/consumers/{created.ConsumerId}"), Api.Requests.Single(r => r.Method == "DELETE").Path);
    }

    [Fact]
    public async Task DeleteConsumerAsync_DocumentedReplyWithoutResult_IsSuccess()
    {
        Serve("DELETE", "/consumers/", "queues-consumer-delete-response.json");

        await Client.DeleteConsumerAsync("q1", "c1");

        Assert.Single(Api.Requests);
    }

    [Fact]
    public async Task DeleteConsumerAsync_FirstAttemptFailsAfterActing_RetryFinds404_IsSuccess()
    {
        var queue = Api.CreateQueue("q");
        var created = await Client.CreateHttpPullConsumerAsync(queue.Id);
        queue.Consumer = null; // the first attempt's server side already removed it ...
        Api.FailNext(FakeFailure.ServerError(HttpStatusCode.BadGateway).For("DELETE")); // ... and its reply was lost

        await Client.DeleteConsumerAsync(queue.Id, created.ConsumerId!);

        Assert.Equal(2, Api.Requests.Count(r => r.Method == "DELETE"));
    }

    [Fact]
    public async Task DeleteConsumerAsync_UnknownOnFirstAttempt_Throws404()
    {
        var queue = Api.CreateQueue("q");

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.DeleteConsumerAsync(queue.Id, "nope"));

        Assert.Equal((HttpStatusCode.NotFound, 1), (ex.StatusCode, ex.Attempts));
    }
}
