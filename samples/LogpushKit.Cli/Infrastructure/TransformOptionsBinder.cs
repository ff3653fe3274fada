using System.CommandLine;
using System.CommandLine.Parsing;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// The "[transform options]" shared by every command that converts Logpush objects (<c>convert</c>, <c>run</c>,
/// <c>consume</c>): <see cref="AddTo"/> adds them to a command, <see cref="Bind"/> turns a parse result into
/// <see cref="TransformOptions"/>. Every value is parsed by <see cref="TransformOptionsText"/>, the text form the worker's
/// configuration shares, while parsing, so a bad value is a usage error (exit 2) naming the flag.
/// </summary>
internal sealed class TransformOptionsBinder
{
    /// <summary>The flag that sets each <see cref="TransformOptions"/> property, for messages in the command line's terms.</summary>
    internal static readonly Dictionary<string, string> FlagsByOption = new(StringComparer.Ordinal)
    {
        [nameof(TransformOptions.Fields)] = "--fields",
        [nameof(TransformOptions.WriteHeader)] = "--no-header",
        [nameof(TransformOptions.InputFormat)] = "--input-format",
        [nameof(TransformOptions.Delimiter)] = "--delimiter",
        [nameof(TransformOptions.RowEnding)] = "--crlf",
        [nameof(TransformOptions.WriteBom)] = "--bom",
        [nameof(TransformOptions.Dataset)] = "--dataset",
        [nameof(TransformOptions.TimestampFields)] = "--timestamp-fields",
        [nameof(TransformOptions.TimestampInput)] = "--timestamp-input",
        [nameof(TransformOptions.TimestampOutput)] = "--timestamps",
        [nameof(TransformOptions.TimestampCustomFormat)] = "--timestamps",
        [nameof(TransformOptions.TimeZone)] = "--time-zone",
        [nameof(TransformOptions.EscapeFormulas)] = "--escape-formulas",
        [nameof(TransformOptions.OnBadLine)] = "--on-bad-line",
        [nameof(TransformOptions.MaxLineBytes)] = "--max-line-bytes",
        [nameof(TransformOptions.FailOnUnknownKeys)] = "--fail-on-unknown-keys",
        [nameof(TransformOptions.MaxDecompressedBytes)] = "--max-output-bytes",
        [nameof(TransformOptions.DatasetColumns)] = "--columns",
        [nameof(TransformOptions.DatasetFields)] = "--columns",
        [nameof(TransformOptions.OnNewKeys)] = "--on-new-keys",
        [nameof(TransformOptions.NewlinesInCells)] = "--newlines-in-cells",
    };

    private readonly bool _perDataset;

    private TransformOptionsBinder(bool perDataset)
    {
        _perDataset = perDataset;
        Dataset = new("--dataset")
        {
            Description = perDataset
                ? "The Logpush dataset of the objects. Default auto: per object, from a key path segment naming a dataset, else the keys of its first record matched against the dataset catalog; an object neither tells is converted without timestamp conversion and counted as 'dataset unknown'. A NAME (e.g. gateway_http) forces one dataset for every object."
                : "The Logpush dataset (e.g. gateway_http, http_requests), or auto (told from the first record's keys); with --timestamps, its timestamp fields are converted.",
            HelpName = "auto|NAME",
            DefaultValueFactory = _ => perDataset ? TransformOptions.AutoDataset : null,
        };
        Columns = new("--columns")
        {
            Description = perDataset
                ? "dataset (default): a known dataset's columns are its Logpush job's field_names, else its catalog fields in catalog order, in every file whatever the first record holds; first-record: the keys of each file's first record."
                : "first-record (default): the keys of the first record; dataset: the dataset's catalog fields in catalog order (needs --dataset).",
            HelpName = "dataset|first-record",
            DefaultValueFactory = _ => perDataset ? "dataset" : "first-record",
            CustomParser = r => ParseName<bool>(r, TryParseColumns, perDataset ? "dataset" : "first-record"),
        };
    }

    /// <summary><c>--columns dataset|first-record</c>.</summary>
    public Option<string> Columns { get; }

    /// <summary><c>--on-new-keys append|ignore|fail</c>.</summary>
    public Option<string> OnNewKeys { get; } = new("--on-new-keys")
    {
        Description = "With dataset columns, a record key that is not one of them: append (default; the first record's new keys become extra columns after the dataset's, nothing lost), ignore (dropped, counted), fail (a bad line).",
        HelpName = "append|ignore|fail",
        DefaultValueFactory = _ => "append",
        CustomParser = r => ParseName<NewKeyPolicy>(r, TransformOptionsText.TryParseNewKeyPolicy, "append"),
    };

