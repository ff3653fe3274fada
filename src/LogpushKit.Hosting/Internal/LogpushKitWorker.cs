using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting;

/// <summary>
/// The worker: runs the host's <see cref="LogpushPipeline"/>. With an <see cref="IObjectEventSource"/> (the Cloudflare queue
/// of <see cref="LogpushKitQueueOptions.QueueId"/>, or one registered in DI) it consumes it; without one it watches the
/// source (folder events, or periodic reconciles of a bucket). The pipeline, and so the buckets, is built when the host
/// starts, so a wrong setting fails the start with a message that names its configuration key.
/// </summary>
/// <remarks>
/// <para>On shutdown the consumer stops pulling, releases leased messages it has not started, and lets in-flight objects finish for
/// <see cref="LogpushKitQueueOptions.DrainTimeoutSeconds"/> (keep it below the host's shutdown timeout, 30 s by default);
/// objects still running after that are cancelled — their puts abort, nothing partial is written — and released.</para>
/// <para>When the pipeline fails as a whole (the queue consumer gives up after <see cref="LogpushKitQueueOptions.MaxFailureSeconds"/>
/// of failing calls, or the source can no longer be listed), the worker logs one error line, records the failure in
/// <see cref="LogpushKitWorkerState"/> and stops the host; <c>RunLogpushKitAsync</c> then prints one line and returns 1.
/// An exception LogpushKit does not expect is left to the host (logged with its stack trace).</para>
/// </remarks>
internal sealed class LogpushKitWorker : BackgroundService
{
    private readonly LogpushKitOptions _options;
    private readonly LogpushPipeline _pipeline;
    private readonly IObjectEventSource? _eventSource;
    private readonly LogpushKitWorkerState _state;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private QueuesPullClient? _ownedClient;

    public LogpushKitWorker(
        IOptions<LogpushKitOptions> options,
        LogpushPipeline pipeline,
        LogpushKitWorkerState state,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        IHostApplicationLifetime? lifetime = null,
        IObjectEventSource? eventSource = null)
    {
        _options = options.Value;
        _pipeline = pipeline;
        _state = state;
        _lifetime = lifetime;
        _eventSource = eventSource;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<LogpushKitWorker>();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var events = _eventSource ?? CreateCloudflareSource();
        var mode = events is not null ? "queue consumer" : _pipeline.SourceFolder is not null ? "folder watcher" : "periodic reconcile";
        _state.Started(_pipeline, mode);
        Log.WorkerStarted(_logger, mode, _pipeline.SourceLocation.ToString(), _pipeline.TargetLocation.ToString(), _options.Concurrency);
        try
        {
            var summary = events is null
                ? await _pipeline.WatchAsync(progress: null, stoppingToken).ConfigureAwait(false)
                : await _pipeline.ConsumeAsync(events, ConsumerOptions(), progress: null, stoppingToken).ConfigureAwait(false);
            LogStopped(summary);
            _state.Stopped(summary);
        }
        catch (LogpushKitException ex) when (!stoppingToken.IsCancellationRequested)
        {
            // expected failures (the consumer gave up, the source is gone): one line, no stack trace; the host stops
            var summary = (ex as QueueConsumerFailedException)?.Summary;
            if (summary is not null)
            {
                LogStopped(summary);
            }

            Log.WorkerFailed(_logger, SecretRedactor.MaskText(ex.Message));
            _state.Failed(ex, summary);
            _lifetime?.StopApplication();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            _state.Failed(ex, null);
            throw;
        }
    }

    public override void Dispose()
    {
        _ownedClient?.Dispose();
        base.Dispose();
    }

    private void LogStopped(PipelineSummary summary)
        => Log.WorkerStopped(_logger, summary.Converted, summary.Skipped, summary.Failed, summary.Rows, summary.LeftoversRemoved);

    private LogpushQueueConsumerOptions ConsumerOptions()
    {
        var queue = _options.Queue;
        return new LogpushQueueConsumerOptions
        {
            MaxConcurrency = _options.Concurrency,
            IoBudgetBytes = _pipeline.IoBudgetBytes,
            BatchSize = queue.BatchSize,
            VisibilityTimeout = queue.VisibilityTimeoutSeconds > 0 ? TimeSpan.FromSeconds(queue.VisibilityTimeoutSeconds) : null,
            LargestExpectedObjectBytes = queue.LargestExpectedObjectBytes,
            RetryDelay = TimeSpan.FromSeconds(queue.RetryDelaySeconds),
            MaxAttempts = queue.MaxAttempts,
            DrainTimeout = TimeSpan.FromSeconds(queue.DrainTimeoutSeconds),
            MaxFailureDuration = queue.MaxFailureSeconds > 0 ? TimeSpan.FromSeconds(queue.MaxFailureSeconds) : null,
        };
    }

    private CloudflareQueueEventSource? CreateCloudflareSource()
    {
        var queue = _options.Queue;
        if (string.IsNullOrWhiteSpace(queue.QueueId))
        {
            return null;
        }

        // the validator has checked these at start-up, by the same rule and names
        var settings = queue.ResolveCloudflare().Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId);
        _ownedClient = new QueuesPullClient(
            settings.AccountId!,
            settings.CreateClientOptions<QueuesPullClientOptions>() with { TimeProvider = _timeProvider },
            _loggerFactory.CreateLogger<QueuesPullClient>());
        return new CloudflareQueueEventSource(_ownedClient, queue.QueueId.Trim(), _loggerFactory.CreateLogger<CloudflareQueueEventSource>());
    }
}
