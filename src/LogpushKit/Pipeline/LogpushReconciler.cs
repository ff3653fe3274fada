using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using LogpushKit.State;
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

    /// <summary>
    /// Objects processed at once, whatever their size. Default: <see cref="Environment.ProcessorCount"/>. Without
    /// <see cref="IoBudgetBytes"/> this is exactly the number of objects in flight.
    /// </summary>
    public int MaxConcurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Beyond <see cref="MaxConcurrency"/>, more objects may be in flight (waiting on their HEAD, GET and PUT round trips to
    /// a far-away bucket, or on the disk) while their estimated buffers fit in this many bytes (an object weighs 1 MiB
    /// plus its listed size times the CSV's expansion, at most 17 MiB; the expansion is 8 until an object of the pass is
    /// converted, then the largest ratio of CSV to compressed bytes seen times 1.25). <see langword="null"/> or 0
    /// (default): no more than <see cref="MaxConcurrency"/>. <see cref="LogpushPipeline"/> sets it from
    /// <see cref="LogpushPipelineOptions.IoBudgetBytes"/>; between local folders it also limits the processor's
    /// conversions to <see cref="LogpushPipelineOptions.MaxConcurrency"/> at once (<see cref="LogpushObjectProcessor"/>),
    /// so the objects beyond read ahead and flush to disk.
    /// </summary>
    public long? IoBudgetBytes { get; init; }

    /// <summary>
    /// For a source whose objects can be seen while they are written (a local folder): an object listed less than this
    /// after its last change is taken at the end of the pass, once it has stayed unchanged this long; one still changing
    /// then is skipped as still being written (<see cref="PipelineSummary.SkippedUnsettled"/>), for the next run.
    /// <see langword="null"/> (default): no check (bucket puts are atomic).
    /// </summary>
    public TimeSpan? SettlePeriod { get; init; }
}

/// <summary>A reconcile's progress: the totals so far and the number of objects listed.</summary>
/// <param name="Listed">Objects listed so far.</param>
/// <param name="Summary">Outcomes so far.</param>
/// <param name="Last">The object just finished, if any.</param>
public sealed record ReconcileProgress(long Listed, PipelineSummary Summary, ObjectProcessingResult? Last);

