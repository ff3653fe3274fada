using LogpushKit.Datasets;

namespace LogpushKit.Transform;

/// <summary>
/// How a Logpush object becomes CSV. Immutable and reusable; <see cref="Default"/> gives input auto-detection, a header
/// row, comma delimiter, LF row endings, no BOM, timestamps as written, and failing on the first bad line.
/// </summary>
public sealed record TransformOptions
{
    /// <summary>The defaults.</summary>
    public static TransformOptions Default { get; } = new();

    /// <summary>
    /// The columns, in order. <see langword="null"/> (default): the keys of the first ndjson record, in their order.
    /// For csv input (which has no header) the fields name the header row and the cells every row must have; without them
    /// no header is written and every row must have as many cells as the first.
    /// </summary>
    public IReadOnlyList<string>? Fields { get; init; }

    /// <summary>Write a header row of column names first. Default <see langword="true"/>.</summary>
    public bool WriteHeader { get; init; } = true;

    /// <summary>ndjson or csv; <see cref="LogpushInputFormat.Auto"/> (default) decides by the first non-whitespace byte (<c>{</c> = ndjson).</summary>
    public LogpushInputFormat InputFormat { get; init; } = LogpushInputFormat.Auto;

    /// <summary>The cell delimiter, an ASCII character other than <c>"</c>, CR and LF. Default <c>,</c>; <c>\t</c> gives TSV.</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>Row ending. Default <see cref="CsvRowEnding.Lf"/>.</summary>
    public CsvRowEnding RowEnding { get; init; } = CsvRowEnding.Lf;

    /// <summary>Start the output with a UTF-8 byte-order mark. Default <see langword="false"/>.</summary>
    public bool WriteBom { get; init; }

    /// <summary>
    /// The Logpush dataset (e.g. <c>gateway_http</c>) the input belongs to. With <see cref="TimestampOutput"/> set and no
    /// <see cref="TimestampFields"/>, all timestamp fields of this dataset (per the dataset catalog) are converted.
    /// </summary>
    public string? Dataset { get; init; }

    /// <summary>
    /// The catalog <see cref="Dataset"/> is looked up in. <see langword="null"/> (default): <see cref="LogpushDatasetCatalog.Default"/>,
    /// the documented field tables; pass a refreshed catalog to use fields fetched from the live API.
    /// </summary>
    public LogpushDatasetCatalog? DatasetCatalog { get; init; }

    /// <summary>The fields whose timestamps are converted. Default: the dataset's timestamp fields.</summary>
    public IReadOnlyList<string>? TimestampFields { get; init; }

    /// <summary>How Logpush wrote the timestamps. Default <see cref="LogpushTimestampFormat.Auto"/>: by value shape and digit count.</summary>
    public LogpushTimestampFormat TimestampInput { get; init; } = LogpushTimestampFormat.Auto;

    /// <summary>
    /// What timestamps become. <see langword="null"/> (default): written as Logpush wrote them. Conversion uses exact integer
    /// arithmetic (never <see cref="double"/>); sub-unit precision is truncated toward the past; <c>null</c> and <c>""</c>
    /// stay empty; anything unparseable makes the line bad. Applies to ndjson input, and to csv input with <see cref="Fields"/>
    /// (without them the transform raises <see cref="TransformOptionsException"/>). When none of the columns is a timestamp
    /// field it is refused: by the constructor when <see cref="Fields"/> are given, else by the transform.
    /// </summary>
    public TimestampOutputFormat? TimestampOutput { get; init; }

    /// <summary>A .NET custom date/time format (e.g. <c>yyyy-MM-dd HH:mm:ss</c>) used when <see cref="TimestampOutput"/> is <see cref="TimestampOutputFormat.Custom"/>.</summary>
    public string? TimestampCustomFormat { get; init; }

    /// <summary>
    /// The time zone of converted rfc3339 and custom timestamps. Default UTC (rfc3339 then ends in <c>Z</c>; other zones
    /// write their offset, e.g. <c>+09:00</c>). Custom formats resolve at most 100 ns (the resolution of <see cref="DateTimeOffset"/>).
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>
    /// Prefix cells that start with <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c> with <c>'</c> so spreadsheets do not run them as
    /// formulas. Off by default: it changes data, and SIEMs do not evaluate formulas. Applies to JSON string values only
    /// (after decoding), never to numbers (so <c>-5</c> stays a number), nested values or header names; in csv input, to
    /// cells that are not JSON numbers.
    /// </summary>
    public bool EscapeFormulas { get; init; }

