using System.Globalization;
using LogpushKit.Cloudflare;
using LogpushKit.Events;
using LogpushKit.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Pipeline;

/// <summary>
/// Object events from a Cloudflare queue through its HTTP pull consumer (<see cref="QueuesPullClient"/>): pull leases
/// messages, settle acks and retries them by lease id in one call. Message bodies are read as R2 event notifications; a
/// body that is not one becomes a message with <see cref="ObjectEventMessage.Error"/> set (the consumer retries it, so the
/// queue's retry limit moves it to the dead-letter queue).
/// </summary>
/// <remarks>
/// A pulled message without a <c>lease_id</c> cannot be acked or retried: it is left to come back when its lease expires,
/// and a warning names it. A reply whose messages all lack a lease is a failed pull (<see cref="CloudflareApiException"/>),
/// so a consumer that can use nothing it pulls reports it and, in the end, stops.
/// </remarks>
public sealed class CloudflareQueueEventSource : IObjectEventSource
{
    private readonly QueuesPullClient _client;
    private readonly ILogger _logger;
    private long _backlog = -1;

    /// <summary>Creates a source over queue <paramref name="queueId"/>.</summary>
    /// <param name="client">The pull client.</param>
    /// <param name="queueId">The queue id.</param>
    /// <param name="logger">Logs messages of a pull reply that cannot be used.</param>
    public CloudflareQueueEventSource(QueuesPullClient client, string queueId, ILogger<CloudflareQueueEventSource>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        _client = client;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        QueueId = queueId;
    }

    /// <summary>The queue id.</summary>
    public string QueueId { get; }

    /// <inheritdoc />
    public long? Backlog
    {
        get
        {
            var value = Interlocked.Read(ref _backlog);
            return value < 0 ? null : value;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ObjectEventMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        var batch = Math.Clamp(maxMessages, 1, QueuesPullClient.MaxBatchSize);
        var lease = visibilityTimeout > QueuesPullClient.MaxVisibilityTimeout ? QueuesPullClient.MaxVisibilityTimeout : visibilityTimeout;
        var result = await _client.PullAsync(QueueId, batch, lease, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _backlog, result.Backlog is { } backlog ? Math.Max(0, backlog) : -1);
        var messages = new List<ObjectEventMessage>(result.Messages.Count);
        var withoutLease = 0;
        foreach (var message in result.Messages)
        {
            if (string.IsNullOrEmpty(message.LeaseId))
            {
                withoutLease++;
                Log.MessageWithoutLease(_logger, message.Id is null ? "(no id)" : ObjectKeyText.Escape(message.Id), QueueId, result.RayId ?? "(none)");
                continue; // cannot be settled; it comes back when its lease expires
            }

            R2EventNotification? notification = null;
            string? error = null;
            try
            {
                notification = R2EventNotification.FromQueueMessage(message);
            }
            catch (CloudflarePayloadException ex)
            {
                // the text quotes ids and bodies from the server: printed one line, control characters made visible
                error = ObjectKeyText.Escape(ex.Message);
            }

            messages.Add(new ObjectEventMessage
            {
                Id = message.Id ?? message.LeaseId,
                LeaseId = message.LeaseId,
                Attempts = Math.Max(1, message.Attempts),
                Timestamp = message.Timestamp ?? default,
                Notification = notification,
                Error = error,
            });
        }

        if (withoutLease > 0 && messages.Count == 0)
        {
            throw new CloudflareApiException(
                "POST",
                $"queues/{QueueId}/messages/pull",
                System.Net.HttpStatusCode.OK,
                null,
                result.RayId,
                string.Create(CultureInfo.InvariantCulture, $"the pull reply has {withoutLease} message(s) and none has a lease_id, so none can be acked or retried"));
        }

        return messages;
    }

    /// <inheritdoc />
    public async Task SettleAsync(IReadOnlyList<ObjectEventMessage> acks, IReadOnlyList<ObjectEventRetry> retries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acks);
        ArgumentNullException.ThrowIfNull(retries);
        if (acks.Count == 0 && retries.Count == 0)
        {
            return;
        }

        await _client.AckAsync(
            QueueId,
            acks.Select(m => m.LeaseId),
            retries.Select(r => new QueueRetry(r.Message.LeaseId, (int)Math.Clamp(Math.Ceiling(r.Delay.TotalSeconds), 0, 43_200))),
            cancellationToken).ConfigureAwait(false);
    }
}
