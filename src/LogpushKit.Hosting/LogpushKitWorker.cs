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
/// On shutdown the consumer stops pulling, releases leased messages it has not started, and lets in-flight objects finish for
/// <see cref="LogpushKitQueueOptions.DrainTimeoutSeconds"/> (keep it below the host's shutdown timeout, 30 s by default);
/// objects still running after that are cancelled — their puts abort, nothing partial is written — and released.
/// </remarks>
internal sealed class LogpushKitWorker : BackgroundService
{
    private readonly LogpushKitOptions _options;
    private readonly LogpushPipeline _pipeline;
    private readonly IObjectEventSource? _eventSource;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private QueuesPullClient? _ownedClient;

    public LogpushKitWorker(
        IOptions<LogpushKitOptions> options,
        LogpushPipeline pipeline,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        IObjectEventSource? eventSource = null)
    {
        _options = options.Value;
        _pipeline = pipeline;
        _eventSource = eventSource;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<LogpushKitWorker>();
    }

    /// <summary>The exception the pipeline ended with, if it failed (the host then stops).</summary>
    internal Exception? Failure { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var events = _eventSource ?? CreateCloudflareSource();
        var mode = events is not null ? "queue consumer" : _pipeline.SourceFolder is not null ? "folder watcher" : "periodic reconcile";
        HostingLog.Started(_logger, mode, _pipeline.SourceLocation.ToString(), _pipeline.TargetLocation.ToString(), _options.Concurrency);
        try
        {
            var summary = events is null
                ? await _pipeline.WatchAsync(progress: null, stoppingToken).ConfigureAwait(false)
                : await _pipeline.ConsumeAsync(events, ConsumerOptions(), progress: null, stoppingToken).ConfigureAwait(false);
            HostingLog.Stopped(_logger, summary.Converted, summary.Skipped, summary.Failed, summary.Rows);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            Failure = ex;
            throw;
        }
    }

    public override void Dispose()
    {
        _ownedClient?.Dispose();
        base.Dispose();
    }

    private LogpushQueueConsumerOptions ConsumerOptions()
    {
        var queue = _options.Queue;
        return new LogpushQueueConsumerOptions
        {
            MaxConcurrency = _options.Concurrency,
            BatchSize = queue.BatchSize,
            VisibilityTimeout = queue.VisibilityTimeoutSeconds > 0 ? TimeSpan.FromSeconds(queue.VisibilityTimeoutSeconds) : null,
            LargestExpectedObjectBytes = queue.LargestExpectedObjectBytes,
            RetryDelay = TimeSpan.FromSeconds(queue.RetryDelaySeconds),
            MaxAttempts = queue.MaxAttempts,
            DrainTimeout = TimeSpan.FromSeconds(queue.DrainTimeoutSeconds),
        };
    }

    private CloudflareQueueEventSource? CreateCloudflareSource()
    {
        var queue = _options.Queue;
        if (string.IsNullOrWhiteSpace(queue.QueueId))
        {
            return null;
        }

        var accountId = queue.AccountId ?? Environment.GetEnvironmentVariable("CLOUDFLARE_ACCOUNT_ID");
        var credentials = !string.IsNullOrWhiteSpace(queue.ApiToken) ? CloudflareCredentials.ApiToken(queue.ApiToken) : CloudflareCredentials.FromEnvironment();
        var baseUrl = queue.ApiBaseUrl
            ?? (Uri.TryCreate(Environment.GetEnvironmentVariable("CLOUDFLARE_API_BASE_URL"), UriKind.Absolute, out var fromEnvironment) ? fromEnvironment : null)
            ?? CloudflareClientOptions.DefaultBaseAddress;
        _ownedClient = new QueuesPullClient(
            accountId!,
            new QueuesPullClientOptions { BaseAddress = baseUrl, Credentials = credentials, TimeProvider = _timeProvider },
            _loggerFactory.CreateLogger<QueuesPullClient>());
        return new CloudflareQueueEventSource(_ownedClient, queue.QueueId);
    }
}
