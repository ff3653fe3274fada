namespace LogpushKit.Pipeline;

/// <summary>Where a <see cref="LogpushQueueConsumer"/> stands.</summary>
public enum QueueConsumerStatus
{
    /// <summary>Not run yet, or no pull has finished yet.</summary>
    Starting = 0,

    /// <summary>The last pull and the last ack (if any) succeeded.</summary>
    Healthy,

    /// <summary>Pulls or acks are failing, for less than <see cref="LogpushQueueConsumerOptions.MaxFailureDuration"/> so far.</summary>
    Failing,

    /// <summary>The consumer gave up after failing for <see cref="LogpushQueueConsumerOptions.MaxFailureDuration"/>.</summary>
    Failed,

    /// <summary><see cref="LogpushQueueConsumer.RunAsync"/> returned normally (cancelled, or drained).</summary>
    Stopped,
}

/// <summary>
/// A snapshot of a consumer's health (<see cref="LogpushQueueConsumer.Health"/>): what a host's health check reports. A
/// consumer is unhealthy while <see cref="FailingSince"/> is set (its pulls or acks are failing) and once it has
/// <see cref="QueueConsumerStatus.Failed"/>.
/// </summary>
public sealed record QueueConsumerHealth
{
    /// <summary>Where the consumer stands.</summary>
    public QueueConsumerStatus Status { get; init; }

    /// <summary>When a pull or an ack last succeeded.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>When the current run of failures began (the earliest failing operation's first failure), or <see langword="null"/> when nothing is failing.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>Failed calls in a row of the failing operations (pull and ack counted separately, then added).</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>Failed pulls and acks since the consumer was created.</summary>
    public long TotalFailures { get; init; }

    /// <summary>The last failure (operation and message, secrets masked, with the Cloudflare error codes and cf-ray when the API answered).</summary>
    public string? LastError { get; init; }

    /// <summary>When the last failure happened.</summary>
    public DateTimeOffset? LastFailure { get; init; }

    /// <summary>Whether a health check should report healthy: nothing is failing and the consumer has not given up.</summary>
    public bool IsHealthy => FailingSince is null && Status != QueueConsumerStatus.Failed;
}

/// <summary>
/// Thrown by <see cref="LogpushQueueConsumer.RunAsync"/> when every pull (or every ack) has failed for
/// <see cref="LogpushQueueConsumerOptions.MaxFailureDuration"/>; in-flight objects were finished first. The message says
/// which calls failed, since when, how often, and the last error.
/// </summary>
public sealed class QueueConsumerFailedException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="health">The consumer's health when it gave up.</param>
    /// <param name="summary">What the consumer did before it gave up.</param>
    /// <param name="innerException">The last failure.</param>
    public QueueConsumerFailedException(string message, QueueConsumerHealth health, PipelineSummary summary, Exception? innerException = null)
        : base(message, innerException)
    {
        Health = health;
        Summary = summary;
    }

    /// <summary>The consumer's health when it gave up.</summary>
    public QueueConsumerHealth Health { get; }

    /// <summary>What the consumer did before it gave up (objects converted, failed, …).</summary>
    public PipelineSummary Summary { get; }
}
