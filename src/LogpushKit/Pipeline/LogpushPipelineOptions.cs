using LogpushKit.Transform;

namespace LogpushKit.Pipeline;

/// <summary>
/// What a <see cref="LogpushPipeline"/> converts, from where to where, and how it paces itself. Immutable; the CLI builds
/// it from flags, the worker from the <c>LogpushKit</c> configuration section.
/// </summary>
public sealed record LogpushPipelineOptions
{
    /// <summary>
    /// Where the Logpush objects are: a local folder (which must exist), <c>r2://bucket/folder</c> or
    /// <c>s3://bucket/folder</c>. A location's path names a folder: <c>r2://logs/gateway_http</c> takes
    /// <c>gateway_http/…</c>, never <c>gateway_http_old/…</c>. Required.
    /// </summary>
    public required string Source { get; init; }

    /// <summary>Where the CSV objects go: a local folder (created when missing), <c>r2://bucket/folder</c> or <c>s3://bucket/folder</c>. Required.</summary>
    public required string Target { get; init; }

    /// <summary>An explicit endpoint URL for <c>r2://</c> and <c>s3://</c> locations; otherwise the environment gives it (see the bucket provider).</summary>
    public string? Endpoint { get; init; }

    /// <summary>Only source keys under this prefix, taken after the source location's folder (a plain prefix, not a folder).</summary>
    public string? Prefix { get; init; }

    /// <summary>Only source keys ending with this (case-insensitive). Default <c>.log.gz</c>; empty takes every key.</summary>
    public string Suffix { get; init; } = ".log.gz";

    /// <summary>How target keys are named, under the target location's folder. Default <c>{path}.csv</c>.</summary>
    public TargetKeyTemplate TargetKeyTemplate { get; init; } = TargetKeyTemplate.Default;

    /// <summary>How objects are converted.</summary>
    public TransformOptions Transform { get; init; } = TransformOptions.Default;

    /// <summary>
    /// Convert every object in scope again, even when its target is up to date (see
    /// <see cref="LogpushObjectProcessorOptions.Force"/>). Default <see langword="false"/>.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>
    /// The Logpush jobs (e.g. listed through <see cref="Cloudflare.LogpushClient"/> and turned into routes by
    /// <see cref="Datasets.LogpushJobRoute.TryFrom"/>) whose destination paths tell an object's dataset under
    /// <see cref="TransformOptions.AutoDataset"/>. Default: none.
    /// </summary>
    public IReadOnlyList<Datasets.LogpushJobRoute> Jobs { get; init; } = [];

    /// <summary>Settings per dataset that override the run's for objects of that dataset (see <see cref="LogpushObjectProcessorOptions.Datasets"/>). Default: none.</summary>
    public IReadOnlyDictionary<string, Datasets.LogpushDatasetSettings> Datasets { get; init; } = new Dictionary<string, Datasets.LogpushDatasetSettings>();

    /// <summary>
    /// The conversion state database (<see cref="State.SqliteConversionStateStore"/>): what was converted is kept there,
    /// so a CSV a SIEM forwarder consumed is not produced again and a folder target holds only the CSV files (see
    /// <see cref="LogpushObjectProcessorOptions.State"/>). One database serves many pipelines. Default
    /// <see langword="null"/>: no state (provenance on the target objects only). Hosts default it to
    /// <see cref="State.SqliteConversionStateStore.DefaultPath"/> for a folder target.
    /// </summary>
    public string? State { get; init; }

    /// <summary>
    /// Where bad lines go (with <see cref="Transform.BadLinePolicy.Quarantine"/>): a local folder, <c>r2://bucket/folder</c>
    /// or <c>s3://bucket/folder</c>. Default <see langword="null"/>: with a <see cref="State"/> and a folder target, a
    /// folder <c>quarantine/&lt;12 hex digits of the target's identity&gt;</c> beside the state database (so the target
    /// folder holds only CSV files); otherwise beside each CSV in the target (<c>x.csv.quarantine</c>).
    /// </summary>
    public string? Quarantine { get; init; }

    /// <summary>Objects converted at once. Default: one per core. Reconcile passes beside a watcher or consumer use half.</summary>
    public int MaxConcurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>Reconcile passes take only batches that may hold records at or after this time (from Logpush file and folder names).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Reconcile passes take only batches that may hold records before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Watching and consuming start with a reconcile pass (convert what is missing or stale). Default <see langword="true"/>.</summary>
    public bool ReconcileFirst { get; init; } = true;

