using System.Globalization;
using System.Runtime.CompilerServices;
using LogpushKit.Json;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Cloudflare;

/// <summary>
/// R2 bucket management for provisioning: list and create buckets (<c>GET/POST /accounts/{id}/r2/buckets</c>, optional
/// <c>cf-r2-jurisdiction</c> header). Object reads and writes go through the S3 API (<c>LogpushKit.R2</c>), not here.
/// </summary>
public class R2BucketsClient : CloudflareApiClient
{
    private readonly string _accountId;

    /// <summary>Creates a client over a caller-owned <see cref="HttpClient"/>.</summary>
    /// <param name="httpClient">The HTTP client; not disposed by this client.</param>
    /// <param name="accountId">The account.</param>
    /// <param name="options">The options.</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public R2BucketsClient(HttpClient httpClient, string accountId, R2BucketsClientOptions options, ILogger<R2BucketsClient>? logger = null)
        : base(httpClient ?? throw new ArgumentNullException(nameof(httpClient)), CheckedForAccount(options, accountId), logger)
    {
        _accountId = accountId;
    }

    /// <summary>Creates a client with its own <see cref="HttpClient"/>.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="options">The options.</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public R2BucketsClient(string accountId, R2BucketsClientOptions options, ILogger<R2BucketsClient>? logger = null)
        : base(null, CheckedForAccount(options, accountId), logger)
    {
        _accountId = accountId;
    }

    /// <summary>For mocking.</summary>
    protected R2BucketsClient()
    {
        _accountId = string.Empty;
    }

    /// <summary>Lists the account's buckets (cursor pagination followed inside). A read: retried after a 5xx.</summary>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The buckets.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async IAsyncEnumerable<R2BucketInfo> ListBucketsAsync(string? jurisdiction = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            var path = cursor is null ? $"{BucketsPath}?per_page=1000" : string.Create(CultureInfo.InvariantCulture, $"{BucketsPath}?per_page=1000&cursor={Uri.EscapeDataString(cursor)}");
            var envelope = await Connection.SendForEnvelopeAsync<object, R2BucketListResult>(
                HttpMethod.Get, path, null, null, CloudflareJsonContext.Default.CloudflareEnvelopeR2BucketListResult, true, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
            foreach (var bucket in envelope.Result?.Buckets ?? [])
            {
                yield return bucket;
            }

            cursor = envelope.ResultInfo?.Cursor;
            if (string.IsNullOrEmpty(cursor) || !seen.Add(cursor) || envelope.Result is not { Buckets.Count: > 0 })
            {
                yield break;
            }
        }
        while (true);
    }

    /// <summary>
    /// Creates a bucket. Not retried after a 5xx or a timeout; such a failure has
    /// <see cref="CloudflareApiException.MayHaveSucceeded"/> set — list the buckets before creating it again.
    /// </summary>
    /// <param name="name">The bucket name.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="locationHint">Optional location hint, e.g. <c>weur</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The bucket.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. the name exists).</exception>
    public virtual async Task<R2BucketInfo> CreateBucketAsync(string name, string? jurisdiction = null, string? locationHint = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var result = await Connection.SendAsync(
            HttpMethod.Post, BucketsPath, new CreateBucketRequest { Name = name, LocationHint = locationHint }, CloudflareJsonContext.Default.CreateBucketRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeR2BucketInfo, retryOnServerError: false, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
        return result ?? new R2BucketInfo { Name = name, Jurisdiction = jurisdiction };
    }

    private static Dictionary<string, string>? Headers(string? jurisdiction) =>
        string.IsNullOrWhiteSpace(jurisdiction) ? null : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [R2EventNotificationRulesClient.JurisdictionHeader] = jurisdiction };

    private string BucketsPath => $"accounts/{Escape(_accountId)}/r2/buckets";
}
