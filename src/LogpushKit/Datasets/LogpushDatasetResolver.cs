using LogpushKit.Cloudflare;
using LogpushKit.Transform;

namespace LogpushKit.Datasets;

/// <summary>How the dataset of one Logpush object was told.</summary>
public enum DatasetSource
{
    /// <summary>Not told: the object is converted without dataset columns or timestamp conversion, and counted as "dataset unknown".</summary>
    Unknown = 0,

    /// <summary>Named by the caller (<c>--dataset NAME</c>): every object is that dataset.</summary>
    Forced,

    /// <summary>A segment of the object's key is a catalog dataset name (e.g. <c>logs/gateway_http/20240821/…</c>).</summary>
    KeyPath,

    /// <summary>The object lies under the destination path of a Logpush job (listed through the API).</summary>
    Job,

    /// <summary>The keys of the object's first ndjson record are the fields of exactly one catalog dataset.</summary>
    RecordKeys,
}

/// <summary>
/// A Logpush job as far as dataset resolution needs it: where it writes (bucket and the fixed part of its path), its
/// dataset, its <c>field_names</c> (the columns, in order) and how it writes timestamps. Built from a listed job by
/// <see cref="TryFrom"/>.
/// </summary>
/// <param name="Bucket">The destination bucket.</param>
/// <param name="PathPrefix">The fixed start of the destination path (up to the first <c>{…}</c> token, ending in <c>/</c>), or empty for the bucket root.</param>
/// <param name="Dataset">The job's dataset.</param>
public sealed record LogpushJobRoute(string Bucket, string PathPrefix, string Dataset)
{
    /// <summary>The job's <c>output_options.field_names</c>, or <see langword="null"/> (Cloudflare's default field set, not known here).</summary>
    public IReadOnlyList<string>? FieldNames { get; init; }

    /// <summary>How the job writes timestamps (<c>output_options.timestamp_format</c>; absent means <c>unixnano</c>, the API default).</summary>
    public LogpushTimestampFormat TimestampFormat { get; init; } = LogpushTimestampFormat.UnixNano;

    /// <summary>The job id, for messages.</summary>
    public long? JobId { get; init; }

    /// <summary>
    /// The route of <paramref name="job"/>: its <c>destination_conf</c> must be an R2 destination (<c>r2://bucket/path</c>
    /// or the S3-compatible R2 form) and it must name a dataset; other jobs (HTTP, Datadog, …) give <see langword="false"/>.
    /// </summary>
    public static bool TryFrom(LogpushJob job, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LogpushJobRoute? route)
    {
        ArgumentNullException.ThrowIfNull(job);
        route = null;
        if (string.IsNullOrWhiteSpace(job.Dataset) || !DestinationConf.TryParse(job.DestinationConf, out var destination))
        {
            return false;
        }

        var format = LogpushTimestampFormat.UnixNano;
        if (job.OutputOptions?.TimestampFormat is { Length: > 0 } text && TransformOptionsText.TryParseTimestampInput(text, out var parsed, out _))
        {
            format = parsed;
        }

        route = new LogpushJobRoute(destination.Bucket, FixedPrefix(destination.Path), job.Dataset.Trim())
        {
            FieldNames = job.OutputOptions?.FieldNames is { Count: > 0 } names ? names : null,
            TimestampFormat = format,
            JobId = job.Id,
        };
        return true;
    }

    /// <summary>Whether the object <paramref name="key"/> of <paramref name="bucket"/> lies under this job's destination path.</summary>
    public bool Covers(string bucket, string key)
        => string.Equals(bucket, Bucket, StringComparison.Ordinal) && key.StartsWith(PathPrefix, StringComparison.Ordinal);

    /// <summary>The part of a destination path before its first <c>{…}</c> token, cut back to a folder: <c>logs/http/{DATE}</c> gives <c>logs/http/</c>.</summary>
    internal static string FixedPrefix(string? path)
    {
        var p = (path ?? string.Empty).Trim('/');
        var token = p.IndexOf('{', StringComparison.Ordinal);
        if (token >= 0)
        {
            p = p[..token];
            var slash = p.LastIndexOf('/');
            return slash < 0 ? string.Empty : p[..(slash + 1)];
        }

        return p.Length == 0 ? string.Empty : p + "/";
    }
}

/// <summary>What <see cref="LogpushDatasetResolver"/> found for one object.</summary>
/// <param name="Dataset">The catalog entry, or <see langword="null"/> when the dataset is not known (or not in the catalog).</param>
/// <param name="Source">How it was told.</param>
public sealed record DatasetResolution(LogpushDataset? Dataset, DatasetSource Source)
{
    /// <summary>Nothing told yet (or at all).</summary>
    public static DatasetResolution Unknown { get; } = new(null, DatasetSource.Unknown);

    /// <summary>The Logpush job the object belongs to, when <see cref="Source"/> is <see cref="DatasetSource.Job"/>.</summary>
    public LogpushJobRoute? Job { get; init; }
}

