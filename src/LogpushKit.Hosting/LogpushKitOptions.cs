using LogpushKit.Cloudflare;
using LogpushKit.Transform;

namespace LogpushKit.Hosting;

/// <summary>
/// The worker's configuration, bound from the <c>LogpushKit</c> section (appsettings.json, environment variables such as
/// <c>LogpushKit__Source</c>, user secrets) and validated at start-up. Without <see cref="Queue"/>.<see cref="LogpushKitQueueOptions.QueueId"/>
/// the worker runs the embedded default: it watches the source folder; with it, it consumes the Cloudflare queue.
/// </summary>
public sealed class LogpushKitOptions
{
    /// <summary>The configuration section name, <c>LogpushKit</c>.</summary>
    public const string SectionName = "LogpushKit";

    /// <summary>
    /// Where Logpush objects are: a local folder (it must exist; it is never created), <c>r2://bucket/folder</c> or
    /// <c>s3://bucket/folder</c>. The path names a folder: <c>r2://logs/gateway_http</c> takes <c>gateway_http/…</c> keys only. Required.
    /// </summary>
    public string? Source { get; set; }

    /// <summary>Where CSV objects go: a local folder (created when missing), <c>r2://bucket/folder</c> or <c>s3://bucket/folder</c>. Required.</summary>
    public string? Target { get; set; }

    /// <summary>
    /// The endpoint URL of <c>s3://</c> locations (and, when set, of <c>r2://</c> ones). Default: the
    /// <c>LOGPUSHKIT_S3_ENDPOINT</c> environment variable for <c>s3://</c>; <c>R2_ENDPOINT</c> or <c>R2_ACCOUNT_ID</c> for <c>r2://</c>.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// The state database (SQLite) recording what was converted, so a CSV a SIEM forwarder consumed is not produced again
    /// and a folder target holds only the CSV files. Default for a folder target: <c>$XDG_STATE_HOME/logpushkit/state.db</c>
    /// (else <c>~/.local/state/logpushkit/state.db</c>; <c>%LOCALAPPDATA%\logpushkit\state.db</c> on Windows); for a
    /// bucket target none (the provenance is on each object).
    /// </summary>
    public string? State { get; set; }

    /// <summary>
    /// With <c>OnBadLine</c> <c>quarantine</c>: where bad lines go (a folder, <c>r2://bucket/folder</c> or
    /// <c>s3://bucket/folder</c>). Default for a folder target: <c>quarantine/&lt;hash of the target&gt;</c> beside the
    /// state database; for a bucket target: beside each CSV.
    /// </summary>
    public string? Quarantine { get; set; }

    /// <summary>Only source keys under this prefix (after the prefix in <see cref="Source"/>).</summary>
    public string? Prefix { get; set; }

    /// <summary>Only source keys ending with this (case-insensitive). Default <c>.log.gz</c>.</summary>
    public string Suffix { get; set; } = ".log.gz";

    /// <summary>How target keys are named. Default <c>{path}.csv</c>; see <see cref="Pipeline.TargetKeyTemplate"/>.</summary>
    public string TargetKeyTemplate { get; set; } = "{path}.csv";

    /// <summary>Objects converted at once. Default: one per core.</summary>
    public int Concurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Reconcile the source (convert what is missing or stale) when the worker starts. Default <see langword="true"/>.</summary>
    public bool ReconcileOnStart { get; set; } = true;

    /// <summary>Reconcile again every this many seconds (0, the default: only at start), to catch lost notifications.</summary>
    public int ReconcileIntervalSeconds { get; set; }

    /// <summary>Local source folder: how long a new file must stay unchanged before it is converted, in ms. Default 1000.</summary>
    public int WatchDebounceMilliseconds { get; set; } = 1000;

    /// <summary>
    /// The bytes that objects in flight beyond <see cref="Concurrency"/> may hold, so that waiting (a bucket's requests,
    /// or between local folders reading ahead and flushing to disk) overlaps converting; still at most
    /// <see cref="Concurrency"/> objects convert at once between folders (see
    /// <see cref="Pipeline.LogpushPipelineOptions.IoBudgetBytes"/>). Default 64 MiB; 0: only <see cref="Concurrency"/>
    /// objects at once.
    /// </summary>
    public long IoBudgetBytes { get; set; } = Pipeline.LogpushPipelineOptions.DefaultIoBudgetBytes;

    /// <summary>
    /// Watching a local folder: attempts per object before it is given up until its file changes (see
    /// <see cref="Pipeline.LogpushPipelineOptions.MaxAttempts"/>). Default 5.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How objects become CSV.</summary>
    public LogpushKitTransformOptions Transform { get; set; } = new();

