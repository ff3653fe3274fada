using System.Diagnostics.CodeAnalysis;

namespace LogpushKit.Transform;

/// <summary>
/// The text form of <see cref="TransformOptions"/> values, shared by every host: command-line flags and configuration
/// keys parse through these methods, so the same text means the same thing everywhere. Each <c>TryParse…</c> returns
/// <see langword="false"/> with an error that quotes the value and says what would be accepted; the caller puts its own
/// name for the setting (a flag such as <c>--timestamps</c>, a key such as <c>LogpushKit:Transform:Timestamps</c>) in front.
/// </summary>
public static class TransformOptionsText
{
    /// <summary>The prefix of a custom .NET date/time pattern in a timestamp format: <c>custom:yyyy-MM-dd HH:mm:ss</c>.</summary>
    public const string CustomTimestampPrefix = "custom:";

    private static readonly (string Name, TimestampOutputFormat Format)[] TimestampNames =
    [
        ("rfc3339", TimestampOutputFormat.Rfc3339),
        ("rfc3339ms", TimestampOutputFormat.Rfc3339Ms),
        ("unix", TimestampOutputFormat.Unix),
        ("unixms", TimestampOutputFormat.UnixMs),
        ("unixnano", TimestampOutputFormat.UnixNano),
    ];

    /// <summary>Words people write for one of the named formats, and the name they mean.</summary>
    private static readonly (string Word, string Name)[] TimestampSynonyms =
    [
        ("iso8601", "rfc3339"), ("iso", "rfc3339"), ("datetime", "rfc3339"), ("rfc3339s", "rfc3339"),
        ("iso8601ms", "rfc3339ms"), ("rfc3339millis", "rfc3339ms"), ("rfc3339ns", "rfc3339ms"), ("rfc3339nano", "rfc3339ms"),
        ("epoch", "unix"), ("seconds", "unix"), ("unixs", "unix"), ("unixseconds", "unix"),
        ("epochms", "unixms"), ("millis", "unixms"), ("milliseconds", "unixms"), ("unixmillis", "unixms"), ("ms", "unixms"),
        ("epochns", "unixnano"), ("nanos", "unixnano"), ("nanoseconds", "unixnano"), ("unixns", "unixnano"), ("ns", "unixnano"),
    ];

    /// <summary>What a timestamp format may be, for messages and help texts.</summary>
    public const string TimestampFormatsText = "rfc3339, rfc3339ms, unix, unixms, unixnano, or custom:<.NET date/time pattern> (e.g. \"custom:yyyy-MM-dd HH:mm:ss\")";

    /// <summary>
    /// Parses a timestamp output format: one of the names <c>rfc3339</c>, <c>rfc3339ms</c>, <c>unix</c>, <c>unixms</c>,
    /// <c>unixnano</c> (any case), or <c>custom:</c> followed by a .NET custom date/time pattern. Any other text is an
    /// error (with the name it most likely means), never a pattern: <c>iso8601</c> as a pattern would write
    /// <c>i0o8601</c>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="format">The format.</param>
    /// <param name="customPattern">The .NET pattern, for <see cref="TimestampOutputFormat.Custom"/>; else <see langword="null"/>.</param>
    /// <param name="error">Why <paramref name="text"/> is not a timestamp format.</param>
    /// <returns>Whether <paramref name="text"/> is a timestamp format.</returns>
    public static bool TryParseTimestampFormat(string? text, out TimestampOutputFormat format, out string? customPattern, [NotNullWhen(false)] out string? error)
    {
        format = default;
        customPattern = null;
        error = null;
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            error = "is empty; give " + TimestampFormatsText + ".";
            return false;
        }

        if (trimmed.StartsWith(CustomTimestampPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var pattern = trimmed[CustomTimestampPrefix.Length..];
            if (pattern.Length == 0)
            {
                error = $"'{trimmed}' has no pattern after '{CustomTimestampPrefix}'; e.g. custom:yyyy-MM-dd HH:mm:ss.";
                return false;
            }

            try
            {
                TimestampCodec.MeasureCustom(pattern);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                error = $"'{pattern}' is not a valid .NET custom date/time pattern ({ex.Message.Split(" (Parameter", 2)[0]}).";
                return false;
            }

            format = TimestampOutputFormat.Custom;
            customPattern = pattern;
            return true;
        }

        foreach (var (name, value) in TimestampNames)
        {
            if (trimmed.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                format = value;
                return true;
            }
        }

        error = $"'{trimmed}' is not a timestamp format{SuggestTimestampFormat(trimmed)}; give {TimestampFormatsText}.";
        return false;
    }

    /// <summary>", did you mean X?" for the name <paramref name="text"/> most likely means, or the custom form of a pattern.</summary>
    private static string SuggestTimestampFormat(string text)
    {
        var word = new string([.. text.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);
        foreach (var (name, _) in TimestampNames)
        {
            if (word == name)
            {
                return $" (did you mean {name}?)";
            }
        }

        foreach (var (synonym, name) in TimestampSynonyms)
        {
            if (word == synonym)
            {
                return $" (did you mean {name}?)";
            }
        }

        var best = TimestampNames.Select(n => (n.Name, Distance: EditDistance(word, n.Name))).MinBy(n => n.Distance);
        if (word.Length > 0 && best.Distance <= Math.Max(1, best.Name.Length / 3))
        {
            return $" (did you mean {best.Name}?)";
        }

        // Text with the letters of a .NET pattern (yyyy, MM, dd, HH, mm, ss) was meant as one.
        return text.Contains("yy", StringComparison.Ordinal) || text.Contains("HH", StringComparison.Ordinal) || text.Contains("dd", StringComparison.Ordinal)
            ? $" (a .NET date/time pattern is written {CustomTimestampPrefix}{text})"
            : string.Empty;
    }

    /// <summary>The Levenshtein distance between two short words.</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
