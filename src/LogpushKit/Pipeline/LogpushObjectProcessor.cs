using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using LogpushKit.Datasets;
using LogpushKit.Events;
using LogpushKit.State;
using LogpushKit.Storage;
using LogpushKit.Transform;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Pipeline;

/// <summary>
/// Converts one Logpush object from the source bucket into a CSV object in the target bucket:
/// event (or key) → filter → target key → refuse a target that would destroy data → skip when the target already records
/// this source ETag → stream the source through <see cref="LogpushCsvTransformer"/> straight into the target's put → result.
/// </summary>
/// <remarks>
/// <para><b>Streaming.</b> The transformer writes into a <see cref="BucketPutStream"/>: the put reads while the transformer
/// writes, so memory stays bounded whatever the object size, and no temporary file is used.</para>
/// <para><b>Atomic.</b> The put is committed only when the transformer succeeded; on any failure the put is aborted and no
/// target (and no quarantine object) is left. A redelivered event then converts again. Bucket exceptions pass through
/// unwrapped (<see cref="ObjectProcessingResult.Exception"/> is the bucket's <see cref="R2BucketException"/>).</para>
/// <para><b>Never over the source.</b> A target key that names the source object itself, or any object the source filter
/// would take (same store: the same folder reached by any path, the same S3 endpoint and bucket; see
/// <see cref="IR2Bucket.Identity"/>), is refused with <see cref="TargetConflictException"/> before anything is read or written.</para>
/// <para><b>Provenance and collisions.</b> The target carries <see cref="ProvenanceMetadata"/>: the source bucket, key and ETag.
/// A target whose recorded source ETag is the source's ETag is not written again
/// (<see cref="ObjectProcessingStatus.SkippedDuplicate"/>); a source with a new ETag is converted again. A target that records
/// <em>another</em> source object (two source keys map to one target key: case variants such as <c>x.log.gz</c> and
/// <c>x.LOG.GZ</c>, or a template that drops the part that tells them apart) is never overwritten: the second source fails
/// with <see cref="TargetConflictException"/> naming both keys, on every run, whichever process comes second. Row and byte
/// counts are known only at the end of the stream, after the put has sent its metadata, so they are reported in the result,
/// the logs and the metrics, not stored on the object.</para>
/// <para><b>Concurrency.</b> Thread-safe: one processor serves any number of concurrent calls; calls for the same target key
/// run one after the other. Across processes (two runs, a run and a consumer), each object is converted once: the target is
/// claimed with <see cref="IR2Bucket.LockAsync"/> where the bucket has a lock (a folder), and the provenance is read again
/// once it is held; the put is conditional (<see cref="IR2Bucket.PutIfAsync"/>: "does not exist" for a new target, "still
/// has the ETag I read" for a stale one), which on S3/R2 is the claim itself. The process that loses the race writes nothing
/// and reports <see cref="ObjectProcessingStatus.SkippedDuplicate"/> with the reason "converted by another process". A target
/// bucket without conditional puts gets unconditional ones, with a warning logged once.</para>
/// <para><b>Leftovers.</b> <see cref="CleanUpTargetAsync"/> removes what killed processes left under the target (temporary
/// files, multipart uploads) for keys this processor writes; <see cref="LogpushReconciler"/> calls it at the start of every pass.</para>
/// <para>Keys are printed escaped (<see cref="ObjectKeyText.Escape"/>) in every message, reason and log line.</para>
/// </remarks>
public sealed class LogpushObjectProcessor
{
    private const string ConvertedByAnotherProcess = "converted by another process";

    private static readonly string ConverterVersion = "LogpushKit/" + (typeof(LogpushObjectProcessor).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private static readonly string[] ControlObjectNames = ["ownership-challenge.txt", "test.txt.gz", "test.txt"];

    private readonly ObjectPlan _defaultPlan;
    private readonly LogpushDatasetResolver? _resolver;
    private readonly bool _peeks;
    private readonly ConcurrentDictionary<string, ObjectPlan> _plans = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly LogpushKitMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly string _contentType;
    private readonly KeyedLock _targetLocks = new();
    private readonly Lazy<StoreOverlap> _overlap;
    private readonly string? _targetSuffix;
    private readonly Lazy<StoreNames> _stores;
    private Task? _earlierTargetsForgotten;
    private bool _earlierTargetsForgetting;
    private object? _earlierTargetsGate;
    private int _warnedUnconditional;

    /// <summary>Creates a processor from <paramref name="source"/> to <paramref name="target"/>.</summary>
    /// <param name="source">The bucket Logpush writes to. Not disposed by the processor (see <see cref="IR2Bucket"/>).</param>
    /// <param name="target">The bucket (or folder) the CSV objects go to. It may be the source bucket. Not disposed by the processor.</param>
    /// <param name="options">Filter, naming and transform options; <see cref="LogpushObjectProcessorOptions.Default"/> when <see langword="null"/>.</param>
    /// <param name="logger">One line per object.</param>
    /// <param name="metrics">Where outcomes are counted; <see cref="LogpushKitMetrics.Shared"/> when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for durations and lag; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public LogpushObjectProcessor(
        IR2Bucket source,
        IR2Bucket target,
        LogpushObjectProcessorOptions? options = null,
        ILogger<LogpushObjectProcessor>? logger = null,
        LogpushKitMetrics? metrics = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        Source = source;
        Target = target;
        Options = options ?? LogpushObjectProcessorOptions.Default;
        ArgumentNullException.ThrowIfNull(Options.TargetKeyTemplate, nameof(options));
        ArgumentNullException.ThrowIfNull(Options.Transform, nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(Options.QuarantineSuffix, nameof(options));
        if (Options.LeftoverAge is { } age)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(age, TimeSpan.Zero, nameof(options));
        }

        ArgumentNullException.ThrowIfNull(Options.Datasets, nameof(options));
        var transform = Options.Transform;
        var forced = transform.Dataset is { } named && !IsAuto(named);
        RefuseDatasetSettingsThatCannotApply(transform, forced);
        if (forced && Options.Datasets.Count > 0)
        {
            // --dataset NAME with settings for NAME: every object is NAME, with its settings
            var resolution = new DatasetResolution((transform.DatasetCatalog ?? LogpushDatasetCatalog.Default).FindAll(transform.Dataset!).FirstOrDefault(), DatasetSource.Forced);
            _defaultPlan = MakePlan(transform, resolution, SettingsOf(transform.Dataset), detects: false);
        }
        else
        {
            _defaultPlan = new ObjectPlan(
                new LogpushCsvTransformer(transform),
                OptionsFingerprint.Compute(transform, Options.TargetKeyTemplate, ConverterVersion),
                forced ? new DatasetResolution((transform.DatasetCatalog ?? LogpushDatasetCatalog.Default).FindAll(transform.Dataset!).FirstOrDefault(), DatasetSource.Forced) : null,
                transform.Dataset is not null && !forced,
                Options.TargetKeyTemplate);
        }

        _resolver = _defaultPlan.Detects ? new LogpushDatasetResolver(transform.DatasetCatalog, Options.Jobs) : null;
        _peeks = _defaultPlan.Detects && (Options.Datasets.Count > 0 || Options.TargetKeyTemplate.UsesDataset);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _metrics = metrics ?? LogpushKitMetrics.Shared;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _contentType = ContentTypeFor(Options.Transform);
        _overlap = new Lazy<StoreOverlap>(() => StoreOverlap.Of(Source, Target), LazyThreadSafetyMode.ExecutionAndPublication);
        _targetSuffix = Options.TargetKeyTemplate.LiteralSuffix;
        _stores = new Lazy<StoreNames>(
            () =>
            {
                // a folder target's records belong to the folder as it is now: made here first, so that its identity is known
                (Target as FileSystemBucket)?.CreateFolder();
                return new StoreNames(StoreOf(Source), StoreOf(Target));
            },
            LazyThreadSafetyMode.PublicationOnly);
    }