    /// <summary>
    /// While watching or consuming, reconcile again this often (to catch lost events). <see langword="null"/> (default):
    /// every <see cref="LogpushPipeline.DefaultBucketReconcileInterval"/> when watching a bucket source (the only way it
    /// sees new objects), never otherwise.
    /// </summary>
    public TimeSpan? ReconcileInterval { get; init; }

    /// <summary>
    /// A local source folder: how long a file must stay unchanged before it is taken (the stability check). Watching, a
    /// new file waits this long after its last change; a reconcile pass (<c>run</c>) takes a file changed less than this
    /// before it was listed at the end of the pass, once unchanged this long, and skips one still changing then as still
    /// being written (<see cref="PipelineSummary.SkippedUnsettled"/>). Default 1 s; zero turns the check off.
    /// </summary>
    public TimeSpan WatchDebounce { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The bytes that objects in flight beyond <see cref="MaxConcurrency"/> may hold (see
    /// <see cref="ReconcileOptions.IoBudgetBytes"/>), so that waiting overlaps converting: with a bucket on either side,
    /// their round trips; between local folders, reading ahead and flushing each CSV to disk, while still no more than
    /// <see cref="MaxConcurrency"/> objects convert at once. Default 64 MiB; 0: no more objects in flight than
    /// <see cref="MaxConcurrency"/>.
    /// </summary>
    public long IoBudgetBytes { get; init; } = DefaultIoBudgetBytes;

    /// <summary>The default <see cref="IoBudgetBytes"/>: 64 MiB.</summary>
    public const long DefaultIoBudgetBytes = 64L << 20;

    /// <summary>
    /// Watching a local folder: attempts per object before it is given up (quarantined: reported once with its reason,
    /// counted in <see cref="PipelineSummary.GivenUp"/> and <see cref="PipelineHealth.WatcherGivenUp"/>, not tried again
    /// until the file changes size or last-write time). Retries wait <see cref="LogpushPipeline.WatchRetryDelay"/>,
    /// doubling. Default 5.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Watching: on stop, how long in-flight objects may finish before their puts are aborted. Default 20 s (below a host's 30 s shutdown timeout).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Watching or consuming: how often running totals are reported (when they changed). Default 1 s.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The names the user knows the settings by, used in error messages.</summary>
    public PipelineSettingNames SettingNames { get; init; } = PipelineSettingNames.Default;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Source, nameof(Source));
        ArgumentNullException.ThrowIfNull(Target, nameof(Target));
        ArgumentNullException.ThrowIfNull(Suffix, nameof(Suffix));
        ArgumentNullException.ThrowIfNull(TargetKeyTemplate, nameof(TargetKeyTemplate));
        ArgumentNullException.ThrowIfNull(Transform, nameof(Transform));
        ArgumentNullException.ThrowIfNull(SettingNames, nameof(SettingNames));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrency, 1, nameof(MaxConcurrency));
        ArgumentOutOfRangeException.ThrowIfLessThan(WatchDebounce, TimeSpan.Zero, nameof(WatchDebounce));
        ArgumentOutOfRangeException.ThrowIfNegative(IoBudgetBytes, nameof(IoBudgetBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(DrainTimeout, TimeSpan.Zero, nameof(DrainTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ProgressInterval, TimeSpan.Zero, nameof(ProgressInterval));
        if (ReconcileInterval is { } interval)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero, nameof(ReconcileInterval));
        }

        if (From is { } from && To is { } to && from >= to)
        {
            throw new ArgumentException("From must be earlier than To.", nameof(From));
        }
    }
}

/// <summary>
/// How a host names the pipeline's settings, so that messages speak the user's names: the CLI's flags
/// (<c>--source</c>) or configuration keys (<c>LogpushKit:Source</c>, see <see cref="ForSection"/>).
/// </summary>
public sealed record PipelineSettingNames
{
    /// <summary>The property names of <see cref="LogpushPipelineOptions"/>.</summary>
    public static PipelineSettingNames Default { get; } = new();

