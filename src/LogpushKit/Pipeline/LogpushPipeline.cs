using LogpushKit.State;
using LogpushKit.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Pipeline;

/// <summary>
/// The whole pipeline from a source location to a target location, put together once for every host: the CLI's
/// <c>run</c> and <c>consume</c> and the worker call this type, so they cannot drift apart. It opens its buckets through
/// an <see cref="IBucketProvider"/> and owns them (disposing the pipeline disposes them), and converts objects with one
/// <see cref="LogpushObjectProcessor"/> in three ways: a reconcile pass (<see cref="ReconcileAsync"/>), watching
/// (<see cref="WatchAsync"/>), and consuming an event source (<see cref="ConsumeAsync"/>).
/// </summary>
/// <remarks>
/// <para><b>Locations.</b> A location's path names a folder: <c>s3://dst/siem</c> writes <c>siem/…</c> keys and
/// <c>r2://logpush/gateway_http</c> lists <c>gateway_http/…</c> (never <c>gateway_http_old/…</c>). A source must exist
/// (a local source folder is never created); only a target folder is created. A target template that would write each
/// CSV over its source object (same location, e.g. <c>{path}.log.gz</c>) is refused when the pipeline opens.</para>
/// <para><b>Watching.</b> A local source folder is watched (<see cref="SourceFolderWatcher"/>) and its events go through an
/// <see cref="InProcessEventQueue"/> to a <see cref="LogpushQueueConsumer"/>, retried after <see cref="WatchRetryDelay"/>
/// doubling up to <see cref="WatchMaxRetryDelay"/>, at most <see cref="LogpushPipelineOptions.MaxAttempts"/> times: then
/// the object is given up (reported as <see cref="PipelineProgressKind.GaveUp"/>, counted in <see cref="PipelineSummary.GivenUp"/>)
/// until its file changes; a bucket source is reconciled every
/// <see cref="LogpushPipelineOptions.ReconcileInterval"/> (default <see cref="DefaultBucketReconcileInterval"/>). The watcher
/// is on before the first pass, so an object that lands during the pass is not missed.</para>
/// <para><b>Waiting beside converting.</b> More objects than <see cref="LogpushPipelineOptions.MaxConcurrency"/> are in
/// flight, as many as <see cref="IoBudgetBytes"/> admits (reconcile passes and consumers alike): with a bucket on either
/// side so that their round trips overlap; between local folders so that one object's CSV is flushed to disk while the
/// next converts, with no more than <see cref="LogpushPipelineOptions.MaxConcurrency"/> converting at once.</para>
/// <para><b>Stability.</b> A local source folder's files are taken only once unchanged for
/// <see cref="LogpushPipelineOptions.WatchDebounce"/>, by the watcher and by reconcile passes alike.</para>
/// <para><b>Failures.</b> A failed object is counted in the summary, never thrown. The first pass of a watch failing as a whole
/// (the source cannot be listed) ends the watch with its exception; a later pass failing is logged, reported as
/// <see cref="PipelineProgressKind.ReconcileFailed"/> and counted in <see cref="PipelineSummary.FailedPasses"/>, and the next
/// pass runs at its time. The folder watcher's own failures (a part of the folder it could not read, a failed scan) count
/// as failures in the watch's summary. A local source folder removed after <see cref="Open"/> is reported by its setting
/// (<see cref="PipelineSettingNames.Source"/>), one line a host can print as it is.</para>
/// <para><b>Health.</b> <see cref="Health"/> says, while the pipeline runs, whether the queue consumer's pulls and acks
/// work, whether the folder watcher or the reconcile passes are failing now: what a host's health check reports.</para>
/// </remarks>
public sealed class LogpushPipeline : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan WatchPollWait = TimeSpan.FromMilliseconds(500);
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _healthLock = new();
    private int _disposed;
    private PipelineActivity _activity;
    private LogpushQueueConsumer? _consumer;
    private SourceFolderWatcher? _watcher;
    private long _failedPasses;
    private DateTimeOffset? _passesFailingSince;
    private string? _lastPassError;

    private LogpushPipeline(LogpushPipelineOptions options, BucketLocation source, BucketLocation target, LogpushObjectProcessor processor, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        Options = options;
        SourceLocation = source;
        TargetLocation = target;
        Processor = processor;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<LogpushPipeline>();
        _timeProvider = timeProvider;
    }

    /// <summary>How often a bucket source is reconciled while watching, unless <see cref="LogpushPipelineOptions.ReconcileInterval"/> says otherwise: 60 s.</summary>
    public static TimeSpan DefaultBucketReconcileInterval { get; } = TimeSpan.FromSeconds(60);

    /// <summary>Watching a folder: the delay before a failed object is tried again; it doubles per attempt. 1 s.</summary>
    public static TimeSpan WatchRetryDelay { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Watching a folder: the longest retry delay. 1 min.</summary>
    public static TimeSpan WatchMaxRetryDelay { get; } = TimeSpan.FromMinutes(1);

    /// <summary>The options in effect.</summary>
    public LogpushPipelineOptions Options { get; }

    /// <summary>Where objects come from.</summary>
    public BucketLocation SourceLocation { get; }

    /// <summary>Where CSV objects go.</summary>
    public BucketLocation TargetLocation { get; }

    /// <summary>
    /// The byte budget of objects in flight beyond <see cref="LogpushPipelineOptions.MaxConcurrency"/> (see
    /// <see cref="LogpushPipelineOptions.IoBudgetBytes"/>), or <see langword="null"/> when the option is 0. Between local
    /// folders the processor still converts at most <see cref="LogpushPipelineOptions.MaxConcurrency"/> objects at once; the
    /// others in flight read ahead or wait for the disk.
    /// </summary>
    public long? IoBudgetBytes => Options.IoBudgetBytes > 0 ? Options.IoBudgetBytes : null;

    /// <summary>The local folder behind the source, or <see langword="null"/> for a bucket source.</summary>
    public string? SourceFolder => SourceLocation.Kind == BucketLocationKind.FileSystem ? SourceLocation.Path : null;

    /// <summary>The conversion state the pipeline opened (<see cref="LogpushPipelineOptions.State"/>), or <see langword="null"/>.</summary>
    public IConversionStateStore? State { get; private init; }

    /// <summary>
    /// Where quarantined bad lines go when not beside each CSV in the target (see <see cref="LogpushPipelineOptions.Quarantine"/>),
    /// or <see langword="null"/>.
    /// </summary>
    public BucketLocation? QuarantineLocation { get; private init; }

    /// <summary>The processor every object goes through (over the opened buckets).</summary>
    public LogpushObjectProcessor Processor { get; }

    /// <summary>
    /// The pipeline's health now (see <see cref="PipelineHealth"/>): the queue consumer's state while consuming, the folder
    /// watcher's own failures while watching, and failing reconcile passes. Safe to read from any thread while the
    /// pipeline runs; what a host's health check reports.
    /// </summary>
    public PipelineHealth Health
    {
        get
        {
            LogpushQueueConsumer? consumer;
            SourceFolderWatcher? watcher;
            PipelineHealth health;
            lock (_healthLock)
            {
                consumer = _consumer;
                watcher = _watcher;
                health = new PipelineHealth
                {
                    Activity = _activity,
                    FailedPasses = _failedPasses,
                    PassesFailingSince = _passesFailingSince,
                    LastPassError = _lastPassError,
                };
            }

            return health with
            {
                Consumer = consumer?.Health,
                WatcherFailingSince = watcher?.FailingSince,
                WatcherFailures = watcher?.Statistics.Snapshot().Failed ?? 0,
                WatcherLastError = watcher?.LastError,
                WatcherGivenUp = watcher?.GivenUpCount ?? 0,
            };
        }
    }

    /// <summary>
    /// Opens the source and target buckets through <paramref name="buckets"/> and builds the processor. Problems with the
    /// settings are thrown at once, named as <see cref="LogpushPipelineOptions.SettingNames"/> says.
    /// </summary>
    /// <param name="options">What to convert from where to where.</param>
    /// <param name="buckets">Opens the locations; <see langword="null"/>: local folders only.</param>
    /// <param name="loggerFactory">Loggers for the pipeline's parts.</param>
    /// <param name="metrics">Where outcomes are counted; <see cref="LogpushKitMetrics.Shared"/> when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <exception cref="LogpushSettingException">
    /// A location is malformed or cannot be opened (a source folder that does not exist or is a file, missing credentials or
    /// endpoint), or the target template would overwrite the source objects.
    /// </exception>
    /// <exception cref="ArgumentException">An option is out of range, or the transform options are invalid.</exception>
    public static LogpushPipeline Open(
        LogpushPipelineOptions options,
        IBucketProvider? buckets = null,
        ILoggerFactory? loggerFactory = null,
        LogpushKitMetrics? metrics = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        buckets ??= new BucketProviders();
        loggerFactory ??= NullLoggerFactory.Instance;
        timeProvider ??= TimeProvider.System;
        var names = options.SettingNames;
        var source = Parse(options.Source, names.Source);
        var target = Parse(options.Target, names.Target);
        var processorOptions = new LogpushObjectProcessorOptions
        {
            Prefix = NullIfEmpty(BucketRequest.ToFolderPrefix(source.Key) + options.Prefix),
            Suffix = options.Suffix,
            TargetPrefix = NullIfEmpty(BucketRequest.ToFolderPrefix(target.Key)),
            TargetKeyTemplate = options.TargetKeyTemplate,
            Transform = options.Transform,
            Force = options.Force,
            Jobs = options.Jobs,
            Datasets = options.Datasets,
        };
        RefuseTargetOverSource(source, target, processorOptions, names);
        if (!string.IsNullOrEmpty(options.Quarantine) && options.Transform.OnBadLine != Transform.BadLinePolicy.Quarantine)
        {
            throw new LogpushSettingException(names.Quarantine, "it says where quarantined bad lines go, but bad lines are not quarantined (the bad-line policy is not 'quarantine'). Drop it, or quarantine bad lines.");
        }

        var sourceBucket = buckets.Open(Request(source, names.Source, BucketRole.Source, options));
        IR2Bucket? targetBucket = null;
        IR2Bucket? quarantineBucket = null;
        IConversionStateStore? state = null;
        try
        {
            targetBucket = buckets.Open(Request(target, names.Target, BucketRole.Target, options));
            state = string.IsNullOrEmpty(options.State) ? null : SqliteConversionStateStore.Open(options.State, names.State, timeProvider);
            var quarantine = QuarantineLocationOf(options, target, targetBucket, state);
            if (quarantine is not null)
            {
                quarantineBucket = buckets.Open(Request(quarantine, string.IsNullOrEmpty(options.Quarantine) ? names.State : names.Quarantine, BucketRole.Target, options));
                processorOptions = processorOptions with
                {
                    Quarantine = quarantineBucket,
                    QuarantinePrefix = NullIfEmpty(BucketRequest.ToFolderPrefix(quarantine.Key)),
                };
            }

            processorOptions = processorOptions with { State = state };
            var processor = new LogpushObjectProcessor(sourceBucket, targetBucket, processorOptions, loggerFactory.CreateLogger<LogpushObjectProcessor>(), metrics, timeProvider)
            {
                // between local folders a conversion is all CPU: one per slot, the objects in flight beyond them read
                // ahead or wait for the disk (see IoBudgetBytes)
                ConversionSlots = source.IsBucket || target.IsBucket || options.IoBudgetBytes == 0 ? null : new SemaphoreSlim(options.MaxConcurrency),
            };
            Log.PipelineOpened(loggerFactory.CreateLogger<LogpushPipeline>(), source.ToString(), target.ToString(), options.MaxConcurrency);
            return new LogpushPipeline(options, source, target, processor, loggerFactory, timeProvider)
            {
                State = state,
                QuarantineLocation = quarantine,
            };
        }
        catch
        {
            state?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            DisposeBucket(quarantineBucket);
            DisposeBucket(targetBucket);
            DisposeBucket(sourceBucket);
            throw;
        }
    }

    /// <summary>One reconcile pass: lists the source and converts every object whose target is missing or stale.</summary>
    /// <returns>The totals; failed objects are counted there, not thrown.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; in-flight puts were aborted.</exception>
    /// <exception cref="R2BucketException">The source cannot be listed; a local source folder that has gone since the pipeline opened is named by its setting (<see cref="PipelineSettingNames.Source"/>).</exception>
    public async Task<PipelineSummary> ReconcileAsync(IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        SetActivity(PipelineActivity.Reconciling);
        try
        {
            return await PassAsync(Options.MaxConcurrency, isFirst: true, watcher: null, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            SetActivity(PipelineActivity.Idle);
        }
    }

    /// <summary>
    /// Converts what is there (a first pass, unless <see cref="LogpushPipelineOptions.ReconcileFirst"/> is off), then keeps
    /// converting new objects until <paramref name="cancellationToken"/> fires (see the remarks for how). Stopping is not
    /// an error: the totals are returned.
    /// </summary>
    /// <exception cref="LogpushSettingException">The source folder is gone when the watch starts.</exception>
    /// <exception cref="R2BucketException">The first pass cannot list the source (a source folder that has gone since is named by its setting).</exception>
    public async Task<PipelineSummary> WatchAsync(IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = _timeProvider.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var total = PipelineSummary.Empty;
        var outcomes = new WatchOutcomes();
        InProcessEventQueue? queue = null;
        SourceFolderWatcher? watcher = null;
        var watching = Task.CompletedTask;
        if (SourceFolder is { } folder)
        {
            FolderBucketProvider.RequireFolder(folder, Options.SettingNames.Source);
            queue = new InProcessEventQueue(maxAttempts: Options.MaxAttempts, pollWait: WatchPollWait, timeProvider: _timeProvider);
            watcher = new SourceFolderWatcher(folder, Processor, queue, Options.WatchDebounce, _loggerFactory.CreateLogger<SourceFolderWatcher>(), _timeProvider)
            {
                GaveUp = (result, attempts) => progress?.Report(new PipelineProgress(PipelineProgressKind.GaveUp, PipelineSummary.Empty) { Object = result, Attempts = attempts }),
                StillQuarantined = failure => progress?.Report(new PipelineProgress(PipelineProgressKind.StillQuarantined, PipelineSummary.Empty)
                {
                    Object = new ObjectProcessingResult(ObjectProcessingStatus.Failed, failure.SourceKey) { Reason = failure.Reason, SourceETag = failure.SourceETag },
                    Attempts = failure.Attempts,
                }),
            };

            // objects an earlier watch gave up on (quarantined in the state) are not tried again while their files are unchanged
            await watcher.RestoreQuarantinedAsync(stop.Token).ConfigureAwait(false);
            watching = NameMissingSourceAsync(watcher.RunAsync(scanFirst: false, stop.Token));
        }

        lock (_healthLock)
        {
            _activity = PipelineActivity.Watching;
            _watcher = watcher;
        }

        var interval = Options.ReconcileInterval is { } every && every > TimeSpan.Zero ? every
            : SourceFolder is null ? DefaultBucketReconcileInterval
            : (TimeSpan?)null;
        Task<PipelineSummary> consuming = Task.FromResult(PipelineSummary.Empty);
        Task<PipelineSummary> passes = Task.FromResult(PipelineSummary.Empty);
        var reporting = Task.CompletedTask;
        try
        {
            if (Options.ReconcileFirst)
            {
                total += await PassAsync(Options.MaxConcurrency, isFirst: true, watcher, progress, stop.Token, outcomes.Add).ConfigureAwait(false);
            }

            Log.Watching(_logger, SourceLocation.ToString(), queue is null ? $"a reconcile every {interval!.Value.TotalSeconds:0} s" : "folder events");
            progress?.Report(new PipelineProgress(PipelineProgressKind.Watching, total));
            var running = new List<Task>();
            if (queue is not null)
            {
                var consumer = new LogpushQueueConsumer(queue, Processor, WatchConsumerOptions(), _loggerFactory.CreateLogger<LogpushQueueConsumer>(), _timeProvider)
                {
                    Processed = (message, result) =>
                    {
                        watcher!.OnProcessed(message, result);
                        outcomes.Add(result);
                    },
                };
                consuming = consumer.RunAsync(stop.Token);
                reporting = ReportRunningAsync(() => consumer.Statistics.Snapshot() + watcher!.Statistics.Snapshot(), progress, stop.Token);
                running.Add(watching);
                running.Add(consuming);
            }

            if (interval is { } period)
            {
                // beside a watcher the passes only catch what it missed: half the slots
                var concurrency = queue is null ? Options.MaxConcurrency : Half(Options.MaxConcurrency);
                passes = PassesAsync(period, concurrency, runFirst: false, watcher, progress, stop.Token, outcomes.Add);
                running.Add(passes);
            }

            // until stopped, or until a part ends by itself (only a failing watcher or consumer does)
            running.Add(Task.Delay(Timeout.Infinite, stop.Token));
            await Task.WhenAny(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping is how a watch ends; in-flight puts were aborted, so nothing partial is left
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(consuming, passes, reporting).ConfigureAwait(false);
                await watching.ConfigureAwait(false);
            }
            finally
            {
                if (watcher is not null)
                {
                    await watcher.FlushAsync().ConfigureAwait(false); // the give-ups reach the state before the watch returns
                }

                SetActivity(PipelineActivity.Idle);
            }
        }

        total = total + await consuming.ConfigureAwait(false) + await passes.ConfigureAwait(false);
        if (watcher is not null)
        {
            // Per object: an object tried many times is one failed object while its last attempt failed, none once it was
            // converted (or found up to date) after; the watcher's own failures (unreadable parts of the folder, failed
            // scans) count like failed objects.
            var own = watcher.Statistics.Snapshot();
            var failures = outcomes.Failures();
            total = total with
            {
                FailedAttempts = total.Failed + own.Failed,
                Failed = failures.Count + own.Failed,
                Failures = [.. failures.Concat(own.Failures).Take(PipelineSummary.MaxFailuresKept)],
                GivenUp = watcher.GivenUpNowCount,
            };
        }

        // the parts ran at once: the watch's wall time, not the sum of theirs
        total = total with { Elapsed = _timeProvider.GetElapsedTime(started) };
        LogStopped(total);
        return total;
    }

    /// <summary>
    /// Consumes object events from <paramref name="events"/> (a Cloudflare queue, or any <see cref="IObjectEventSource"/>)
    /// with the pipeline's processor until <paramref name="cancellationToken"/> fires, then drains gracefully. Beside it, a
    /// first reconcile pass (unless <see cref="LogpushPipelineOptions.ReconcileFirst"/> is off) and periodic ones
    /// (<see cref="LogpushPipelineOptions.ReconcileInterval"/>) catch lost events; they take half the slots and their
    /// failures are reported and counted, not thrown.
    /// </summary>
    /// <param name="events">Where the events come from.</param>
    /// <param name="consumerOptions">How to pull and pace; default: <see cref="LogpushQueueConsumerOptions.Default"/> with the pipeline's concurrency.</param>
    /// <param name="progress">Receives the passes and the running totals.</param>
    /// <param name="cancellationToken">Stops consuming.</param>
    public async Task<PipelineSummary> ConsumeAsync(
        IObjectEventSource events,
        LogpushQueueConsumerOptions? consumerOptions = null,
        IProgress<PipelineProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = _timeProvider.GetTimestamp();
        var consumer = new LogpushQueueConsumer(
            events,
            Processor,
            consumerOptions ?? LogpushQueueConsumerOptions.Default with { MaxConcurrency = Options.MaxConcurrency, IoBudgetBytes = IoBudgetBytes },
            _loggerFactory.CreateLogger<LogpushQueueConsumer>(),
            _timeProvider);
        lock (_healthLock)
        {
            _activity = PipelineActivity.Consuming;
            _consumer = consumer;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var interval = Options.ReconcileInterval is { } every && every > TimeSpan.Zero ? every : (TimeSpan?)null;
        var passes = Options.ReconcileFirst || interval is not null
            ? PassesAsync(interval, Half(consumer.Options.MaxConcurrency), Options.ReconcileFirst, watcher: null, progress, stop.Token)
            : Task.FromResult(PipelineSummary.Empty);
        progress?.Report(new PipelineProgress(PipelineProgressKind.Watching, PipelineSummary.Empty));
        var reporting = ReportRunningAsync(consumer.Statistics.Snapshot, progress, stop.Token);
        PipelineSummary consumed;
        try
        {
            consumed = await consumer.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(passes, reporting).ConfigureAwait(false);
            }
            finally
            {
                SetActivity(PipelineActivity.Idle);
            }
        }

        // the passes ran beside the consumer: the consume's wall time, not the sum of theirs
        var total = (consumed + await passes.ConfigureAwait(false)) with { Elapsed = _timeProvider.GetElapsedTime(started) };
        LogStopped(total);
        return total;
    }

    /// <summary>Disposes the buckets the pipeline opened.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await DisposeBucketAsync(Processor.Target).ConfigureAwait(false);
        await DisposeBucketAsync(Processor.Source).ConfigureAwait(false);
        if (Processor.Options.Quarantine is { } quarantine)
        {
            await DisposeBucketAsync(quarantine).ConfigureAwait(false);
        }

        if (State is not null)
        {
            await State.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Disposes the buckets the pipeline opened.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        DisposeBucket(Processor.Target);
        DisposeBucket(Processor.Source);
        DisposeBucket(Processor.Options.Quarantine);
        State?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private LogpushQueueConsumerOptions WatchConsumerOptions() => new()
    {
        MaxConcurrency = Options.MaxConcurrency,
        IoBudgetBytes = IoBudgetBytes,
        MaxAttempts = Options.MaxAttempts,
        IdleDelay = TimeSpan.Zero, // the in-process queue waits for messages itself
        RetryDelay = WatchRetryDelay,
        MaxRetryDelay = WatchMaxRetryDelay,
        DrainTimeout = Options.DrainTimeout,
    };

    /// <summary>
    /// One reconcile pass. Beside a folder <paramref name="watcher"/>, the pass leaves the objects the watcher owns alone
    /// (being retried, or given up until their files change) and hands each failure to it as a first failed attempt, so
    /// that a bad file is retried and given up the same way whether it was there when the watch started or came later.
    /// </summary>
    private async Task<PipelineSummary> PassAsync(int concurrency, bool isFirst, SourceFolderWatcher? watcher, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken, Action<ObjectProcessingResult>? outcome = null)
    {
        var reconciler = new LogpushReconciler(Processor, _loggerFactory.CreateLogger<LogpushReconciler>(), _timeProvider)
        {
            Skip = watcher is null ? null : watcher.Owns,
            Failed = watcher is null ? null : failed => watcher.OnPassFailed(failed, WatchRetryDelay),
        };
        var options = new ReconcileOptions
        {
            From = Options.From,
            To = Options.To,
            MaxConcurrency = concurrency,
            IoBudgetBytes = IoBudgetBytes,
            SettlePeriod = SourceFolder is not null && Options.WatchDebounce > TimeSpan.Zero ? Options.WatchDebounce : null,
        };
        var passProgress = progress is null && outcome is null ? null : new PassProgress(progress, isFirst, outcome);
        PipelineSummary summary;
        try
        {
            summary = await reconciler.RunAsync(options, passProgress, cancellationToken).ConfigureAwait(false);
        }
        catch (R2BucketException ex) when (MissingSource(ex) is { } named)
        {
            throw named;
        }

        progress?.Report(new PipelineProgress(PipelineProgressKind.Reconciled, summary) { Listed = passProgress?.Listed ?? 0, IsFirstPass = isFirst });
        return summary;
    }

    /// <summary>Reconcile passes every <paramref name="interval"/> (or one pass when it is null) until stopped; a failed pass is reported, counted and survived.</summary>
    private async Task<PipelineSummary> PassesAsync(TimeSpan? interval, int concurrency, bool runFirst, SourceFolderWatcher? watcher, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken, Action<ObjectProcessingResult>? outcome = null)
    {
        await Task.Yield();
        var total = PipelineSummary.Empty;
        try
        {
            if (runFirst)
            {
                total += await GuardedPassAsync(interval, concurrency, isFirst: true, watcher, progress, cancellationToken, outcome).ConfigureAwait(false);
            }

            if (interval is not { } period)
            {
                return total;
            }

            using var timer = new PeriodicTimer(period, _timeProvider);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                total += await GuardedPassAsync(interval, concurrency, isFirst: false, watcher, progress, cancellationToken, outcome).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }

        return total;
    }

    private async Task<PipelineSummary> GuardedPassAsync(TimeSpan? interval, int concurrency, bool isFirst, SourceFolderWatcher? watcher, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken, Action<ObjectProcessingResult>? outcome = null)
    {
        try
        {
            var summary = await PassAsync(concurrency, isFirst, watcher, progress, cancellationToken, outcome).ConfigureAwait(false);
            lock (_healthLock)
            {
                _passesFailingSince = null;
            }

            return summary;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var now = _timeProvider.GetUtcNow();
            lock (_healthLock)
            {
                _failedPasses++;
                _passesFailingSince ??= now;
                _lastPassError = ex.Message;
            }

            Log.ReconcilePassFailed(_logger, SourceLocation.ToString(), interval?.TotalSeconds ?? 0, ex.Message, ex is LogpushKitException ? null : ex);
            var failedPass = PipelineSummary.Empty with { FailedPasses = 1 };
            progress?.Report(new PipelineProgress(PipelineProgressKind.ReconcileFailed, failedPass) { Error = ex, NextPassIn = interval, IsFirstPass = isFirst });
            return failedPass;
        }
    }

    private async Task ReportRunningAsync(Func<PipelineSummary> snapshot, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
    {
        if (progress is null)
        {
            return;
        }

        var last = snapshot();
        using var timer = new PeriodicTimer(Options.ProgressInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = snapshot();
                if (now.Objects != last.Objects)
                {
                    progress.Report(new PipelineProgress(PipelineProgressKind.Running, now));
                    last = now;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private void LogStopped(PipelineSummary total)
        => Log.PipelineStopped(_logger, total.Converted, total.Skipped, total.Failed, total.FailedPasses, total.Rows, total.LeftoversRemoved);

    private void SetActivity(PipelineActivity activity)
    {
        lock (_healthLock)
        {
            _activity = activity;
        }
    }

    /// <summary>
    /// A failure to list a local source folder that no longer exists, named by the source setting (a race with whoever
    /// removed it after <see cref="Open"/> checked it): one line the user can act on. <see langword="null"/> for any other failure.
    /// </summary>
    private R2BucketException? MissingSource(R2BucketException exception)
        => SourceFolder is { } folder && !Directory.Exists(folder) && exception is not R2ListIncompleteException
            ? new R2BucketException(
                $"{Options.SettingNames.Source}: the folder '{folder}' does not exist any more (it did when the pipeline opened); a source folder is never created.",
                exception.Bucket,
                null,
                innerException: exception)
            : null;

    private async Task NameMissingSourceAsync(Task watching)
    {
        try
        {
            await watching.ConfigureAwait(false);
        }
        catch (R2BucketException ex) when (MissingSource(ex) is { } named)
        {
            throw named;
        }
    }

    private static int Half(int concurrency) => Math.Max(1, concurrency / 2);

    /// <summary>
    /// Where quarantined bad lines go when not beside each CSV: <see cref="LogpushPipelineOptions.Quarantine"/>, else, with
    /// a state and a folder target, <c>quarantine/&lt;hash&gt;</c> beside the state database; else <see langword="null"/>.
    /// </summary>
    private static BucketLocation? QuarantineLocationOf(LogpushPipelineOptions options, BucketLocation target, IR2Bucket targetBucket, IConversionStateStore? state)
    {
        if (!string.IsNullOrEmpty(options.Quarantine))
        {
            return Parse(options.Quarantine, options.SettingNames.Quarantine);
        }

        if (state is null || target.IsBucket || options.Transform.OnBadLine != Transform.BadLinePolicy.Quarantine)
        {
            return null;
        }

        var identity = targetBucket.Identity?.Store ?? target.ToString();
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity)))[..12];
        var folder = Path.Combine(Path.GetDirectoryName(state.Location)!, "quarantine", hash);
        return Parse(folder, options.SettingNames.State);
    }

    private static BucketLocation Parse(string value, string setting)
        => BucketLocation.TryParse(value, out var location, out var error) ? location : throw new LogpushSettingException(setting, error);

    private static BucketRequest Request(BucketLocation location, string setting, BucketRole role, LogpushPipelineOptions options) => new()
    {
        Location = location,
        Setting = setting,
        Role = role,
        Endpoint = options.Endpoint,
        EndpointSetting = options.SettingNames.Endpoint,
    };

    /// <summary>
    /// Refuses a template that writes targets over their source objects: when source and target are one bucket or folder
    /// tree, a Logpush-shaped key under the source prefix (at its top and in a dated folder) must not map onto itself
    /// (e.g. <c>{path}.log.gz</c>, <c>{file}</c>). The processor still checks every object; this names the mistake before
    /// anything runs.
    /// </summary>
    private static void RefuseTargetOverSource(BucketLocation source, BucketLocation target, LogpushObjectProcessorOptions options, PipelineSettingNames names)
    {
        var suffix = string.IsNullOrEmpty(options.Suffix) ? ".log.gz" : options.Suffix;
        const string Name = "20240101T000000Z_20240101T000100Z_0123abcd";
        string[] samples = [$"{options.Prefix}{Name}{suffix}", $"{options.Prefix}20240101/{Name}{suffix}"];
        if (samples.Any(sample => WritesOver(source, target, sample, options)))
        {
            throw new LogpushSettingException(
                names.TargetKeyTemplate,
                $"'{options.TargetKeyTemplate}' would write CSV objects over their source objects ({names.Source} and {names.Target} are the same place); use a template that changes the name, e.g. {{path}}.csv.");
        }
    }

    private static bool WritesOver(BucketLocation source, BucketLocation target, string sourceKey, LogpushObjectProcessorOptions options)
    {
        string targetKey;
        try
        {
            targetKey = options.TargetKeyTemplate.Apply(sourceKey, options.TargetPrefix);
        }
        catch (LogpushKitException)
        {
            return false; // the template cannot name this sample; the processor checks the real keys
        }

        return (source.Kind, target.Kind) switch
        {
            (BucketLocationKind.FileSystem, BucketLocationKind.FileSystem) => string.Equals(
                Path.GetFullPath(Path.Combine(source.Path!, sourceKey)),
                Path.GetFullPath(Path.Combine(target.Path!, targetKey)),
                OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase),
            _ => source.Kind == target.Kind && source.Bucket == target.Bucket && sourceKey == targetKey,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static void DisposeBucket(IR2Bucket? bucket)
    {
        switch (bucket)
        {
            case IDisposable disposable:
                disposable.Dispose();
                break;
            case IAsyncDisposable asyncDisposable:
                asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
                break;
        }
    }

    private static async ValueTask DisposeBucketAsync(IR2Bucket bucket)
    {
        switch (bucket)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>Watching a folder: the last outcome of every object that failed, so that the summary counts objects, not attempts.</summary>
    private sealed class WatchOutcomes
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, (long Order, ObjectProcessingResult Failure)> _failing = new(StringComparer.Ordinal);
        private long _order;

        /// <summary>A failure is the object's latest; any other outcome (converted, up to date, gone) ends its failing.</summary>
        public void Add(ObjectProcessingResult result)
        {
            lock (_lock)
            {
                if (result.IsFailure)
                {
                    _failing[result.SourceKey] = (_failing.TryGetValue(result.SourceKey, out var first) ? first.Order : _order++, result);
                }
                else
                {
                    _failing.Remove(result.SourceKey);
                }
            }
        }

        /// <summary>The last failure of every object still failing, in the order they first failed.</summary>
        public List<ObjectProcessingResult> Failures()
        {
            lock (_lock)
            {
                return [.. _failing.Values.OrderBy(static f => f.Order).Select(static f => f.Failure)];
            }
        }
    }

    /// <summary>Turns a pass's <see cref="ReconcileProgress"/> into <see cref="PipelineProgress"/>.</summary>
    /// <remarks>Beside a folder watcher it also hands every object's outcome to <paramref name="outcome"/> (the watch's per-object counts).</remarks>
    private sealed class PassProgress(IProgress<PipelineProgress>? inner, bool isFirst, Action<ObjectProcessingResult>? outcome) : IProgress<ReconcileProgress>
    {
        private long _listed;

        public long Listed => Interlocked.Read(ref _listed);

        public void Report(ReconcileProgress value)
        {
            InterlockedMax(ref _listed, value.Listed);
            if (value.Last is { } last)
            {
                outcome?.Invoke(last);
            }

            inner?.Report(new PipelineProgress(PipelineProgressKind.Reconciling, value.Summary) { Listed = value.Listed, IsFirstPass = isFirst });
        }

        private static void InterlockedMax(ref long target, long value)
        {
            var current = Interlocked.Read(ref target);
            while (value > current)
            {
                var seen = Interlocked.CompareExchange(ref target, value, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }
}
