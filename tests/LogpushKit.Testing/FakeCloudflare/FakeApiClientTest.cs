namespace LogpushKit.Testing.FakeCloudflare;

/// <summary>
/// Base of a test class for one Cloudflare client against the fake API: before each test the API starts on loopback and
/// <see cref="CreateClient"/> makes the client; after it the client is disposed, then the API stops.
/// </summary>
public abstract class FakeApiClientTest<TClient> : IAsyncLifetime
    where TClient : class, IDisposable
{
    /// <summary>The fake API.</summary>
    protected FakeCloudflareApi Api { get; private set; } = null!;

    /// <summary>The client under test, pointed at <see cref="Api"/>.</summary>
    protected TClient Client { get; private set; } = null!;

    /// <summary>Starts the API and makes the client.</summary>
    public virtual async Task InitializeAsync()
    {
        Api = await FakeCloudflareApi.StartAsync();
        Client = CreateClient(Api);
    }

    /// <summary>Disposes the client, then stops the API.</summary>
    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
    }

    /// <summary>The client under test, with options from <see cref="FakeCloudflareApi.ClientOptions{T}"/>.</summary>
    protected abstract TClient CreateClient(FakeCloudflareApi api);
}
