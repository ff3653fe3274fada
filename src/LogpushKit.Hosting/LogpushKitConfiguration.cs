using LogpushKit.Datasets;
using LogpushKit.Storage;
using LogpushKit.Transform;
using Microsoft.Extensions.Configuration;

namespace LogpushKit.Hosting;

/// <summary>
/// Reads the per-dataset settings (<c>LogpushKit:Datasets</c>) from any configuration with the code the worker uses, so
/// that another host (the CLI's <c>--config FILE</c>, a JSON file in the shape of the worker's appsettings section) means
/// the same by the same keys.
/// </summary>
public static class LogpushKitConfiguration
{
    /// <summary>
    /// The per-dataset settings of <paramref name="configuration"/> (the configuration root: its <c>LogpushKit</c>
    /// section), checked as the worker checks them: unknown keys, names that are not catalog datasets (with the nearest
    /// name), values that do not parse, and settings that cannot apply under <paramref name="run"/>. Any other key than
    /// <c>LogpushKit:Datasets</c> is refused: the run-wide settings are the host's own (flags).
    /// </summary>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="run">The run-wide transform options the settings go over.</param>
    /// <param name="datasetSetting">How the host names the run's dataset setting, for messages (e.g. <c>--dataset</c>).</param>
    /// <returns>The settings by dataset name.</returns>
    /// <exception cref="LogpushSettingException">A key or value is refused; the message names every one by its key path.</exception>
    public static IReadOnlyDictionary<string, LogpushDatasetSettings> ReadDatasetSettings(IConfiguration configuration, TransformOptions run, string datasetSetting)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrEmpty(datasetSetting);
        var failures = new List<string>();
        foreach (var top in configuration.GetChildren())
        {
            if (!top.Key.Equals(LogpushKitOptions.SectionName, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{top.Path} is not a setting: the file holds one {LogpushKitOptions.SectionName} section, with {DatasetSettingsFactory.Section}.");
                continue;
            }

            foreach (var child in top.GetChildren())
            {
                if (!child.Key.Equals(nameof(LogpushKitOptions.Datasets), StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{child.Path} is not read here: only {DatasetSettingsFactory.Section} is; give the run-wide settings as the command's options.");
                }
            }
        }

        var section = configuration.GetSection(DatasetSettingsFactory.Section);
        UnknownConfigurationKeysValidator.CheckDatasets(section, failures);
        var options = new LogpushKitOptions();
        section.Bind(options.Datasets);
        var settings = failures.Count == 0 ? DatasetSettingsFactory.TryCreate(options.Datasets, run, datasetSetting, failures) : null;
        if (failures.Count == 0)
        {
            return settings!;
        }

        var first = failures[0];
        var colon = first.IndexOf(": ", StringComparison.Ordinal);
        var space = first.IndexOf(' ', StringComparison.Ordinal);
        // "<key>: <problem>" or "<key> is not …": the exception's message is "<key>: <problem>"
        var (setting, rest) = colon > 0 && colon < space ? (first[..colon], first[(colon + 2)..]) : (first[..space], first[(space + 1)..]);
        rest = rest.StartsWith("is ", StringComparison.Ordinal) ? rest[3..] : rest;
        throw new LogpushSettingException(setting, string.Join(" ", failures.Skip(1).Prepend(rest)));
    }
}
