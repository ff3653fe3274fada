using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting;

/// <summary>
/// The worker: a <see cref="LogpushQueueConsumer"/> over the registered <see cref="IObjectEventSource"/> (the Cloudflare queue),
/// or, without one, over an <see cref="InProcessEventQueue"/> fed by a <see cref="SourceFolderWatcher"/> on a local source
/// folder (or by periodic reconciles of a bucket source). Buckets are opened in <see cref="StartAsync"/>, so a wrong location
/// fails the host's start; the long-running work runs in <see cref="ExecuteAsync"/>.
/// </summary>
/// <remarks>
/// On shutdown the consumer stops pulling, releases leased messages it has not started, and lets in-flight objects finish for
/// <see cref="LogpushKitQueueOptions.DrainTimeoutSeconds"/> (keep it below the host's shutdown timeout, 30 s by default);
/// objects still running after that are cancelled — their puts abort, nothing partial is written — and released.
/// </remarks>
internal sealed class LogpushKitWorker : BackgroundService
{
    private readonly LogpushKitOptions _options;
    private readonly IEnumerable<ILogpushBucketProvider> _bucketProviders;
    private readonly IObjectEventSource? _eventSource;
    private readonly ILoggerFactory _loggerFactory;
    private readonly LogpushKitMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private LogpushObjectProcessor? _processor;
    private string? _sourceFolder;
    private IObjectEventSource? _queueSource;
    private QueuesPullClient? _ownedClient;

    public LogpushKitWorker(
        IOptions<LogpushKitOptions> options,
        IEnumerable<ILogpushBucketProvider> bucketProviders,
        ILoggerFactory loggerFactory,
        LogpushKitMetrics metrics,
        TimeProvider timeProvider,
        IObjectEventSource? eventSource = null)
    {
        _options = options.Value;
        _bucketProviders = bucketProviders;
        _eventSource = eventSource;
        _loggerFactory = loggerFactory;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<LogpushKitWorker>();
    }

    internal LogpushQueueConsumer? Consumer { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var source = BucketLocation.Parse(_options.Source!);
        var target = BucketLocation.Parse(_options.Target!);
        if (source.Kind == BucketLocationKind.FileSystem)
        {
            _sourceFolder = source.Path;
        }

        var prefix = (source.Key ?? string.Empty) + (_options.Prefix ?? string.Empty);
        var processorOptions = new LogpushObjectProcessorOptions
        {
            Prefix = prefix.Length == 0 ? null : prefix,
            Suffix = _options.Suffix,
            TargetPrefix = string.IsNullOrEmpty(target.Key) ? null : target.Key,
            TargetKeyTemplate = new TargetKeyTemplate(_options.TargetKeyTemplate),
            Transform = TransformOptionsFactory.Create(_options.Transform),
        };
        _processor = new LogpushObjectProcessor(
            Open(source, "Source"),
            Open(target, "Target"),
            processorOptions,
            _loggerFactory.CreateLogger<LogpushObjectProcessor>(),
            _metrics,
            _timeProvider);
        _queueSource = _eventSource ?? CreateCloudflareSource();
        var mode = _queueSource is not null ? "queue consumer" : _sourceFolder is not null ? "folder watcher" : "periodic reconcile";
        HostingLog.Started(_logger, mode, source.ToString(), target.ToString(), _options.Concurrency);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var processor = _processor ?? throw new InvalidOperationException("The worker was not started.");
        var reconciler = new LogpushReconciler(processor, _loggerFactory.CreateLogger<LogpushReconciler>(), _timeProvider);
        var queue = _options.Queue;
        var consumerOptions = new LogpushQueueConsumerOptions
        {
            MaxConcurrency = _options.Concurrency,
            BatchSize = Math.Clamp(queue.BatchSize, 1, 100),
            VisibilityTimeout = queue.VisibilityTimeoutSeconds > 0 ? TimeSpan.FromSeconds(queue.VisibilityTimeoutSeconds) : null,
            LargestExpectedObjectBytes = queue.LargestExpectedObjectBytes,
            RetryDelay = TimeSpan.FromSeconds(queue.RetryDelaySeconds),
            MaxAttempts = queue.MaxAttempts,
            DrainTimeout = TimeSpan.FromSeconds(queue.DrainTimeoutSeconds),
        };

        var tasks = new List<Task>();
        IObjectEventSource eventSource;
        if (_queueSource is not null)
        {
            eventSource = _queueSource;
            if (_options.ReconcileOnStart || _options.ReconcileIntervalSeconds > 0)
            {
                tasks.Add(ReconcileLoopAsync(reconciler, _options.ReconcileOnStart, _options.ReconcileIntervalSeconds, stoppingToken));
            }
        }
        else
        {
            var inProcess = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(500), timeProvider: _timeProvider);
            eventSource = inProcess;
            consumerOptions = consumerOptions with { IdleDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.FromMinutes(5) };
            if (_sourceFolder is not null)
            {
                var watcher = new SourceFolderWatcher(
                    _sourceFolder,
                    processor,
                    inProcess,
                    TimeSpan.FromMilliseconds(_options.WatchDebounceMilliseconds),
                    _loggerFactory.CreateLogger<SourceFolderWatcher>(),
                    _timeProvider);

                // the startup reconcile goes through the queue, like every other object
                tasks.Add(watcher.RunAsync(_options.ReconcileOnStart, stoppingToken));
                if (_options.ReconcileIntervalSeconds > 0)
                {
                    tasks.Add(ReconcileLoopAsync(reconciler, false, _options.ReconcileIntervalSeconds, stoppingToken));
                }
            }
            else
            {
                tasks.Add(ReconcileLoopAsync(reconciler, _options.ReconcileOnStart, _options.ReconcileIntervalSeconds > 0 ? _options.ReconcileIntervalSeconds : 60, stoppingToken));
            }
        }

        Consumer = new LogpushQueueConsumer(eventSource, processor, consumerOptions, _loggerFactory.CreateLogger<LogpushQueueConsumer>(), _timeProvider);
        var summary = await Consumer.RunAsync(stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(tasks).ConfigureAwait(false);
        HostingLog.Stopped(_logger, summary.Converted, summary.Skipped, summary.Failed, summary.Rows);
    }

    public override void Dispose()
    {
        _ownedClient?.Dispose();
        base.Dispose();
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

    private async Task ReconcileLoopAsync(LogpushReconciler reconciler, bool runFirst, int intervalSeconds, CancellationToken stoppingToken)
    {
        var options = new ReconcileOptions { MaxConcurrency = Math.Max(1, _options.Concurrency / 2) };
        try
        {
            if (runFirst)
            {
                await RunOnceAsync().ConfigureAwait(false);
            }

            if (intervalSeconds <= 0)
            {
                return;
            }

            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(intervalSeconds), _timeProvider);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunOnceAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }

        async Task RunOnceAsync()
        {
            try
            {
                await reconciler.RunAsync(options, null, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                HostingLog.ReconcileFailed(_logger, intervalSeconds, ex);
            }
        }
    }

    private IR2Bucket Open(BucketLocation location, string key)
    {
        foreach (var provider in _bucketProviders)
        {
            if (provider.Open(location) is { } bucket)
            {
                return bucket;
            }
        }

        throw new OptionsValidationException(
            LogpushKitOptions.SectionName,
            typeof(LogpushKitOptions),
            [$"{LogpushKitOptions.SectionName}:{key} '{location}': no registered {nameof(ILogpushBucketProvider)} opens {location.Kind} locations; register one for r2:// and s3:// (e.g. over LogpushKit.R2's bucket)."]);
    }
}
