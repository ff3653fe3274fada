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
            || !Enum.IsDefined(options.OnNewKeys) || !Enum.IsDefined(options.NewlinesInCells)
            || !Enum.IsDefined(options.TimestampInput) || (options.TimestampOutput is { } o && !Enum.IsDefined(o)))
        {
            throw new ArgumentException("An enum option of TransformOptions has an undefined value.", nameof(options));
        }

        if (options.MaxDecompressedBytes <= 0)
        {
            throw new ArgumentException("MaxDecompressedBytes must be positive.", nameof(options));
        }

        if (options.MaxLineBytes is <= 0 or > TransformOptions.LargestMaxLineBytes)
        {
            throw new ArgumentException(FormattableString.Invariant($"MaxLineBytes must be positive and at most {TransformOptions.LargestMaxLineBytes} bytes."), nameof(options));
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

        Catalog = options.DatasetCatalog ?? LogpushDatasetCatalog.Default;
        DetectDataset = string.Equals(options.Dataset, TransformOptions.AutoDataset, StringComparison.OrdinalIgnoreCase);
        DatasetColumns = options.DatasetColumns;
        OnNewKeys = options.OnNewKeys;
        NewlinesInCells = options.NewlinesInCells;
        if (!DetectDataset && options.Dataset is { } named)
        {
            var variants = Catalog.FindAll(named);
            DatasetName = variants.Count > 0 ? variants[0].Name : named;
            DatasetVariants = variants;
        }

        if (options.DatasetFields is { } datasetFields)
        {
            DatasetFields = CheckNames(datasetFields, nameof(TransformOptions.DatasetFields));
        }

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
                ExplicitTimestampFields = true;
            }
            else if (DetectDataset)
            {
                // each input's own dataset's timestamp fields, once the first record tells it (none when it does not)
            }
            else if (options.Dataset is { } dataset)
            {
                var variants = DatasetVariants;
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
            if (Fields is null && InputFormat == LogpushInputFormat.Csv && (DatasetFields is null || !DatasetColumns) && NeedsCsvFields)
            {
                throw new ArgumentException(
                    "TimestampOutput on csv input needs Fields: csv has no header naming its columns, so the timestamp fields cannot be found.",
                    nameof(options));
            }

            if (Fields is not null && TimestampFields is not null && !PerObjectTimestamps && !Fields.Any(TimestampFields.Contains))
            {
                throw new ArgumentException(
                    $"TimestampOutput would convert nothing: none of the Fields ({Shorten(Fields)}) is a timestamp field ({Shorten(TimestampFields)}).",
                    nameof(options));
            }
        }

        CsvReemit = Delimiter != (byte)',' || options.RowEnding != CsvRowEnding.Lf || Timestamps is not null || EscapeFormulas
            || NewlinesInCells != NewlinePolicy.Keep;
    }

    /// <summary>The catalog datasets are looked up and detected in.</summary>
    public LogpushDatasetCatalog Catalog { get; }

    /// <summary>The dataset is detected from each input's first record (<see cref="TransformOptions.AutoDataset"/>).</summary>
    public bool DetectDataset { get; }

    /// <summary>The named dataset (its catalog spelling when the catalog knows it), or <see langword="null"/>.</summary>
    public string? DatasetName { get; }

    /// <summary>The catalog entries of <see cref="DatasetName"/> (one per scope; empty when unknown or not named).</summary>
    public IReadOnlyList<LogpushDataset> DatasetVariants { get; } = [];

    /// <summary>See <see cref="TransformOptions.DatasetColumns"/>.</summary>
    public bool DatasetColumns { get; }

    /// <summary>See <see cref="TransformOptions.DatasetFields"/>.</summary>
    public string[]? DatasetFields { get; }

    public NewKeyPolicy OnNewKeys { get; }

    public NewlinePolicy NewlinesInCells { get; }

    /// <summary>
    /// The timestamp fields are those of each input's dataset, told per input: detected, or with stable dataset columns
    /// (where a dataset without timestamp columns is converted unchanged rather than refused).
    /// </summary>
    public bool PerObjectTimestamps => DetectDataset || DatasetColumns;

    /// <summary>
    /// Timestamps on csv input without named columns cannot apply and are refused: always when the timestamp fields are
    /// named (<see cref="TransformOptions.TimestampFields"/>), else unless the dataset is told per input (then such an
    /// input is converted without timestamp conversion, as a dataset whose columns are unknown).
    /// </summary>
    public bool NeedsCsvFields => Timestamps is not null && (ExplicitTimestampFields || !PerObjectTimestamps);

    private bool ExplicitTimestampFields { get; init; }

    private static string[] CheckNames(IReadOnlyList<string> names, string option)
    {
        if (names.Count == 0)
        {
            throw new ArgumentException($"{option} must name at least one column.", nameof(option));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (string.IsNullOrEmpty(name) || !seen.Add(name))
            {
                throw new ArgumentException($"{option} must not hold an empty name or a name twice ('{name}').", nameof(option));
            }
        }

        return [.. names];
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
