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
            error = "'' is not a timestamp format; give " + TimestampFormatsText + ".";
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

        error = $"'{Visible(trimmed)}' is not a timestamp format{SuggestTimestampFormat(trimmed)}; give {TimestampFormatsText}.";
        return false;
    }

    /// <summary>
    /// Parses a cell delimiter: one ASCII character other than <c>"</c>, CR, LF and NUL, or <c>tab</c> / <c>\t</c> (any
    /// case) for TSV.
    /// </summary>
    public static bool TryParseDelimiter(string? text, out char delimiter, [NotNullWhen(false)] out string? error)
    {
        error = null;
        delimiter = text switch
        {
            { Length: 1 } one => one[0],
            _ when text?.Trim() is { } t && (t.Equals("tab", StringComparison.OrdinalIgnoreCase) || t == "\\t") => '\t',
            _ => '\0',
        };
        if (delimiter is '\0' or '"' or '\r' or '\n' or > '\x7f')
        {
            error = $"'{Visible(text)}' is not a usable delimiter; give one ASCII character other than a quote, CR or LF, or tab.";
            delimiter = TransformOptions.Default.Delimiter;
            return false;
        }

        return true;
    }

    /// <summary>Parses an input format: <c>auto</c>, <c>ndjson</c> or <c>csv</c> (any case).</summary>
    public static bool TryParseInputFormat(string? text, out LogpushInputFormat format, [NotNullWhen(false)] out string? error)
        => TryParseName(text, [("auto", LogpushInputFormat.Auto), ("ndjson", LogpushInputFormat.Ndjson), ("csv", LogpushInputFormat.Csv)], "an input format", out format, out error);

    /// <summary>
    /// Parses how Logpush wrote timestamps: <c>auto</c>, or its <c>timestamp_format</c> (<c>unix</c>, <c>unixnano</c>,
    /// <c>rfc3339</c>, <c>rfc3339ms</c>, <c>rfc3339ns</c>; the last three read alike).
    /// </summary>
    public static bool TryParseTimestampInput(string? text, out LogpushTimestampFormat format, [NotNullWhen(false)] out string? error)
        => TryParseName(
            text,
            [("auto", LogpushTimestampFormat.Auto), ("unix", LogpushTimestampFormat.Unix), ("unixnano", LogpushTimestampFormat.UnixNano), ("rfc3339", LogpushTimestampFormat.Rfc3339), ("rfc3339ms", LogpushTimestampFormat.Rfc3339), ("rfc3339ns", LogpushTimestampFormat.Rfc3339)],
            "a Logpush timestamp format",
            out format,
            out error);

    /// <summary>Parses a new-key policy: <c>append</c>, <c>ignore</c> or <c>fail</c> (any case).</summary>
    public static bool TryParseNewKeyPolicy(string? text, out NewKeyPolicy policy, [NotNullWhen(false)] out string? error)
        => TryParseName(text, [("append", NewKeyPolicy.Append), ("ignore", NewKeyPolicy.Ignore), ("fail", NewKeyPolicy.Fail)], "a new-key policy", out policy, out error);

    /// <summary>Parses what happens to newlines in cells: <c>keep</c>, <c>escape</c> or <c>space</c> (any case).</summary>
    public static bool TryParseNewlinePolicy(string? text, out NewlinePolicy policy, [NotNullWhen(false)] out string? error)
        => TryParseName(text, [("keep", NewlinePolicy.Keep), ("escape", NewlinePolicy.Escape), ("space", NewlinePolicy.Space)], "a newline policy", out policy, out error);

    /// <summary>Parses a bad-line policy: <c>fail</c>, <c>skip</c> or <c>quarantine</c> (any case).</summary>
    public static bool TryParseBadLinePolicy(string? text, out BadLinePolicy policy, [NotNullWhen(false)] out string? error)
        => TryParseName(text, [("fail", BadLinePolicy.Fail), ("skip", BadLinePolicy.Skip), ("quarantine", BadLinePolicy.Quarantine)], "a bad-line policy", out policy, out error);

    /// <summary>
    /// Parses a time zone: <c>utc</c> (or <c>z</c>), <c>local</c>, or an IANA id such as <c>Europe/Berlin</c> (Windows ids
    /// too where the system knows them).
    /// </summary>
    public static bool TryParseTimeZone(string? text, [NotNullWhen(true)] out TimeZoneInfo? zone, [NotNullWhen(false)] out string? error)
    {
        error = null;
        var id = text?.Trim() ?? string.Empty;
        if (id.Equals("utc", StringComparison.OrdinalIgnoreCase) || id.Equals("z", StringComparison.OrdinalIgnoreCase))
        {
            zone = TimeZoneInfo.Utc;
            return true;
        }

        if (id.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            zone = TimeZoneInfo.Local;
            return true;
        }

        if (id.Length > 0 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone))
        {
            return true;
        }

        zone = null;
        error = $"'{Visible(text)}' is not a known time zone; give an IANA id such as Europe/Berlin, or utc or local.";
        return false;
    }

    /// <summary>
    /// Parses a size in bytes: a positive whole number with an optional suffix <c>K</c>, <c>M</c>, <c>G</c> or <c>T</c>
    /// (also <c>KB</c>/<c>KiB</c> forms, any case; powers of 1024), e.g. <c>1048576</c>, <c>512K</c>, <c>64M</c>, <c>8G</c>.
    /// </summary>
    public static bool TryParseByteSize(string? text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        error = $"'{Visible(text)}' is not a positive size; give e.g. 1048576, 512K, 64M or 8G.";
        var span = (text ?? string.Empty).AsSpan().Trim();
        var digits = 0;
        while (digits < span.Length && char.IsAsciiDigit(span[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(span[..digits], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var shift = span[digits..].Trim().ToString().ToUpperInvariant() switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            _ => -1,
        };
        if (shift < 0 || number <= 0 || number > long.MaxValue >> shift)
        {
            return false;
        }

        bytes = number << shift;
        error = null;
        return true;
    }

    /// <summary>Parses <see cref="TransformOptions.MaxLineBytes"/>: a size as <see cref="TryParseByteSize"/> reads it, at most 512 MiB.</summary>
    public static bool TryParseMaxLineBytes(string? text, out int bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        if (!TryParseByteSize(text, out var size, out error))
        {
            // the size parser's examples go up to 8G, which is no line size
            error = $"'{Visible(text)}' is not a positive size; give e.g. 65536, 512K, 4M or 128M (at most 512M).";
            return false;
        }

        if (size > TransformOptions.LargestMaxLineBytes)
        {
            error = FormattableString.Invariant($"'{Visible(text)}' is more than the largest line size, {TransformOptions.LargestMaxLineBytes} bytes.");
            return false;
        }

        bytes = (int)size;
        return true;
    }

    /// <summary>
    /// Parses a list of field names: each item may hold several, separated by commas (<c>a,b</c> and <c>a</c>, <c>b</c>
    /// give the same list); names are trimmed, empty ones dropped; a name given twice is an error, as is no name at all.
    /// </summary>
    public static bool TryParseFieldList(IEnumerable<string?> items, out IReadOnlyList<string> fields, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(items);
        var names = new List<string>();
        fields = names;
        error = null;
        foreach (var item in items)
        {
            foreach (var name in (item ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (names.Contains(name, StringComparer.Ordinal))
                {
                    error = $"'{Visible(name)}' is given twice.";
                    return false;
                }

                names.Add(name);
            }
        }

        if (names.Count == 0)
        {
            error = "names no field; give at least one name (a,b,c).";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Rewrites a message about <see cref="TransformOptions"/> (from the <see cref="LogpushCsvTransformer"/> constructor,
    /// <see cref="TransformOptionsException"/> or <see cref="LogpushDataException.Reason"/>) in a host's terms: each
    /// option property it names (<c>TimestampOutput</c>, <c>MaxLineBytes</c>…) becomes <paramref name="nameOf"/>'s name for
    /// it (a flag, a configuration key), or stays when that returns <see langword="null"/>.
    /// </summary>
    public static string RenameOptions(string message, Func<string, string?> nameOf)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(nameOf);
        return OptionNames.Replace(message, match => OptionProperties.Contains(match.Value) && nameOf(match.Value) is { } name ? name : match.Value);
    }

    private static readonly HashSet<string> OptionProperties = [.. typeof(TransformOptions).GetProperties().Select(p => p.Name)];

    private static readonly System.Text.RegularExpressions.Regex OptionNames = new(@"\b[A-Z][A-Za-z]+\b", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static bool TryParseName<T>(string? text, (string Name, T Value)[] names, string what, out T value, [NotNullWhen(false)] out string? error)
    {
        var trimmed = text?.Trim() ?? string.Empty;
        foreach (var (name, candidate) in names)
        {
            if (trimmed.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                error = null;
                return true;
            }
        }

        value = names[0].Value;
        error = $"'{Visible(text)}' is not {what}; give {string.Join(", ", names.Select(n => n.Name).Distinct())}.";
        return false;
    }

    /// <summary>A value as shown in a message: control characters escaped, at most 100 characters.</summary>
    private static string Visible(string? text)
    {
        var value = text ?? string.Empty;
        var shown = new System.Text.StringBuilder();
        foreach (var c in value.Length > 100 ? value[..100] : value)
        {
            _ = char.IsControl(c) ? shown.Append(c switch { '\t' => "\\t", '\r' => "\\r", '\n' => "\\n", _ => $"\\u{(int)c:x4}" }) : shown.Append(c);
        }

        return value.Length > 100 ? shown.Append('…').ToString() : shown.ToString();
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

        var best = TimestampNames.Select(n => (n.Name, Distance: EditDistance.Between(word, n.Name))).MinBy(n => n.Distance);
        if (word.Length > 0 && best.Distance <= Math.Max(1, best.Name.Length / 3))
        {
            return $" (did you mean {best.Name}?)";
        }

        // Text with the letters of a .NET pattern (yyyy, MM, dd, HH, mm, ss) was meant as one.
        return text.Contains("yy", StringComparison.Ordinal) || text.Contains("HH", StringComparison.Ordinal) || text.Contains("dd", StringComparison.Ordinal)
            ? $" (a .NET date/time pattern is written {CustomTimestampPrefix}{text})"
            : string.Empty;
    }
}