    /// <summary><c>--newlines-in-cells keep|escape|space</c>.</summary>
    public Option<string> NewlinesInCells { get; } = new("--newlines-in-cells")
    {
        Description = "CR and LF inside a cell: keep (default; the cell is quoted, RFC 4180), escape (written as \\r and \\n), space (one space each) for line-based forwarders that cut at every LF.",
        HelpName = "keep|escape|space",
        DefaultValueFactory = _ => "keep",
        CustomParser = r => ParseName<NewlinePolicy>(r, TransformOptionsText.TryParseNewlinePolicy, "keep"),
    };

    /// <summary><c>--fields a,b,c</c>: the columns, in order.</summary>
    public Option<string[]> Fields { get; } = new("--fields")
    {
        Description = "Columns, in order (comma-separated; may repeat). Default: the keys of the first record. For csv input: the header names, and the cells every row must have.",
        HelpName = "a,b,c",
        CustomParser = ParseFieldList,
    };

    /// <summary><c>--no-header</c>.</summary>
    public Option<bool> NoHeader { get; } = new("--no-header") { Description = "Do not write a header row." };

    /// <summary><c>--dataset auto|NAME</c>.</summary>
    public Option<string?> Dataset { get; }

    /// <summary><c>--input-format auto|ndjson|csv</c>: the canonical name.</summary>
    public Option<string> InputFormat { get; } = new("--input-format")
    {
        Description = "Record format of the input; auto decides by content (first non-blank byte '{' = ndjson, else csv).",
        HelpName = "auto|ndjson|csv",
        DefaultValueFactory = _ => "auto",
        CustomParser = r => ParseName<LogpushInputFormat>(r, TransformOptionsText.TryParseInputFormat, "auto"),
    };

    /// <summary><c>--delimiter C</c>.</summary>
    public Option<char?> Delimiter { get; } = new("--delimiter")
    {
        Description = "Cell delimiter: one ASCII character, or tab (\\t) for TSV. Default ','.",
        HelpName = "C",
        CustomParser = ParseDelimiter,
    };

    /// <summary><c>--crlf</c>.</summary>
    public Option<bool> CrLf { get; } = new("--crlf") { Description = "End rows with CRLF instead of LF." };

    /// <summary><c>--bom</c>.</summary>
    public Option<bool> Bom { get; } = new("--bom") { Description = "Start the output with a UTF-8 byte-order mark." };

    /// <summary><c>--timestamps FORMAT</c>: the text as given, checked.</summary>
    public Option<string?> Timestamps { get; } = new("--timestamps")
    {
        Description = "Convert timestamp fields to " + TransformOptionsText.TimestampFormatsText + ". Needs --dataset or --timestamp-fields (and --fields on csv input).",
        HelpName = "FORMAT",
        CustomParser = ParseTimestampFormat,
    };

    /// <summary><c>--timestamp-fields a,b</c>.</summary>
    public Option<string[]> TimestampFields { get; } = new("--timestamp-fields")
    {
        Description = "The fields --timestamps converts (comma-separated). Default: the timestamp fields of --dataset.",
        HelpName = "a,b",
        CustomParser = ParseFieldList,
    };

    /// <summary><c>--timestamp-input auto|unix|unixnano|rfc3339</c>: the canonical name.</summary>
    public Option<string> TimestampInput { get; } = new("--timestamp-input")
    {
        Description = "How Logpush wrote the timestamps (its timestamp_format: unix, unixnano, rfc3339, rfc3339ms, rfc3339ns); auto decides by value shape and digit count.",
        HelpName = "auto|unix|unixnano|rfc3339",
        DefaultValueFactory = _ => "auto",
        CustomParser = r => ParseName<LogpushTimestampFormat>(r, TransformOptionsText.TryParseTimestampInput, "auto"),
    };

    /// <summary><c>--time-zone TZ</c>.</summary>
    public Option<TimeZoneInfo?> TimeZone { get; } = new("--time-zone")
    {
        Description = "Time zone of converted rfc3339 and custom timestamps: an IANA id (e.g. Europe/Berlin), utc or local. Default utc.",
        HelpName = "TZ",
        CustomParser = ParseTimeZone,
    };

