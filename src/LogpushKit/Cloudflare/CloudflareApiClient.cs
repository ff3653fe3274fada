using Microsoft.Extensions.Logging;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The common part of the Cloudflare API clients: a plain <see cref="HttpClient"/> (passed in, or created and owned),
/// the options, and the transport (auth, retries, envelope, errors, logging).
/// </summary>
public abstract class CloudflareApiClient : IDisposable
{
    private readonly CloudflareApiConnection? _connection;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClient">A caller-owned client, or <see langword="null"/> to create (and later dispose) one.</param>
    /// <param name="options">The options; validated here.</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    private protected CloudflareApiClient(HttpClient? httpClient, CloudflareClientOptions options, ILogger? logger)
    {
        _connection = new CloudflareApiConnection(httpClient, options, logger, GetType().Name);
    }

    /// <summary>For mocking: a client without a transport; every non-overridden call throws.</summary>
    protected CloudflareApiClient()
    {
    }

    private protected CloudflareApiConnection Connection =>
        _connection ?? throw new InvalidOperationException($"This {GetType().Name} was created for mocking and has no transport.");

    /// <summary>Disposes the owned <see cref="HttpClient"/>, if any.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _connection?.Dispose();
        }
    }

    private protected static string Escape(string segment) => Uri.EscapeDataString(segment);

    // Validates the account id before the base constructor creates an HttpClient, so a bad id leaks nothing.
    private protected static CloudflareClientOptions CheckedForAccount(CloudflareClientOptions options, string accountId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        return options;
    }
}