/// <summary>
/// Tells the Logpush dataset of an object, in this order: (1) a segment of its key that is a catalog dataset name
/// (<c>…/gateway_http/20240821/…</c>; the segment nearest the file wins); (2) the Logpush job whose destination path the
/// key lies under (the longest matching path; two jobs on the same path tell nothing); (3) later, from the object's
/// first record (<see cref="MatchRecordKeys(IReadOnlyCollection{string})"/>), which the conversion does without reading the object twice. An object
/// none of these tells is "dataset unknown". Thread-safe and immutable.
/// </summary>
public sealed class LogpushDatasetResolver
{
    private readonly LogpushJobRoute[] _jobs;

    /// <summary>Creates a resolver over <paramref name="catalog"/> (default: the documented datasets) and the listed <paramref name="jobs"/>.</summary>
    public LogpushDatasetResolver(LogpushDatasetCatalog? catalog = null, IEnumerable<LogpushJobRoute>? jobs = null)
    {
        Catalog = catalog ?? LogpushDatasetCatalog.Default;
        _jobs = jobs is null ? [] : [.. jobs.OrderByDescending(j => j.PathPrefix.Length)];
    }

    /// <summary>The catalog names and fields are looked up in.</summary>
    public LogpushDatasetCatalog Catalog { get; }

    /// <summary>The jobs known to this resolver, longest path first.</summary>
    public IReadOnlyList<LogpushJobRoute> Jobs => _jobs;

    /// <summary>
    /// The dataset of <paramref name="key"/> of <paramref name="bucket"/> by its key path, then by the job whose
    /// destination it lies under; <see cref="DatasetResolution.Unknown"/> when neither tells (the first record may).
    /// </summary>
    public DatasetResolution ResolveByKey(string bucket, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var segments = key.Split('/');
        for (var i = segments.Length - 2; i >= 0; i--)
        {
            if (Catalog.TryGet(segments[i], null, out var named))
            {
                return new DatasetResolution(named, DatasetSource.KeyPath);
            }
        }

        for (var i = 0; i < _jobs.Length; i++)
        {
            var job = _jobs[i];
            if (!job.Covers(bucket, key))
            {
                continue;
            }

            // a second job on the same path (or a dataset the catalog does not know) tells nothing
            if (i + 1 < _jobs.Length && _jobs[i + 1].PathPrefix.Length == job.PathPrefix.Length && _jobs[i + 1].Covers(bucket, key)
                && !string.Equals(_jobs[i + 1].Dataset, job.Dataset, StringComparison.OrdinalIgnoreCase))
            {
                return DatasetResolution.Unknown;
            }

            Catalog.TryGet(job.Dataset, null, out var dataset);
            return new DatasetResolution(dataset ?? new LogpushDataset(job.Dataset, LogpushDatasetScope.Zone, []), DatasetSource.Job) { Job = job };
        }

        return DatasetResolution.Unknown;
    }

    /// <summary>
    /// The dataset whose fields the keys of a first record are: the keys must all be fields of the dataset (so records of
    /// all-fields and field-subset jobs alike match). Where several datasets hold all the keys, the one whose fields are
    /// exactly the keys wins; scope variants of one name (<c>firewall_events</c>) count as one, the smaller variant
    /// holding the keys chosen. Anything else (no dataset holds them all, or several do equally) is ambiguous:
    /// <see langword="null"/>.
    /// </summary>
    public LogpushDataset? MatchRecordKeys(IReadOnlyCollection<string> keys) => MatchRecordKeys(Catalog, keys);

    /// <summary>
    /// The dataset of a csv row of <paramref name="cells"/> cells (Logpush csv has no header): the one catalog field set
    /// (a dataset, or one scope variant of it) with exactly that many fields, among <paramref name="among"/> when given
    /// (the variants of a dataset told otherwise), else among the whole catalog; <see langword="null"/> when none or
    /// several have that count. The header it gives is the catalog's field order, which is the order Logpush writes an
    /// all-fields job's csv cells in only when the job's <c>field_names</c> list them in that order: a job known through
    /// the API gives its own <c>field_names</c> instead.
    /// </summary>
    public static LogpushDataset? MatchCellCount(LogpushDatasetCatalog catalog, int cells, IReadOnlyList<LogpushDataset>? among = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var matches = (among ?? catalog.Datasets).Where(d => d.Fields.Count == cells).Take(2).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary><see cref="MatchRecordKeys(IReadOnlyCollection{string})"/> over any catalog.</summary>
    public static LogpushDataset? MatchRecordKeys(LogpushDatasetCatalog catalog, IReadOnlyCollection<string> keys)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return null;
        }

        var candidates = new List<LogpushDataset>();
        foreach (var dataset in catalog.Datasets)
        {
            if (dataset.Fields.Count >= keys.Count && dataset.FieldNames.ToHashSet(StringComparer.Ordinal) is var fields && keys.All(fields.Contains))
            {
                candidates.Add(dataset);
            }
        }

        var names = candidates.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (names.Count > 1)
        {
            var exact = candidates.Where(c => c.Fields.Count == keys.Count).ToList();
            if (exact.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != 1)
            {
                return null;
            }

            candidates = exact;
        }

        return candidates.Count == 0 ? null : candidates.MinBy(c => c.Fields.Count);
    }
}