    /// <summary><c>--on-bad-line fail|skip|quarantine</c>: the canonical name.</summary>
    public Option<string> OnBadLine { get; } = new("--on-bad-line")
    {
        Description = "A malformed line or row: fail (default), skip it (counted), or quarantine it (one JSON line per bad line in --quarantine: line number, byte offset, reason, length in bytes and the raw line; a line longer than --max-line-bytes keeps only its first KiB and is marked truncated).",
        HelpName = "fail|skip|quarantine",
        DefaultValueFactory = _ => "fail",
        CustomParser = r => ParseName<BadLinePolicy>(r, TransformOptionsText.TryParseBadLinePolicy, "fail"),
    };

    /// <summary><c>--fail-on-unknown-keys</c>.</summary>
    public Option<bool> FailOnUnknownKeys { get; } = new("--fail-on-unknown-keys")
    {
        Description = "Treat a record with a key that is not a column as a bad line (default: only counted).",
    };

    /// <summary><c>--escape-formulas</c>.</summary>
    public Option<bool> EscapeFormulas { get; } = new("--escape-formulas")
    {
        Description = "Prefix cells starting with = + - @ with ' so spreadsheets do not run them as formulas (changes data; off by default).",
    };

    /// <summary><c>--max-line-bytes N</c>.</summary>
    public Option<int?> MaxLineBytes { get; } = new("--max-line-bytes")
    {
        Description = "Longest ndjson line or csv row accepted: a number with an optional K or M suffix (powers of 1024); a longer one is a bad line (never buffered whole; quarantined, only its first KiB is kept, marked truncated, with its length). A line is converted whole, so memory grows to about 5 times the longest line. Default 128M, at most 512M.",
        HelpName = "N",
        CustomParser = ParseMaxLineBytes,
    };

    /// <summary><c>--max-output-bytes N</c>.</summary>
    public Option<long?> MaxOutputBytes { get; } = new("--max-output-bytes")
    {
        Description = "Most decompressed bytes one input may produce (decompression-bomb guard): a number with an optional K, M, G or T suffix (powers of 1024). Default 8G.",
        HelpName = "N",
        CustomParser = ParseByteSize,
    };

    /// <summary>Creates the transform options and adds them, and the checks between them, to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    /// <param name="perDataset">
    /// The command converts many objects of many datasets (<c>run</c>, <c>consume</c>): <c>--dataset</c> defaults to
    /// <c>auto</c> and <c>--columns</c> to <c>dataset</c>. <c>convert</c> keeps the first record's keys and no dataset.
    /// </param>
    public static TransformOptionsBinder AddTo(Command command, bool perDataset = false)
    {
        var binder = new TransformOptionsBinder(perDataset);
        Option[] all =
        [
            binder.Fields, binder.NoHeader, binder.Dataset, binder.InputFormat, binder.Delimiter, binder.CrLf, binder.Bom,
            binder.Timestamps, binder.TimestampFields, binder.TimestampInput, binder.TimeZone, binder.OnBadLine,
            binder.FailOnUnknownKeys, binder.EscapeFormulas, binder.MaxLineBytes, binder.MaxOutputBytes,
            binder.Columns, binder.OnNewKeys, binder.NewlinesInCells,
        ];
        foreach (var option in all)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(binder.Validate);
        return binder;
    }

    /// <summary>The bad-line policy chosen on the command line.</summary>
    public BadLinePolicy GetBadLinePolicy(ParseResult parseResult)
        => TransformOptionsText.TryParseBadLinePolicy(parseResult.GetValue(OnBadLine), out var policy, out _) ? policy : BadLinePolicy.Fail;

