namespace LogpushKit.Pipeline;

/// <summary>
/// Totals over many processed objects: what a run, a reconcile or a consumer did so far. Summaries add up with
/// <c>+</c> (counts and bytes add, elapsed times add as if the parts ran one after the other, failures are concatenated
/// up to <see cref="MaxFailuresKept"/>); <see cref="Empty"/> is the zero. A whole watch or consume
/// (<see cref="LogpushPipeline.WatchAsync"/>, <see cref="LogpushPipeline.ConsumeAsync"/>), whose parts run at once, reports
/// its own wall time in <see cref="Elapsed"/>.
/// </summary>
public sealed record PipelineSummary
{
    /// <summary>The most failures a summary keeps (the count in <see cref="Failed"/> is always complete).</summary>
    public const int MaxFailuresKept = 100;

    /// <summary>Nothing processed: the zero of <c>+</c>.</summary>
    public static PipelineSummary Empty { get; } = new();

    /// <summary>Objects converted.</summary>
    public long Converted { get; init; }

    /// <summary>Objects skipped because their target was up to date.</summary>
    public long SkippedDuplicate { get; init; }

    /// <summary>Objects skipped by the filter (actions, prefix/suffix, Logpush control objects, time window).</summary>
    public long SkippedFiltered { get; init; }

    /// <summary>Objects whose source no longer existed.</summary>
    public long SkippedNotFound { get; init; }

    /// <summary>
    /// Objects whose conversion failed. For a whole watch of a folder (<see cref="LogpushPipeline.WatchAsync"/>): objects whose
    /// last attempt failed (one however many times it was tried; none once converted after), plus the folder watcher's own
    /// failures; the attempts are in <see cref="FailedAttempts"/>.
    /// </summary>
    public long Failed { get; init; }

    /// <summary>
    /// Failed attempts, counted by a whole watch of a folder only (<see cref="LogpushPipeline.WatchAsync"/>: an object
    /// retried and given up after 5 attempts is 5 here and 1 in <see cref="Failed"/>); 0 elsewhere.
    /// </summary>
    public long FailedAttempts { get; init; }

    /// <summary>
    /// Objects of a local source folder not converted because they were still being written (changed again within the
    /// settle period); the next run takes them. Not failures: they are in <see cref="Skipped"/>.
    /// </summary>
    public long SkippedUnsettled { get; init; }

    /// <summary>
    /// Watching a folder: objects given up on after failing on every one of their attempts (quarantined: not tried again
    /// until the file changes). For a whole watch: those whose files are unchanged at its end (a given-up file rewritten and
    /// converted is not counted); each is also one of <see cref="Failed"/>.
    /// </summary>
    public long GivenUp { get; init; }

    /// <summary>
    /// Reconcile passes that failed as a whole (e.g. the source could not be listed) beside a watcher or consumer, which
    /// went on; their objects are not in the other counts.
    /// </summary>
    public long FailedPasses { get; init; }

    /// <summary>Converted objects that had no target yet (a part of <see cref="Converted"/>).</summary>
    public long ConvertedNew { get; init; }

    /// <summary>Converted objects whose target was made from another source version (a part of <see cref="Converted"/>).</summary>
    public long ConvertedSourceChanged { get; init; }

    /// <summary>Converted objects whose target was made with other options (a part of <see cref="Converted"/>).</summary>
    public long ConvertedOptionsChanged { get; init; }

    /// <summary>Converted objects whose target was up to date, reconverted because it was forced (a part of <see cref="Converted"/>).</summary>
    public long ConvertedForced { get; init; }

    /// <summary>Converted objects whose dataset could not be told (converted without dataset columns or timestamp conversion).</summary>
    public long DatasetUnknown { get; init; }

    /// <summary>Keys outside their dataset's columns, per converted object (appended or dropped as the new-key policy says).</summary>
    public long NewKeys { get; init; }

    /// <summary>All objects seen: the sum of the object counts above.</summary>
    public long Objects => Converted + SkippedDuplicate + SkippedFiltered + SkippedNotFound + SkippedUnsettled + Failed;

    /// <summary>Objects skipped for any reason.</summary>
    public long Skipped => SkippedDuplicate + SkippedFiltered + SkippedNotFound + SkippedUnsettled;

    /// <summary>Records read from converted objects.</summary>
    public long Records { get; init; }

    /// <summary>CSV rows written.</summary>
    public long Rows { get; init; }

    /// <summary>Bad lines skipped or quarantined.</summary>
    public long BadLines { get; init; }

    /// <summary>Source bytes read (compressed) by converted objects.</summary>
    public long BytesIn { get; init; }

    /// <summary>Source bytes after decompression.</summary>
    public long BytesDecompressed { get; init; }

    /// <summary>CSV bytes written.</summary>
    public long BytesOut { get; init; }

    /// <summary>Wall time since the statistics started.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Leftovers of interrupted puts (temporary files, multipart uploads) removed from the target.</summary>
    public long LeftoversRemoved { get; init; }

    /// <summary>The failures (up to <see cref="MaxFailuresKept"/> kept), with their keys and reasons.</summary>
    public IReadOnlyList<ObjectProcessingResult> Failures { get; init; } = [];

    /// <summary>Decompressed megabytes (10^6 bytes) per second of wall time.</summary>
    public double MegabytesPerSecond => Elapsed.TotalSeconds > 0 ? BytesDecompressed / 1e6 / Elapsed.TotalSeconds : 0;

    /// <summary>Adds two summaries (see the type's remarks).</summary>
    public static PipelineSummary operator +(PipelineSummary left, PipelineSummary right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new PipelineSummary
        {
            Converted = left.Converted + right.Converted,
            ConvertedNew = left.ConvertedNew + right.ConvertedNew,
            ConvertedSourceChanged = left.ConvertedSourceChanged + right.ConvertedSourceChanged,
            ConvertedOptionsChanged = left.ConvertedOptionsChanged + right.ConvertedOptionsChanged,
            ConvertedForced = left.ConvertedForced + right.ConvertedForced,
            DatasetUnknown = left.DatasetUnknown + right.DatasetUnknown,
            NewKeys = left.NewKeys + right.NewKeys,
            SkippedDuplicate = left.SkippedDuplicate + right.SkippedDuplicate,
            SkippedFiltered = left.SkippedFiltered + right.SkippedFiltered,
            SkippedNotFound = left.SkippedNotFound + right.SkippedNotFound,
            Failed = left.Failed + right.Failed,
            FailedAttempts = left.FailedAttempts + right.FailedAttempts,
            SkippedUnsettled = left.SkippedUnsettled + right.SkippedUnsettled,
            GivenUp = left.GivenUp + right.GivenUp,
            FailedPasses = left.FailedPasses + right.FailedPasses,
            Records = left.Records + right.Records,
            Rows = left.Rows + right.Rows,
            BadLines = left.BadLines + right.BadLines,
            BytesIn = left.BytesIn + right.BytesIn,
            BytesDecompressed = left.BytesDecompressed + right.BytesDecompressed,
            BytesOut = left.BytesOut + right.BytesOut,
            LeftoversRemoved = left.LeftoversRemoved + right.LeftoversRemoved,
            Elapsed = left.Elapsed + right.Elapsed,
            Failures = right.Failures.Count == 0 ? left.Failures
                : left.Failures.Count == 0 ? right.Failures
                : [.. left.Failures.Concat(right.Failures).Take(MaxFailuresKept)],
        };
    }

    /// <summary>Adds two summaries; the named form of <c>+</c>.</summary>
    public static PipelineSummary Add(PipelineSummary left, PipelineSummary right) => left + right;
}
