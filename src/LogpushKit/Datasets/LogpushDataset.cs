using System.Text.RegularExpressions;

namespace LogpushKit.Datasets;

/// <summary>Whether a Logpush dataset belongs to a zone (<c>/zones/{id}</c>) or an account (<c>/accounts/{id}</c>).</summary>
public enum LogpushDatasetScope
{
    /// <summary>Zone-scoped: jobs live under <c>/zones/{zone_id}/logpush/jobs</c>.</summary>
    Zone = 0,

    /// <summary>Account-scoped: jobs live under <c>/accounts/{account_id}/logpush/jobs</c>.</summary>
    Account,
}

/// <summary>One field of a Logpush dataset, as Cloudflare's field tables (or its live fields API) describe it.</summary>
/// <param name="Name">The field name, e.g. <c>EdgeStartTimestamp</c>.</param>
/// <param name="Type">The documented type: <c>string</c>, <c>int</c>, <c>float</c>, <c>bool</c>, <c>object</c>, <c>array[string]</c>, <c>array[int]</c>, <c>array[object]</c> or <c>int or string</c>; <see langword="null"/> when undocumented.</param>
/// <param name="Description">The documentation text, when known.</param>
/// <param name="Deprecated"><see langword="true"/> when the documentation marks the field deprecated.</param>
public sealed partial record LogpushDatasetField(string Name, string? Type, string? Description = null, bool Deprecated = false)
{
    /// <summary>The type Cloudflare's field tables give timestamps, whose JSON type follows the job's <c>timestamp_format</c>.</summary>
    public const string TimestampType = "int or string";

    /// <summary>
    /// <see langword="true"/> when the field is a timestamp: type <c>int or string</c> (either order, as the docs and the
    /// fields API write it), or <c>timestamp</c> / <c>datetime</c>.
    /// </summary>
    public bool IsTimestamp => NormalizeType(Type) is "int or string" or "string or int" or "timestamp" or "datetime" or "date-time";

    /// <summary>
    /// Splits a value of the live fields API (<c>GET …/logpush/datasets/{dataset}/fields</c>), which is either a description
    /// or <c>"&lt;type&gt;; &lt;description&gt;"</c> (e.g. <c>"int or string; Timestamp at which …"</c>). The part before the
    /// first <c>;</c> counts as a type only when it is one (<c>string</c>, <c>int</c>, <c>float</c>, <c>bool</c>, <c>object</c>,
    /// <c>timestamp</c>, <c>array[…]</c>, unions with <c>or</c>), so a description that merely contains a <c>;</c> stays whole. A value that
    /// is a type and nothing else gives that type and no description.
    /// </summary>
    /// <param name="value">The API's value for a field.</param>
    /// <param name="type">The type in its normal form (lower case, single spaces), or <see langword="null"/> when the value has none.</param>
    /// <param name="description">The description (the whole value when it has no type).</param>
    /// <returns>Whether the value carried a type.</returns>
    public static bool TryParseApiValue(string? value, out string? type, out string? description)
    {
        type = null;
        description = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        if (description is null)
        {
            return false;
        }

        var semicolon = description.IndexOf(';', StringComparison.Ordinal);
        var head = semicolon < 0 ? description : description[..semicolon];
        if (!TypeExpression().IsMatch(head))
        {
            return false;
        }

        type = NormalizeType(head);
        description = semicolon < 0 ? null : description[(semicolon + 1)..].Trim() is { Length: > 0 } rest ? rest : null;
        return true;
    }

    private static string? NormalizeType(string? type) =>
        type is null ? null : WhiteSpace().Replace(type.Trim().ToLowerInvariant(), " ").Replace(" [", "[", StringComparison.Ordinal).Replace("[ ", "[", StringComparison.Ordinal).Replace(" ]", "]", StringComparison.Ordinal);

    // A base type, optionally wrapped in array[…] (nested), and unions of those joined by "or" or "|".
    [GeneratedRegex(
        @"^\s*(?:array\s*\[\s*)*(?:string|int|integer|int64|float|double|number|bool|boolean|object|timestamp|datetime|date-time)(?:\s*\])*(?:\s*(?:\bor\b|\|)\s*(?:array\s*\[\s*)*(?:string|int|integer|int64|float|double|number|bool|boolean|object|timestamp|datetime|date-time)(?:\s*\])*)*\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TypeExpression();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
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
    /// (<c>GET …/logpush/datasets/{dataset}/fields</c>, which maps each field name to <c>"&lt;type&gt;; &lt;description&gt;"</c>
    /// or a description; see <see cref="LogpushDatasetField.TryParseApiValue"/>). The live type wins; a field whose value
    /// carries no type takes the type (and, without a description, the description) of the same field in
    /// <paramref name="documented"/>, the offline fallback.
    /// </summary>
    /// <param name="name">The dataset name.</param>
    /// <param name="scope">Zone or account.</param>
    /// <param name="fields">Field names and the API's values, in the API's order.</param>
    /// <param name="documented">The documented entry of the dataset (e.g. from <see cref="LogpushDatasetCatalog.Default"/>), or <see langword="null"/>.</param>
    public static LogpushDataset FromFields(string name, LogpushDatasetScope scope, IEnumerable<KeyValuePair<string, string?>> fields, LogpushDataset? documented = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var known = documented?.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal) ?? [];
        return new LogpushDataset(name, scope, [.. fields.Select(f =>
        {
            LogpushDatasetField.TryParseApiValue(f.Value, out var type, out var description);
            known.TryGetValue(f.Key, out var doc);
            return new LogpushDatasetField(f.Key, type ?? doc?.Type, description ?? doc?.Description, doc?.Deprecated ?? false);
        })]);
    }
}