    /// <summary>
    /// Builds the <see cref="TransformOptions"/> the command line asks for, checked as the transformer checks them: options
    /// that do not fit together (e.g. an unknown dataset) are a <see cref="UsageException"/> naming the flags.
    /// </summary>
    public TransformOptions Bind(ParseResult parseResult)
    {
        var fields = parseResult.GetValue(Fields);
        var timestampFields = parseResult.GetValue(TimestampFields);
        TimestampOutputFormat? timestampOutput = null;
        string? customFormat = null;
        if (parseResult.GetValue(Timestamps) is { } timestamps && TransformOptionsText.TryParseTimestampFormat(timestamps, out var format, out customFormat, out _))
        {
            timestampOutput = format;
        }

        _ = TransformOptionsText.TryParseInputFormat(parseResult.GetValue(InputFormat), out var inputFormat, out _);
        _ = TransformOptionsText.TryParseNewKeyPolicy(parseResult.GetValue(OnNewKeys), out var onNewKeys, out _);
        _ = TransformOptionsText.TryParseNewlinePolicy(parseResult.GetValue(NewlinesInCells), out var newlines, out _);
        var dataset = parseResult.GetValue(Dataset);
        _ = TransformOptionsText.TryParseTimestampInput(parseResult.GetValue(TimestampInput), out var timestampInput, out _);
        var options = new TransformOptions
        {
            Fields = fields is { Length: > 0 } ? fields : null,
            WriteHeader = !parseResult.GetValue(NoHeader),
            Dataset = string.IsNullOrWhiteSpace(dataset) ? null : dataset.Trim(),
            DatasetColumns = fields is not { Length: > 0 } && dataset is not null && parseResult.GetValue(Columns) == "dataset",
            OnNewKeys = onNewKeys,
            NewlinesInCells = newlines,
            InputFormat = inputFormat,
            Delimiter = parseResult.GetValue(Delimiter) ?? TransformOptions.Default.Delimiter,
            RowEnding = parseResult.GetValue(CrLf) ? CsvRowEnding.CrLf : CsvRowEnding.Lf,
            WriteBom = parseResult.GetValue(Bom),
            TimestampFields = timestampFields is { Length: > 0 } ? timestampFields : null,
            TimestampInput = timestampInput,
            TimestampOutput = timestampOutput,
            TimestampCustomFormat = customFormat,
            TimeZone = parseResult.GetValue(TimeZone) ?? TimeZoneInfo.Utc,
            EscapeFormulas = parseResult.GetValue(EscapeFormulas),
            OnBadLine = GetBadLinePolicy(parseResult),
            FailOnUnknownKeys = parseResult.GetValue(FailOnUnknownKeys),
            MaxLineBytes = parseResult.GetValue(MaxLineBytes) ?? TransformOptions.Default.MaxLineBytes,
            MaxDecompressedBytes = parseResult.GetValue(MaxOutputBytes) ?? TransformOptions.Default.MaxDecompressedBytes,
        };
        _ = CreateTransformer(options);
        return options;
    }

    /// <summary>Builds the options and the transformer (see <see cref="Bind"/>).</summary>
    public LogpushCsvTransformer CreateTransformer(ParseResult parseResult) => CreateTransformer(Bind(parseResult));

    /// <summary>
    /// A library message about <see cref="TransformOptions"/> in the command line's terms: each option property it names
    /// becomes the flag that sets it (<c>TimestampOutput</c> → <c>--timestamps</c>).
    /// </summary>
    public static string InFlagTerms(string message)
        => TransformOptionsText.RenameOptions(message, name => FlagsByOption.GetValueOrDefault(name));

    /// <summary>The message of a bad-input failure with its reason in the command line's terms (the source name kept as it is).</summary>
    public static string Describe(LogpushDataException exception)
        => new LogpushDataException(InFlagTerms(exception.Reason), exception.SourceName, exception.LineNumber, exception.ByteOffset).Message;

    /// <summary>The message of an option that cannot apply, in the command line's terms.</summary>
    public static string Describe(TransformOptionsException exception)
        => new TransformOptionsException(exception.OptionName, InFlagTerms(exception.Reason), exception.SourceName).Message;

