using Amazon.Runtime;

namespace LogpushKit.R2;

/// <summary>
/// Gives the AWS SDK one <see cref="HttpClient"/> over the handler from
/// <see cref="R2BucketOptions.HttpMessageHandlerFactory"/> (or a default <see cref="SocketsHttpHandler"/>), owned by
/// the <see cref="R2Bucket"/> rather than the SDK's process-wide cache.
/// </summary>
internal sealed class HandlerHttpClientFactory : HttpClientFactory, IDisposable
{
    private readonly Lazy<HttpClient> _client;

    public HandlerHttpClientFactory(Func<HttpMessageHandler>? createHandler, TimeSpan timeout)
    {
        _client = new Lazy<HttpClient>(
            () => new HttpClient(createHandler?.Invoke() ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
            {
                Timeout = timeout,
            },
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => _client.Value;

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string GetConfigUniqueString(IClientConfig clientConfig) => $"logpushkit-{GetHashCode()}";

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}
