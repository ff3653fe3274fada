namespace LogpushKit.Pipeline;

/// <summary>What a <see cref="LogpushPipeline"/> is doing (<see cref="PipelineHealth.Activity"/>).</summary>
public enum PipelineActivity
{
    /// <summary>Nothing runs: not started yet, or the last run returned.</summary>
    Idle = 0,

    /// <summary>A one-off reconcile pass (<see cref="LogpushPipeline.ReconcileAsync"/>).</summary>
    Reconciling,

    /// <summary>Watching the source (<see cref="LogpushPipeline.WatchAsync"/>).</summary>
    Watching,

    /// <summary>Consuming an event source (<see cref="LogpushPipeline.ConsumeAsync"/>).</summary>
    Consuming,
}

/// <summary>
/// A snapshot of a pipeline's health (<see cref="LogpushPipeline.Health"/>), what a host's health check reports: the queue
/// consumer's state while consuming, the folder watcher's own failures while watching a folder, and failed reconcile
/// passes beside either. Healthy means nothing is failing <i>now</i>: a part that failed and then worked again is healthy
/// (its failures stay counted in the totals).
/// </summary>
public sealed record PipelineHealth
{
    /// <summary>A pipeline that runs nothing.</summary>
    public static PipelineHealth Idle { get; } = new();

    /// <summary>What the pipeline is doing.</summary>
    public PipelineActivity Activity { get; init; }

    /// <summary>The queue consumer of <see cref="LogpushPipeline.ConsumeAsync"/> (the running one, or the last one), or <see langword="null"/> when the pipeline has not consumed.</summary>
    public QueueConsumerHealth? Consumer { get; init; }

    /// <summary>Since when the folder watcher has been failing (a scan or part of one could not be read, and none has worked since), or <see langword="null"/>.</summary>
    public DateTimeOffset? WatcherFailingSince { get; init; }

    /// <summary>The folder watcher's own failures while the current or last watch ran (not the objects'; those are in the summary).</summary>
    public long WatcherFailures { get; init; }

    /// <summary>The folder watcher's last failure, or <see langword="null"/>.</summary>
    public string? WatcherLastError { get; init; }

    /// <summary>
    /// Objects of the watched folder given up on now (every attempt failed, see <see cref="LogpushPipelineOptions.MaxAttempts"/>)
    /// and not changed since: they need a person (see <see cref="IsHealthy"/>).
    /// </summary>
    public long WatcherGivenUp { get; init; }

    /// <summary>Since when reconcile passes beside a watcher or consumer have been failing (no pass has worked since), or <see langword="null"/>.</summary>
    public DateTimeOffset? PassesFailingSince { get; init; }

    /// <summary>Reconcile passes beside a watcher or consumer that failed as a whole, over the pipeline's life.</summary>
    public long FailedPasses { get; init; }

    /// <summary>Why the last reconcile pass failed, or <see langword="null"/>.</summary>
    public string? LastPassError { get; init; }

    /// <summary>
    /// Whether a health check should report healthy: the consumer (if any) is healthy, and neither the watcher nor the
    /// reconcile passes are failing now. Objects given up on (<see cref="WatcherGivenUp"/>) do not make it unhealthy: a
    /// restart cannot fix a bad file; they are reported and counted instead.
    /// </summary>
    public bool IsHealthy => (Consumer?.IsHealthy ?? true) && WatcherFailingSince is null && PassesFailingSince is null;
}
