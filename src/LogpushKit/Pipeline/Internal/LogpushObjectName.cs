using System.Globalization;

namespace LogpushKit.Pipeline;

/// <summary>
/// What a Logpush object key says about its batch: the folder, the file name without its <c>.log.gz</c> (or <c>.gz</c>)
/// extension, and — when the name has Logpush's shape <c>&lt;start&gt;_&lt;end&gt;_&lt;id&gt;.log.gz</c>
/// (<c>20240821T054839Z_20240821T054939Z_06b7e0be.log.gz</c>) or sits in a <c>{DATE}</c> folder (<c>20240821/</c>) —
/// the batch's time range. Parsing is lenient: a key without these parts still parses, with the times left empty.
/// </summary>
/// <remarks>The file name layout is not documented by Cloudflare; never rely on it for record times.</remarks>
internal sealed record LogpushObjectName
{
    private const string TimestampFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>The whole key.</summary>
    public required string Key { get; init; }

    /// <summary>The folder part of the key without the trailing <c>/</c>; empty for a key at the root.</summary>
    public required string Directory { get; init; }

    /// <summary>The file name (the last segment of the key) with its extension.</summary>
    public required string FileName { get; init; }

    /// <summary>The file name with only its final <c>.log.gz</c>, or else <c>.gz</c>, removed.</summary>
    public required string BaseName { get; init; }

    /// <summary>The batch start from the file name, when it has Logpush's shape.</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>The batch end (flush time) from the file name, when it has Logpush's shape.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>The random id from the file name, when it has Logpush's shape.</summary>
    public string? Id { get; init; }

    /// <summary>The day of the batch: from <see cref="Start"/>, else from the nearest <c>YYYYMMDD</c> folder.</summary>
    public DateOnly? Date { get; init; }

    /// <summary>Splits <paramref name="key"/> into its parts.</summary>
    /// <exception cref="ArgumentException">The key is empty.</exception>
    public static LogpushObjectName Parse(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var slash = key.LastIndexOf('/');
        var directory = slash < 0 ? string.Empty : key[..slash];
        var fileName = key[(slash + 1)..];
        var baseName = StripExtension(fileName);

        DateTimeOffset? start = null, end = null;
        string? id = null;
        var parts = baseName.Split('_');
        if (parts.Length == 3 && TryParseTimestamp(parts[0], out var s) && TryParseTimestamp(parts[1], out var e))
        {
            start = s;
            end = e;
            id = parts[2];
        }
        else if (parts.Length >= 1 && TryParseTimestamp(parts[0], out var onlyStart))
        {
            start = onlyStart;
        }

        DateOnly? date = start is { } st ? DateOnly.FromDateTime(st.UtcDateTime) : FindDateFolder(directory);
        return new LogpushObjectName
        {
            Key = key,
            Directory = directory,
            FileName = fileName,
            BaseName = baseName,
            Start = start,
            End = end,
            Id = id,
            Date = date,
        };
    }

    /// <summary>
    /// <see langword="true"/> when the batch may hold records between <paramref name="from"/> (inclusive) and
    /// <paramref name="to"/> (exclusive). A key without a time is always in the window (it cannot be ruled out).
    /// </summary>
    public bool Overlaps(DateTimeOffset? from, DateTimeOffset? to)
    {
        DateTimeOffset? first = Start;
        DateTimeOffset? last = End ?? Start;
        if (first is null && Date is { } day)
        {
            first = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            last = first.Value.AddDays(1).AddTicks(-1);
        }

        if (first is null || last is null)
        {
            return true;
        }

        return (from is null || last.Value >= from.Value) && (to is null || first.Value < to.Value);
    }

    internal static string StripExtension(string fileName)
    {
        if (fileName.EndsWith(".log.gz", StringComparison.OrdinalIgnoreCase))
        {
            return fileName[..^".log.gz".Length];
        }

        return fileName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? fileName[..^".gz".Length] : fileName;
    }

    private static bool TryParseTimestamp(string text, out DateTimeOffset value)
        => DateTimeOffset.TryParseExact(text, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    private static DateOnly? FindDateFolder(string directory)
    {
        if (directory.Length == 0)
        {
            return null;
        }

        var segments = directory.Split('/');
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            var segment = segments[i];
            if (segment.Length == 8 && segment.All(char.IsAsciiDigit)
                && DateOnly.TryParseExact(segment, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                return date;
            }
        }

        return null;
    }
}