    /// <summary>The content type of quarantine objects (one bad line of ndjson or csv with its reason per line): <c>text/plain; charset=utf-8</c>.</summary>
    public const string QuarantineContentType = "text/plain; charset=utf-8";

    /// <summary>The bucket objects are read from.</summary>
    public IR2Bucket Source { get; }

    /// <summary>The bucket CSV objects are written to.</summary>
    public IR2Bucket Target { get; }

    /// <summary>The options in effect.</summary>
    public LogpushObjectProcessorOptions Options { get; }

    /// <summary>
    /// Limits the conversions that run at once, apart from the objects in flight; <see langword="null"/> (the default):
    /// no limit of its own. Between local folders <see cref="LogpushPipeline"/> gives one slot per object it converts at once
    /// (<see cref="LogpushPipelineOptions.MaxConcurrency"/>) and lets more objects be in flight: while one object's CSV is
    /// flushed to disk, the next one converts. Only where conversion is all CPU: with a bucket on either side a
    /// conversion also waits on the network, and must not hold a slot while it does.
    /// </summary>
    internal SemaphoreSlim? ConversionSlots { get; init; }

    /// <summary>
    /// The content type a converted object is stored with, decided by its delimiter: <c>text/tab-separated-values;
    /// charset=utf-8</c> for a tab, <c>text/csv; charset=utf-8</c> otherwise. The one rule every writer of converted
    /// objects (the processor, the CLI's <c>convert</c> into a bucket) follows.
    /// </summary>
    /// <param name="transform">The transform options the object is written with.</param>
    /// <returns>The content type.</returns>
    public static string ContentTypeFor(TransformOptions transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return transform.Delimiter == '\t' ? "text/tab-separated-values; charset=utf-8" : "text/csv; charset=utf-8";
    }

    /// <summary>
    /// Why <paramref name="key"/> is not converted, or <see langword="null"/> when it is: a folder marker, a key outside the
    /// prefix or suffix, one of Logpush's own non-log objects (<c>ownership-challenge.txt</c>, <c>test.txt.gz</c>), or one of
    /// this pipeline's own outputs (<c>.csv</c>, quarantine objects) when source and target share a bucket.
    /// </summary>
    public string? GetFilterReason(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || key.EndsWith('/'))
        {
            return "not an object (empty key or folder marker)";
        }

        if (!string.IsNullOrEmpty(Options.Prefix) && !key.StartsWith(Options.Prefix, StringComparison.Ordinal))
        {
            return $"key does not start with prefix '{Options.Prefix}'";
        }

        var fileName = key[(key.LastIndexOf('/') + 1)..];
        if (ControlObjectNames.Contains(fileName, StringComparer.OrdinalIgnoreCase))
        {
            return $"'{fileName}' is a Logpush control object, not a log batch";
        }

        if (fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            || fileName.EndsWith(Options.QuarantineSuffix, StringComparison.OrdinalIgnoreCase))
        {
            return "key is an output of this pipeline";
        }

        if (!string.IsNullOrEmpty(Options.Suffix) && !key.EndsWith(Options.Suffix, StringComparison.OrdinalIgnoreCase))
        {
            return $"key does not end with suffix '{Options.Suffix}'";
        }