    /// <summary>The names under a configuration section, e.g. <c>LogpushKit:Source</c>.</summary>
    public static PipelineSettingNames ForSection(string section)
    {
        ArgumentException.ThrowIfNullOrEmpty(section);
        return new PipelineSettingNames
        {
            Source = $"{section}:{nameof(LogpushPipelineOptions.Source)}",
            Target = $"{section}:{nameof(LogpushPipelineOptions.Target)}",
            Endpoint = $"{section}:{nameof(LogpushPipelineOptions.Endpoint)}",
            TargetKeyTemplate = $"{section}:{nameof(LogpushPipelineOptions.TargetKeyTemplate)}",
            State = $"{section}:{nameof(LogpushPipelineOptions.State)}",
            Quarantine = $"{section}:{nameof(LogpushPipelineOptions.Quarantine)}",
        };
    }

    /// <summary>The name of <see cref="LogpushPipelineOptions.Source"/>.</summary>
    public string Source { get; init; } = nameof(LogpushPipelineOptions.Source);

    /// <summary>The name of <see cref="LogpushPipelineOptions.Target"/>.</summary>
    public string Target { get; init; } = nameof(LogpushPipelineOptions.Target);

    /// <summary>The name of <see cref="LogpushPipelineOptions.Endpoint"/>.</summary>
    public string Endpoint { get; init; } = nameof(LogpushPipelineOptions.Endpoint);

    /// <summary>The name of <see cref="LogpushPipelineOptions.TargetKeyTemplate"/>.</summary>
    public string TargetKeyTemplate { get; init; } = nameof(LogpushPipelineOptions.TargetKeyTemplate);

    /// <summary>The name of <see cref="LogpushPipelineOptions.State"/>.</summary>
    public string State { get; init; } = nameof(LogpushPipelineOptions.State);

    /// <summary>The name of <see cref="LogpushPipelineOptions.Quarantine"/>.</summary>
    public string Quarantine { get; init; } = nameof(LogpushPipelineOptions.Quarantine);
}

/// <summary>What a running <see cref="LogpushPipeline"/> reports.</summary>
public enum PipelineProgressKind
{
    /// <summary>A reconcile pass is running: <see cref="PipelineProgress.Listed"/> objects listed, <see cref="PipelineProgress.Summary"/> so far.</summary>
    Reconciling,

    /// <summary>A reconcile pass finished; <see cref="PipelineProgress.Summary"/> is the pass's.</summary>
    Reconciled,

    /// <summary>A reconcile pass beside a watcher or consumer failed (listing failed); the next one runs at its time. <see cref="PipelineProgress.Error"/> says why.</summary>
    ReconcileFailed,

    /// <summary>The first pass is over: new objects are now taken as they come (folder events, queue messages or periodic passes).</summary>
    Watching,

    /// <summary>The watcher's or consumer's running totals changed; <see cref="PipelineProgress.Summary"/> is the totals since <see cref="Watching"/>.</summary>
    Running,

    /// <summary>
    /// Watching a folder: an object failed on every one of its <see cref="LogpushPipelineOptions.MaxAttempts"/> attempts and
    /// is given up until its file changes. <see cref="PipelineProgress.Object"/> is its last failure (key and reason);
    /// reported once per object.
    /// </summary>
    GaveUp,

    /// <summary>
    /// Watching a folder with a state store, at the start: an object an earlier watch gave up on (quarantined in the state)
    /// still has the content that failed, so it is not tried until its file changes. <see cref="PipelineProgress.Object"/>
    /// is its recorded failure (key and reason), <see cref="PipelineProgress.Attempts"/> its failed attempts.
    /// </summary>
    StillQuarantined,
}

/// <summary>One report of a running <see cref="LogpushPipeline"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Summary">The totals that go with it (see <see cref="PipelineProgressKind"/>).</param>
public sealed record PipelineProgress(PipelineProgressKind Kind, PipelineSummary Summary)
{
    /// <summary>Objects listed so far by the pass (<see cref="PipelineProgressKind.Reconciling"/> and <see cref="PipelineProgressKind.Reconciled"/>).</summary>
    public long Listed { get; init; }

    /// <summary>Whether the pass is the first one of a watch or consume (or a one-off reconcile).</summary>
    public bool IsFirstPass { get; init; }

    /// <summary>Why a pass failed (<see cref="PipelineProgressKind.ReconcileFailed"/>).</summary>
    public Exception? Error { get; init; }

    /// <summary>When the next pass runs after a failure.</summary>
    public TimeSpan? NextPassIn { get; init; }

    /// <summary>The object the report is about (<see cref="PipelineProgressKind.GaveUp"/>).</summary>
    public ObjectProcessingResult? Object { get; init; }

    /// <summary>The attempts made (<see cref="PipelineProgressKind.GaveUp"/>).</summary>
    public int Attempts { get; init; }
}
