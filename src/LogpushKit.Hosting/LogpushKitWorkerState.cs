using LogpushKit.Pipeline;

namespace LogpushKit.Hosting;

/// <summary>Where the LogpushKit worker stands (<see cref="LogpushKitWorkerState.Status"/>).</summary>
public enum LogpushKitWorkerStatus
{
    /// <summary>The host has not started the worker yet.</summary>
    NotStarted = 0,

    /// <summary>The worker runs its pipeline.</summary>
    Running,

    /// <summary>The worker stopped because the host stopped.</summary>
    Stopped,

    /// <summary>The pipeline failed (e.g. the queue consumer gave up, or the source can no longer be listed); the host stops.</summary>
    Failed,
}

/// <summary>
/// The worker's state, a singleton in the host's services (<c>AddLogpushKit</c> registers it): whether it runs, how its
/// pipeline is doing (<see cref="Health"/>: the queue consumer's pulls and acks, the folder watcher's own failures, failing
/// reconcile passes), and how it ended. Read it from a health check; it never opens the pipeline itself.
/// </summary>
public sealed class LogpushKitWorkerState
{
    private readonly Lock _gate = new();
    private LogpushPipeline? _pipeline;
    private LogpushKitWorkerStatus _status;
    private Exception? _failure;
    private PipelineSummary? _summary;

    /// <summary>Where the worker stands.</summary>
    public LogpushKitWorkerStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>What the worker runs: <c>queue consumer</c>, <c>folder watcher</c> or <c>periodic reconcile</c>; <see langword="null"/> before it starts.</summary>
    public string? Mode { get; private set; }

    /// <summary>The pipeline's health now; <see cref="PipelineHealth.Idle"/> before the worker starts.</summary>
    public PipelineHealth Health
    {
        get
        {
            LogpushPipeline? pipeline;
            lock (_gate)
            {
                pipeline = _pipeline;
            }

            return pipeline?.Health ?? PipelineHealth.Idle;
        }
    }

    /// <summary>Whether a health check should report healthy: not <see cref="LogpushKitWorkerStatus.Failed"/>, and <see cref="Health"/> is healthy.</summary>
    public bool IsHealthy => Status != LogpushKitWorkerStatus.Failed && Health.IsHealthy;

    /// <summary>Why the pipeline failed (<see cref="LogpushKitWorkerStatus.Failed"/>), or <see langword="null"/>.</summary>
    public Exception? Failure
    {
        get
        {
            lock (_gate)
            {
                return _failure;
            }
        }
    }

    /// <summary>The totals of the run once the worker has stopped (also after a consumer gave up), or <see langword="null"/>.</summary>
    public PipelineSummary? Summary
    {
        get
        {
            lock (_gate)
            {
                return _summary;
            }
        }
    }

    internal void Started(LogpushPipeline pipeline, string mode)
    {
        lock (_gate)
        {
            _pipeline = pipeline;
            Mode = mode;
            _status = LogpushKitWorkerStatus.Running;
        }
    }

    internal void Stopped(PipelineSummary summary)
    {
        lock (_gate)
        {
            _summary = summary;
            _status = LogpushKitWorkerStatus.Stopped;
        }
    }

    internal void Failed(Exception failure, PipelineSummary? summary)
    {
        lock (_gate)
        {
            _failure = failure;
            _summary = summary;
            _status = LogpushKitWorkerStatus.Failed;
        }
    }
}