        return null;
    }

    /// <summary>
    /// The target key of <paramref name="sourceKey"/> (see <see cref="TargetKeyTemplate"/>) as far as the key itself tells
    /// it: the template of the dataset its key path or Logpush job (or <c>--dataset NAME</c>) names, else the run's, with
    /// <c>{dataset}</c> as that dataset or <see cref="TargetKeyTemplate.UnknownDataset"/>. An object whose dataset only its
    /// first record tells may get another key when converted (<see cref="GetTargetKeyAsync"/> reads it).
    /// </summary>
    /// <exception cref="LogpushKitException">The template cannot name this key.</exception>
    public string GetTargetKey(string sourceKey)
    {
        ArgumentNullException.ThrowIfNull(sourceKey);
        return TargetKeyOf(sourceKey, PlanByKey(sourceKey));
    }

    /// <summary>
    /// The target key of <paramref name="sourceKey"/> as the conversion chooses it: like <see cref="GetTargetKey"/>, and,
    /// when the run has per-dataset settings or a <c>{dataset}</c> token and the key tells no dataset, after reading the
    /// object's first record (one ranged read of its first 256 KiB).
    /// </summary>
    /// <exception cref="LogpushKitException">The template cannot name this key.</exception>
    public async Task<string> GetTargetKeyAsync(string sourceKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceKey);
        var plan = await PlanForAsync(sourceKey, cancellationToken).ConfigureAwait(false);
        return TargetKeyOf(sourceKey, plan);
    }

    private string TargetKeyOf(string key, ObjectPlan plan)
        => plan.Template.Apply(key, Options.TargetPrefix, plan.Resolution?.Dataset?.Name);

    /// <summary>The key of the quarantine side object of <paramref name="targetKey"/>.</summary>
    /// <remarks>In <see cref="LogpushObjectProcessorOptions.Quarantine"/> when given: the target key with
    /// <see cref="LogpushObjectProcessorOptions.QuarantinePrefix"/> in place of <see cref="LogpushObjectProcessorOptions.TargetPrefix"/>.</remarks>
    public string GetQuarantineKey(string targetKey)
    {
        ArgumentNullException.ThrowIfNull(targetKey);
        if (Options.Quarantine is null)
        {
            return targetKey + Options.QuarantineSuffix;
        }

        var relative = Options.TargetPrefix is { Length: > 0 } prefix && targetKey.StartsWith(prefix, StringComparison.Ordinal) ? targetKey[prefix.Length..] : targetKey;
        return Options.QuarantinePrefix + relative + Options.QuarantineSuffix;
    }

    /// <summary>
    /// Whether <paramref name="key"/> of the target bucket has the form of this processor's outputs: under
    /// <see cref="LogpushObjectProcessorOptions.TargetPrefix"/> and ending like the template's targets (e.g. <c>.csv</c>) or
    /// their quarantine objects; with a template that has no fixed ending, any key under the prefix that the source filter
    /// does not take. Used to pick the leftovers <see cref="CleanUpTargetAsync"/> may remove.
    /// </summary>
    public bool IsTargetKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!string.IsNullOrEmpty(Options.TargetPrefix) && !key.StartsWith(Options.TargetPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (_targetSuffix is { Length: > 0 } suffix)
        {
            return key.EndsWith(suffix, StringComparison.Ordinal) || key.EndsWith(suffix + Options.QuarantineSuffix, StringComparison.Ordinal);
        }

        return _overlap.Value.SourceKeyOf(key) is not { } asSource || GetFilterReason(asSource) is not null;
    }

    /// <summary>
    /// Removes what interrupted puts of this processor's targets left in the target bucket (see
    /// <see cref="IR2Bucket.CleanUpAsync"/>): leftovers of keys <see cref="IsTargetKey"/> accepts, older than
    /// <see cref="LogpushObjectProcessorOptions.LeftoverAge"/>. Logs each removal and each problem; never throws for them.
    /// Does nothing when <see cref="LogpushObjectProcessorOptions.LeftoverAge"/> is <see langword="null"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<R2CleanupResult> CleanUpTargetAsync(CancellationToken cancellationToken = default)
    {
        if (Options.LeftoverAge is not { } age)
        {
            return R2CleanupResult.Nothing;
        }

        R2CleanupResult result;
        try
        {
            result = await Target.CleanUpAsync(
                new R2CleanupOptions { Prefix = Options.TargetPrefix, OlderThan = age, KeyFilter = IsTargetKey },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.CleanupProblem(_logger, Target.Name, string.Empty, Describe(ex));
            return new R2CleanupResult([], [new R2BucketProblem(Options.TargetPrefix ?? string.Empty, Describe(ex))]);
        }

        foreach (var leftover in result.Removed)
        {
            Log.LeftoverRemoved(_logger, Target.Name, LeftoverKindText(leftover.Kind), ObjectKeyText.Escape(leftover.Key), ObjectKeyText.Escape(leftover.Id), leftover.Size ?? 0, leftover.LastModified);
        }

        foreach (var problem in result.Problems)
        {
            Log.CleanupProblem(_logger, Target.Name, ObjectKeyText.Escape(problem.Key), problem.Reason);
        }

        return result;
    }

    /// <summary>Processes the object an R2 event notification is about. Only object-create actions are converted.</summary>
    /// <remarks>Never throws for a failed object (the result says <see cref="ObjectProcessingStatus.Failed"/>); throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires, leaving no target.</remarks>
    public Task<ObjectProcessingResult> ProcessAsync(R2EventNotification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var key = notification.Object.Key;
        if (!notification.IsObjectCreate)
        {
            return Task.FromResult(Filtered(key, $"action {(notification.ActionName.Length > 0 ? notification.ActionName : notification.Action.ToString())} is not an object-create"));
        }

        if (Options.RequireMatchingBucket && !string.Equals(notification.Bucket, Source.Name, StringComparison.Ordinal))
        {
            return Task.FromResult(Filtered(key, $"event is for bucket '{notification.Bucket}', the source bucket is '{Source.Name}'"));
        }

        var eventTime = notification.EventTime == default ? (DateTimeOffset?)null : notification.EventTime;
        return ProcessCoreAsync(key, notification.Object.ETag, notification.Object.Size, eventTime, cancellationToken);
    }

    /// <summary>Processes the source object <paramref name="key"/>; with <paramref name="sourceETag"/> (e.g. from a listing)
    /// an up-to-date target is recognised without reading the source.</summary>
    /// <remarks>Never throws for a failed object; throws <see cref="OperationCanceledException"/> on cancellation.</remarks>
    public Task<ObjectProcessingResult> ProcessAsync(string key, string? sourceETag = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ProcessCoreAsync(key, sourceETag, null, null, cancellationToken);
    }

    private ObjectProcessingResult Filtered(string key, string reason)
    {
        using var activity = LogpushKitMetrics.StartObjectActivity(Source.Name, key);
        var result = new ObjectProcessingResult(ObjectProcessingStatus.SkippedFiltered, key) { Reason = reason };
        Log.SkippedFiltered(_logger, ObjectKeyText.Escape(key), reason);
        _metrics.Record(result);
        LogpushKitMetrics.CompleteObjectActivity(activity, result, Target.Name);
        return result;
    }

    private async Task<ObjectProcessingResult> ProcessCoreAsync(string key, string? expectedETag, long? size, DateTimeOffset? eventTime, CancellationToken cancellationToken)
    {
        var filterReason = GetFilterReason(key);
        if (filterReason is not null)
        {
            return Filtered(key, filterReason);
        }

        using var activity = LogpushKitMetrics.StartObjectActivity(Source.Name, key);
        var started = _timeProvider.GetTimestamp();
        ObjectProcessingResult result;
        string? targetKey = null;
        try
        {
            var plan = await PlanForAsync(key, cancellationToken).ConfigureAwait(false);
            targetKey = TargetKeyOf(key, plan);

            // one object at a time per target in this process: a duplicate event waits, then finds the target up to date
            using (await _targetLocks.AcquireAsync(targetKey, cancellationToken).ConfigureAwait(false))
            {
                result = await ConvertAsync(key, targetKey, plan, NormalizeETag(expectedETag), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            activity?.SetTag("logpushkit.status", "cancelled");
            throw;
        }
        catch (Exception ex)
        {
            result = new ObjectProcessingResult(ObjectProcessingStatus.Failed, key)
            {
                TargetKey = targetKey,
                SourceETag = NormalizeETag(expectedETag),
                SourceSize = size,
                Reason = Describe(ex),
                Exception = ex,
            };
        }

        result = result with { Elapsed = _timeProvider.GetElapsedTime(started), SourceSize = result.SourceSize ?? size };
        TimeSpan? lag = eventTime is { } t && result.Status == ObjectProcessingStatus.Converted ? _timeProvider.GetUtcNow() - t : null;
        _metrics.Record(result, lag);
        LogpushKitMetrics.CompleteObjectActivity(activity, result, Target.Name);
        LogResult(result);
        return result;
    }

    private async Task<ObjectProcessingResult> ConvertAsync(string key, string targetKey, ObjectPlan plan, string? expectedETag, CancellationToken cancellationToken)
    {
        RefuseTargetInSource(key, targetKey);
        if (Options.State is { } state)
        {
            return await ConvertWithStateAsync(state, key, targetKey, expectedETag, plan, cancellationToken).ConfigureAwait(false);
        }

        var existing = await Target.HeadAsync(targetKey, cancellationToken).ConfigureAwait(false);
        var recorded = OwnedBy(existing, key, targetKey);
        if (UpToDate(recorded, expectedETag, plan))
        {
            return Skipped(key, targetKey, expectedETag, reason: null);
        }

        // Across processes: hold the target's lock (a folder bucket has one), then look again: the holder before us may
        // have converted this very object.
        var claim = await Target.LockAsync(targetKey, cancellationToken).ConfigureAwait(false);
        try
        {
            var changedWhileWaiting = false;
            if (claim is not null)
            {
                var again = await Target.HeadAsync(targetKey, cancellationToken).ConfigureAwait(false);
                if (!SameVersion(existing, again))
                {
                    changedWhileWaiting = true;
                    existing = again;
                    recorded = OwnedBy(existing, key, targetKey);
                    if (UpToDate(recorded, expectedETag, plan))
                    {
                        return Skipped(key, targetKey, expectedETag, ConvertedByAnotherProcess);
                    }
                }
            }

            var body = await Source.GetAsync(key, null, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return NotFound(key, targetKey, expectedETag);
            }

            await using (body.ConfigureAwait(false))
            {
                var sourceETag = NormalizeETag(body.Info.ETag);
                if (UpToDate(recorded, sourceETag, plan))
                {
                    return Skipped(key, targetKey, sourceETag, changedWhileWaiting ? ConvertedByAnotherProcess : null) with { SourceSize = body.Info.Size };
                }

                var condition = existing is null ? R2Conditional.DoesNotExist : R2Conditional.ETagIs(existing.ETag);
                var (converted, _) = await TransformIntoTargetAsync(key, targetKey, body, sourceETag, existing is not null, condition, plan, cancellationToken).ConfigureAwait(false);
                if (converted is not null)
                {
                    var reason = existing is null || recorded is null ? ConversionReason.New
                        : !string.Equals(sourceETag, recorded.ETag, StringComparison.Ordinal) ? ConversionReason.SourceChanged
                        : !string.Equals(plan.Fingerprint, recorded.Fingerprint, StringComparison.Ordinal) ? ConversionReason.OptionsChanged
                        : ConversionReason.Forced;
                    return converted with { ConversionReason = reason };
                }

                // The conditional put lost: someone wrote the target after we looked. Say who.
                var winner = await Target.HeadAsync(targetKey, cancellationToken).ConfigureAwait(false);
                if (OwnedBy(winner, key, targetKey) is not null)
                {
                    return Skipped(key, targetKey, sourceETag, ConvertedByAnotherProcess) with { SourceSize = body.Info.Size };
                }

                throw new LogpushKitException(
                    $"Target '{ObjectKeyText.Escape(targetKey)}' in bucket '{Target.Name}' changed while '{ObjectKeyText.Escape(key)}' was converted "
                    + "(written or deleted by something other than LogpushKit); nothing was written, the next attempt converts again.");
            }
        }
        finally
        {
            if (claim is not null)
            {
                await claim.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// <see cref="ConvertAsync"/> with a state store: up to date from the state alone (the source's listing ETag, or a
    /// folder source's size, last-write time and identity), without reading the source or touching the target; claimed
    /// with the state's lock; recorded after the commit; each failure recorded.
    /// </summary>
    private async Task<ObjectProcessingResult> ConvertWithStateAsync(IConversionStateStore state, string key, string targetKey, string? expectedETag, ObjectPlan plan, CancellationToken cancellationToken)
    {
        await ForgetEarlierTargetFoldersAsync().ConfigureAwait(false);
        var stores = _stores.Value;
        var folderSource = Source as FileSystemBucket;
        try
        {
            // a folder source: its size, time and identity from one statx, the file is not opened
            var listed = folderSource is null ? null : FileKinds.StatOf(folderSource.GetPath(key));
            var prior = await state.FindBySourceAsync(stores.Source, key, stores.Target, cancellationToken).ConfigureAwait(false);
            if (UpToDate(prior, targetKey, expectedETag, listed, plan))
            {
                return Skipped(key, targetKey, expectedETag ?? prior!.SourceETag, reason: null) with { SourceSize = prior!.SourceSize };
            }

            var claim = await state.LockAsync(stores.Target, targetKey, cancellationToken).ConfigureAwait(false);
            await using (claim.ConfigureAwait(false))
            {
                // the holder before us may have converted this very object; and who holds the target key (one read)
                var (again, holder) = await state.FindBySourceAndTargetAsync(stores.Source, key, stores.Target, targetKey, cancellationToken).ConfigureAwait(false);
                var changedWhileWaiting = again != prior;
                prior = again;
                if (UpToDate(prior, targetKey, expectedETag, listed, plan))
                {
                    return Skipped(key, targetKey, expectedETag ?? prior!.SourceETag, changedWhileWaiting ? ConvertedByAnotherProcess : null) with { SourceSize = prior!.SourceSize };
                }

                RefuseRecordedCollision(state, key, targetKey, holder);

                // A bucket target keeps provenance on its objects: a target another source wrote is still never overwritten,
                // and the put is conditional. A folder target with a state store is not looked at (the CSV may be gone, consumed).
                R2ObjectInfo? existing = null;
                ProvenanceMetadata.Recorded? recorded = null;
                if (Target is not FileSystemBucket)
                {
                    existing = await Target.HeadAsync(targetKey, cancellationToken).ConfigureAwait(false);
                    recorded = OwnedBy(existing, key, targetKey);
                }

                // a folder source's version is the XXH128 of its bytes, not an MD5 (see GetWithContentHashAsync)
                var body = folderSource is not null
                    ? await folderSource.GetWithContentHashAsync(key, cancellationToken).ConfigureAwait(false)
                    : await Source.GetAsync(key, null, cancellationToken).ConfigureAwait(false);
                if (body is null)
                {
                    return NotFound(key, targetKey, expectedETag);
                }

                await using (body.ConfigureAwait(false))
                {
                    var sourceETag = NormalizeETag(body.Info.ETag);
                    var read = folderSource is null ? null : FileSystemBucket.StatOf(body);
                    if (UpToDate(prior, targetKey, sourceETag, null, plan))
                    {
                        // the same bytes under a new time or identity (touched, copied back): remember the file as it is now
                        if (read is { } now && prior is not null)
                        {
                            await state.SaveAsync(prior with { SourceFileId = now.Id, SourceSize = now.Size, SourceLastModified = now.LastModified }, cancellationToken).ConfigureAwait(false);
                        }

                        return Skipped(key, targetKey, sourceETag, changedWhileWaiting ? ConvertedByAnotherProcess : null) with { SourceSize = body.Info.Size };
                    }

                    var condition = Target is FileSystemBucket ? null : existing is null ? R2Conditional.DoesNotExist : R2Conditional.ETagIs(existing.ETag);
                    var (converted, sha256) = await TransformIntoTargetAsync(key, targetKey, body, sourceETag, prior is not null || existing is not null, condition, plan, cancellationToken).ConfigureAwait(false);
                    if (converted is null)
                    {
                        var winner = await Target.HeadAsync(targetKey, cancellationToken).ConfigureAwait(false);
                        if (OwnedBy(winner, key, targetKey) is not null)
                        {
                            return Skipped(key, targetKey, sourceETag, ConvertedByAnotherProcess) with { SourceSize = body.Info.Size };
                        }

                        throw new LogpushKitException(
                            $"Target '{ObjectKeyText.Escape(targetKey)}' in bucket '{Target.Name}' changed while '{ObjectKeyText.Escape(key)}' was converted "
                            + "(written or deleted by something other than LogpushKit); nothing was written, the next attempt converts again.");
                    }

                    var transformed = converted.Transform!;
                    await state.SaveAsync(
                        new ConversionRecord(stores.Source, key, stores.Target, targetKey)
                        {
                            SourceETag = sourceETag,
                            SourceSize = read?.Size ?? body.Info.Size,
                            SourceLastModified = read?.LastModified ?? body.Info.LastModified,
                            SourceFileId = read?.Id,
                            OptionsFingerprint = plan.Fingerprint,
                            Dataset = converted.Dataset,
                            Rows = transformed.Rows,
                            Bytes = transformed.BytesOut,
                            Sha256 = sha256,
                            BadLines = transformed.BadLines,
                            QuarantineKey = converted.QuarantineKey,
                            ConvertedAt = _timeProvider.GetUtcNow(),
                        },
                        cancellationToken).ConfigureAwait(false);

                    var reason = prior is null ? (recorded is null ? ConversionReason.New : ReasonFrom(recorded, sourceETag, plan))
                        : !string.Equals(prior.TargetKey, targetKey, StringComparison.Ordinal) || !string.Equals(prior.OptionsFingerprint, plan.Fingerprint, StringComparison.Ordinal)
                            ? (string.Equals(prior.SourceETag, sourceETag, StringComparison.Ordinal) ? ConversionReason.OptionsChanged : ConversionReason.SourceChanged)
                        : !string.Equals(prior.SourceETag, sourceETag, StringComparison.Ordinal) ? ConversionReason.SourceChanged
                        : ConversionReason.Forced;
                    return converted with { ConversionReason = reason };
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await state.RecordFailureAsync(stores.Source, key, stores.Target, expectedETag, Describe(ex), _timeProvider.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception recordFailure)
            {
                Log.StateFailureNotRecorded(_logger, ObjectKeyText.Escape(key), state.Location, recordFailure.Message);
            }

            throw;
        }
    }

    /// <summary>The source and target store names the state records this processor's conversions under.</summary>
    internal (string Source, string Target) StateStores => (_stores.Value.Source, _stores.Value.Target);

    /// <summary>
    /// Once per processor with a state and a target folder: forgets the records of the folder's earlier versions (the
    /// same path, another folder identity: see <see cref="StoreOf"/>), which nothing can use again. A failure is logged
    /// and the run goes on: those records only take room.
    /// </summary>
    internal Task ForgetEarlierTargetFoldersAsync() =>
        LazyInitializer.EnsureInitialized(ref _earlierTargetsForgotten, ref _earlierTargetsForgetting, ref _earlierTargetsGate, ForgetEarlierTargetFoldersCoreAsync)!;

    private async Task ForgetEarlierTargetFoldersCoreAsync()
    {
        if (Options.State is not { } state || Target is not FileSystemBucket folder)
        {
            return;
        }

        string current;
        try
        {
            current = _stores.Value.Target;
        }
        catch (Exception ex) when (ex is R2BucketException or IOException or UnauthorizedAccessException)
        {
            return; // the target folder cannot be made: every object reports that as its failure (this task must not)
        }

        var family = folder.Identity.Store + "#";
        if (!current.StartsWith(family, StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            var forgotten = await state.ForgetEarlierTargetsAsync(family, current, CancellationToken.None).ConfigureAwait(false);
            if (forgotten > 0)
            {
                Log.EarlierTargetRecordsForgotten(_logger, forgotten, folder.RootPath, state.Location);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.EarlierTargetRecordsNotForgotten(_logger, folder.RootPath, state.Location, ex.Message);
        }
    }

    /// <summary>
    /// The up-to-date path of <see cref="ConvertWithStateAsync"/> for a reconcile pass over a folder source: the file's
    /// size, last-write time and identity as listed (<paramref name="listed"/>) against the record the pass read for it
    /// (<paramref name="prior"/>, <see langword="null"/> when none). When they match, the object is done as a skip,
    /// counted and logged as every object is, without a task, a lock, another stat or another query. Otherwise
    /// <see langword="false"/>: the object goes through <see cref="ProcessAsync(string, string?, CancellationToken)"/>
    /// (also when its plan needs its first record read, or its target key cannot be made).
    /// </summary>
    internal bool TryUpToDate(string key, FileStat listed, ConversionRecord? prior, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ObjectProcessingResult? result)
    {
        result = null;
        if (prior is null || Options.Force || Options.State is null || GetFilterReason(key) is not null)
        {
            return false;
        }

        var started = _timeProvider.GetTimestamp();
        var plan = PlanByKey(key);
        if (_peeks && plan == _defaultPlan)
        {
            return false; // its plan is told by its first record
        }

        string targetKey;
        try
        {
            targetKey = TargetKeyOf(key, plan);
            if (!UpToDate(prior, targetKey, null, listed, plan))
            {
                return false;
            }

            RefuseTargetInSource(key, targetKey);
        }
        catch (LogpushKitException)
        {
            return false; // the full path reports it
        }

        using var activity = LogpushKitMetrics.StartObjectActivity(Source.Name, key);
        result = Skipped(key, targetKey, prior.SourceETag, reason: null) with { SourceSize = prior.SourceSize, Elapsed = _timeProvider.GetElapsedTime(started) };
        _metrics.Record(result);
        LogpushKitMetrics.CompleteObjectActivity(activity, result, Target.Name);
        LogResult(result);
        return true;
    }

    /// <summary>Why a target with provenance but no state record is converted again.</summary>
    private static ConversionReason ReasonFrom(ProvenanceMetadata.Recorded recorded, string? sourceETag, ObjectPlan plan) =>
        !string.Equals(sourceETag, recorded.ETag, StringComparison.Ordinal) ? ConversionReason.SourceChanged
        : !string.Equals(plan.Fingerprint, recorded.Fingerprint, StringComparison.Ordinal) ? ConversionReason.OptionsChanged
        : ConversionReason.Forced;

    /// <summary>
    /// The state records a conversion of this source version (its ETag, or a folder file's size, last-write time and
    /// identity) into <paramref name="targetKey"/> with these options, and reconverting is not forced.
    /// </summary>
    private bool UpToDate(ConversionRecord? prior, string targetKey, string? sourceETag, FileStat? file, ObjectPlan plan) =>
        !Options.Force && prior is not null
        && string.Equals(prior.TargetKey, targetKey, StringComparison.Ordinal)
        && string.Equals(prior.OptionsFingerprint, plan.Fingerprint, StringComparison.Ordinal)
        && ((file is { } f && IsSameFile(prior, f))
            || (sourceETag is not null && string.Equals(sourceETag, prior.SourceETag, StringComparison.Ordinal)));

    /// <summary>
    /// The source objects under <paramref name="prefix"/> as a state tells them apart: with a state, a folder source's files
    /// with their size, last-write time and identity (nothing opened or hashed; no ETag); otherwise the listing's objects
    /// with their ETags. The one listing rule for the reconciler and feed health.
    /// </summary>
    internal IAsyncEnumerable<ListedSource> ListSourceAsync(string? prefix, bool withState, CancellationToken cancellationToken) =>
        withState && Source is FileSystemBucket folder
            ? folder.ListFilesAsync(prefix, cancellationToken).Select(static f => new ListedSource(new R2ObjectInfo(f.Key, f.Stat.Size, string.Empty, f.Stat.LastModified), f.Stat))
            : Source.ListAsync(new R2ListOptions { Prefix = prefix }, cancellationToken).Where(static i => i.Object is not null).Select(static i => new ListedSource(i.Object!, null));

    /// <summary>The folder file <paramref name="file"/> is the one <paramref name="record"/> was converted from: the same size, last-write time and identity.</summary>
    internal static bool IsSameFile(ConversionRecord record, FileStat file) =>
        record.SourceLastModified is { } time && file.Size == record.SourceSize && file.LastModified == time && string.Equals(file.Id, record.SourceFileId, StringComparison.Ordinal);

    /// <summary>Throws when the state records <paramref name="targetKey"/> as the conversion (<paramref name="holder"/>) of another source object.</summary>
    private void RefuseRecordedCollision(IConversionStateStore state, string key, string targetKey, ConversionRecord? holder)
    {
        var stores = _stores.Value;
        if (holder is null || (string.Equals(holder.SourceKey, key, StringComparison.Ordinal) && string.Equals(holder.Source, stores.Source, StringComparison.Ordinal)))
        {
            return;
        }

        var other = string.Equals(holder.Source, stores.Source, StringComparison.Ordinal)
            ? $"'{ObjectKeyText.Escape(holder.SourceKey)}'"
            : $"'{ObjectKeyText.Escape(holder.SourceKey)}' of '{holder.Source}'";
        throw new TargetConflictException(
            $"Two source objects map to target '{ObjectKeyText.Escape(targetKey)}' in bucket '{Target.Name}': the state ({state.Location}) records it as the conversion of {other}, "
            + $"so '{ObjectKeyText.Escape(key)}' was not written over it. Change the target template so that the two keys get different targets "
            + "(keys that differ only in case, or in a part the template drops), or remove one of the sources.",
            key,
            targetKey,
            holder.SourceKey);
    }

    private Dictionary<string, string> ProvenanceOf(string key, string? sourceETag, long sourceSize, ObjectPlan plan) => new(StringComparer.Ordinal)
    {
        [ProvenanceMetadata.SourceBucket] = Uri.EscapeDataString(Source.Name),
        [ProvenanceMetadata.SourceKey] = Uri.EscapeDataString(key),
        [ProvenanceMetadata.SourceETag] = sourceETag ?? string.Empty,
        [ProvenanceMetadata.SourceSize] = sourceSize.ToString(CultureInfo.InvariantCulture),
        [ProvenanceMetadata.Converter] = ConverterVersion,
        [ProvenanceMetadata.OptionsFingerprint] = plan.Fingerprint,
    };

    /// <summary>Where quarantine objects go: <see cref="LogpushObjectProcessorOptions.Quarantine"/>, else the target.</summary>
    private IR2Bucket QuarantineBucket => Options.Quarantine ?? Target;

    /// <summary>
    /// How a bucket is named in the conversion state (the one rule for the processor and feed health): its store identity,
    /// else its name. A folder's name also holds the folder's own identity (<c>file:///path/#major,minor:inode@birth-time</c>), so a
    /// target folder that was removed and made again is a new target: its CSV files are produced again, whereas files a
    /// forwarder consumed from the folder are not. The records of the removed folder are forgotten at the next run
    /// (<see cref="ForgetEarlierTargetFoldersAsync"/>).
    /// </summary>
    internal static string StoreOf(IR2Bucket bucket) => bucket switch
    {
        FileSystemBucket { FolderId: { } folder } files => files.Identity.Store + "#" + folder,
        _ => bucket.Identity?.Store ?? "bucket:" + Uri.EscapeDataString(bucket.Name),
    };

    /// <summary>The target records this source version and these options, and reconverting is not forced.</summary>
    private bool UpToDate(ProvenanceMetadata.Recorded? recorded, string? sourceETag, ObjectPlan plan) =>
        !Options.Force && sourceETag is not null && recorded is not null
        && string.Equals(sourceETag, recorded.ETag, StringComparison.Ordinal)
        && string.Equals(plan.Fingerprint, recorded.Fingerprint, StringComparison.Ordinal);

    private static bool IsAuto(string dataset) => string.Equals(dataset, TransformOptions.AutoDataset, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// How <paramref name="key"/> is converted: with the options as given, or, when datasets are told per object, with
    /// the dataset its key path or its Logpush job tells (the job's field_names and timestamp_format with it) and that
    /// dataset's settings (<see cref="LogpushObjectProcessorOptions.Datasets"/>). An object neither tells keeps
    /// <c>auto</c>, and the conversion tells it from its first record — except when the run has per-dataset settings or a
    /// <c>{dataset}</c> token: then its first record is read first (<see cref="FirstRecordPeek"/>), so that its target key
    /// and options are its dataset's before anything is written. Plans are made once per dataset.
    /// </summary>
    private async ValueTask<ObjectPlan> PlanForAsync(string key, CancellationToken cancellationToken)
    {
        var plan = PlanByKey(key);
        if (!_peeks || plan != _defaultPlan)
        {
            return plan;
        }

        var peeked = await FirstRecordPeek.TellAsync(Source, key, _resolver!.Catalog, cancellationToken).ConfigureAwait(false);
        return peeked is null ? _defaultPlan : PlanFor(new DatasetResolution(peeked, DatasetSource.RecordKeys));
    }

    /// <summary>The plan the key tells (key path, Logpush job), else the default plan.</summary>
    private ObjectPlan PlanByKey(string key)
    {
        if (_resolver is null)
        {
            return _defaultPlan;
        }

        var resolution = _resolver.ResolveByKey(Source.Name, key);
        return resolution.Dataset is null ? _defaultPlan : PlanFor(resolution);
    }

    private ObjectPlan PlanFor(DatasetResolution resolution)
    {
        var dataset = resolution.Dataset!;
        var job = resolution.Job;
        var planKey = $"{resolution.Source}|{dataset.Name}|{job?.JobId}|{job?.Bucket}|{job?.PathPrefix}";
        return _plans.GetOrAdd(planKey, _ =>
        {
            var transform = Options.Transform with
            {
                Dataset = dataset.Fields.Count > 0 ? dataset.Name : null,
                DatasetFields = job?.FieldNames ?? Options.Transform.DatasetFields,
                TimestampInput = job is not null && Options.Transform.TimestampInput == LogpushTimestampFormat.Auto ? job.TimestampFormat : Options.Transform.TimestampInput,
            };
            return MakePlan(transform, resolution, SettingsOf(dataset.Name), detects: false);
        });
    }

    private ObjectPlan MakePlan(TransformOptions transform, DatasetResolution resolution, LogpushDatasetSettings? settings, bool detects)
    {
        var template = settings?.TargetKeyTemplate ?? Options.TargetKeyTemplate;
        transform = settings?.ApplyTo(transform) ?? transform;
        return new ObjectPlan(new LogpushCsvTransformer(transform), OptionsFingerprint.Compute(transform, template, ConverterVersion), resolution, detects, template);
    }

    private LogpushDatasetSettings? SettingsOf(string? dataset)
        => dataset is not null && Options.Datasets.TryGetValue(dataset, out var settings) ? settings
            : dataset is null ? null : Options.Datasets.FirstOrDefault(d => string.Equals(d.Key, dataset, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Per-dataset settings that no object could use are refused: with no dataset (<c>Dataset</c> null), or for another dataset than the one forced.</summary>
    private void RefuseDatasetSettingsThatCannotApply(TransformOptions transform, bool forced)
    {
        if (Options.Datasets.Count == 0)
        {
            return;
        }

        if (transform.Dataset is null)
        {
            throw new ArgumentException(
                $"Per-dataset settings ({string.Join(", ", Options.Datasets.Keys)}) cannot apply: the run tells no datasets (TransformOptions.Dataset is none).",
                "options");
        }

        if (forced && Options.Datasets.Keys.FirstOrDefault(k => !string.Equals(k, transform.Dataset, StringComparison.OrdinalIgnoreCase)) is { } other)
        {
            throw new ArgumentException(
                $"The settings of dataset '{other}' cannot apply: every object is dataset '{transform.Dataset}' (TransformOptions.Dataset).",
                "options");
        }
    }

    private ObjectProcessingResult NotFound(string key, string targetKey, string? expectedETag) =>
        new(ObjectProcessingStatus.SkippedNotFound, key)
        {
            TargetKey = targetKey,
            SourceETag = expectedETag,
            Reason = $"source object '{ObjectKeyText.Escape(key)}' does not exist in bucket '{Source.Name}'",
        };

    private static ObjectProcessingResult Skipped(string key, string targetKey, string? sourceETag, string? reason) =>
        new(ObjectProcessingStatus.SkippedDuplicate, key) { TargetKey = targetKey, SourceETag = sourceETag, Reason = reason };

    private static bool SameVersion(R2ObjectInfo? a, R2ObjectInfo? b) =>
        a is null ? b is null : b is not null && string.Equals(a.ETag, b.ETag, StringComparison.Ordinal) && a.LastModified == b.LastModified;

    /// <summary>
    /// The provenance of <paramref name="target"/> when it belongs to <paramref name="key"/>; <see langword="null"/> when
    /// there is no target or it has no provenance. Throws when it belongs to another source object.
    /// </summary>
    private ProvenanceMetadata.Recorded? OwnedBy(R2ObjectInfo? target, string key, string targetKey)
    {
        var recorded = ProvenanceMetadata.Read(target);
        if (recorded is null || recorded.Is(Source.Name, key))
        {
            return recorded;
        }

        var other = recorded.Bucket is null || string.Equals(recorded.Bucket, Source.Name, StringComparison.Ordinal)
            ? $"'{ObjectKeyText.Escape(recorded.Key)}'"
            : $"'{ObjectKeyText.Escape(recorded.Key)}' of bucket '{recorded.Bucket}'";
        throw new TargetConflictException(
            $"Two source objects map to target '{ObjectKeyText.Escape(targetKey)}' in bucket '{Target.Name}': it holds the conversion of {other}, "
            + $"so '{ObjectKeyText.Escape(key)}' was not written over it. Change the target template so that the two keys get different targets "
            + "(keys that differ only in case, or in a part the template drops), or remove one of the sources.",
            key,
            targetKey,
            recorded.Key);
    }

    private void RefuseTargetInSource(string key, string targetKey)
    {
        var overlap = _overlap.Value;
        // (a quarantine in its own location is not in the target's store)
        foreach (var written in Options.Quarantine is null ? (ReadOnlySpan<string>)[targetKey, GetQuarantineKey(targetKey)] : [targetKey])
        {
            if (overlap.SourceKeyOf(written) is not { } asSource)
            {
                continue;
            }

            if (overlap.KeysEqual(asSource, key))
            {
                throw new TargetConflictException(
                    $"Target '{ObjectKeyText.Escape(written)}' in bucket '{Target.Name}' is the source object '{ObjectKeyText.Escape(key)}' itself: "
                    + "refusing to write over the source. Use another target folder or bucket, or a target template that changes the name (e.g. {path}.csv).",
                    key,
                    targetKey);
            }

            if (GetFilterReason(asSource) is null)
            {
                throw new TargetConflictException(
                    $"Target '{ObjectKeyText.Escape(written)}' of '{ObjectKeyText.Escape(key)}' lies in the source bucket '{Source.Name}' as '{ObjectKeyText.Escape(asSource)}', "
                    + "a key the source filter takes as a Logpush object: refusing to write it (it could destroy a source object, and would be read back as one). "
                    + "Use another target folder or bucket, or a target template ending in .csv.",
                    key,
                    targetKey,
                    asSource);
            }
        }
    }

    private async Task<(ObjectProcessingResult? Result, string? Sha256)> TransformIntoTargetAsync(
        string key, string targetKey, R2ObjectBody body, string? sourceETag, bool targetExisted, R2Conditional? condition, ObjectPlan plan, CancellationToken cancellationToken)
    {
        // With a state store the provenance is kept there; a folder then holds the CSV files only (no .meta.json sidecars).
        var withState = Options.State is not null;
        var putOptions = withState && Target is FileSystemBucket
            ? null
            : new R2PutOptions { ContentType = _contentType, CustomMetadata = ProvenanceOf(key, sourceETag, body.Info.Size, plan) };

        var quarantineKey = GetQuarantineKey(targetKey);
        var quarantineBucket = QuarantineBucket;
        var quarantineOptions = withState && quarantineBucket is FileSystemBucket
            ? null
            : new R2PutOptions { ContentType = QuarantineContentType, CustomMetadata = putOptions?.CustomMetadata ?? ProvenanceOf(key, sourceETag, body.Info.Size, plan) };
        var quarantine = Options.Transform.OnBadLine == BadLinePolicy.Quarantine
            ? new BucketPutStream(quarantineBucket, quarantineKey, quarantineOptions, createOnFirstWrite: true, cancellationToken: cancellationToken)
            : null;
        try
        {
            var context = new TransformContext { SourceName = ObjectKeyText.Escape(key), Quarantine = quarantine };
            var (transformed, sha256) = withState && Target is FileSystemBucket folder && condition is null
                ? await WriteIntoFolderAsync(folder, targetKey, body, context, plan, cancellationToken).ConfigureAwait(false)
                : await WriteThroughPutAsync(targetKey, body, putOptions, condition, context, plan, withState, cancellationToken).ConfigureAwait(false);
            if (transformed is null)
            {
                // another process wrote the target first; the quarantine is aborted with it
                return (null, null);
            }

            string? writtenQuarantine = null;
            if (quarantine is not null)
            {
                try
                {
                    if (await quarantine.CommitAsync(cancellationToken).ConfigureAwait(false) is not null)
                    {
                        writtenQuarantine = quarantineKey;
                    }
                }
                catch (Exception)
                {
                    // the CSV is there but its quarantine is not: remove the CSV so that a retry converts the object again
                    await TryDeleteAsync(targetKey, key).ConfigureAwait(false);
                    throw;
                }
            }

            if (writtenQuarantine is null && targetExisted)
            {
                // a reconversion with no bad lines must not leave an older version's quarantine behind
                await quarantineBucket.DeleteAsync(quarantineKey, cancellationToken).ConfigureAwait(false);
            }

            return (new ObjectProcessingResult(ObjectProcessingStatus.Converted, key)
            {
                TargetKey = targetKey,
                SourceETag = sourceETag,
                SourceSize = body.Info.Size,
                Transform = transformed,
                QuarantineKey = writtenQuarantine,
                OptionsFingerprint = plan.Fingerprint,
                Dataset = plan.Resolution?.Dataset?.Name ?? transformed.Dataset,
                DatasetSource = plan.Resolution?.Source ?? (!plan.Detects ? null : transformed.Dataset is null ? DatasetSource.Unknown : DatasetSource.RecordKeys),
            }, sha256);
        }
        finally
        {
            if (quarantine is not null)
            {
                // aborts the quarantine put unless it was committed
                await quarantine.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Converts into a folder target that keeps no metadata (a state store holds the provenance): straight into the
    /// object's temporary file, hashed on the way, then flushed to disk and renamed into place.
    /// </summary>
    private async Task<(TransformResult? Transformed, string? Sha256)> WriteIntoFolderAsync(
        FileSystemBucket folder, string targetKey, R2ObjectBody body, TransformContext context, ObjectPlan plan, CancellationToken cancellationToken)
    {
        var put = folder.BeginPut(targetKey);
        await using (put.ConfigureAwait(false))
        {
            using var hashing = new Sha256WriteStream(put.Content);
            var transformed = await TransformAsync(plan, body, hashing, context, cancellationToken).ConfigureAwait(false);
            await put.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (transformed, hashing.HashHex());
        }
    }

    /// <summary>
    /// Converts through the target bucket's put (conditional when <paramref name="condition"/> is given); hashes the CSV
    /// for the state record when there is a state. No result when the condition failed (nothing was written).
    /// </summary>
    private async Task<(TransformResult? Transformed, string? Sha256)> WriteThroughPutAsync(
        string targetKey, R2ObjectBody body, R2PutOptions? putOptions, R2Conditional? condition, TransformContext context, ObjectPlan plan, bool withState, CancellationToken cancellationToken)
    {
        var target = new BucketPutStream(Target, targetKey, putOptions, condition, cancellationToken: cancellationToken);
        await using (target.ConfigureAwait(false))
        {
            TransformResult transformed;
            string? sha256 = null;
            if (withState)
            {
                // the SHA-256 of the CSV written, for the state record: hashed as it passes, never read back
                using var hashing = new Sha256WriteStream(target);
                transformed = await TransformAsync(plan, body, hashing, context, cancellationToken).ConfigureAwait(false);
                sha256 = hashing.HashHex();
            }
            else
            {
                transformed = await TransformAsync(plan, body, target, context, cancellationToken).ConfigureAwait(false);
            }

            var written = await target.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (!target.ConditionApplied && Interlocked.Exchange(ref _warnedUnconditional, 1) == 0)
            {
                Log.UnconditionalPuts(_logger, Target.Name, Target.GetType().Name);
            }

            return written is null ? (null, null) : (transformed, sha256);
        }
    }

    /// <summary>Converts <paramref name="body"/> into <paramref name="output"/>, in one of the <see cref="ConversionSlots"/> when there are any.</summary>
    private async Task<TransformResult> TransformAsync(ObjectPlan plan, R2ObjectBody body, Stream output, TransformContext context, CancellationToken cancellationToken)
    {
        if (ConversionSlots is not { } slots)
        {
            return await plan.Transformer.TransformAsync(body.Body, output, context, cancellationToken).ConfigureAwait(false);
        }

        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await plan.Transformer.TransformAsync(body.Body, output, context, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task TryDeleteAsync(string key, string sourceKey)
    {
        try
        {
            await Target.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.CleanupFailed(_logger, ObjectKeyText.Escape(key), ObjectKeyText.Escape(sourceKey), ex);
        }
    }

    private void LogResult(ObjectProcessingResult result)
    {
        var sourceKey = ObjectKeyText.Escape(result.SourceKey);
        var targetKey = result.TargetKey is null ? null : ObjectKeyText.Escape(result.TargetKey);
        switch (result.Status)
        {
            case ObjectProcessingStatus.Converted:
                var t = result.Transform!;
                Log.Converted(_logger, sourceKey, result.SourceETag, ReasonText(result.ConversionReason), DatasetText(result), targetKey, t.Records, t.Rows, t.BadLines, t.BytesIn, t.BytesOut, (long)result.Elapsed.TotalMilliseconds);
                if (result.QuarantineKey is not null)
                {
                    Log.Quarantined(_logger, sourceKey, t.BadLines, ObjectKeyText.Escape(result.QuarantineKey));
                }

                break;
            case ObjectProcessingStatus.SkippedDuplicate when result.Reason is not null:
                Log.SkippedConcurrent(_logger, sourceKey, targetKey, result.Reason);
                break;
            case ObjectProcessingStatus.SkippedDuplicate:
                Log.SkippedDuplicate(_logger, sourceKey, targetKey, result.SourceETag);
                break;
            case ObjectProcessingStatus.SkippedNotFound:
                Log.SkippedNotFound(_logger, sourceKey);
                break;
            case ObjectProcessingStatus.Failed:
                Log.ConversionFailed(_logger, sourceKey, result.Reason, result.Exception);
                break;
        }
    }

    /// <summary>Why an object was converted, in the words of summaries and logs: new, source changed, options changed, forced.</summary>
    public static string ReasonText(ConversionReason? reason) => reason switch
    {
        ConversionReason.New => "new",
        ConversionReason.SourceChanged => "source changed",
        ConversionReason.OptionsChanged => "options changed",
        ConversionReason.Forced => "forced",
        _ => "converted",
    };

    /// <summary>An object's dataset and how it was told, for logs: <c>gateway_http (key path)</c>, <c>unknown</c>, <c>none</c>.</summary>
    public static string DatasetText(ObjectProcessingResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.DatasetSource switch
        {
            null => "none",
            DatasetSource.Unknown => "unknown",
            DatasetSource.KeyPath => $"{result.Dataset} (key path)",
            DatasetSource.Job => $"{result.Dataset} (Logpush job)",
            DatasetSource.RecordKeys => $"{result.Dataset} (record keys)",
            _ => $"{result.Dataset} ({result.DatasetSource.Value.ToString().ToLowerInvariant()})",
        };
    }

    private static string Describe(Exception ex) => ex switch
    {
        LogpushDataException data => data.Message,
        R2BucketException bucket => $"bucket '{bucket.Bucket}'{(bucket.Key is null ? string.Empty : $", key '{ObjectKeyText.Escape(bucket.Key)}'")}{(bucket.StatusCode is { } s ? FormattableString.Invariant($", HTTP {s}") : string.Empty)}: {bucket.Message}",
        LogpushKitException => ex.Message,
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static string LeftoverKindText(R2LeftoverKind kind) => kind switch
    {
        R2LeftoverKind.TemporaryFile => "temporary file",
        R2LeftoverKind.MultipartUpload => "incomplete multipart upload",
        _ => kind.ToString(),
    };

    internal static string? NormalizeETag(string? etag)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return null;
        }

        var trimmed = etag.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        return trimmed.Trim('"');
    }

    /// <summary>The source's and the target's store identities, as the state records them.</summary>
    /// <summary>A listed source object; a folder's file (listed for a state) also with its size, last-write time and identity.</summary>
    internal readonly record struct ListedSource(R2ObjectInfo Info, FileStat? Stat);

    private sealed record StoreNames(string Source, string Target);

    /// <summary>How one object is converted: the transformer, the fingerprint of its options, how its dataset was told (before reading), whether the conversion detects it.</summary>
    private sealed record ObjectPlan(LogpushCsvTransformer Transformer, string Fingerprint, DatasetResolution? Resolution, bool Detects, TargetKeyTemplate Template);

    /// <summary>How the target's store relates to the source's: which source key a target key's object is, if any.</summary>
    private sealed class StoreOverlap
    {
        private readonly Func<string, string?> _sourceKeyOf;

        private StoreOverlap(Func<string, string?> sourceKeyOf, bool ignoreCase)
        {
            _sourceKeyOf = sourceKeyOf;
            IgnoreCase = ignoreCase;
        }

        public bool IgnoreCase { get; }

        public static StoreOverlap Of(IR2Bucket source, IR2Bucket target)
        {
            if (ReferenceEquals(source, target))
            {
                var identity = source.Identity;
                return new StoreOverlap(static key => key, identity?.IgnoresKeyCase ?? false);
            }

            if (source.Identity is { } sourceStore && target.Identity is { } targetStore)
            {
                return new StoreOverlap(key => sourceStore.KeyOf(targetStore, key), sourceStore.IgnoresKeyCase || targetStore.IgnoresKeyCase);
            }

            return new StoreOverlap(static _ => null, false);
        }

        /// <summary>The source key of the object the target key <paramref name="targetKey"/> names, or <see langword="null"/>.</summary>
        public string? SourceKeyOf(string targetKey) => _sourceKeyOf(targetKey);

        public bool KeysEqual(string a, string b) => string.Equals(a, b, IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}
