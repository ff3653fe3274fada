using System.Globalization;
using LogpushKit.Transform;

namespace LogpushKit.Hosting;

/// <summary>Turns the configuration form of the transform options into <see cref="TransformOptions"/>.</summary>
internal static class TransformOptionsFactory
{
    /// <exception cref="ArgumentException">A value is not usable; the message names it.</exception>
    public static TransformOptions Create(LogpushKitTransformOptions o)
    {
        var delimiter = o.Delimiter switch
        {
            "\\t" or "\t" or "tab" or "TAB" => '\t',
            { Length: 1 } d => d[0],
            _ => throw new ArgumentException($"Delimiter '{o.Delimiter}' is not one character or 'tab'."),
        };
        var (output, custom) = o.Timestamps?.ToLowerInvariant() switch
        {
            null or "" => ((TimestampOutputFormat?)null, (string?)null),
            "rfc3339" => (TimestampOutputFormat.Rfc3339, null),
            "rfc3339ms" => (TimestampOutputFormat.Rfc3339Ms, null),
            "unix" => (TimestampOutputFormat.Unix, null),
            "unixms" => (TimestampOutputFormat.UnixMs, null),
            "unixnano" => (TimestampOutputFormat.UnixNano, null),
            _ => (TimestampOutputFormat.Custom, CheckCustomFormat(o.Timestamps!)),
        };

        return new TransformOptions
        {
            Fields = o.Fields.Count > 0 ? [.. o.Fields] : null,
            WriteHeader = o.WriteHeader,
            Dataset = string.IsNullOrWhiteSpace(o.Dataset) ? null : o.Dataset,
            Delimiter = delimiter,
            RowEnding = o.CrLf ? CsvRowEnding.CrLf : CsvRowEnding.Lf,
            WriteBom = o.Bom,
            TimestampOutput = output,
            TimestampCustomFormat = custom,
            TimestampFields = o.TimestampFields.Count > 0 ? [.. o.TimestampFields] : null,
            TimeZone = TimeZoneFrom(o.TimeZone),
            OnBadLine = o.OnBadLine,
            EscapeFormulas = o.EscapeFormulas,
            MaxDecompressedBytes = o.MaxDecompressedBytes,
        };
    }

    private static string CheckCustomFormat(string format)
    {
        try
        {
            _ = DateTimeOffset.UnixEpoch.ToString(format, CultureInfo.InvariantCulture);
            return format;
        }
        catch (FormatException)
        {
            throw new ArgumentException($"Timestamps '{format}' is neither rfc3339, rfc3339ms, unix, unixms, unixnano nor a valid .NET date/time format.");
        }
    }

    private static TimeZoneInfo TimeZoneFrom(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Equals("utc", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Utc;
        }

        if (id.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"TimeZone '{id}' is not a known time zone id (e.g. Europe/Berlin, utc, local).", ex);
        }
    }
}
