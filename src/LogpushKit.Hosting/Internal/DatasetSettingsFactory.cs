using LogpushKit.Datasets;
using LogpushKit.Pipeline;
using LogpushKit.Transform;

namespace LogpushKit.Hosting;

/// <summary>
/// Turns the <c>LogpushKit:Datasets</c> section (<see cref="LogpushKitOptions.Datasets"/>) into
/// <see cref="LogpushDatasetSettings"/> by dataset name, parsing each value as the run-wide setting of the same name is
/// parsed, and refusing what cannot apply. Every failure starts with its key path (<c>LogpushKit:Datasets:gateway_htp</c>).
/// The worker and the CLI's <c>--config</c> use this one implementation.
/// </summary>
internal static class DatasetSettingsFactory
{
    /// <summary>The configuration section of the per-dataset settings.</summary>
    public const string Section = LogpushKitOptions.SectionName + ":Datasets";

    /// <summary>
    /// The settings, or one message per problem added to <paramref name="failures"/>: a name that is not a catalog dataset
    /// (with the nearest name), a value that does not parse, a dataset whose options the transform refuses, and settings
    /// that no object could use because <paramref name="run"/> forces another dataset (<paramref name="datasetSetting"/>
    /// names that setting) or tells none.
    /// </summary>
    public static IReadOnlyDictionary<string, LogpushDatasetSettings> TryCreate(
        IDictionary<string, LogpushKitDatasetOptions> datasets, TransformOptions? run, string datasetSetting, List<string> failures, string section = Section)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        ArgumentNullException.ThrowIfNull(failures);
        var catalog = run?.DatasetCatalog ?? LogpushDatasetCatalog.Default;
        var result = new Dictionary<string, LogpushDatasetSettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, options) in datasets.OrderBy(d => d.Key, StringComparer.OrdinalIgnoreCase))
        {
            var key = $"{section}:{name}";
            var variants = catalog.FindAll(name);
            if (variants.Count == 0)
            {
                failures.Add($"{key}: '{name}' is not a Logpush dataset{Nearest(name, catalog)}.");
                continue;
            }

            var before = failures.Count;
            IReadOnlyList<string>? fields = null;
            if (options.Fields.Count > 0 && !TransformOptionsText.TryParseFieldList(options.Fields, out fields, out var fieldError))
            {
                failures.Add($"{key}:Fields: {fieldError}");
            }

            TimestampOutputFormat? timestamps = null;
            string? pattern = null;
            if (!string.IsNullOrWhiteSpace(options.Timestamps))
            {
                if (TransformOptionsText.TryParseTimestampFormat(options.Timestamps, out var format, out pattern, out var error))
                {
                    timestamps = format;
                }
                else
                {
                    failures.Add($"{key}:Timestamps: {error}");
                }
            }

            TargetKeyTemplate? template = null;
            if (!string.IsNullOrWhiteSpace(options.TargetKeyTemplate))
            {
                try
                {
                    template = new TargetKeyTemplate(options.TargetKeyTemplate);
                }
                catch (ArgumentException ex)
                {
                    failures.Add($"{key}:TargetKeyTemplate: {ex.Message.Split(" (Parameter", 2)[0]}");
                }
            }

            if (failures.Count > before)
            {
                continue;
            }

            var settings = new LogpushDatasetSettings { Fields = fields, Timestamps = timestamps, TimestampCustomFormat = pattern, TargetKeyTemplate = template };
            if (run is not null && !Applies(run, variants[0].Name, settings, key, datasetSetting, failures))
            {
                continue;
            }

            result[variants[0].Name] = settings;
        }

        return result;
    }

    private static bool Applies(TransformOptions run, string name, LogpushDatasetSettings settings, string key, string datasetSetting, List<string> failures)
    {
        if (run.Dataset is null)
        {
            failures.Add($"{key} cannot apply: {datasetSetting} is none, so no object has a dataset. Set {datasetSetting} to auto (or to {name}), or remove {key}.");
            return false;
        }

        if (!string.Equals(run.Dataset, TransformOptions.AutoDataset, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(run.Dataset, name, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{key} cannot apply: {datasetSetting} {run.Dataset} makes every object {run.Dataset}. Drop one of them.");
            return false;
        }

        try
        {
            var transform = settings.ApplyTo(run with { Dataset = name, DatasetColumns = run.DatasetColumns || settings.Fields is not null });
            _ = new LogpushCsvTransformer(transform);
            return true;
        }
        catch (ArgumentException ex)
        {
            failures.Add($"{key}: {ex.Message.Split(" (Parameter", 2)[0]}");
            return false;
        }
    }

    private static string Nearest(string name, LogpushDatasetCatalog catalog)
    {
        var best = catalog.Datasets.Select(d => d.Name).Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(n => (Name: n, Distance: EditDistance.Between(name.ToLowerInvariant(), n.ToLowerInvariant()))).MinBy(n => n.Distance);
        return best.Name is not null && best.Distance <= Math.Max(2, name.Length / 4)
            ? $" (did you mean {best.Name}?)"
            : $"; the catalog's datasets are {string.Join(", ", catalog.Datasets.Select(d => d.Name).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))}";
    }
}
