using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using LogpushKit.Cloudflare;
using LogpushKit.Datasets;
using LogpushKit.Pipeline;
using LogpushKit.State;
using LogpushKit.Storage;

namespace LogpushKit.Health;

/// <summary>
/// Answers "is my SIEM feed complete and fresh right now?" for one pipeline (a source and a target, through its
/// <see cref="LogpushObjectProcessor"/>): the CLI's <c>logpushkit status</c> and the worker's feed health check and
/// metrics both call <see cref="CheckAsync"/>.
/// </summary>
/// <remarks>
/// <para><b>Objects.</b> The source is listed as a reconcile lists it, with the processor's filter
/// (<see cref="LogpushObjectProcessor.GetFilterReason"/>) and target names (<see cref="LogpushObjectProcessor.GetTargetKey"/>),
/// so status and <c>run</c> agree on which objects exist and where their output goes. An object is converted when the
/// state store records a conversion of its current version (same ETag) into the target; without a state store, when its
/// target exists and the target's provenance (<see cref="ProvenanceMetadata"/>) names this source key and its current
/// ETag. A target made with other transform options still counts as converted (status does not compare option
/// fingerprints). An unconverted object older than <see cref="FeedHealthOptions.MaxLag"/> (by its last-modified time) is
/// overdue: a lost notification or a stuck consumer, and the feed is <see cref="FeedStatus.Critical"/>.</para>
/// <para><b>Datasets.</b> Each object's dataset comes from <see cref="LogpushDatasetResolver.ResolveByKey"/> (key path, then
/// the Logpush job whose destination path holds it), else from the state store's record. The newest converted window per
/// dataset and job, and its lag to now, are reported; they do not change the status (a quiet dataset writes no objects;
/// Logpush's own freshness is judged by its jobs).</para>
/// <para><b>Jobs.</b> With a <see cref="LogpushClient"/> and <see cref="FeedHealthOptions.JobScopes"/>: every job writing to the
/// source. A job whose <c>last_error</c> is newer than its <c>last_complete</c> (or that never completed) is failing:
/// <see cref="FeedStatus.Critical"/>; a disabled one is <see cref="FeedStatus.Degraded"/>. Texts are masked with
/// <see cref="SecretRedactor"/>. A listing that fails is <see cref="FeedStatus.Degraded"/> (the check is incomplete).</para>
/// <para><b>Queue.</b> Cloudflare's REST API reports a queue's backlog and oldest message only in the reply to a pull
/// (<c>messages/pull</c>), which leases the returned messages away from the real consumer; a status check must not do
/// that, so the queue is looked up (name, consumers) and the backlog is reported as not exposed (a note says so).</para>
/// <para><b>Failures.</b> With a state store: its failures (<see cref="IConversionStateStore.ListFailuresAsync"/>); a
/// quarantined object is <see cref="FeedStatus.Critical"/>, one still being retried <see cref="FeedStatus.Degraded"/>.</para>
/// <para>Nothing is written anywhere. Thread-safe: concurrent checks do not share state.</para>
/// </remarks>
public sealed class FeedHealth
{
    private const string UnknownDataset = "unknown";
    private readonly LogpushObjectProcessor _processor;
    private readonly IConversionStateStore? _state;
    private readonly LogpushClient? _logpush;
    private readonly QueuesClient? _queues;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the check over <paramref name="processor"/>'s buckets, filter and target names.</summary>
    /// <param name="processor">The pipeline's processor (its buckets are not disposed here).</param>
    /// <param name="options">What to check; <see cref="FeedHealthOptions.Default"/> when <see langword="null"/>.</param>
    /// <param name="state">Where conversions and failures are recorded; without one, "converted" is read from the targets' provenance.</param>
    /// <param name="logpush">Lists the Logpush jobs of <see cref="FeedHealthOptions.JobScopes"/>; not disposed here.</param>
    /// <param name="queues">Looks up <see cref="FeedHealthOptions.QueueId"/>; not disposed here.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public FeedHealth(
        LogpushObjectProcessor processor,
        FeedHealthOptions? options = null,
        IConversionStateStore? state = null,
        LogpushClient? logpush = null,
        QueuesClient? queues = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(processor);
        Options = options ?? FeedHealthOptions.Default;
        Options.Validate();
        _processor = processor;
        _state = state;
        _logpush = logpush;
        _queues = queues;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The options in effect.</summary>
    public FeedHealthOptions Options { get; }

