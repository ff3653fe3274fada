using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogpushKit.Datasets;

/// <summary>
/// The Logpush datasets and their fields, built from Cloudflare's documented field tables (embedded in this assembly)
/// or from any list of <see cref="LogpushDataset"/> (for example one refreshed from the live fields API).
/// Names are matched case-insensitively. Some names exist in both scopes (<c>firewall_events</c>, whose account
/// variant adds fields).
/// </summary>
public sealed class LogpushDatasetCatalog
{
    private const string ResourceName = "LogpushKit.Datasets.logpush-datasets.json";
    private static readonly Lazy<LogpushDatasetCatalog> Embedded = new(LoadEmbedded);
    private readonly FrozenDictionary<string, LogpushDataset[]> _byName;

    /// <summary>Creates a catalog of <paramref name="datasets"/>; a name may appear once per scope.</summary>
    /// <exception cref="ArgumentException">A name appears twice in the same scope.</exception>
    public LogpushDatasetCatalog(IEnumerable<LogpushDataset> datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        Datasets = [.. datasets];
        var duplicate = Datasets.GroupBy(d => (Name: d.Name.ToUpperInvariant(), d.Scope)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"The dataset '{duplicate.First().Name}' appears twice in scope {duplicate.Key.Scope}.", nameof(datasets));
        }

        _byName = Datasets.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(d => d.Scope).ToArray(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The catalog of the documented datasets (loaded once, on first use).</summary>
    public static LogpushDatasetCatalog Default => Embedded.Value;

    /// <summary>Every dataset entry (one per name and scope).</summary>
    public IReadOnlyList<LogpushDataset> Datasets { get; }

    /// <summary>Finds a dataset by name (case-insensitive); with no <paramref name="scope"/>, the zone variant wins when both exist.</summary>
    public bool TryGet(string name, LogpushDatasetScope? scope, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LogpushDataset? dataset)
    {
        dataset = null;
        if (name is null || !_byName.TryGetValue(name, out var variants))
        {
            return false;
        }

        dataset = scope is { } s ? variants.FirstOrDefault(v => v.Scope == s) : variants[0];
        return dataset is not null;
    }

    /// <summary>Finds a dataset by name (case-insensitive) and scope.</summary>
    /// <exception cref="KeyNotFoundException">No such dataset in that scope.</exception>
    public LogpushDataset Get(string name, LogpushDatasetScope? scope = null)
        => TryGet(name, scope, out var dataset)
            ? dataset
            : throw new KeyNotFoundException(scope is null
                ? $"The dataset '{name}' is not in the catalog."
                : $"The dataset '{name}' is not in the catalog for scope {scope}.");

    /// <summary>All scope variants of a dataset name (empty when unknown).</summary>
    public IReadOnlyList<LogpushDataset> FindAll(string name)
        => name is not null && _byName.TryGetValue(name, out var variants) ? variants : [];

    /// <summary>A new catalog with <paramref name="dataset"/> added, or replacing the entry of the same name and scope.</summary>
    public LogpushDatasetCatalog With(LogpushDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new LogpushDatasetCatalog(Datasets
            .Where(d => !(d.Scope == dataset.Scope && string.Equals(d.Name, dataset.Name, StringComparison.OrdinalIgnoreCase)))
            .Append(dataset));
    }

    private static LogpushDatasetCatalog LoadEmbedded()
    {
        using var stream = typeof(LogpushDatasetCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        var entries = JsonSerializer.Deserialize(stream, DatasetCatalogJsonContext.Default.CatalogEntryArray)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is empty.");
        return new LogpushDatasetCatalog(entries.Select(e => new LogpushDataset(
            e.Dataset,
            string.Equals(e.Scope, "account", StringComparison.OrdinalIgnoreCase) ? LogpushDatasetScope.Account : LogpushDatasetScope.Zone,
            [.. e.Fields.Select(f => new LogpushDatasetField(f.Name, f.Type, f.Description, f.Deprecated))])));
    }
}

/// <summary>The embedded catalog's JSON shape.</summary>
internal sealed record CatalogEntry(string Dataset, string Scope, CatalogField[] Fields);

/// <summary>One field in the embedded catalog's JSON.</summary>
internal sealed record CatalogField(string Name, string? Type, string? Description, bool Deprecated);

/// <summary>Source-generated (AOT- and trim-safe) JSON metadata for the embedded catalog.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CatalogEntry[]))]
internal sealed partial class DatasetCatalogJsonContext : JsonSerializerContext;
