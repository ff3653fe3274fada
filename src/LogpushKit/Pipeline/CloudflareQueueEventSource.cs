using LogpushKit.Cloudflare;
using LogpushKit.Events;

namespace LogpushKit.Pipeline;

/// <summary>
/// Object events from a Cloudflare queue through its HTTP pull consumer (<see cref="QueuesPullClient"/>): pull leases
/// messages, settle acks and retries them by lease id in one call. Message bodies are read as R2 event notifications; a
/// body that is not one becomes a message with <see cref="ObjectEventMessage.Error"/> set (the consumer retries it, so the
/// queue's retry limit moves it to the dead-letter queue).
/// </summary>
public sealed class CloudflareQueueEventSource : IObjectEventSource
{
    private readonly QueuesPullClient _client;

    /// <summary>Creates a source over queue <paramref name="queueId"/>.</summary>
    public CloudflareQueueEventSource(QueuesPullClient client, string queueId)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(queueId);
        _client = client;
        QueueId = queueId;
    }

    /// <summary>The queue id.</summary>
    public string QueueId { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ObjectEventMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        var batch = Math.Clamp(maxMessages, 1, QueuesPullClient.MaxBatchSize);
        var lease = visibilityTimeout > QueuesPullClient.MaxVisibilityTimeout ? QueuesPullClient.MaxVisibilityTimeout : visibilityTimeout;
        var result = await _client.PullAsync(QueueId, batch, lease, cancellationToken).ConfigureAwait(false);
        var messages = new List<ObjectEventMessage>(result.Messages.Count);
        foreach (var message in result.Messages)
        {
            if (string.IsNullOrEmpty(message.LeaseId))
            {
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
                error = ex.Message;
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