    /// <summary>What to do with a line that is not valid input. Default <see cref="BadLinePolicy.Fail"/>.</summary>
    public BadLinePolicy OnBadLine { get; init; } = BadLinePolicy.Fail;

    /// <summary>
    /// The longest ndjson line or csv row accepted, in bytes before its LF (a CR before the LF counts; default 4 MiB; Logpush records are a
    /// few KiB). A longer line is a bad line (quarantine keeps its first KiB, or its first MaxLineBytes bytes when that is less)
    /// and is never buffered whole, so a file without line breaks cannot exhaust memory. A line of whitespace only is blank
    /// and skipped, however long.
    /// </summary>
    public int MaxLineBytes { get; init; } = 4 << 20;

    /// <summary>Treat a key that is not one of the columns as a bad line. Default <see langword="false"/>: such keys are only counted.</summary>
    public bool FailOnUnknownKeys { get; init; }

    /// <summary>
    /// The most bytes gzip input may inflate to (a decompression-bomb guard); exceeding it raises
    /// <see cref="LogpushDataException"/>. Plain input is not limited. Default 8 GiB (Logpush caps objects at 1 GB uncompressed).
    /// </summary>
    public long MaxDecompressedBytes { get; init; } = 8L << 30;
}

/// <summary>The record format of a Logpush object.</summary>
public enum LogpushInputFormat
{
    /// <summary>Decide by content: the first non-whitespace byte <c>{</c> means ndjson, anything else csv.</summary>
    Auto = 0,

    /// <summary>One JSON object per line (Logpush's default <c>output_type</c>).</summary>
    Ndjson,

    /// <summary>Logpush <c>output_type: csv</c>: RFC 4180 rows without a header, checked, and passed through byte for byte unless an option changes them.</summary>
    Csv,
}

/// <summary>CSV row endings.</summary>
public enum CsvRowEnding
{
    /// <summary><c>\n</c>.</summary>
    Lf = 0,

    /// <summary><c>\r\n</c> (RFC 4180's).</summary>
    CrLf,
}

/// <summary>What happens to a bad input line.</summary>
public enum BadLinePolicy
{
    /// <summary>Throw <see cref="LogpushDataException"/> naming the line and byte offset.</summary>
    Fail = 0,

    /// <summary>Drop the line and count it in <see cref="TransformResult.BadLines"/>.</summary>
    Skip,

    /// <summary>Write the raw line, its line number and the reason to <see cref="TransformContext.Quarantine"/>, and count it.</summary>
    Quarantine,
}

/// <summary>How Logpush wrote timestamps (its <c>timestamp_format</c>).</summary>
public enum LogpushTimestampFormat
{
    /// <summary>By value: a string is rfc3339 (any fraction, any offset); a number by digit count (≤ 11 seconds, 12–14 ms, 15–17 µs, 18+ ns).</summary>
    Auto = 0,

    /// <summary>Integer seconds since the epoch.</summary>
    Unix,

    /// <summary>Integer nanoseconds since the epoch (the API's default).</summary>
    UnixNano,

    /// <summary>RFC 3339 text, with or without a fraction (covers <c>rfc3339ms</c> and <c>rfc3339ns</c>).</summary>
    Rfc3339,
}

/// <summary>What converted timestamps look like.</summary>
public enum TimestampOutputFormat
{
    /// <summary><c>2024-08-21T05:48:39Z</c> (seconds).</summary>
    Rfc3339,

    /// <summary><c>2024-08-21T05:48:39.123Z</c> (milliseconds).</summary>
    Rfc3339Ms,

    /// <summary>Integer seconds since the epoch.</summary>
    Unix,

    /// <summary>Integer milliseconds since the epoch.</summary>
    UnixMs,

    /// <summary>Integer nanoseconds since the epoch.</summary>
    UnixNano,

    /// <summary><see cref="TransformOptions.TimestampCustomFormat"/> in <see cref="TransformOptions.TimeZone"/> (ALog-style local date/time).</summary>
    Custom,
}
