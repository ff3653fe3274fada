using System.Text.Json;
using LogpushKit.Json;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Cloudflare;

/// <summary>
/// R2 event-notification rules: which bucket events (actions, prefix, suffix) are sent to which queue. Buckets with a
/// jurisdiction (<c>eu</c>, <c>fedramp</c>) are addressed with the <c>cf-r2-jurisdiction</c> header.
/// </summary>
public class R2EventNotificationRulesClient : CloudflareApiClient
{
    /// <summary>The header naming a bucket's jurisdiction.</summary>
    public const string JurisdictionHeader = "cf-r2-jurisdiction";

    private readonly string _accountId;

    /// <summary>Creates a client over a caller-owned <see cref="HttpClient"/>.</summary>
    /// <param name="httpClient">The HTTP client; not disposed by this client.</param>
    /// <param name="accountId">The account that owns the buckets and queues.</param>
    /// <param name="options">The options (credentials, base address, retries).</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public R2EventNotificationRulesClient(HttpClient httpClient, string accountId, R2EventNotificationRulesClientOptions options, ILogger<R2EventNotificationRulesClient>? logger = null)
        : base(httpClient ?? throw new ArgumentNullException(nameof(httpClient)), CheckedForAccount(options, accountId), logger)
    {
        _accountId = accountId;
    }

    /// <summary>Creates a client with its own <see cref="HttpClient"/> (disposed with this client).</summary>
    /// <param name="accountId">The account that owns the buckets and queues.</param>
    /// <param name="options">The options (credentials, base address, retries).</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public R2EventNotificationRulesClient(string accountId, R2EventNotificationRulesClientOptions options, ILogger<R2EventNotificationRulesClient>? logger = null)
        : base(null, CheckedForAccount(options, accountId), logger)
    {
        _accountId = accountId;
    }

    /// <summary>For mocking.</summary>
    protected R2EventNotificationRulesClient()
    {
        _accountId = string.Empty;
    }