    /// <summary>
    /// Checks the feed now. Problems of the feed are in the report (<see cref="FeedHealthReport.Problems"/>), never thrown;
    /// what cannot be checked at all throws.
    /// </summary>
    /// <param name="sourceLabel">How the report names the source (e.g. the location as typed); the source bucket's name when <see langword="null"/>.</param>
    /// <param name="targetLabel">How the report names the target; the target bucket's name when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="R2BucketException">The source cannot be listed, or a target cannot be read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<FeedHealthReport> CheckAsync(string? sourceLabel = null, string? targetLabel = null, CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        var problems = new List<FeedProblem>();
        var notes = new List<string>();
        var (jobs, routes) = await CheckJobsAsync(problems, notes, cancellationToken).ConfigureAwait(false);
        var queue = await CheckQueueAsync(problems, notes, cancellationToken).ConfigureAwait(false);

        var sourceStore = LogpushObjectProcessor.StoreOf(_processor.Source);
        var targetStore = LogpushObjectProcessor.StoreOf(_processor.Target);
        Dictionary<string, ConversionRecord>? records = null;
        List<FeedFailedObject>? failures = null;
        if (_state is not null)
        {
            records = new Dictionary<string, ConversionRecord>(StringComparer.Ordinal);
            await foreach (var record in _state.ListAsync(sourceStore, targetStore, cancellationToken).ConfigureAwait(false))
            {
                if (!records.TryGetValue(record.SourceKey, out var seen) || seen.ConvertedAt < record.ConvertedAt)
                {
                    records[record.SourceKey] = record;
                }
            }

            failures = [];
            await foreach (var failure in _state.ListFailuresAsync(sourceStore, targetStore, cancellationToken).ConfigureAwait(false))
            {
                failures.Add(new FeedFailedObject
                {
                    Key = ObjectKeyText.Escape(failure.SourceKey),
                    Reason = SecretRedactor.MaskText(failure.Reason),
                    Attempts = failure.Attempts,
                    FirstFailedAt = failure.FirstFailedAt,
                    LastFailedAt = failure.LastFailedAt,
                    Quarantined = failure.Quarantined,
                    QuarantineKey = failure.QuarantineKey is null ? null : ObjectKeyText.Escape(failure.QuarantineKey),
                });
            }

            AddFailureProblems(failures, problems);
        }
        else
        {
            notes.Add("no state store: converted objects were read from the targets' provenance metadata; failed and quarantined objects are not known.");
        }

        var (listed, filtered, candidates, incomplete) = await ListSourceAsync(records is not null, cancellationToken).ConfigureAwait(false);
        if (incomplete is not null)
        {
            problems.Add(new FeedProblem(
                FeedStatus.Critical,
                "source_incomplete",
                $"parts of the source could not be listed, so objects there are not checked: {string.Join("; ", incomplete.Problems.Select(p => $"'{ObjectKeyText.Escape(p.Key)}': {p.Reason}"))}"));
        }

        var resolver = new LogpushDatasetResolver(jobs: routes);
        var evaluated = new ConcurrentBag<Evaluated>();
        await Parallel.ForEachAsync(
            candidates,
            new ParallelOptions { MaxDegreeOfParallelism = records is null ? Options.MaxConcurrency : 1, CancellationToken = cancellationToken },
            async (item, token) => evaluated.Add(await EvaluateAsync(item, records, resolver, token).ConfigureAwait(false))).ConfigureAwait(false);

