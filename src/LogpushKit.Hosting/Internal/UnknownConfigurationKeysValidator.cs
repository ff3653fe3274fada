using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting;

/// <summary>
/// Refuses configuration keys under the <c>LogpushKit</c> section that no setting reads: a misspelt key
/// (<c>LogpushKit__Queue__MaxFailureSecond</c>) would otherwise be ignored and its default used without a word. Each one is
/// a start-up error naming the key, with the setting it most likely means.
/// </summary>
/// <remarks>
/// An error, not a warning: the worker's rule is that a setting that cannot apply is refused, never ignored, and a warning
/// in a service log is read after the damage. Keys are compared as configuration compares them, ignoring case.
/// </remarks>
internal sealed class UnknownConfigurationKeysValidator : IValidateOptions<LogpushKitOptions>
{
    private static readonly HashSet<string> RootKeys = PropertyNames(typeof(LogpushKitOptions));
    private static readonly HashSet<string> TransformKeys = PropertyNames(typeof(LogpushKitTransformOptions));
    private static readonly HashSet<string> QueueKeys = PropertyNames(typeof(LogpushKitQueueOptions));
    private static readonly HashSet<string> FeedHealthKeys = PropertyNames(typeof(LogpushKitFeedHealthOptions));
    private static readonly HashSet<string> DatasetKeys = PropertyNames(typeof(LogpushKitDatasetOptions));

    /// <summary>The list-valued settings: their items are <c>Key:0</c>, <c>Key:1</c>, … (or the key itself holds <c>a,b,c</c>).</summary>
    private static readonly HashSet<string> ListKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(LogpushKitTransformOptions.Fields),
        nameof(LogpushKitTransformOptions.TimestampFields),
    };

    private readonly IConfiguration _section;

    public UnknownConfigurationKeysValidator(IConfiguration section) => _section = section;

    public ValidateOptionsResult Validate(string? name, LogpushKitOptions options)
    {
        var path = _section is IConfigurationSection s ? s.Path : string.Empty;
        var failures = new List<string>();
        Check(_section, path, RootKeys, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(IConfiguration section, string path, HashSet<string> known, List<string> failures)
    {
        foreach (var child in section.GetChildren())
        {
            var key = Join(path, child.Key);
            if (!known.Contains(child.Key))
            {
                failures.Add(Unknown(key, child.Key, path, known));
            }
            else if (known == RootKeys && child.Key.Equals(nameof(LogpushKitOptions.Transform), StringComparison.OrdinalIgnoreCase))
            {
                Check(child, key, TransformKeys, failures);
            }
            else if (known == RootKeys && child.Key.Equals(nameof(LogpushKitOptions.Queue), StringComparison.OrdinalIgnoreCase))
            {
                Check(child, key, QueueKeys, failures);
            }
            else if (known == RootKeys && child.Key.Equals(nameof(LogpushKitOptions.FeedHealth), StringComparison.OrdinalIgnoreCase))
            {
                Check(child, key, FeedHealthKeys, failures);
            }
            else if (known == RootKeys && child.Key.Equals(nameof(LogpushKitOptions.Datasets), StringComparison.OrdinalIgnoreCase))
            {
                CheckDatasets(child, failures);
            }
            else if (ListKeys.Contains(child.Key))
            {
                // items are numbered: Fields:0, Fields:1 …
                failures.AddRange(child.GetChildren()
                    .Where(item => !int.TryParse(item.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                    .Select(item => $"{Join(key, item.Key)} is not a setting: {key} takes a list of items ({key}:0, {key}:1, …) or one comma-separated value."));
            }
            else
            {
                // a single value: nothing reads keys beneath it
                failures.AddRange(child.GetChildren().Select(item => $"{Join(key, item.Key)} is not a setting: {key} takes a single value."));
            }
        }
    }

    /// <summary>
    /// The <c>LogpushKit:Datasets</c> section: one section per dataset (its name is checked against the catalog with its
    /// values), each with the keys of <see cref="LogpushKitDatasetOptions"/>.
    /// </summary>
    internal static void CheckDatasets(IConfigurationSection section, List<string> failures)
    {
        if (section.Value is not null)
        {
            failures.Add($"{section.Path} is not a setting: it takes one section per dataset ({section.Path}:gateway_http:Timestamps, …).");
        }

        foreach (var dataset in section.GetChildren())
        {
            if (dataset.Value is not null)
            {
                failures.Add($"{dataset.Path} is not a setting: {section.Path} takes one section per dataset ({section.Path}:gateway_http:Timestamps, …).");
            }

            Check(dataset, dataset.Path, DatasetKeys, failures);
        }
    }

    private static string Unknown(string key, string name, string path, HashSet<string> known)
    {
        var best = known.Select(k => (Key: k, Distance: EditDistance.Between(name.ToUpperInvariant(), k.ToUpperInvariant()))).MinBy(k => k.Distance);
        var hint = best.Key is not null && best.Distance <= Math.Max(2, name.Length / 4) ? $" (did you mean {Join(path, best.Key)}?)" : string.Empty;
        return hint.Length > 0
            ? $"{key} is not a setting{hint}; it would be ignored."
            : $"{key} is not a setting; it would be ignored. The settings under {(path.Length == 0 ? "this section" : path)} are {string.Join(", ", known.Order(StringComparer.Ordinal))}.";
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}:{key}";

    private static HashSet<string> PropertyNames(
        [System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
        => new(type.GetProperties().Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
}
