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

    /// <summary>The value of <see cref="Dataset"/> that detects the dataset from the input (see there).</summary>
    public const string AutoDataset = "auto";

    /// <summary>
    /// The Logpush dataset (e.g. <c>gateway_http</c>) the input belongs to. With <see cref="TimestampOutput"/> set and no
    /// <see cref="TimestampFields"/>, all timestamp fields of this dataset (per the dataset catalog) are converted.
    /// <see cref="AutoDataset"/> (<c>auto</c>): the dataset is the one whose catalog fields hold every key of the first
    /// ndjson record (see <see cref="LogpushDatasetResolver.MatchRecordKeys(IReadOnlyCollection{string})"/>), reported in
    /// <see cref="TransformResult.Dataset"/>; an input that matches none (or several) is converted as if no dataset were
    /// named: no timestamp conversion, columns from the first record.
    /// </summary>
    public string? Dataset { get; init; }

    /// <summary>
    /// Stable columns per dataset: when the dataset is known (named or detected) and <see cref="Fields"/> is not given, the
    /// columns are <see cref="DatasetFields"/> (a Logpush job's <c>field_names</c>), else the dataset's catalog fields in
    /// catalog order, whatever the first record holds; keys outside them follow <see cref="OnNewKeys"/>; csv input gets
    /// <see cref="DatasetFields"/> as its header (when given). Timestamps then convert those of the dataset's timestamp
    /// fields that are columns, and a dataset with none is converted unchanged rather than refused. Default
    /// <see langword="false"/>: columns are the first record's keys.
    /// </summary>
    public bool DatasetColumns { get; init; }

    /// <summary>The columns of the dataset when known better than the catalog: a Logpush job's <c>field_names</c>, in order. Used with <see cref="DatasetColumns"/>.</summary>
    public IReadOnlyList<string>? DatasetFields { get; init; }

    /// <summary>
    /// With <see cref="DatasetColumns"/>: what happens to keys of a record that are not among the dataset's columns.
    /// Default <see cref="NewKeyPolicy.Append"/>.
    /// </summary>
    public NewKeyPolicy OnNewKeys { get; init; } = NewKeyPolicy.Append;

    /// <summary>
    /// What happens to CR and LF inside a cell. Default <see cref="NewlinePolicy.Keep"/>: kept inside a quoted cell, as
    /// RFC 4180 says; line-based forwarders that cut at every LF want <see cref="NewlinePolicy.Escape"/> or
    /// <see cref="NewlinePolicy.Space"/>.
    /// </summary>
    public NewlinePolicy NewlinesInCells { get; init; } = NewlinePolicy.Keep;

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
    /// The longest ndjson line or csv row accepted, in bytes before its LF (a CR before the LF counts). Default 128 MiB, at
    /// most 512 MiB. Cloudflare publishes no limit on the size of one Logpush record (only on a batch: <c>max_upload_bytes</c>,
    /// 5 MB to 1 GB uncompressed), and fields such as merged <c>Subrequests</c> (up to 50 whole sub-records) or Workers'
    /// <c>Logs</c> and <c>Exceptions</c> make records of unbounded length, so the default takes any record of a
    /// default-sized batch 25 times over. A line is converted whole: memory grows with the longest line seen (about five times
    /// its length at peak: the line, and the room for its row, in which every byte could be a doubled quote), never with the
    /// limit, and falls back once the line is done. A longer line is a bad line (its quarantine record keeps its first KiB,
    /// or its first MaxLineBytes bytes when that is less, with <c>"truncated":true</c> and the whole length in
    /// <c>bytes</c>) and is never buffered whole, so a file without line breaks cannot exhaust memory. A line of whitespace
    /// only is blank and skipped, however long.
    /// </summary>
    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    /// <summary>The default <see cref="MaxLineBytes"/>: 128 MiB.</summary>
    internal const int DefaultMaxLineBytes = 128 << 20;

    /// <summary>The largest <see cref="MaxLineBytes"/>: 512 MiB (a row may take twice its line, and one buffer holds at most 2 GiB).</summary>
    internal const int LargestMaxLineBytes = 512 << 20;

    /// <summary>Treat a key that is not one of the columns as a bad line. Default <see langword="false"/>: such keys are only counted.</summary>
    public bool FailOnUnknownKeys { get; init; }

    /// <summary>
    /// The most bytes gzip input may inflate to (a decompression-bomb guard); exceeding it raises
    /// <see cref="LogpushDataException"/>. Plain input is not limited. Default 8 GiB (Logpush caps objects at 1 GB uncompressed).
    /// </summary>
    public long MaxDecompressedBytes { get; init; } = 8L << 30;
}

/// <summary>What happens to record keys outside a dataset's columns (<see cref="TransformOptions.OnNewKeys"/>).</summary>
public enum NewKeyPolicy
{
    /// <summary>
    /// The new keys of the first record become extra columns after the dataset's, in their order (so no value of the
    /// first record is lost and the dataset's columns keep their places); a new key first seen in a later record cannot
    /// become a column (the header is written) and is counted in <see cref="TransformResult.UnknownKeys"/>.
    /// </summary>
    Append = 0,

    /// <summary>Only the dataset's columns are written; values of other keys are dropped and counted in <see cref="TransformResult.UnknownKeys"/>.</summary>
    Ignore,

    /// <summary>A record with a key outside the dataset's columns is a bad line (under the bad-line policy).</summary>
    Fail,
}

/// <summary>What happens to CR and LF inside a cell (<see cref="TransformOptions.NewlinesInCells"/>).</summary>
public enum NewlinePolicy
{
    /// <summary>Kept: the cell is quoted and holds them (RFC 4180).</summary>
    Keep = 0,

    /// <summary>Each LF becomes the two characters <c>\n</c> and each CR <c>\r</c> (backslashes already in the text are not doubled).</summary>
    Escape,

    /// <summary>Each CR, LF or CRLF becomes one space.</summary>
    Space,
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

    /// <summary>
    /// Write the raw line (only the first KiB of one longer than <see cref="TransformOptions.MaxLineBytes"/>, marked
    /// truncated), its line number, byte offset, length and the reason to <see cref="TransformContext.Quarantine"/>, and count it.
    /// </summary>
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