        var unconverted = evaluated.Where(e => e.Reason is not null)
            .Select(e => new FeedUnconvertedObject
            {
                Key = ObjectKeyText.Escape(e.Item.Key),
                TargetKey = e.TargetKey is null ? null : ObjectKeyText.Escape(e.TargetKey),
                LastModified = e.Item.LastModified,
                Age = Max(now - e.Item.LastModified, TimeSpan.Zero),
                Overdue = now - e.Item.LastModified > Options.MaxLag,
                Reason = e.Reason!,
            })
            .OrderBy(o => o.LastModified).ThenBy(o => o.Key, StringComparer.Ordinal)
            .ToList();
        var overdue = unconverted.Count(o => o.Overdue);
        if (overdue > 0)
        {
            var oldest = unconverted[0];
            problems.Add(new FeedProblem(
                FeedStatus.Critical,
                "overdue_objects",
                string.Create(CultureInfo.InvariantCulture, $"{overdue:N0} source objects older than {FormatDuration(Options.MaxLag)} have no current output (a lost notification or a stuck consumer); the oldest: '{oldest.Key}', {FormatDuration(oldest.Age)} old ({oldest.Reason}).")));
        }

        var datasets = evaluated
            .GroupBy(e => (e.Dataset, e.JobId))
            .Select(g =>
            {
                var newest = g.Where(e => e.Reason is null).MaxBy(e => e.WindowEnd);
                return new FeedDatasetHealth
                {
                    Dataset = g.Key.Dataset,
                    JobId = g.Key.JobId,
                    Objects = g.LongCount(),
                    Converted = g.LongCount(e => e.Reason is null),
                    Unconverted = g.LongCount(e => e.Reason is not null),
                    NewestKey = newest is null ? null : ObjectKeyText.Escape(newest.Item.Key),
                    NewestWindowEnd = newest?.WindowEnd,
                    Lag = newest is null ? null : now - newest.WindowEnd,
                };
            })
            .OrderBy(d => d.Dataset, StringComparer.Ordinal).ThenBy(d => d.JobId)
            .ToList();

