using LogpushKit.Json;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Cloudflare;

/// <summary>
/// Queue management for provisioning: list, get and create queues, and add an HTTP pull consumer. Paths follow the
/// documented Cloudflare v4 API (<c>/accounts/{id}/queues</c>, <c>…/queues/{queue_id}/consumers</c>).
/// </summary>
public class QueuesClient : CloudflareApiClient
{
    private readonly string _accountId;

    /// <summary>Creates a client over a caller-owned <see cref="HttpClient"/>.</summary>
    /// <param name="httpClient">The HTTP client; not disposed by this client.</param>
    /// <param name="accountId">The account.</param>
    /// <param name="options">The options.</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public QueuesClient(HttpClient httpClient, string accountId, QueuesClientOptions options, ILogger<QueuesClient>? logger = null)
        : base(httpClient ?? throw new ArgumentNullException(nameof(httpClient)), CheckedForAccount(options, accountId), logger)
    {
        _accountId = accountId;
    }

    /// <summary>Creates a client with its own <see cref="HttpClient"/>.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="options">The options.</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public QueuesClient(string accountId, QueuesClientOptions options, ILogger<QueuesClient>? logger = null)
        : base(null, CheckedForAccount(options, accountId), logger)
    {
        _accountId = accountId;
    }

    /// <summary>For mocking.</summary>
    protected QueuesClient()
    {
        _accountId = string.Empty;
    }

    /// <summary>Lists the account's queues (all pages). A read: retried after a 5xx.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The queues.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual IAsyncEnumerable<CloudflareQueue> ListQueuesAsync(CancellationToken cancellationToken = default) =>
        Connection.PaginateAsync(QueuesPath, CloudflareJsonContext.Default.CloudflareEnvelopeIReadOnlyListCloudflareQueue, 100, null, cancellationToken);

    /// <summary>Gets a queue by id. A read: retried after a 5xx.</summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The queue.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. unknown id).</exception>
    public virtual async Task<CloudflareQueue> GetQueueAsync(string queueId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        var path = $"{QueuesPath}/{Escape(queueId)}";
        return await Connection.GetAsync(path, CloudflareJsonContext.Default.CloudflareEnvelopeCloudflareQueue, null, cancellationToken).ConfigureAwait(false)
            ?? throw new CloudflareApiException("GET", path, System.Net.HttpStatusCode.OK, null, null, "the envelope has no result");
    }