    /// <summary>
    /// The value of <paramref name="option"/> in a command validator, or <see langword="default"/> when the value itself
    /// is invalid (its own error is reported already).
    /// </summary>
    public static T? ValueOrDefault<T>(CommandResult result, Option<T> option)
    {
        try
        {
            return result.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    /// <summary>Parses a byte size as the transform options do (see <see cref="TransformOptionsText.TryParseByteSize"/>).</summary>
    internal static bool TryParseByteSize(string text, out long bytes) => TransformOptionsText.TryParseByteSize(text, out bytes, out _);

    private static LogpushCsvTransformer CreateTransformer(TransformOptions options)
    {
        try
        {
            return new LogpushCsvTransformer(options);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(InFlagTerms(exception.Message.Split(" (Parameter", 2)[0]));
        }
    }

    private void Validate(CommandResult result)
    {
        var timestamps = result.GetResult(Timestamps) is { Implicit: false };
        // a validator sees no default value: an option not given takes its default here
        var dataset = result.GetResult(Dataset) is { Implicit: false } ? ValueOrDefault(result, Dataset) : _perDataset ? TransformOptions.AutoDataset : null;
        var auto = string.Equals(dataset, TransformOptions.AutoDataset, StringComparison.OrdinalIgnoreCase);
        if (timestamps && dataset is null && result.GetResult(TimestampFields) is null)
        {
            result.AddError("--timestamps needs --dataset NAME (or auto) or --timestamp-fields a,b to know which fields are timestamps.");
        }

        var columns = result.GetResult(Columns) is { Implicit: false } ? ValueOrDefault(result, Columns) : _perDataset ? "dataset" : "first-record";
        if (result.GetResult(Columns) is { Implicit: false } && columns == "dataset" && dataset is null)
        {
            result.AddError("--columns dataset needs --dataset NAME (or auto) to know the dataset's columns.");
        }

        if (result.GetResult(Fields) is { Implicit: false } && result.GetResult(Columns) is { Implicit: false } && columns == "dataset")
        {
            result.AddError("--fields names the columns; --columns dataset would take them from the dataset. Drop one of them.");
        }

        if (result.GetResult(OnNewKeys) is { Implicit: false } && (result.GetResult(Fields) is { Implicit: false } || dataset is null || columns != "dataset"))
        {
            result.AddError("--on-new-keys applies to dataset columns (--columns dataset with --dataset, and no --fields); with --fields use --fail-on-unknown-keys.");
        }

        if (timestamps && !auto && ValueOrDefault(result, InputFormat) == "csv" && result.GetResult(Fields) is null)
        {
            result.AddError("--timestamps on csv input needs --fields a,b,c: csv has no header naming its columns, so the timestamp fields cannot be found.");
        }

        if (!timestamps)
        {
            foreach (var option in new Option[] { TimestampFields, TimeZone, TimestampInput })
            {
                if (result.GetResult(option) is { Implicit: false })
                {
                    result.AddError($"{option.Name} has no effect without --timestamps FORMAT.");
                }
            }
        }
    }

    private delegate bool TryParse<T>(string? text, out T value, out string? error);

    private static bool TryParseColumns(string? text, out bool dataset, out string? error)
    {
        var t = text?.Trim() ?? string.Empty;
        dataset = t.Equals("dataset", StringComparison.OrdinalIgnoreCase);
        error = dataset || t.Equals("first-record", StringComparison.OrdinalIgnoreCase) ? null : $"'{t}' is not a column source; give dataset or first-record.";
        return error is null;
    }

    private static string? LastToken(ArgumentResult result) => result.Tokens.Count == 0 ? null : result.Tokens[^1].Value;

    private static string OptionName(ArgumentResult result)
        => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;

    /// <summary>A named value (input format, timestamp input, bad-line policy), returned in its canonical lower-case form.</summary>
    private static string ParseName<T>(ArgumentResult result, TryParse<T> parse, string fallback)
    {
        var text = LastToken(result);
        if (text is null)
        {
            return fallback;
        }

        if (!parse(text, out _, out var error))
        {
            result.AddError($"{OptionName(result)}: {error}");
            return fallback;
        }

        return text.Trim().ToLowerInvariant();
    }

    private static string[] ParseFieldList(ArgumentResult result)
    {
        if (!TransformOptionsText.TryParseFieldList(result.Tokens.Select(t => t.Value), out var fields, out var error))
        {
            result.AddError($"{OptionName(result)}: {error}");
            return [];
        }

        return [.. fields];
    }

    private static char? ParseDelimiter(ArgumentResult result)
    {
        if (!TransformOptionsText.TryParseDelimiter(LastToken(result) ?? ",", out var delimiter, out var error))
        {
            result.AddError("--delimiter: " + error);
        }

        return delimiter;
    }

    private static string? ParseTimestampFormat(ArgumentResult result)
    {
        var text = LastToken(result);
        if (!TransformOptionsText.TryParseTimestampFormat(text, out _, out _, out var error))
        {
            result.AddError("--timestamps: " + error);
            return null;
        }

        return text;
    }

    private static TimeZoneInfo? ParseTimeZone(ArgumentResult result)
    {
        if (!TransformOptionsText.TryParseTimeZone(LastToken(result) ?? "utc", out var zone, out var error))
        {
            result.AddError("--time-zone: " + error);
            return TimeZoneInfo.Utc;
        }

        return zone;
    }

    private static int? ParseMaxLineBytes(ArgumentResult result)
    {
        if (!TransformOptionsText.TryParseMaxLineBytes(LastToken(result), out var bytes, out var error))
        {
            result.AddError("--max-line-bytes: " + error);
            return null;
        }

        return bytes;
    }

    private static long? ParseByteSize(ArgumentResult result)
    {
        if (!TransformOptionsText.TryParseByteSize(LastToken(result), out var bytes, out var error))
        {
            result.AddError("--max-output-bytes: " + error);
            return null;
        }

        return bytes;
    }
}
