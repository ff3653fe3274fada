using System.Globalization;
using LogpushKit.Events;
using LogpushKit.Json;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A Cloudflare Queues HTTP pull consumer: pull leased messages, then ack or retry them by lease id in one call.
/// Needs an API token with account-level Queues Edit. Pull, ack and retry are exempt from the global API rate limit.
/// </summary>
public class QueuesPullClient : CloudflareApiClient
{
    /// <summary>The largest batch a pull returns.</summary>
    public const int MaxBatchSize = 100;

    /// <summary>The longest visibility timeout (12 h).</summary>
    public static readonly TimeSpan MaxVisibilityTimeout = TimeSpan.FromHours(12);

    private readonly string _accountId;

    /// <summary>Creates a client over a caller-owned <see cref="HttpClient"/> (e.g. from <c>IHttpClientFactory</c>).</summary>
    /// <param name="httpClient">The HTTP client; not disposed by this client.</param>
    /// <param name="accountId">The account that owns the queues.</param>
    /// <param name="options">The options (credentials, base address, retries).</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public QueuesPullClient(HttpClient httpClient, string accountId, QueuesPullClientOptions options, ILogger<QueuesPullClient>? logger = null)
        : this((HttpClient?)httpClient ?? throw new ArgumentNullException(nameof(httpClient)), accountId, options, (ILogger?)logger)
    {
    }

    /// <summary>Creates a client with its own <see cref="HttpClient"/> (disposed with this client).</summary>
    /// <param name="accountId">The account that owns the queues.</param>
    /// <param name="options">The options (credentials, base address, retries).</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public QueuesPullClient(string accountId, QueuesPullClientOptions options, ILogger<QueuesPullClient>? logger = null)
        : this(null, accountId, options, (ILogger?)logger)
    {
    }

    /// <summary>For mocking.</summary>
    protected QueuesPullClient()
    {
        _accountId = string.Empty;
    }

    private QueuesPullClient(HttpClient? httpClient, string accountId, QueuesPullClientOptions options, ILogger? logger)
        : base(httpClient, CheckedForAccount(options, accountId), logger)
    {
        _accountId = accountId;
    }

    /// <summary>
    /// Pulls up to <paramref name="batchSize"/> messages and leases them for <paramref name="visibilityTimeout"/>; unacked
    /// messages reappear after it with <see cref="QueueMessage.Attempts"/> + 1. Short polling: may return no messages.
    /// Retried after a 5xx (a pull whose reply was lost only delays its messages until their lease expires).
    /// </summary>
    /// <remarks>
    /// The reply's <c>result</c> is read in both forms it has had: an object (<c>{message_backlog_count, messages,
    /// metadata}</c>, current) and a bare array of messages (older SDKs); a missing or null <c>messages</c> is no messages. A
    /// message whose members do not fit the schema does not fail the pull: it comes back with what could be read (id,
    /// lease) and its <see cref="QueueMessage.DecodeBody"/> explains the problem, so it can still be retried.
    /// </remarks>
    /// <param name="queueId">The queue id.</param>
    /// <param name="batchSize">1–100 (Cloudflare's default is 5).</param>
    /// <param name="visibilityTimeout">The lease length, up to 12 h (Cloudflare's default is 30 s); the lease cannot be extended.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The leased messages and the backlog.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<QueuePullResult> PullAsync(string queueId, int batchSize = 5, TimeSpan? visibilityTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, MaxBatchSize);
        if (visibilityTimeout is { } v && (v <= TimeSpan.Zero || v > MaxVisibilityTimeout))
        {
            throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), v, "The visibility timeout must be positive and at most 12 hours.");
        }

        var request = new QueuePullRequest
        {
            BatchSize = batchSize,
            VisibilityTimeoutMs = visibilityTimeout is { } t ? (long)Math.Ceiling(t.TotalMilliseconds) : null,
        };
        var path = QueuePath(queueId, "messages/pull");
        var envelope = await Connection.SendForEnvelopeAsync(
            HttpMethod.Post,
            path,
            request,
            CloudflareJsonContext.Default.QueuePullRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement,
            retryOnServerError: true,
            headers: null,
            cancellationToken).ConfigureAwait(false);
        var result = QueuePullResult.Read(envelope.Result)
            ?? throw new CloudflareApiException("POST", path, System.Net.HttpStatusCode.OK, null, envelope.RayId, $"the pull reply's result is JSON {envelope.Result.ValueKind}, neither an object with messages nor an array of messages");
        return result with { RayId = envelope.RayId };
    }

    /// <summary>
    /// Acks processed messages and retries (releases) others, by lease id, in one call. Either list may be empty. Retried
    /// after a 5xx: a repeated ack or retry of a lease that was already settled only comes back as a warning.
    /// </summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="acks">Lease ids of messages to delete from the queue.</param>
    /// <param name="retries">Leases to release for redelivery, each with an optional delay.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many acks and retries were accepted, and warnings per lease.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<QueueAckResult> AckAsync(string queueId, IEnumerable<string>? acks, IEnumerable<QueueRetry>? retries = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        var ackList = acks?.Select(id => new QueueAck(id)).ToList() ?? [];
        var retryList = retries?.ToList() ?? [];
        if (retryList.Any(r => r.DelaySeconds is < 0 or > 43_200))
        {
            throw new ArgumentOutOfRangeException(nameof(retries), "A retry delay must be 0–43,200 seconds (12 h).");
        }

        if (ackList.Count == 0 && retryList.Count == 0)
        {
            return new QueueAckResult();
        }

        var request = new QueueAckRequest { Acks = ackList, Retries = retryList };
        var result = await Connection.SendAsync(
            HttpMethod.Post,
            QueuePath(queueId, "messages/ack"),
            request,
            CloudflareJsonContext.Default.QueueAckRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeQueueAckResult,
            retryOnServerError: true,
            headers: null,
            cancellationToken).ConfigureAwait(false);
        return result ?? new QueueAckResult();
    }

    /// <summary>Parses the R2 event notification carried by a pulled message (see <see cref="R2EventNotification.FromQueueMessage"/>).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The notification.</returns>
    /// <exception cref="CloudflarePayloadException">The body is not an R2 event notification.</exception>
    public static R2EventNotification ParseR2EventNotification(QueueMessage message) => R2EventNotification.FromQueueMessage(message);

    private string QueuePath(string queueId, string tail) =>
        string.Create(CultureInfo.InvariantCulture, $"accounts/{Escape(_accountId)}/queues/{Escape(queueId)}/{tail}");
}
