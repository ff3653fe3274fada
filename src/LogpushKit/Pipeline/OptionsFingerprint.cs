using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LogpushKit.Transform;

namespace LogpushKit.Pipeline;

/// <summary>
/// A short hash of everything that shapes a converted object's bytes, stored on each target
/// (<see cref="ProvenanceMetadata.OptionsFingerprint"/>) so that a change of options reconverts on the next run and the
/// same options rewrite nothing.
/// </summary>
/// <remarks>
/// <para><b>What it covers:</b> the converter version (which pins the dataset catalog and the conversion rules); the
/// columns (<see cref="TransformOptions.Fields"/>, header on/off, the object's dataset as resolved before reading — a
/// name, or <c>auto</c> for detection from the first record — stable dataset columns, the job's <c>field_names</c>,
/// the new-key policy and <see cref="TransformOptions.FailOnUnknownKeys"/>); the timestamps (output format and custom
/// pattern, time zone id, input format, timestamp fields); the cell and row form (delimiter, row ending, BOM,
/// formula escaping, newlines in cells, the input format); and the target key template. Per-dataset settings
/// (<see cref="Datasets.LogpushDatasetSettings"/>) are in it as the object's own options and template: an object is
/// fingerprinted with what its dataset's settings made of the run's, so a change to one dataset's settings changes the
/// fingerprint of that dataset's objects only.</para>
/// <para><b>What it leaves out</b>, because it does not change the bytes of a good conversion: the bad-line policy, the
/// line and decompression limits, buffer sizes, concurrency.</para>
/// <para>The text hashed is one <c>name=value</c> line per setting in a fixed order (see <see cref="Describe"/>); the
/// fingerprint is the first 12 hex digits (48 bits) of its SHA-256.</para>
/// </remarks>
public static class OptionsFingerprint
{
    /// <summary>The fingerprint of converting with <paramref name="transform"/> into keys named by <paramref name="template"/>.</summary>
    /// <param name="transform">The object's own transform options (its resolved dataset included).</param>
    /// <param name="template">The target key template.</param>
    /// <param name="converter">The converter and version, e.g. <c>LogpushKit/1.2.0</c>.</param>
    /// <returns>12 lower-case hex digits.</returns>
    public static string Compute(TransformOptions transform, TargetKeyTemplate template, string converter)
    {
        var text = Describe(transform, template, converter);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..6]);
    }

    /// <summary>The text <see cref="Compute"/> hashes: one <c>name=value</c> line per setting.</summary>
    public static string Describe(TransformOptions transform, TargetKeyTemplate template, string converter)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(converter);
        var b = new StringBuilder();
        void Line(string name, object? value) => b.Append(name).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        static string List(IReadOnlyList<string>? names) => names is null ? "-" : string.Join(",", names.Select(n => Uri.EscapeDataString(n)));
        Line("converter", converter);
        Line("fields", List(transform.Fields));
        Line("header", transform.WriteHeader);
        Line("input", transform.InputFormat);
        Line("dataset", transform.Dataset?.ToLowerInvariant() ?? "-");
        Line("dataset-columns", transform.DatasetColumns);
        Line("dataset-fields", List(transform.DatasetFields));
        Line("on-new-keys", transform.OnNewKeys);
        Line("fail-on-unknown-keys", transform.FailOnUnknownKeys);
        Line("timestamps", transform.TimestampOutput?.ToString() ?? "-");
        Line("timestamps-custom", transform.TimestampOutput == TimestampOutputFormat.Custom ? transform.TimestampCustomFormat : "-");
        Line("time-zone", transform.TimestampOutput is null ? "-" : transform.TimeZone.Id);
        Line("timestamp-input", transform.TimestampOutput is null ? "-" : transform.TimestampInput.ToString());
        Line("timestamp-fields", transform.TimestampOutput is null ? "-" : List(transform.TimestampFields));
        Line("delimiter", ((int)transform.Delimiter).ToString(CultureInfo.InvariantCulture));
        Line("row-ending", transform.RowEnding);
        Line("bom", transform.WriteBom);
        Line("escape-formulas", transform.EscapeFormulas);
        Line("newlines-in-cells", transform.NewlinesInCells);
        Line("catalog", transform.DatasetCatalog is null ? "default" : "custom:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join(";", transform.DatasetCatalog.Datasets.Select(d => d.Name + ":" + string.Join(",", d.Fields.Select(f => f.Name + "/" + f.Type))))))[..12]));
        Line("template", template.Template);
        return b.ToString();
    }
}
