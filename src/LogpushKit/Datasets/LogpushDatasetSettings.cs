using LogpushKit.Pipeline;
using LogpushKit.Transform;

namespace LogpushKit.Datasets;

/// <summary>
/// The settings of one dataset that override the run's (the CLI's <c>--config</c> file and the worker's
/// <c>LogpushKit:Datasets:&lt;name&gt;</c> section): its columns, its timestamp output format and its target key template.
/// A setting left <see langword="null"/> keeps the run's.
/// </summary>
/// <remarks>
/// <para><b>Precedence.</b> For an object of this dataset, each setting given here wins over the run-wide one (the CLI's
/// <c>--fields</c>/<c>--columns</c>, <c>--timestamps</c>, <c>--target-template</c>; the worker's
/// <c>LogpushKit:Transform:Fields</c>/<c>Columns</c>, <c>LogpushKit:Transform:Timestamps</c>,
/// <c>LogpushKit:TargetKeyTemplate</c>); the run-wide value applies to every other dataset and to objects whose dataset
/// is not known. <see cref="Fields"/> also wins over the <c>field_names</c> of the dataset's Logpush job.</para>
/// <para>The settings shape each object's options fingerprint, so changing one dataset's settings reconverts that
/// dataset's objects only.</para>
/// </remarks>
public sealed record LogpushDatasetSettings
{
    /// <summary>
    /// The dataset's columns, in order, in every file (like a Logpush job's <c>field_names</c>): record keys outside them
    /// follow <see cref="TransformOptions.OnNewKeys"/>, and csv objects of the dataset get them as their header (they name
    /// its cells, in order). <see langword="null"/>: the run's columns.
    /// </summary>
    public IReadOnlyList<string>? Fields { get; init; }

    /// <summary>What the dataset's timestamps become. <see langword="null"/>: the run's <see cref="TransformOptions.TimestampOutput"/>.</summary>
    public TimestampOutputFormat? Timestamps { get; init; }

    /// <summary>The .NET date/time pattern when <see cref="Timestamps"/> is <see cref="TimestampOutputFormat.Custom"/>.</summary>
    public string? TimestampCustomFormat { get; init; }

    /// <summary>How target keys of the dataset's objects are named. <see langword="null"/>: the run's template.</summary>
    public TargetKeyTemplate? TargetKeyTemplate { get; init; }

    /// <summary>The transform options of an object of this dataset: <paramref name="run"/> (already set to the dataset) with these settings over it.</summary>
    /// <param name="run">The object's options before these settings.</param>
    /// <returns>The options to convert the object with.</returns>
    public TransformOptions ApplyTo(TransformOptions run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var result = run;
        if (Fields is { Count: > 0 } fields)
        {
            result = result with { Fields = null, DatasetColumns = true, DatasetFields = fields };
        }

        if (Timestamps is { } timestamps)
        {
            result = result with { TimestampOutput = timestamps, TimestampCustomFormat = timestamps == TimestampOutputFormat.Custom ? TimestampCustomFormat : null };
        }

        return result;
    }
}
