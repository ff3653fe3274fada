using System.Globalization;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>The one-line summaries commands print on stderr.</summary>
internal static class TransformSummary
{
    /// <summary>
    /// E.g. <c>converted in.log.gz -> out.csv: 1,000 records, 998 rows, 2 bad lines; 3.1 MB (ndjson, gzip) in 0.05 s, 62.0 MB/s</c>.
    /// MB/s is decompressed input bytes (10^6) per second of wall time.
    /// </summary>
    public static string Format(string inputName, string outputName, TransformResult result, TimeSpan elapsed)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-6);
        var megabytes = result.BytesDecompressed / 1e6;
        var format = result.InputFormat switch
        {
            LogpushInputFormat.Csv => "csv",
            LogpushInputFormat.Ndjson => "ndjson",
            _ => "empty",
        };
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"converted {inputName} -> {outputName}: {result.Records:N0} records, {result.Rows:N0} rows, {result.BadLines:N0} bad lines");
        if (result.UnknownKeys > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {result.UnknownKeys:N0} unknown keys ({string.Join(' ', result.UnknownKeyNames.Take(5))})");
        }

        return text + string.Create(
            CultureInfo.InvariantCulture,
            $"; {megabytes:0.0} MB ({format}{(result.Gzip ? ", gzip" : string.Empty)}) in {seconds:0.00} s, {megabytes / seconds:0.0} MB/s");
    }
}
