using LogpushKit.Events;

namespace LogpushKit.Pipeline;

/// <summary>
/// Where <see cref="LogpushQueueConsumer"/> gets object events from: a queue with leases (Cloudflare Queues over HTTP pull,
/// or the in-process <see cref="InProcessEventQueue"/> of the embedded default). Delivery is at least once.
/// </summary>
public interface IObjectEventSource
{
    /// <summary>
    /// Leases up to <paramref name="maxMessages"/> messages for <paramref name="visibilityTimeout"/>. May return an empty
    /// batch (a short poll); an implementation may wait a little for messages first (a long poll).
    /// </summary>
    Task<IReadOnlyList<ObjectEventMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default);

    /// <summary>Acknowledges processed messages (they are gone) and hands others back for a later delivery after a delay.</summary>
    Task SettleAsync(IReadOnlyList<ObjectEventMessage> acks, IReadOnlyList<ObjectEventRetry> retries, CancellationToken cancellationToken = default);

    /// <summary>
    /// The messages the queue still holds (visible, leased or delayed) as of the last receive, when the source knows it;
    /// <see langword="null"/> when it does not. Used to tell "drained" from "nothing visible right now".
    /// </summary>
    long? Backlog => null;
}

/// <summary>One leased message.</summary>
public sealed record ObjectEventMessage
{
    /// <summary>The message id (for logs).</summary>
    public required string Id { get; init; }

    /// <summary>The lease that acks and retries name.</summary>
    public required string LeaseId { get; init; }

    /// <summary>How many times the message has been delivered, this delivery included.</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>When the message was sent.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The R2 event the message carries, or <see langword="null"/> when its body is not one (see <see cref="Error"/>).</summary>
    public R2EventNotification? Notification { get; init; }

    /// <summary>Why the body could not be read as an R2 event notification.</summary>
    public string? Error { get; init; }
}

/// <summary>A message to hand back to its queue, visible again after <paramref name="Delay"/>.</summary>
/// <param name="Message">The message.</param>
/// <param name="Delay">How long the queue keeps it invisible; zero releases it at once.</param>
public sealed record ObjectEventRetry(ObjectEventMessage Message, TimeSpan Delay);
