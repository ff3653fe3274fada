using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

/// <summary>
/// Queue settings (<see cref="CloudflareQueueSettings"/>) and <see cref="QueuesClient.EditQueueSettingsAsync"/> against
/// cloudflare-typescript <c>src/resources/queues/queues.ts</c> (<c>Queue.Settings</c>, <c>QueueEditParams</c>).
/// </summary>
public sealed class QueuesClientSettingsTests : FakeApiClientTest<QueuesClient>
{

    protected override QueuesClient CreateClient(FakeCloudflareApi api) => new QueuesClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new QueuesClientOptions()));

    private async Task<CloudflareQueue> GetServedAsync(string fixture)
    {
        Api.FailNext(new FakeFailure { Status = HttpStatusCode.OK, RawBody = CloudflareFixture.Read("Setup/" + fixture) }.For("GET"));
        return await Client.GetQueueAsync("q1");
    }

    [Fact]
    public async Task Of_FullQueue_ReadsSettings()
    {
        var queue = await GetServedAsync("queues-queue-get-full.json");
        var settings = CloudflareQueueSettings.Of(queue);

        Assert.Equal((0, false, 1_209_600), (settings!.DeliveryDelay, settings.DeliveryPaused, settings.MessageRetentionPeriod));
        Assert.Same(queue.Settings, settings);
        Assert.Equal((0, 2), (queue.ConsumersTotalCount, queue.ProducersTotalCount));
        Assert.Equal([("r2_bucket", "logpush-src", null), ("worker", null, "producer-worker")], queue.Producers.Select(p => (p.Type, p.BucketName, p.Script)));
        Assert.Null(queue.AdditionalProperties); // every member the schema lists is a property
    }

    [Fact]
    public async Task Of_MinimalQueue_HasNoSettings()
    {
        var queue = await GetServedAsync("queues-queue-get-minimal.json");

        Assert.Null(CloudflareQueueSettings.Of(queue));
        Assert.Null(queue.QueueId);
    }

    [Fact]
    public async Task Of_UnknownMembers_AreKept()
    {
        var settings = CloudflareQueueSettings.Of(await GetServedAsync("queues-queue-get-unknown-members.json"));

        Assert.Equal(600, settings!.MessageRetentionPeriod);
        Assert.True(settings.AdditionalProperties!["future_setting"].GetBoolean());
    }

    [Fact]
    public async Task EditQueueSettingsAsync_SendsOnlySettingsMembersThatAreSet()
    {
        var queue = Api.CreateQueue("dlq");
        var fromApi = CloudflareQueueSettings.Of(await GetServedAsync("queues-queue-get-unknown-members.json"))!;

        var edited = await Client.EditQueueSettingsAsync(queue.Id, fromApi with { MessageRetentionPeriod = CloudflareQueueSettings.MaxMessageRetentionSeconds });

        var patch = Api.Requests.Single(r => r.Method == "PATCH");
        Assert.Equal($"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/queues/{queue.Id}", patch.Path);
        CloudflareFixture.AssertJsonEqual("""{"settings":{"message_retention_period":1209600}}""", patch.Body);
        Assert.Equal(1_209_600, CloudflareQueueSettings.Of(edited)!.MessageRetentionPeriod);
        Assert.Equal(1_209_600, CloudflareQueueSettings.Of((await Client.FindQueueAsync("dlq"))!)!.MessageRetentionPeriod);
    }

    [Fact]
    public async Task EditQueueSettingsAsync_ServerErrorOnce_IsRetried()
    {
        var queue = Api.CreateQueue("dlq");
        Api.FailNext(FakeFailure.ServerError().For("PATCH"));

        await Client.EditQueueSettingsAsync(queue.Id, new CloudflareQueueSettings { MessageRetentionPeriod = 3600 });

        Assert.Equal(2, Api.Requests.Count);
        Assert.Equal(3600, Api.QueueSettings(queue.Id)["message_retention_period"]!.GetValue<int>());
    }
}
