using System.Buffers;
using System.Text;
using LogpushKit.Datasets;

namespace LogpushKit.Transform;

/// <summary>Everything a conversion needs, derived once from validated <see cref="TransformOptions"/>.</summary>
internal sealed class TransformPlan
{
    public TransformPlan(TransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var d = options.Delimiter;
        if (d > 0x7F || d is '"' or '\r' or '\n' || d == '\0')
        {
            throw new ArgumentException(
                FormattableString.Invariant($"Delimiter must be an ASCII character other than '\"', CR, LF and NUL; got U+{(int)d:X4}."),
                nameof(options));
        }

        if (!Enum.IsDefined(options.RowEnding) || !Enum.IsDefined(options.InputFormat) || !Enum.IsDefined(options.OnBadLine)
            || !Enum.IsDefined(options.TimestampInput) || (options.TimestampOutput is { } o && !Enum.IsDefined(o)))
        {
            throw new ArgumentException("An enum option of TransformOptions has an undefined value.", nameof(options));
        }

        if (options.MaxDecompressedBytes <= 0)
        {
            throw new ArgumentException("MaxDecompressedBytes must be positive.", nameof(options));
        }

        if (options.MaxLineBytes <= 0)
        {
            throw new ArgumentException("MaxLineBytes must be positive.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.TimeZone, "options.TimeZone");
        MaxLineBytes = options.MaxLineBytes;
        Delimiter = (byte)d;
        RowEnding = options.RowEnding == CsvRowEnding.CrLf ? "\r\n"u8.ToArray() : "\n"u8.ToArray();
        WriteBom = options.WriteBom;
        WriteHeader = options.WriteHeader;
        EscapeFormulas = options.EscapeFormulas;
        OnBadLine = options.OnBadLine;
        FailOnUnknownKeys = options.FailOnUnknownKeys;
        InputFormat = options.InputFormat;
        MaxDecompressedBytes = options.MaxDecompressedBytes;
        CellSpecials = SearchValues.Create(Delimiter == (byte)'\t' ? "\t\"\r\n"u8 : [Delimiter, (byte)'"', (byte)'\r', (byte)'\n']);
        DelimiterInLiterals = "0123456789+-.eEtruefalsn"u8.Contains(Delimiter);

        if (options.Fields is { } fields)
        {
            if (fields.Count == 0)
            {
                throw new ArgumentException("Fields must name at least one column (or be null to take the first record's keys).", nameof(options));
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var field in fields)
            {
                if (string.IsNullOrEmpty(field))
                {
                    throw new ArgumentException("Fields must not hold a null or empty name.", nameof(options));
                }

                if (!seen.Add(field))
                {
                    throw new ArgumentException($"Fields names the column '{field}' twice.", nameof(options));
                }
            }

            Fields = [.. fields];
        }

        if (options.TimestampOutput is { } output)
        {
            if (output == TimestampOutputFormat.Custom)
            {
                if (string.IsNullOrWhiteSpace(options.TimestampCustomFormat))
                {
                    throw new ArgumentException("TimestampOutput Custom needs TimestampCustomFormat (a .NET custom date/time format).", nameof(options));
                }

                try
                {
                    TimestampCodec.MeasureCustom(options.TimestampCustomFormat);
                }
                catch (FormatException ex)
                {
                    throw new ArgumentException($"TimestampCustomFormat '{options.TimestampCustomFormat}' is not a valid .NET date/time format: {ex.Message}", nameof(options), ex);
                }
            }

            if (options.TimestampFields is { } tsFields)
            {
                if (tsFields.Any(string.IsNullOrEmpty))
                {
                    throw new ArgumentException("TimestampFields must not hold a null or empty name.", nameof(options));
                }

                TimestampFields = new HashSet<string>(tsFields, StringComparer.Ordinal);
            }
            else if (options.Dataset is { } dataset)
            {
                var catalog = options.DatasetCatalog ?? LogpushDatasetCatalog.Default;
                var variants = catalog.FindAll(dataset);
                if (variants.Count == 0)
                {
                    throw new ArgumentException(
                        $"Dataset '{dataset}' is not in the dataset catalog, so its timestamp fields are unknown; name them with TimestampFields.",
                        nameof(options));
                }

                TimestampFields = new HashSet<string>(variants.SelectMany(v => v.TimestampFields), StringComparer.Ordinal);
            }
            else
            {
                throw new ArgumentException("TimestampOutput needs TimestampFields or a Dataset whose timestamp fields the catalog knows.", nameof(options));
            }

            Timestamps = new TimestampCodec(options.TimestampInput, output, options.TimestampCustomFormat, options.TimeZone);
            if (Fields is null && InputFormat == LogpushInputFormat.Csv)
            {
                throw new ArgumentException(
                    "TimestampOutput on csv input needs Fields: csv has no header naming its columns, so the timestamp fields cannot be found.",
                    nameof(options));
            }

            if (Fields is not null && !Fields.Any(TimestampFields!.Contains))
            {
                throw new ArgumentException(
                    $"TimestampOutput would convert nothing: none of the Fields ({Shorten(Fields)}) is a timestamp field ({Shorten(TimestampFields)}).",
                    nameof(options));
            }
        }

        CsvReemit = Delimiter != (byte)',' || options.RowEnding != CsvRowEnding.Lf || Timestamps is not null || EscapeFormulas;
    }

    /// <summary>The cell delimiter of csv input: Logpush's default <c>field_delimiter</c>.</summary>
    public const byte CsvInputDelimiter = (byte)',';

    public byte Delimiter { get; }

    public byte[] RowEnding { get; }

    public bool WriteBom { get; }

    public bool WriteHeader { get; }

    public bool EscapeFormulas { get; }

    public BadLinePolicy OnBadLine { get; }

    public bool FailOnUnknownKeys { get; }

    public LogpushInputFormat InputFormat { get; }

    public long MaxDecompressedBytes { get; }

    public int MaxLineBytes { get; }

    public string[]? Fields { get; }

    public HashSet<string>? TimestampFields { get; }

    public TimestampCodec? Timestamps { get; }

    /// <summary>Bytes that force a cell to be quoted: the delimiter, <c>"</c>, CR, LF.</summary>
    public SearchValues<byte> CellSpecials { get; }

    /// <summary>The delimiter can occur inside a number or literal token (e.g. <c>.</c> or <c>e</c>).</summary>
    public bool DelimiterInLiterals { get; }

    /// <summary>
    /// An option changes how csv input is written (delimiter, row ending, timestamps, formula escaping), so its rows are
    /// parsed and written again; otherwise they pass through byte for byte.
    /// </summary>
    public bool CsvReemit { get; }

    /// <summary>
    /// The hot loops use 256-bit vectors: by default only where they are hardware accelerated (else 128-bit ones); tests
    /// force either width.
    /// </summary>
    public bool Vector256 { get; init; } = System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated;

    /// <summary>The first names of a list, for messages.</summary>
    public static string Shorten(IEnumerable<string> names)
    {
        var list = names.Take(6).ToList();
        return string.Join(", ", list) + (names.Skip(6).Any() ? ", …" : string.Empty);
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