    /// <summary>
    /// Gets the notification configuration of a bucket (every queue it notifies, with their rules). A read: retried after a
    /// 5xx. Reads the current reply form (<c>{bucketName, queues:[{queueId, queueName, rules}]}</c>) and the older one
    /// (<c>{"&lt;bucket&gt;": {"&lt;id&gt;": {queue, rules}}}</c>, which has no queue names or rule ids).
    /// </summary>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The configuration (no queues when none is configured).</returns>
    /// <exception cref="CloudflareApiException">The API call failed, or the reply is in neither form.</exception>
    public virtual async Task<R2NotificationConfiguration> GetConfigurationAsync(string bucketName, string? jurisdiction = null, CancellationToken cancellationToken = default)
    {
        var path = ConfigurationPath(bucketName);
        var envelope = await Connection.SendForEnvelopeAsync<object, JsonElement>(
            HttpMethod.Get, path, null, null, CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement, true, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
        return R2NotificationConfigurationReader.ReadConfiguration(envelope.Result, bucketName)
            ?? throw Unreadable("GET", path, envelope.RayId, "a bucket's notification configuration");
    }

    /// <summary>
    /// Gets the rules of a bucket for one queue. A read: retried after a 5xx. Reads the current form
    /// (<c>{queueId, queueName, rules}</c>) and the older map form (the rules of the entries naming this queue).
    /// </summary>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="queueId">The queue id.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rules (none when none is configured).</returns>
    /// <exception cref="CloudflareApiException">The API call failed, or the reply is in neither form.</exception>
    public virtual async Task<R2QueueNotificationRules> GetQueueRulesAsync(string bucketName, string queueId, string? jurisdiction = null, CancellationToken cancellationToken = default)
    {
        var path = QueuePath(bucketName, queueId);
        var envelope = await Connection.SendForEnvelopeAsync<object, JsonElement>(
            HttpMethod.Get, path, null, null, CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement, true, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
        return R2NotificationConfigurationReader.ReadQueueRules(envelope.Result, queueId)
            ?? throw Unreadable("GET", path, envelope.RayId, "a queue's notification rules");
    }

    /// <summary>
    /// Creates rules sending the bucket's events to a queue (<c>PUT …/configuration/queues/{queue_id}</c>). Cloudflare
    /// rejects rules that overlap existing ones; delete those first to replace them.
    /// </summary>
    /// <remarks>
    /// Not idempotent: a repeat of a PUT that took effect is rejected as an overlap. So it is never repeated blindly: after
    /// a 5xx, a timeout or a connection lost after sending, the queue's rules are read back; when every rule is there the
    /// call succeeded, otherwise it is repeated (up to the retry options' limit, with their backoff). A 429 or a connection
    /// that failed before sending is retried as usual.
    /// </remarks>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="queueId">The queue id.</param>
    /// <param name="rules">The rules, e.g. <c>R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Suffix = ".log.gz" }</c>.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the rules are stored.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. overlapping rules).</exception>
    public virtual async Task PutRulesAsync(string bucketName, string queueId, IReadOnlyList<R2NotificationRule> rules, string? jurisdiction = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0 || rules.Any(r => r.Actions.Count == 0))
        {
            throw new ArgumentException("At least one rule is required, and every rule needs at least one action.", nameof(rules));
        }

        // Only the members of the request schema: actions, prefix, suffix, description (no ruleId, createdAt or unknown members).
        var body = R2NotificationRulesRequest.From(rules);
        var path = QueuePath(bucketName, queueId);
        var maxRepeats = Connection.Options.Retry.MaxRetryAttempts;
        var earlierMayHaveSucceeded = false;
        for (var repeat = 0; ; repeat++)
        {
            try
            {
                await Connection.SendAsync(
                    HttpMethod.Put, path, body, CloudflareJsonContext.Default.R2NotificationRulesRequest,
                    CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement, retryOnServerError: false, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (CloudflareApiException ex) when (ex.MayHaveSucceeded || (earlierMayHaveSucceeded && ex.StatusCode == System.Net.HttpStatusCode.Conflict))
            {
                earlierMayHaveSucceeded = true;
                R2QueueNotificationRules? stored = null;
                try
                {
                    stored = await GetQueueRulesAsync(bucketName, queueId, jurisdiction, cancellationToken).ConfigureAwait(false);
                }
                catch (CloudflareApiException readFailure)
                {
                    Log.NotificationRulesReadBackFailed(Connection.Logger, bucketName, queueId, readFailure.Message);
                }

                if (stored is not null && rules.All(r => stored.Rules.Any(s => SameRule(r, s))))
                {
                    Log.NotificationRulesPutTookEffect(Connection.Logger, bucketName, queueId, ex.StatusCode is { } s ? (int)s : 0);
                    return;
                }

                if (ex.StatusCode == System.Net.HttpStatusCode.Conflict || repeat >= maxRepeats)
                {
                    throw;
                }

                await Connection.DelayBeforeRepeatAsync(repeat + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Deletes all rules of a bucket for a queue. Retried after a 5xx; a 404 on such a retry means an earlier attempt
    /// deleted them, and the call succeeds.
    /// </summary>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="queueId">The queue id.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the rules are gone.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task DeleteRulesAsync(string bucketName, string queueId, string? jurisdiction = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await Connection.SendAsync<object, JsonElement>(
                HttpMethod.Delete, QueuePath(bucketName, queueId), null, null, CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement,
                retryOnServerError: true, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
        }
        catch (CloudflareApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound && ex.Attempts > 1 && ex.MayHaveSucceeded)
        {
            // an earlier attempt got a 5xx or timed out after the server had deleted the rules
        }
    }

    private static bool SameRule(R2NotificationRule wanted, R2NotificationRule stored) =>
        string.Equals(wanted.Prefix ?? string.Empty, stored.Prefix ?? string.Empty, StringComparison.Ordinal)
        && string.Equals(wanted.Suffix ?? string.Empty, stored.Suffix ?? string.Empty, StringComparison.Ordinal)
        && wanted.Actions.ToHashSet(StringComparer.Ordinal).SetEquals(stored.Actions);

    private static CloudflareApiException Unreadable(string method, string path, string? rayId, string what) =>
        new(method, path, System.Net.HttpStatusCode.OK, null, rayId, $"the reply's result is not {what} in any documented form");

    private static Dictionary<string, string>? Headers(string? jurisdiction) =>
        string.IsNullOrWhiteSpace(jurisdiction) ? null : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [JurisdictionHeader] = jurisdiction };

    private string ConfigurationPath(string bucketName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucketName);
        return $"accounts/{Escape(_accountId)}/event_notifications/r2/{Escape(bucketName)}/configuration";
    }

    private string QueuePath(string bucketName, string queueId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        return $"{ConfigurationPath(bucketName)}/queues/{Escape(queueId)}";
    }

    /// <summary>
    /// Deletes some rules of a bucket for a queue by id (<c>DELETE …/configuration/queues/{queue_id}</c> with
    /// <c>{"ruleIds":[…]}</c>, what <c>wrangler r2 bucket notification delete --rule</c> sends); the queue's other rules
    /// stay. Retried after a 5xx; a 404 on a retry means an earlier attempt deleted them, which is reported as success.
    /// </summary>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="queueId">The queue id.</param>
    /// <param name="ruleIds">The rule ids (<see cref="R2NotificationRule.RuleId"/>); at least one.</param>
    /// <param name="jurisdiction"><see langword="null"/> for the default, or <c>eu</c> / <c>fedramp</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the rules are gone.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task DeleteRulesByIdAsync(string bucketName, string queueId, IReadOnlyList<string> ruleIds, string? jurisdiction = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ruleIds);
        if (ruleIds.Count == 0 || ruleIds.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("At least one rule id is required, and none may be blank (no ids would delete every rule of the queue).", nameof(ruleIds));
        }

        try
        {
            await Connection.SendAsync(
                HttpMethod.Delete, QueuePath(bucketName, queueId), new R2NotificationRuleDeleteRequest { RuleIds = ruleIds }, CloudflareJsonContext.Default.R2NotificationRuleDeleteRequest,
                CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement, retryOnServerError: true, Headers(jurisdiction), cancellationToken).ConfigureAwait(false);
        }
        catch (CloudflareApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound && ex.Attempts > 1)
        {
            // An earlier attempt timed out or got a 5xx after the server acted: the rules are gone, as asked.
        }
    }
}
