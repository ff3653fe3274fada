using System.Runtime.CompilerServices;
using LogpushKit.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Pipeline;

/// <summary>Which source objects a reconcile (backfill) looks at, and how many it converts at once.</summary>
public sealed record ReconcileOptions
{
    /// <summary>The defaults: the processor's prefix, no time window, one object per core.</summary>
    public static ReconcileOptions Default { get; } = new();

    /// <summary>The listing prefix. Default: the processor's <see cref="LogpushObjectProcessorOptions.Prefix"/>.</summary>
    public string? Prefix { get; init; }

    /// <summary>Only batches that may hold records at or after this time (from the Logpush file name or <c>{DATE}</c> folder).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only batches that may hold records before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Objects converted at once. Default: <see cref="Environment.ProcessorCount"/>.</summary>
    public int MaxConcurrency { get; init; } = Environment.ProcessorCount;
}

/// <summary>A reconcile's progress: the totals so far and the number of objects listed.</summary>
/// <param name="Listed">Objects listed so far.</param>
/// <param name="Summary">Outcomes so far.</param>
/// <param name="Last">The object just finished, if any.</param>
public sealed record ReconcileProgress(long Listed, PipelineSummary Summary, ObjectProcessingResult? Last);

/// <summary>
/// Reconcile / backfill: lists the source bucket and converts every object whose target is missing or stale (records
/// another source ETag), with bounded concurrency. Up-to-date targets cost one HEAD each, no GET. Objects whose key says
/// they lie outside the time window are counted as filtered; objects whose key carries no time are always taken.
/// Run it once, or periodically beside a queue consumer to catch lost notifications.
/// </summary>
/// <remarks>
/// <para>Each pass first removes leftovers of interrupted puts under the target
/// (<see cref="LogpushObjectProcessor.CleanUpTargetAsync"/>), counted in <see cref="PipelineSummary.LeftoversRemoved"/>.</para>
/// <para>A failing object never stops the pass: it is a failure in the summary (with its key and reason) and the others
/// are converted. Parts of the source the listing could not read (an unreadable subfolder or file,
/// <see cref="R2ListIncompleteException"/>) are failures too, one per part, recorded after everything readable was
/// processed. A source that cannot be listed at all (a folder that does not exist) throws.</para>
/// </remarks>
public sealed class LogpushReconciler
{
    private readonly LogpushObjectProcessor _processor;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a reconciler over <paramref name="processor"/>'s buckets and options.</summary>
    public LogpushReconciler(LogpushObjectProcessor processor, ILogger<LogpushReconciler>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(processor);
        _processor = processor;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Lists and converts; returns the totals. Failed objects are in the summary, not thrown.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; in-flight puts are aborted.</exception>
    public async Task<PipelineSummary> RunAsync(ReconcileOptions? options = null, IProgress<ReconcileProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= ReconcileOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1, nameof(options));
        var statistics = new PipelineStatistics(_timeProvider);
        var prefix = options.Prefix ?? _processor.Options.Prefix;
        long listed = 0;

        var cleanup = await _processor.CleanUpTargetAsync(cancellationToken).ConfigureAwait(false);
        if (cleanup.Removed.Count > 0)
        {
            statistics.AddLeftoversRemoved(cleanup.Removed.Count);
            Log.LeftoversRemoved(_logger, _processor.Source.Name, cleanup.Removed.Count, cleanup.RemovedBytes, _processor.Target.Name);
        }

        var incomplete = new StrongBox<R2ListIncompleteException?>();
        var candidates = Candidates(prefix, options, statistics, () => Interlocked.Increment(ref listed), incomplete, cancellationToken);
        await Parallel.ForEachAsync(
            candidates,
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrency, CancellationToken = cancellationToken },
            async (item, token) =>
            {
                var result = await _processor.ProcessAsync(item.Key, item.ETag, token).ConfigureAwait(false);
                statistics.Add(result);
                progress?.Report(new ReconcileProgress(Interlocked.Read(ref listed), statistics.Snapshot(), result));
            }).ConfigureAwait(false);

        if (incomplete.Value is { } unlisted)
        {
            foreach (var problem in unlisted.Problems)
            {
                var result = new ObjectProcessingResult(ObjectProcessingStatus.Failed, problem.Key)
                {
                    Reason = $"bucket '{unlisted.Bucket}': '{ObjectKeyText.Escape(problem.Key)}' could not be listed: {problem.Reason}",
                    Exception = unlisted,
                };
                Log.ListProblem(_logger, unlisted.Bucket, ObjectKeyText.Escape(problem.Key), problem.Reason);
                statistics.Add(result);
                progress?.Report(new ReconcileProgress(Interlocked.Read(ref listed), statistics.Snapshot(), result));
            }
        }

        var summary = statistics.Snapshot();
        progress?.Report(new ReconcileProgress(listed, summary, null));
        Log.ReconcileDone(_logger, _processor.Source.Name, prefix is null ? null : ObjectKeyText.Escape(prefix), summary.Converted, summary.SkippedDuplicate, summary.SkippedFiltered, summary.Failed, (long)summary.Elapsed.TotalMilliseconds);
        return summary;
    }

    private async IAsyncEnumerable<(string Key, string? ETag)> Candidates(
        string? prefix,
        ReconcileOptions options,
        PipelineStatistics statistics,
        Action onListed,
        StrongBox<R2ListIncompleteException?> incomplete,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // With a state store, a folder source is listed without opening or hashing its files: the processor tells an
        // unchanged file by its size, last-write time and identity. Otherwise the listing's ETags are what it compares.
        var listing = (_processor.Options.State is not null && _processor.Source is FileSystemBucket folder
                ? folder.ListFilesAsync(prefix, cancellationToken).Select(static f => new R2ListItem(f.Key, new R2ObjectInfo(f.Key, f.Stat.Size, string.Empty, f.Stat.LastModified)))
                : _processor.Source.ListAsync(new R2ListOptions { Prefix = prefix }, cancellationToken)).GetAsyncEnumerator(cancellationToken);
        await using var disposeListing = listing.ConfigureAwait(false);
        while (true)
        {
            try
            {
                if (!await listing.MoveNextAsync().ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (R2ListIncompleteException ex)
            {
                // everything readable was listed; the unreadable parts become failures once the pass is done
                incomplete.Value = ex;
                break;
            }

            var item = listing.Current;
            if (item.Object is not { } info)
            {
                continue;
            }

            onListed();
            if (_processor.GetFilterReason(info.Key) is not null)
            {
                statistics.AddFiltered();
                continue;
            }

            if ((options.From is not null || options.To is not null) && !LogpushObjectName.Parse(info.Key).Overlaps(options.From, options.To))
            {
                statistics.AddFiltered();
                continue;
            }

            yield return (info.Key, info.ETag.Length == 0 ? null : info.ETag);
        }
    }
}
