using LogpushKit.Datasets;

namespace LogpushKit.Benchmarks.Generation;

/// <summary>The generator's view of a dataset from LogpushKit's catalog: field names and shapes, in catalog order.</summary>
public static class DatasetFields
{
    /// <summary>
    /// The fields of <paramref name="dataset"/> (deprecated ones left out), or only <paramref name="only"/> in that order.
    /// </summary>
    public static IReadOnlyList<GeneratorField> For(string dataset, IReadOnlyList<string>? only = null)
    {
        var entry = LogpushDatasetCatalog.Default.Get(dataset);
        var fields = entry.Fields.Where(f => !f.Deprecated).Select(f => new GeneratorField(f.Name, GeneratorField.KindOf(f.Type))).ToList();
        if (only is null or { Count: 0 })
        {
            return fields;
        }

        var byName = entry.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        return [.. only.Select(name => byName.TryGetValue(name, out var f)
            ? new GeneratorField(f.Name, GeneratorField.KindOf(f.Type))
            : throw new ArgumentException($"The dataset '{dataset}' has no field '{name}'.", nameof(only)))];
    }

    /// <summary>The dataset names in the catalog.</summary>
    public static IEnumerable<string> Names => LogpushDatasetCatalog.Default.Datasets.Select(d => d.Name).Distinct(StringComparer.Ordinal);
}
