using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare.Contracts;

/// <summary>One <see cref="FakeCloudflareApi"/> and one client of each kind for a contract test class.</summary>
public sealed class CloudflareContractFixture : IAsyncLifetime
{
    public static readonly LogpushScope Account = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);

    public FakeCloudflareApi Api { get; private set; } = null!;

    public LogpushClient Logpush { get; private set; } = null!;

    public QueuesPullClient Pull { get; private set; } = null!;

    public QueuesClient Queues { get; private set; } = null!;

    public R2EventNotificationRulesClient Rules { get; private set; } = null!;

    public R2BucketsClient Buckets { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Api = await FakeCloudflareApi.StartAsync();
        Logpush = new LogpushClient(Api.ClientOptions(new LogpushClientOptions()));
        Pull = new QueuesPullClient(FakeCloudflareApi.DefaultAccountId, Api.ClientOptions(new QueuesPullClientOptions()));
        Queues = new QueuesClient(FakeCloudflareApi.DefaultAccountId, Api.ClientOptions(new QueuesClientOptions()));
        Rules = new R2EventNotificationRulesClient(FakeCloudflareApi.DefaultAccountId, Api.ClientOptions(new R2EventNotificationRulesClientOptions()));
        Buckets = new R2BucketsClient(FakeCloudflareApi.DefaultAccountId, Api.ClientOptions(new R2BucketsClientOptions()));
    }

    public async Task DisposeAsync()
    {
        Logpush.Dispose();
        Pull.Dispose();
        Queues.Dispose();
        Rules.Dispose();
        Buckets.Dispose();
        await Api.DisposeAsync();
    }

    /// <summary>Answers every request whose path contains <paramref name="pathContains"/> with <paramref name="envelope"/> (the fake still handles it).</summary>
    public void Serve(string pathContains, JsonObject envelope) =>
        Api.ResponseShaper = (request, original) => request.ApiPath.Contains(pathContains, StringComparison.Ordinal) && original["success"]?.GetValue<bool>() == true
            ? envelope.DeepClone()
            : original;

    /// <summary>Back to the fake's own answers; recorded requests cleared.</summary>
    public void Reset()
    {
        Api.ResponseShaper = null;
        Api.ClearRequests();
    }
}
