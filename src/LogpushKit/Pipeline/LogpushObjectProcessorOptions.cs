using LogpushKit.Transform;

namespace LogpushKit.Pipeline;

/// <summary>
/// How <see cref="LogpushObjectProcessor"/> picks, names and converts objects. Immutable; <see cref="Default"/> takes
/// every <c>*.log.gz</c> object, writes <c>{path}.csv</c> beside nothing else, and converts with
/// <see cref="TransformOptions.Default"/>.
/// </summary>
public sealed record LogpushObjectProcessorOptions
{
    /// <summary>The defaults.</summary>
    public static LogpushObjectProcessorOptions Default { get; } = new();

    /// <summary>Only source keys that start with this prefix (ordinal). Default: none.</summary>
    public string? Prefix { get; init; }

    /// <summary>Only source keys that end with this suffix (ordinal, case-insensitive). Default <c>.log.gz</c>; empty takes every key.</summary>
    public string Suffix { get; init; } = ".log.gz";

    /// <summary>Prepended to every target key (e.g. <c>csv/</c>). Default: none.</summary>
    public string? TargetPrefix { get; init; }

    /// <summary>How target keys are made from source keys. Default <see cref="TargetKeyTemplate.Default"/> (<c>{path}.csv</c>).</summary>
    public TargetKeyTemplate TargetKeyTemplate { get; init; } = TargetKeyTemplate.Default;

    /// <summary>How objects are converted. With <see cref="BadLinePolicy.Quarantine"/>, bad lines go to a side object next to the target.</summary>
    public TransformOptions Transform { get; init; } = TransformOptions.Default;

    /// <summary>Appended to the target key to name the quarantine side object. Default <c>.quarantine</c>, which a forwarder's <c>*.csv</c> pattern does not match.</summary>
    public string QuarantineSuffix { get; init; } = ".quarantine";

    /// <summary>
    /// How old a leftover of an interrupted put (a folder target's hidden temporary file, an S3/R2 multipart upload) of
    /// one of this pipeline's targets must be before <see cref="LogpushObjectProcessor.CleanUpTargetAsync"/> removes it,
    /// so that a put still running in another process is never disturbed. Default one hour; <see langword="null"/> turns
    /// the cleanup off.
    /// </summary>
    public TimeSpan? LeftoverAge { get; init; } = Storage.R2CleanupOptions.DefaultOlderThan;

    /// <summary>
    /// Convert every object in scope again even when its target is up to date (same source ETag and options fingerprint);
    /// reported as <see cref="ConversionReason.Forced"/>. Default <see langword="false"/>.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>
    /// The Logpush jobs whose destination paths tell an object's dataset (see <see cref="Datasets.LogpushDatasetResolver"/>)
    /// when <see cref="TransformOptions.Dataset"/> is <see cref="TransformOptions.AutoDataset"/>. Default: none.
    /// </summary>
    public IReadOnlyList<Datasets.LogpushJobRoute> Jobs { get; init; } = [];

    /// <summary>
    /// Settings per dataset name (case-insensitive) that override the run's for objects of that dataset: columns,
    /// timestamps, target key template (see <see cref="Datasets.LogpushDatasetSettings"/>). Default: none.
    /// </summary>
    public IReadOnlyDictionary<string, Datasets.LogpushDatasetSettings> Datasets { get; init; } = new Dictionary<string, Datasets.LogpushDatasetSettings>();

    /// <summary>
    /// Where what was converted (and what failed) is kept, apart from the target; the caller owns and disposes it. Default
    /// <see langword="null"/>: the provenance lives on each target object only. With a state store:
    /// <list type="bullet">
    /// <item>a source whose recorded conversion has this source version (ETag; for a folder source its size, last-write
    /// time and <c>device:inode</c>) and this <see cref="OptionsFingerprint"/> is up to date without reading the source or
    /// touching the target, so a CSV that a SIEM forwarder consumed (deleted or moved) is not produced again;</item>
    /// <item>two sources mapping to one target are told from the state; the claim across processes is the state's
    /// <see cref="State.IConversionStateStore.LockAsync"/>;</item>
    /// <item>a folder target gets the CSV files only: no metadata (no <c>.meta.json</c> sidecars) and no lock files; a
    /// bucket target still carries <see cref="ProvenanceMetadata"/> on each object;</item>
    /// <item>every failure is recorded (<see cref="State.IConversionStateStore.RecordFailureAsync"/>), and cleared by a later success.</item>
    /// </list>
    /// </summary>
    public State.IConversionStateStore? State { get; init; }

    /// <summary>
    /// Where quarantine objects (bad lines with their reasons, <see cref="BadLinePolicy.Quarantine"/>) go, under the same
    /// key as in the target plus <see cref="QuarantineSuffix"/>. Default <see langword="null"/>: the target bucket, beside
    /// each CSV. The caller owns it.
    /// </summary>
    public Storage.IR2Bucket? Quarantine { get; init; }

    /// <summary>
    /// With <see cref="Quarantine"/>: prepended to each quarantine key there (e.g. <c>bad/</c>), in place of
    /// <see cref="TargetPrefix"/>. Default: none.
    /// </summary>
    public string? QuarantinePrefix { get; init; }

    /// <summary>
    /// Skip events whose bucket is not the source bucket's <see cref="Storage.IR2Bucket.Name"/> (they are counted as filtered).
    /// Default <see langword="true"/>; turn it off when the bucket's name in events differs from the name the source was opened with.
    /// </summary>
    public bool RequireMatchingBucket { get; init; } = true;
}
