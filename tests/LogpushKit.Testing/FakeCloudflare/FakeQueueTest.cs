namespace LogpushKit.Testing.FakeCloudflare;

/// <summary>
/// Base of a test class that consumes a queue of the fake Cloudflare API: before each test the API starts on loopback
/// with one queue, <c>logpush-events</c>; after it the API stops and <see cref="DisposeAsync"/> runs the class's own
/// clean-up first.
/// </summary>
public abstract class FakeQueueTest : IAsyncLifetime
{
    /// <summary>The fake API.</summary>
    protected FakeCloudflareApi Api { get; private set; } = null!;

    /// <summary>The queue, <c>logpush-events</c>.</summary>
    protected FakeQueue Queue { get; private set; } = null!;

    /// <summary>Starts the API and creates the queue.</summary>
    public async Task InitializeAsync()
    {
        Api = await FakeCloudflareApi.StartAsync();
        Queue = Api.CreateQueue("logpush-events");
    }

    /// <summary>Cleans up (<see cref="CleanUp"/>), then stops the API.</summary>
    public async Task DisposeAsync()
    {
        CleanUp();
        await Api.DisposeAsync();
    }

    /// <summary>The class's own clean-up (temporary folders), before the API stops.</summary>
    protected virtual void CleanUp()
    {
    }
}
