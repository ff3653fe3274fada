using LogpushKit.Transform;

namespace LogpushKit.Pipeline;

/// <summary>What happened to one source object.</summary>
public enum ObjectProcessingStatus
{
    /// <summary>The object was converted and its CSV target written.</summary>
    Converted = 0,

    /// <summary>The target already records this source ETag: nothing was written.</summary>
    SkippedDuplicate,

    /// <summary>The event or key did not pass the filter (not an object-create action, prefix/suffix, a Logpush control object).</summary>
    SkippedFiltered,

    /// <summary>The source object no longer exists (deleted after its event): nothing to convert, nothing to retry.</summary>
    SkippedNotFound,

    /// <summary>The conversion failed; no target was written. <see cref="ObjectProcessingResult.Reason"/> says why.</summary>
    Failed,
}

/// <summary>The outcome of <see cref="LogpushObjectProcessor"/> for one source object.</summary>
/// <param name="Status">What happened.</param>
/// <param name="SourceKey">The source object key.</param>
public sealed record ObjectProcessingResult(ObjectProcessingStatus Status, string SourceKey)
{
    /// <summary>The target key, once computed.</summary>
    public string? TargetKey { get; init; }

    /// <summary>The source object's ETag (of the version read, or of the event when nothing was read).</summary>
    public string? SourceETag { get; init; }

    /// <summary>The source object's size in bytes, when known.</summary>
    public long? SourceSize { get; init; }

    /// <summary>The transform's counts, for <see cref="ObjectProcessingStatus.Converted"/> (and for failures that got that far).</summary>
    public TransformResult? Transform { get; init; }

    /// <summary>The key of the quarantine side object, when bad lines were quarantined.</summary>
    public string? QuarantineKey { get; init; }

    /// <summary>Why the object was skipped or failed, in words (names the key).</summary>
    public string? Reason { get; init; }

    /// <summary>The exception behind a <see cref="ObjectProcessingStatus.Failed"/> result.</summary>
    public Exception? Exception { get; init; }

    /// <summary>Wall time spent on this object.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>CSV data rows written (0 unless converted).</summary>
    public long Rows => Status == ObjectProcessingStatus.Converted ? Transform?.Rows ?? 0 : 0;

    /// <summary><see langword="true"/> for <see cref="ObjectProcessingStatus.Failed"/>.</summary>
    public bool IsFailure => Status == ObjectProcessingStatus.Failed;
}