/// <summary>
/// Reconcile / backfill: lists the source bucket and converts every object whose target is missing or stale (records
/// another source ETag), with bounded concurrency (see <see cref="ReconcileOptions.IoBudgetBytes"/> for far-away buckets).
/// Up-to-date targets cost one HEAD each, no GET. Objects whose key says
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
    /// <summary>Listing entries read ahead of the objects in flight (a listing page is 1,000).</summary>
    private const int ListingLookahead = 1000;

    /// <summary>Listed files of a folder source whose state records are read in one query.</summary>
    private const int StateBatch = 256;

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

    /// <summary>
    /// Beside a folder watcher: whether the watcher owns a key (its message is out, or it was given up and its file has
    /// not changed); the pass leaves such objects alone, so it neither doubles the queue's attempts nor retries given-up ones.
    /// </summary>
    internal Func<string, bool>? Skip { get; init; }

    /// <summary>Beside a folder watcher: receives every object that failed in the pass, so its attempts are counted there.</summary>
    internal Action<ObjectProcessingResult>? Failed { get; init; }

    /// <summary>Lists and converts; returns the totals. Failed objects are in the summary, not thrown.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; in-flight puts are aborted.</exception>
    public async Task<PipelineSummary> RunAsync(ReconcileOptions? options = null, IProgress<ReconcileProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= ReconcileOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.IoBudgetBytes ?? 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SettlePeriod ?? TimeSpan.Zero, TimeSpan.Zero, nameof(options));
        var statistics = new PipelineStatistics(_timeProvider);
        var prefix = options.Prefix ?? _processor.Options.Prefix;
        long listed = 0;

        // the target's leftovers are removed while the source's first page is listed (a far-away bucket: one round trip
        // instead of two), and before any object of this pass is put
        var cleanup = CleanUpTargetAsync(statistics, cancellationToken);
        var incomplete = new StrongBox<R2ListIncompleteException?>();
        var unsettled = new List<Candidate>();
        var candidates = Candidates(prefix, options, statistics, () => Interlocked.Increment(ref listed), incomplete, unsettled, cancellationToken);
        var budget = new InFlightBudget(options.MaxConcurrency, options.IoBudgetBytes);
        await ScheduleAsync(candidates, cleanup, budget, statistics, progress, () => Interlocked.Read(ref listed), cancellationToken).ConfigureAwait(false);
        if (unsettled.Count > 0)
        {
            await ScheduleAsync(SettledAsync(unsettled, options.SettlePeriod!.Value, statistics, cancellationToken), Task.CompletedTask, budget, statistics, progress, () => Interlocked.Read(ref listed), cancellationToken).ConfigureAwait(false);
        }

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

    private async Task CleanUpTargetAsync(PipelineStatistics statistics, CancellationToken cancellationToken)
    {
        var cleanup = await _processor.CleanUpTargetAsync(cancellationToken).ConfigureAwait(false);
        if (cleanup.Removed.Count > 0)
        {
            statistics.AddLeftoversRemoved(cleanup.Removed.Count);
            Log.LeftoversRemoved(_logger, _processor.Source.Name, cleanup.Removed.Count, cleanup.RemovedBytes, _processor.Target.Name);
        }
    }

    private async IAsyncEnumerable<Candidate> Candidates(
        string? prefix,
        ReconcileOptions options,
        PipelineStatistics statistics,
        Action onListed,
        StrongBox<R2ListIncompleteException?> incomplete,
        List<Candidate> unsettled,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // With a state store, a folder source is listed without opening or hashing its files: the processor tells an
        // unchanged file by its size, last-write time and identity. Otherwise the listing's ETags are what it compares.
        var listing = _processor.ListSourceAsync(prefix, withState: _processor.Options.State is not null, cancellationToken)
            .Select(static l => new Candidate(l.Info, l.Stat, null)).GetAsyncEnumerator(cancellationToken);
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

            var candidate = listing.Current;
            var info = candidate.Info;
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

            if (Skip is { } skip && skip(info.Key))
            {
                continue; // the watcher's: being retried, or given up until its file changes
            }

            if (options.SettlePeriod is { } settle && IsRecent(info, settle))
            {
                // maybe still being written (a copy into the folder): looked at again at the end of the pass
                unsettled.Add(candidate);
                continue;
            }

            yield return candidate;
        }
    }

    /// <summary>
    /// The objects listed while they were maybe still being written, each once it has been unchanged for
    /// <paramref name="settle"/> since its listed last change, or since the pass listed it: the same size and
    /// last-modified time on a fresh HEAD. One that changed again is skipped as still being written, counted and logged.
    /// </summary>
    private async IAsyncEnumerable<Candidate> SettledAsync(List<Candidate> unsettled, TimeSpan settle, PipelineStatistics statistics, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Every one was listed before this: one unchanged from its listing to a HEAD a settle period after this moment has
        // been unchanged for that long, whatever its own time says. That ends the wait for a last-modified time in the
        // future (a clock ahead, a copy that kept another host's times), which its own clock would never end.
        var listedBy = _timeProvider.GetUtcNow();
        foreach (var listed in unsettled.Select(static c => c.Info).OrderBy(i => i.LastModified))
        {
            // looked at again once the listed version has been unchanged for the settle period; a timer may fire a little
            // early, so an unchanged file still inside the period is waited for again (each wait ends the period sooner)
            R2ObjectInfo? now = listed;
            var changed = false;
            do
            {
                var wait = (now.LastModified < listedBy ? now.LastModified : listedBy) + settle - _timeProvider.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait < settle ? wait : settle, _timeProvider, cancellationToken).ConfigureAwait(false);
                }

                R2ObjectInfo? again;
                try
                {
                    again = await _processor.Source.HeadAsync(listed.Key, cancellationToken).ConfigureAwait(false);
                }
                catch (R2BucketException)
                {
                    again = listed; // the processor reports why it cannot be read, where every object's failure is reported
                }

                changed = again is not null && (again.Size != listed.Size || again.LastModified != listed.LastModified);
                now = again;
            }
            while (now is not null && !changed && IsRecent(now, settle) && _timeProvider.GetUtcNow() - listedBy < settle);

            if (now is null)
            {
                continue; // gone (a temporary file of a copy that was renamed): nothing to convert
            }

            if (changed)
            {
                var reason = string.Create(
                    CultureInfo.InvariantCulture,
                    $"'{ObjectKeyText.Escape(listed.Key)}' is still being written (it changed within the last {settle.TotalSeconds:0.#} s: {listed.Size} bytes when listed, {now.Size} bytes now); not converted, run again once it is complete");
                statistics.AddUnsettled();
                Log.SkippedUnsettled(_logger, ObjectKeyText.Escape(listed.Key), reason);
                continue;
            }

            yield return new Candidate(now, null, null);
        }
    }

    private bool IsRecent(R2ObjectInfo info, TimeSpan settle)
        => info.LastModified != default && _timeProvider.GetUtcNow() - info.LastModified < settle;

    /// <summary>
    /// Processes <paramref name="candidates"/> with as many objects in flight as <paramref name="budget"/> admits, reading
    /// the listing ahead of the objects in flight (up to <see cref="ListingLookahead"/> entries) so that its pages overlap
    /// the work. No object starts before <paramref name="before"/> is done (the listing does). Returns once every object is
    /// done; nothing is kept per object after it is done.
    /// </summary>
    private async Task ScheduleAsync(
        IAsyncEnumerable<Candidate> candidates,
        Task before,
        InFlightBudget budget,
        PipelineStatistics statistics,
        IProgress<ReconcileProgress>? progress,
        Func<long> listed,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ahead = Channel.CreateBounded<Candidate>(new BoundedChannelOptions(ListingLookahead) { SingleReader = true, SingleWriter = true });
        var listing = FillAsync(candidates, ahead.Writer, stop.Token);
        var running = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Exception? failure = null;
        void Finished()
        {
            if (Interlocked.Decrement(ref running) == 0)
            {
                allDone.TrySetResult();
            }
        }

        Interlocked.Increment(ref running); // the scheduling loop itself
        try
        {
            await before.ConfigureAwait(false);
            await foreach (var candidate in ahead.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                var info = candidate.Info;
                if (candidate.Stat is { } stat && _processor.TryUpToDate(info.Key, stat, candidate.Prior, out var skipped))
                {
                    // unchanged since its recorded conversion: done here, without a task or a slot
                    statistics.Add(skipped);
                    progress?.Report(new ReconcileProgress(listed(), statistics.Snapshot(), skipped));
                    continue;
                }

                var weight = budget.Weigh(info.Size);
                await budget.WaitAsync(weight, stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref running);
                _ = ProcessOneAsync(info, weight);
            }

            await listing.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure ??= ex;
            await stop.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            Finished();
            await allDone.Task.ConfigureAwait(false);
            try
            {
                await listing.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // already seen by the loop (the channel carries it), or the listing stopped because the loop did
                Interlocked.CompareExchange(ref failure, ex, null);
            }
        }

        if (Volatile.Read(ref failure) is { } first)
        {
            if (first is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            ExceptionDispatchInfo.Throw(first);
        }

        async Task ProcessOneAsync(R2ObjectInfo info, long weight)
        {
            await Task.Yield();
            try
            {
                var result = await _processor.ProcessAsync(info.Key, info.ETag.Length == 0 ? null : info.ETag, stop.Token).ConfigureAwait(false);
                budget.Observe(result);
                statistics.Add(result);
                if (result.IsFailure)
                {
                    Failed?.Invoke(result);
                }

                progress?.Report(new ReconcileProgress(listed(), statistics.Snapshot(), result));
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
                await stop.CancelAsync().ConfigureAwait(false);
            }
            finally
            {
                budget.Release(weight);
                Finished();
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="candidates"/> into <paramref name="writer"/>; listed files (with a state) go in batches of
    /// <see cref="StateBatch"/> with the state's record of each, read in one query per batch.
    /// </summary>
    private async Task FillAsync(IAsyncEnumerable<Candidate> candidates, ChannelWriter<Candidate> writer, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var batch = new List<Candidate>(StateBatch);
        try
        {
            await foreach (var candidate in candidates.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (candidate.Stat is null || _processor.Options.State is null)
                {
                    await FlushAsync(batch, writer, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(candidate, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                batch.Add(candidate);
                if (batch.Count == StateBatch)
                {
                    await FlushAsync(batch, writer, cancellationToken).ConfigureAwait(false);
                }
            }

            await FlushAsync(batch, writer, cancellationToken).ConfigureAwait(false);
            writer.Complete();
        }
        catch (Exception ex)
        {
            writer.Complete(ex);
            throw;
        }
    }

    private async Task FlushAsync(List<Candidate> batch, ChannelWriter<Candidate> writer, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var records = await RecordsOfAsync(batch, cancellationToken).ConfigureAwait(false);
        foreach (var candidate in batch)
        {
            var prior = records is not null && records.TryGetValue(candidate.Info.Key, out var record) ? record : null;
            await writer.WriteAsync(candidate with { Prior = prior }, cancellationToken).ConfigureAwait(false);
        }

        batch.Clear();
    }

    /// <summary>
    /// The state's newest record of each candidate's conversion into the target, by source key; <see langword="null"/>
    /// when the state cannot be read now (then each object goes the full way, which reports the state's problem as its own).
    /// </summary>
    private async Task<Dictionary<string, ConversionRecord>?> RecordsOfAsync(List<Candidate> batch, CancellationToken cancellationToken)
    {
        var state = _processor.Options.State!;
        await _processor.ForgetEarlierTargetFoldersAsync().ConfigureAwait(false);
        var (source, target) = _processor.StateStores;
        try
        {
            if (state is SqliteConversionStateStore sqlite)
            {
                return await sqlite.FindBySourcesAsync(source, batch.ConvertAll(static c => c.Info.Key), target, cancellationToken).ConfigureAwait(false);
            }

            var records = new Dictionary<string, ConversionRecord>(batch.Count, StringComparer.Ordinal);
            foreach (var candidate in batch)
            {
                if (await state.FindBySourceAsync(source, candidate.Info.Key, target, cancellationToken).ConfigureAwait(false) is { } record)
                {
                    records[candidate.Info.Key] = record;
                }
            }

            return records;
        }
        catch (ConversionStateException)
        {
            return null;
        }
    }

    /// <summary>A listed object; for a folder source with a state, its file's stat and the state's record of it.</summary>
    private readonly record struct Candidate(R2ObjectInfo Info, FileStat? Stat, ConversionRecord? Prior);
}