        problems.Sort((a, b) => b.Severity.CompareTo(a.Severity));
        return new FeedHealthReport
        {
            Status = problems.Count == 0 ? FeedStatus.Healthy : problems.Max(p => p.Severity),
            CheckedAt = now,
            Source = sourceLabel ?? _processor.Source.Name,
            Target = targetLabel ?? _processor.Target.Name,
            MaxLag = Options.MaxLag,
            State = _state?.Location,
            Objects = new FeedObjectCounts
            {
                Listed = listed,
                Filtered = filtered,
                Converted = evaluated.Count - unconverted.Count,
                Unconverted = unconverted.Count,
                Overdue = overdue,
            },
            Unconverted = unconverted.Take(Options.MaxListedObjects).ToList(),
            Datasets = datasets,
            Jobs = jobs,
            Queue = queue,
            Failures = failures,
            Problems = problems,
            Notes = notes,
        };
    }

    /// <summary>A duration for people: <c>45s</c>, <c>12m</c>, <c>3h 5m</c>, <c>2d 4h</c>.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        var d = duration < TimeSpan.Zero ? TimeSpan.Zero : duration;
        return d.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalSeconds}s")
            : d.TotalMinutes < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalMinutes}m")
            : d.TotalHours < 24 ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalHours}h {d.Minutes}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalDays}d {d.Hours}h");
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static void AddFailureProblems(List<FeedFailedObject> failures, List<FeedProblem> problems)
    {
        var quarantined = failures.Where(f => f.Quarantined).ToList();
        if (quarantined.Count > 0)
        {
            problems.Add(new FeedProblem(
                FeedStatus.Critical,
                "quarantined_objects",
                string.Create(CultureInfo.InvariantCulture, $"{quarantined.Count:N0} objects were given up after their last attempt (quarantined); first: '{quarantined[0].Key}' after {quarantined[0].Attempts} attempts: {quarantined[0].Reason}")));
        }

        var retrying = failures.Where(f => !f.Quarantined).ToList();
        if (retrying.Count > 0)
        {
            problems.Add(new FeedProblem(
                FeedStatus.Degraded,
                "failing_objects",
                string.Create(CultureInfo.InvariantCulture, $"{retrying.Count:N0} objects failed and are being retried; first: '{retrying[0].Key}' ({retrying[0].Attempts} attempts): {retrying[0].Reason}")));
        }
    }

    private async Task<(long Listed, long Filtered, List<LogpushObjectProcessor.ListedSource> Candidates, R2ListIncompleteException? Incomplete)> ListSourceAsync(bool withState, CancellationToken cancellationToken)
    {
        long listed = 0, filtered = 0;
        var candidates = new List<LogpushObjectProcessor.ListedSource>();
        R2ListIncompleteException? incomplete = null;

        // With a state, a folder source is listed as the processor sees it: size, last-write time and identity, without
        // opening or hashing a file. Otherwise the listing's ETags are compared.
        var listing = _processor.ListSourceAsync(_processor.Options.Prefix, withState, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (listing.ConfigureAwait(false))
        {
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
                    incomplete = ex;
                    break;
                }

                listed++;
                if (_processor.GetFilterReason(listing.Current.Info.Key) is not null)
                {
                    filtered++;
                    continue;
                }

                candidates.Add(listing.Current);
            }
        }

        return (listed, filtered, candidates, incomplete);
    }

    private async Task<Evaluated> EvaluateAsync(LogpushObjectProcessor.ListedSource candidate, Dictionary<string, ConversionRecord>? records, LogpushDatasetResolver resolver, CancellationToken cancellationToken)
    {
        var item = candidate.Info;
        var resolution = resolver.ResolveByKey(_processor.Source.Name, item.Key);
        var dataset = resolution.Dataset?.Name;
        var jobId = resolution.Job?.JobId;
        var name = LogpushObjectName.Parse(item.Key);
        var windowEnd = name.End ?? name.Start ?? item.LastModified;
        var etag = LogpushObjectProcessor.NormalizeETag(item.ETag);
        string targetKey;
        try
        {
            targetKey = await _processor.GetTargetKeyAsync(item.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (LogpushKitException ex)
        {
            return new Evaluated(item, null, dataset ?? UnknownDataset, jobId, windowEnd, "the target template cannot name it: " + ex.Message);
        }

        string? reason;
        if (records is not null)
        {
            records.TryGetValue(item.Key, out var record);
            dataset ??= record?.Dataset;
            reason = record is null ? "no conversion recorded"
                : candidate.Stat is { } file ? (LogpushObjectProcessor.IsSameFile(record, file) ? null : "source changed since it was converted (its size, time or identity differs)")
                : record.SourceETag is { } recorded && etag is not null && !string.Equals(recorded, etag, StringComparison.Ordinal) ? "source changed since it was converted"
                : null;
        }
        else
        {
            var target = await _processor.Target.HeadAsync(targetKey, cancellationToken).ConfigureAwait(false);
            var provenance = ProvenanceMetadata.Read(target);
            reason = target is null ? "no target"
                : provenance is null ? "the target has no LogpushKit provenance (not written by a conversion)"
                : !provenance.Is(_processor.Source.Name, item.Key) ? $"the target holds the conversion of another source object, '{ObjectKeyText.Escape(provenance.Key)}'"
                : etag is not null && !string.Equals(provenance.ETag, etag, StringComparison.Ordinal) ? "source changed since it was converted"
                : null;
        }

        return new Evaluated(item, targetKey, dataset ?? UnknownDataset, jobId, windowEnd, reason);
    }

    private async Task<(List<FeedJobHealth>? Jobs, List<LogpushJobRoute> Routes)> CheckJobsAsync(List<FeedProblem> problems, List<string> notes, CancellationToken cancellationToken)
    {
        var routes = new List<LogpushJobRoute>();
        if (_logpush is null || Options.JobScopes.Count == 0)
        {
            notes.Add("Logpush jobs not checked: no Cloudflare credentials with an account or zone id.");
            return (null, routes);
        }

        var jobs = new List<FeedJobHealth>();
        var sourceName = _processor.Source.Name;
        var prefix = _processor.Options.Prefix ?? string.Empty;
        foreach (var scope in Options.JobScopes)
        {
            try
            {
                await foreach (var job in _logpush.ListJobsAsync(scope, cancellationToken).ConfigureAwait(false))
                {
                    var hasRoute = LogpushJobRoute.TryFrom(job, out var route);
                    if (Options.SourceIsFolder)
                    {
                        if (hasRoute)
                        {
                            routes.Add(route! with { Bucket = sourceName });
                        }
                    }
                    else if (hasRoute && route!.Bucket == sourceName
                        && (route.PathPrefix.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(route.PathPrefix, StringComparison.Ordinal)))
                    {
                        routes.Add(route);
                    }
                    else
                    {
                        continue;
                    }

                    jobs.Add(ToHealth(job, scope, problems));
                }
            }
            catch (Exception ex) when (ex is LogpushKitException or HttpRequestException or TimeoutException or JsonException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                problems.Add(new FeedProblem(FeedStatus.Degraded, "jobs_unavailable", $"the Logpush jobs of {scope} could not be listed, so they are not checked: {SecretRedactor.MaskText(ex.Message)}"));
            }
        }

        return (jobs, routes);
    }

    private static FeedJobHealth ToHealth(LogpushJob job, LogpushScope scope, List<FeedProblem> problems)
    {
        var masked = job.WithMaskedSecrets();
        var failing = job.LastError is { } error && (job.LastComplete is not { } complete || error > complete);
        var health = new FeedJobHealth
        {
            Id = job.Id,
            Name = masked.Name,
            Dataset = masked.Dataset,
            Scope = scope.ToString(),
            Enabled = job.Enabled,
            Destination = masked.DestinationConf,
            LastComplete = job.LastComplete,
            LastError = job.LastError,
            ErrorMessage = masked.ErrorMessage,
            Failing = failing,
        };
        var what = string.Create(CultureInfo.InvariantCulture, $"Logpush job {job.Id} ({masked.Dataset ?? "no dataset"}{(string.IsNullOrEmpty(masked.Name) ? string.Empty : ", " + masked.Name)})");
        if (failing)
        {
            problems.Add(new FeedProblem(
                FeedStatus.Critical,
                "job_failing",
                string.Create(CultureInfo.InvariantCulture, $"{what} is failing: last error {job.LastError:u}, last complete {(job.LastComplete is { } c ? c.ToString("u", CultureInfo.InvariantCulture) : "never")}: {(string.IsNullOrEmpty(masked.ErrorMessage) ? "no message" : masked.ErrorMessage)}")));
        }

        if (job.Enabled == false)
        {
            problems.Add(new FeedProblem(FeedStatus.Degraded, "job_disabled", $"{what} is disabled: it pushes no logs."));
        }

        return health;
    }

    private async Task<FeedQueueHealth?> CheckQueueAsync(List<FeedProblem> problems, List<string> notes, CancellationToken cancellationToken)
    {
        if (Options.QueueId is not { Length: > 0 } queueId)
        {
            return null;
        }

        notes.Add("queue backlog and oldest message age: Cloudflare's REST API reports them only in the reply to a pull (messages/pull), which leases the messages away from the consumer; status does not pull, so they are not shown.");
        if (_queues is null)
        {
            problems.Add(new FeedProblem(FeedStatus.Degraded, "queue_unavailable", $"queue {queueId} not checked: no Cloudflare credentials with an account id."));
            return new FeedQueueHealth { QueueId = queueId };
        }

        try
        {
            var queue = await _queues.GetQueueAsync(queueId, cancellationToken).ConfigureAwait(false);
            return new FeedQueueHealth
            {
                QueueId = queueId,
                QueueName = queue.QueueName,
                Consumers = queue.ConsumersTotalCount ?? queue.Consumers.Count,
            };
        }
        catch (Exception ex) when (ex is LogpushKitException or HttpRequestException or TimeoutException or JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            problems.Add(new FeedProblem(FeedStatus.Degraded, "queue_unavailable", $"queue {queueId} could not be read: {SecretRedactor.MaskText(ex.Message)}"));
            return new FeedQueueHealth { QueueId = queueId };
        }
    }

    private sealed record Evaluated(R2ObjectInfo Item, string? TargetKey, string Dataset, long? JobId, DateTimeOffset WindowEnd, string? Reason);

}
