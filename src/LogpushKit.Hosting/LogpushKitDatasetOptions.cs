namespace LogpushKit.Hosting;

/// <summary>
/// The settings of one Logpush dataset (section <c>LogpushKit:Datasets:&lt;dataset&gt;</c>, e.g.
/// <c>LogpushKit:Datasets:gateway_http</c>; the same shape in the CLI's <c>--config</c> file). Each setting given here
/// wins, for objects of that dataset, over the run-wide one (see <see cref="Datasets.LogpushDatasetSettings"/>);
/// values are text in the form of the run-wide settings.
/// </summary>
public sealed class LogpushKitDatasetOptions
{
    /// <summary>
    /// The dataset's columns, in order, in every file (items, or one comma-separated item), like a Logpush job's
    /// <c>field_names</c>: record keys outside them follow <c>LogpushKit:Transform:OnNewKeys</c>, and the dataset's csv
    /// objects get them as their header. Wins over <c>LogpushKit:Transform:Fields</c> and <c>Columns</c> (and the CLI's
    /// <c>--fields</c>, <c>--columns</c>) and over the job's <c>field_names</c>. Default: the run's columns.
    /// </summary>
    public IList<string> Fields { get; } = [];

    /// <summary>
    /// What the dataset's timestamps become, like <c>LogpushKit:Transform:Timestamps</c> (<c>rfc3339</c>, <c>unixnano</c>,
    /// <c>custom:yyyy-MM-dd HH:mm:ss</c>, …), which it overrides for this dataset (as it does the CLI's <c>--timestamps</c>).
    /// Default: the run's.
    /// </summary>
    public string? Timestamps { get; set; }

    /// <summary>
    /// How the dataset's target keys are named (tokens as <c>LogpushKit:TargetKeyTemplate</c>, <c>{dataset}</c> included),
    /// overriding it (and the CLI's <c>--target-template</c>) for this dataset. Default: the run's.
    /// </summary>
    public string? TargetKeyTemplate { get; set; }
}
