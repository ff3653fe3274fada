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

    /// <summary>Gets a bucket's object lifecycle rules (<c>GET …/r2/buckets/{bucket}/lifecycle</c>).</summary>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rules (none when the reply has none).</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. unknown bucket).</exception>
    public virtual async Task<R2LifecycleConfiguration> GetLifecycleRulesAsync(string bucketName, string? jurisdiction = null, CancellationToken cancellationToken = default)
    {
        var result = await Connection.GetAsync(LifecyclePath(bucketName), CloudflareJsonContext.Default.CloudflareEnvelopeR2LifecycleConfiguration, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
        return result ?? new R2LifecycleConfiguration();
    }

    /// <summary>
    /// Replaces all object lifecycle rules of a bucket (<c>PUT …/lifecycle</c>): rules not in <paramref name="rules"/> are
    /// removed, so read them first and send them back to keep them. A replace is idempotent, so it is retried after a 5xx.
    /// Two writers racing between a read and this write can lose each other's rule (the API has no conditional write).
    /// </summary>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="rules">Every rule the bucket should have.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the rules are stored.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task PutLifecycleRulesAsync(string bucketName, IReadOnlyList<R2LifecycleRule> rules, string? jurisdiction = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Any(r => string.IsNullOrWhiteSpace(r.Id) || r.Conditions?.Prefix is null))
        {
            throw new ArgumentException("Every lifecycle rule needs an id and conditions with a prefix (\"\" for the whole bucket).", nameof(rules));
        }

        await Connection.SendAsync(
            HttpMethod.Put, LifecyclePath(bucketName), new R2LifecycleRulesRequest { Rules = rules }, CloudflareJsonContext.Default.R2LifecycleRulesRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement, retryOnServerError: true, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
    }

    private string LifecyclePath(string bucketName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucketName);
        return $"{BucketsPath}/{Escape(bucketName)}/lifecycle";
    }
}
