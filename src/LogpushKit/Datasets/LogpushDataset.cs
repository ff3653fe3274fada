namespace LogpushKit.Datasets;

/// <summary>Whether a Logpush dataset belongs to a zone (<c>/zones/{id}</c>) or an account (<c>/accounts/{id}</c>).</summary>
public enum LogpushDatasetScope
{
    /// <summary>Zone-scoped: jobs live under <c>/zones/{zone_id}/logpush/jobs</c>.</summary>
    Zone = 0,

    /// <summary>Account-scoped: jobs live under <c>/accounts/{account_id}/logpush/jobs</c>.</summary>
    Account,
}

/// <summary>One field of a Logpush dataset, as Cloudflare's field tables describe it.</summary>
/// <param name="Name">The field name, e.g. <c>EdgeStartTimestamp</c>.</param>
/// <param name="Type">The documented type: <c>string</c>, <c>int</c>, <c>float</c>, <c>bool</c>, <c>object</c>, <c>array[string]</c>, <c>array[int]</c>, <c>array[object]</c> or <c>int or string</c>; <see langword="null"/> when undocumented.</param>
/// <param name="Description">The documentation text, when known.</param>
/// <param name="Deprecated"><see langword="true"/> when the documentation marks the field deprecated.</param>
public sealed record LogpushDatasetField(string Name, string? Type, string? Description = null, bool Deprecated = false)
{
    /// <summary>The type Cloudflare's field tables give timestamps, whose JSON type follows the job's <c>timestamp_format</c>.</summary>
    public const string TimestampType = "int or string";

    /// <summary><see langword="true"/> when the field is a timestamp (type <c>int or string</c>).</summary>
    public bool IsTimestamp => string.Equals(Type, TimestampType, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A Logpush dataset: its name, scope and fields in documentation order.</summary>
public sealed record LogpushDataset
{
    /// <summary>Creates a dataset entry.</summary>
    /// <param name="name">The dataset name, e.g. <c>gateway_http</c>.</param>
    /// <param name="scope">Zone or account.</param>
    /// <param name="fields">The fields, in order.</param>
    public LogpushDataset(string name, LogpushDatasetScope scope, IReadOnlyList<LogpushDatasetField> fields)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(fields);
        Name = name;
        Scope = scope;
        Fields = fields;
        TimestampFields = [.. fields.Where(f => f.IsTimestamp).Select(f => f.Name)];
    }

    /// <summary>The dataset name, e.g. <c>gateway_http</c>.</summary>
    public string Name { get; }

    /// <summary>Zone or account.</summary>
    public LogpushDatasetScope Scope { get; }

    /// <summary>The fields, in documentation order.</summary>
    public IReadOnlyList<LogpushDatasetField> Fields { get; }

    /// <summary>The names of the timestamp fields (type <c>int or string</c>), in order.</summary>
    public IReadOnlyList<string> TimestampFields { get; }

    /// <summary>The field names, in order (what a Logpush job's <c>field_names</c> would list to get every field).</summary>
    public IEnumerable<string> FieldNames => Fields.Select(f => f.Name);

    /// <summary>
    /// Builds an entry from a field list fetched from the live Logpush fields API
    /// (<c>GET …/logpush/datasets/{dataset}/fields</c>, which maps each field name to a description or type text).
    /// </summary>
    /// <param name="name">The dataset name.</param>
    /// <param name="scope">Zone or account.</param>
    /// <param name="fields">Field names and their types (<c>int or string</c> marks timestamps).</param>
    public static LogpushDataset FromFields(string name, LogpushDatasetScope scope, IEnumerable<KeyValuePair<string, string?>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return new LogpushDataset(name, scope, [.. fields.Select(f => new LogpushDatasetField(f.Key, f.Value))]);
    }
}