    /// <summary>Finds a queue by name, or <see langword="null"/>.</summary>
    /// <param name="queueName">The queue name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The queue or <see langword="null"/>.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<CloudflareQueue?> FindQueueAsync(string queueName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueName);
        await foreach (var queue in ListQueuesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(queue.QueueName, queueName, StringComparison.Ordinal))
            {
                return queue;
            }
        }

        return null;
    }

    /// <summary>
    /// Creates a queue. Not retried after a 5xx or a timeout, so it is never created twice; such a failure has
    /// <see cref="CloudflareApiException.MayHaveSucceeded"/> set — look the queue up before creating it again.
    /// </summary>
    /// <param name="queueName">The queue name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The created queue.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. the name exists).</exception>
    public virtual async Task<CloudflareQueue> CreateQueueAsync(string queueName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueName);
        return await Connection.SendAsync(
            HttpMethod.Post, QueuesPath, new CreateQueueRequest { QueueName = queueName }, CloudflareJsonContext.Default.CreateQueueRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeCloudflareQueue, retryOnServerError: false, null, cancellationToken).ConfigureAwait(false)
            ?? throw new CloudflareApiException("POST", QueuesPath, System.Net.HttpStatusCode.OK, null, null, "the envelope has no result");
    }

    /// <summary>
    /// Adds an HTTP pull consumer to a queue (a queue has one active consumer: remove a Worker consumer first). Only the
    /// members of the create schema are sent (<c>type</c>, <c>dead_letter_queue</c>, <c>settings</c> with
    /// <c>batch_size</c>, <c>max_retries</c>, <c>retry_delay</c>, <c>visibility_timeout_ms</c>), so settings read from another
    /// consumer can be passed. Not retried after a 5xx (a queue has one consumer; a repeat would fail).
    /// </summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="settings">Batch size, max retries, retry delay, visibility timeout (all optional).</param>
    /// <param name="deadLetterQueue">The dead-letter queue name, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consumer.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<QueueConsumer> CreateHttpPullConsumerAsync(string queueId, QueueConsumerSettings? settings = null, string? deadLetterQueue = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        var path = $"{QueuesPath}/{Escape(queueId)}/consumers";
        var request = HttpPullConsumerRequest.From(settings, deadLetterQueue); // the create and update schemas have the same members
        return await Connection.SendAsync(
            HttpMethod.Post, path, request, CloudflareJsonContext.Default.HttpPullConsumerRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeQueueConsumer, retryOnServerError: false, null, cancellationToken).ConfigureAwait(false)
            ?? new QueueConsumer { Type = "http_pull", Settings = settings, DeadLetterQueue = deadLetterQueue };
    }

    private string QueuesPath => $"accounts/{Escape(_accountId)}/queues";

    /// <summary>Lists the consumers of a queue (<c>GET …/queues/{queue_id}/consumers</c>; a queue has at most one active consumer).</summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The consumers (none when the reply omits them).</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. unknown queue).</exception>
    public virtual IAsyncEnumerable<QueueConsumer> ListConsumersAsync(string queueId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        return Connection.PaginateAsync(ConsumersPath(queueId), CloudflareJsonContext.Default.CloudflareEnvelopeIReadOnlyListQueueConsumer, null, null, cancellationToken);
    }

    /// <summary>Gets one consumer of a queue.</summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="consumerId">The consumer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consumer.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. unknown consumer).</exception>
    public virtual async Task<QueueConsumer> GetConsumerAsync(string queueId, string consumerId, CancellationToken cancellationToken = default)
    {
        var path = ConsumerPath(queueId, consumerId);
        return await Connection.GetAsync(path, CloudflareJsonContext.Default.CloudflareEnvelopeQueueConsumer, null, cancellationToken).ConfigureAwait(false)
            ?? throw new CloudflareApiException("GET", path, System.Net.HttpStatusCode.OK, null, null, "the envelope has no result");
    }

    /// <summary>
    /// Replaces the settings and dead-letter queue of an HTTP pull consumer (<c>PUT …/consumers/{consumer_id}</c>). The
    /// body carries only the members Cloudflare's schema allows for an HTTP pull consumer. A replace is idempotent, so it
    /// is retried after a 5xx like a read.
    /// </summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="consumerId">The consumer id.</param>
    /// <param name="settings">Batch size, max retries, retry delay, visibility timeout; unset members are not sent.</param>
    /// <param name="deadLetterQueue">The dead-letter queue name, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consumer as stored.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<QueueConsumer> UpdateHttpPullConsumerAsync(string queueId, string consumerId, QueueConsumerSettings? settings, string? deadLetterQueue = null, CancellationToken cancellationToken = default)
    {
        var path = ConsumerPath(queueId, consumerId);
        var request = HttpPullConsumerRequest.From(settings, deadLetterQueue);
        return await Connection.SendAsync(
            HttpMethod.Put, path, request, CloudflareJsonContext.Default.HttpPullConsumerRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeQueueConsumer, retryOnServerError: true, null, cancellationToken).ConfigureAwait(false)
            ?? new QueueConsumer { ConsumerId = consumerId, Type = "http_pull", Settings = settings, DeadLetterQueue = deadLetterQueue };
    }

    /// <summary>
    /// Removes a consumer from a queue (<c>DELETE …/consumers/{consumer_id}</c>). Retried after a 5xx; a 404 on a retry
    /// means an earlier attempt removed it, which is reported as success.
    /// </summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="consumerId">The consumer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the consumer is gone.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (a 404 on the first attempt: no such consumer).</exception>
    public virtual async Task DeleteConsumerAsync(string queueId, string consumerId, CancellationToken cancellationToken = default)
    {
        try
        {
            await Connection.SendAsync<object, System.Text.Json.JsonElement>(
                HttpMethod.Delete, ConsumerPath(queueId, consumerId), null, null, CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement,
                retryOnServerError: true, null, cancellationToken).ConfigureAwait(false);
        }
        catch (CloudflareApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound && ex.Attempts > 1)
        {
            // An earlier attempt timed out or got a 5xx after the server acted: the consumer is gone, as asked.
        }
    }

    /// <summary>
    /// Changes a queue's settings (<c>PATCH …/queues/{queue_id}</c> with <c>settings</c> only; unset members are not
    /// sent and stay as they are). Setting a value is idempotent, so it is retried after a 5xx.
    /// </summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="settings">The settings to change, e.g. <c>new CloudflareQueueSettings { MessageRetentionPeriod = 1_209_600 }</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The queue as stored.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. a retention outside 60 s – 14 days).</exception>
    public virtual async Task<CloudflareQueue> EditQueueSettingsAsync(string queueId, CloudflareQueueSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        ArgumentNullException.ThrowIfNull(settings);
        var path = $"{QueuesPath}/{Escape(queueId)}";
        var request = new QueueEditRequest
        {
            Settings = new CloudflareQueueSettings { DeliveryDelay = settings.DeliveryDelay, DeliveryPaused = settings.DeliveryPaused, MessageRetentionPeriod = settings.MessageRetentionPeriod },
        };
        return await Connection.SendAsync(
            HttpMethod.Patch, path, request, CloudflareJsonContext.Default.QueueEditRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeCloudflareQueue, retryOnServerError: true, null, cancellationToken).ConfigureAwait(false)
            ?? throw new CloudflareApiException("PATCH", path, System.Net.HttpStatusCode.OK, null, null, "the envelope has no result");
    }

    private string ConsumersPath(string queueId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        return $"{QueuesPath}/{Escape(queueId)}/consumers";
    }

    private string ConsumerPath(string queueId, string consumerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consumerId);
        return $"{ConsumersPath(queueId)}/{Escape(consumerId)}";
    }
}
