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

/// <summary>Why an object was converted (<see cref="ObjectProcessingResult.ConversionReason"/>).</summary>
public enum ConversionReason
{
    /// <summary>It had no target yet.</summary>
    New = 0,

    /// <summary>Its target was made from another version of the source (another ETag).</summary>
    SourceChanged,

    /// <summary>Its target was made from this source with other options (another <see cref="OptionsFingerprint"/>, or none recorded).</summary>
    OptionsChanged,

    /// <summary>Its target was up to date, and reconverting was forced (<see cref="LogpushObjectProcessorOptions.Force"/>).</summary>
    Forced,
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

    /// <summary>Why the object was converted (<see cref="ObjectProcessingStatus.Converted"/> only).</summary>
    public ConversionReason? ConversionReason { get; init; }

    /// <summary>The object's dataset, when told (see <see cref="DatasetSource"/>).</summary>
    public string? Dataset { get; init; }

    /// <summary>
    /// How the dataset was told, when datasets are resolved per object (<see cref="TransformOptions.AutoDataset"/>) or
    /// forced; <see cref="Datasets.DatasetSource.Unknown"/> when it could not be told. <see langword="null"/> when no dataset is used.
    /// </summary>
    public Datasets.DatasetSource? DatasetSource { get; init; }

    /// <summary>The options fingerprint the target was written with (see <see cref="OptionsFingerprint"/>).</summary>
    public string? OptionsFingerprint { get; init; }

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