    /// <summary>The Cloudflare queue to consume; leave <see cref="LogpushKitQueueOptions.QueueId"/> empty to watch a local folder instead.</summary>
    public LogpushKitQueueOptions Queue { get; set; } = new();

    /// <summary>How the feed is checked (<c>AddLogpushKitFeed</c>); see <see cref="LogpushKitFeedHealthOptions"/>.</summary>
    public LogpushKitFeedHealthOptions FeedHealth { get; set; } = new();

    /// <summary>
    /// Settings per Logpush dataset (<c>LogpushKit:Datasets:gateway_http:Timestamps</c>, …): columns, timestamps and
    /// target key template for that dataset's objects, over the run-wide ones. Names must be catalog datasets.
    /// </summary>
    public IDictionary<string, LogpushKitDatasetOptions> Datasets { get; } = new Dictionary<string, LogpushKitDatasetOptions>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The transform options in configuration form (section <c>LogpushKit:Transform</c>; see <see cref="TransformOptions"/>
/// for each). Values are text in the form the CLI's flags take, parsed by <see cref="TransformOptionsText"/>; a value it
/// cannot parse fails start-up naming its key (e.g. <c>LogpushKit:Transform:Timestamps</c>).
/// </summary>
public sealed class LogpushKitTransformOptions
{
    /// <summary>The columns, in order (items, or one comma-separated item). Default: the keys of the first record; for csv input, none.</summary>
    public IList<string> Fields { get; } = [];

    /// <summary>Write a header row. Default <see langword="true"/>.</summary>
    public bool WriteHeader { get; set; } = true;

    /// <summary>The record format: <c>auto</c> (default: by content), <c>ndjson</c> or <c>csv</c>.</summary>
    public string InputFormat { get; set; } = "auto";

    /// <summary>
    /// The Logpush dataset: <c>auto</c> (default: per object, from a key path segment naming a dataset, else its first
    /// record's keys matched against the catalog; an object neither tells is converted without timestamp conversion and
    /// counted as dataset unknown), or a name (e.g. <c>gateway_http</c>) forcing one dataset; empty: none.
    /// </summary>
    public string? Dataset { get; set; } = TransformOptions.AutoDataset;

    /// <summary>
    /// Where the columns come from: <c>dataset</c> (default: a known dataset's catalog fields in catalog order, in every
    /// file) or <c>first-record</c> (each file's first record's keys). <see cref="Fields"/>, when set, wins.
    /// </summary>
    public string Columns { get; set; } = "dataset";

    /// <summary>With dataset columns, a record key that is not one of them: <c>append</c> (default), <c>ignore</c> or <c>fail</c>.</summary>
    public string OnNewKeys { get; set; } = "append";

    /// <summary>CR and LF inside a cell: <c>keep</c> (default, RFC 4180), <c>escape</c> (<c>\r</c>, <c>\n</c>) or <c>space</c>.</summary>
    public string NewlinesInCells { get; set; } = "keep";

    /// <summary>The cell delimiter: one ASCII character, or <c>tab</c>. Default <c>,</c>.</summary>
    public string Delimiter { get; set; } = ",";

    /// <summary>End rows with CRLF instead of LF.</summary>
    public bool CrLf { get; set; }

    /// <summary>Start each CSV with a UTF-8 byte-order mark.</summary>
    public bool Bom { get; set; }

    /// <summary>
    /// Convert timestamps to this: <c>rfc3339</c>, <c>rfc3339ms</c>, <c>unix</c>, <c>unixms</c>, <c>unixnano</c>, or
    /// <c>custom:</c> and a .NET date/time pattern (<c>custom:yyyy-MM-dd HH:mm:ss</c>). Default: as written.
    /// </summary>
    public string? Timestamps { get; set; }

    /// <summary>The fields <see cref="Timestamps"/> converts. Default: the dataset's timestamp fields.</summary>
    public IList<string> TimestampFields { get; } = [];

    /// <summary>How Logpush wrote timestamps: <c>auto</c> (default), <c>unix</c>, <c>unixnano</c>, <c>rfc3339</c> (its <c>timestamp_format</c>).</summary>
    public string TimestampInput { get; set; } = "auto";

    /// <summary>The time zone of converted timestamps: an IANA id, <c>utc</c> (default) or <c>local</c>.</summary>
    public string TimeZone { get; set; } = "utc";

    /// <summary>What to do with a bad line: <c>fail</c> (default), <c>skip</c>, or <c>quarantine</c> (a side object next to the CSV).</summary>
    public string OnBadLine { get; set; } = "fail";

    /// <summary>Prefix formula-like cells with <c>'</c>.</summary>
    public bool EscapeFormulas { get; set; }

    /// <summary>Treat a key that is not one of the columns as a bad line (default: only counted).</summary>
    public bool FailOnUnknownKeys { get; set; }

    /// <summary>The longest line (ndjson) or row (csv) accepted: bytes, or with a K or M suffix. Default <c>128M</c>, at most <c>512M</c>.</summary>
    public string MaxLineBytes { get; set; } = "128M";

    /// <summary>The most decompressed bytes one object may produce: bytes, or with a K, M, G or T suffix. Default <c>8G</c>.</summary>
    public string MaxDecompressedBytes { get; set; } = "8G";
}

/// <summary>
/// The Cloudflare Queues HTTP pull consumer's settings (the <c>LogpushKit:Queue</c> section). The connection settings
/// (<see cref="AccountId"/>, <see cref="ApiToken"/>, <see cref="ApiBaseUrl"/>) are resolved like the CLI's flags, by the
/// library's <see cref="CloudflareSettings"/>: a value set here wins over its environment variable
/// (<c>CLOUDFLARE_ACCOUNT_ID</c>, <c>CLOUDFLARE_API_TOKEN</c> or <c>CLOUDFLARE_EMAIL</c> + <c>CLOUDFLARE_API_KEY</c>,
/// <c>CLOUDFLARE_API_BASE_URL</c>), and they are needed only with a <see cref="QueueId"/>.
/// </summary>
public sealed class LogpushKitQueueOptions
{
    /// <summary>The configuration section of these settings, <c>LogpushKit:Queue</c>.</summary>
    public const string SectionName = LogpushKitOptions.SectionName + ":Queue";

    /// <summary>The queue id. Empty: no queue (the worker watches a local source folder).</summary>
    public string? QueueId { get; set; }

    /// <summary>The account id. Default: the <c>CLOUDFLARE_ACCOUNT_ID</c> environment variable.</summary>
    public string? AccountId { get; set; }

    /// <summary>An API token with Queues Edit. Default: <c>CLOUDFLARE_API_TOKEN</c>. Keep it in user secrets or the environment.</summary>
    public string? ApiToken { get; set; }

    /// <summary>The API base URL, an absolute http(s) URL. Default: <c>CLOUDFLARE_API_BASE_URL</c>, else Cloudflare's.</summary>
    public string? ApiBaseUrl { get; set; }

    /// <summary>Messages per pull (1–100). Default 10.</summary>
    public int BatchSize { get; set; } = 10;

    /// <summary>The lease per pull in seconds; 0 (default) derives it from <see cref="LargestExpectedObjectBytes"/>.</summary>
    public int VisibilityTimeoutSeconds { get; set; }

    /// <summary>The largest object (compressed bytes) expected. Default 100 MB.</summary>
    public long LargestExpectedObjectBytes { get; set; } = 100_000_000;

    /// <summary>The first retry delay in seconds; it doubles per attempt. Default 10.</summary>
    public int RetryDelaySeconds { get; set; } = 10;

    /// <summary>The queue's delivery limit (<c>max_retries</c> + 1), for naming poison messages in logs. Default 4.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>On shutdown, how long in-flight objects may finish, in seconds. Default 20 (below the host's 30 s shutdown timeout).</summary>
    public int DrainTimeoutSeconds { get; set; } = 20;

    /// <summary>
    /// How long the consumer may do nothing but fail (every pull, or every ack, failing) before it gives up, in seconds:
    /// the worker then stops with exit code 1 and one line on stderr. Default 300; 0 never gives up (the failing state
    /// shows in <see cref="LogpushKitWorkerState.Health"/> instead).
    /// </summary>
    public int MaxFailureSeconds { get; set; } = 300;

    /// <summary>How messages name the connection settings: <c>LogpushKit:Queue:AccountId</c>, <c>…:ApiToken</c>, <c>…:ApiBaseUrl</c> (and the environment variables).</summary>
    internal static CloudflareSettingNames SettingNames { get; } = CloudflareSettingNames.ForConfigurationSection(SectionName) with { Email = null, ApiKey = null, ZoneId = null };

    /// <summary>The connection settings: the values set here, else the environment's.</summary>
    internal CloudflareSettings ResolveCloudflare(Func<string, string?>? getVariable = null) => CloudflareSettings.Resolve(
        new CloudflareConnectionOptions { AccountId = AccountId, ApiToken = ApiToken, ApiBaseUrl = ApiBaseUrl },
        SettingNames,
        getVariable);
}
