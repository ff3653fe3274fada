using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// The "[transform options]" shared by every command that converts Logpush objects (<c>convert</c>, <c>run</c>,
/// <c>consume</c>): <see cref="AddTo"/> adds them to a command, <see cref="Bind"/> turns a parse result into
/// <see cref="TransformOptions"/>. Values are checked while parsing, so a bad value is a usage error (exit 2).
/// </summary>
internal sealed partial class TransformOptionsBinder
{
    private TransformOptionsBinder()
    {
    }

    /// <summary><c>--fields a,b,c</c>: the columns, in order.</summary>
    public Option<string[]> Fields { get; } = new("--fields")
    {
        Description = "Columns, in order (comma-separated; may repeat). Default: the keys of the first record. For csv input: the header names.",
        HelpName = "a,b,c",
        CustomParser = ParseList,
    };

    /// <summary><c>--no-header</c>.</summary>
    public Option<bool> NoHeader { get; } = new("--no-header") { Description = "Do not write a header row." };

    /// <summary><c>--dataset NAME</c>.</summary>
    public Option<string?> Dataset { get; } = new("--dataset")
    {
        Description = "The Logpush dataset (e.g. gateway_http, http_requests); with --timestamps, its timestamp fields are converted.",
        HelpName = "NAME",
    };

    /// <summary><c>--input-format auto|ndjson|csv</c>.</summary>
    public Option<string> InputFormat { get; } = CreateInputFormat();

    /// <summary><c>--delimiter C</c>.</summary>
    public Option<char?> Delimiter { get; } = new("--delimiter")
    {
        Description = "Cell delimiter: one ASCII character, or \\t / tab for TSV. Default ','.",
        HelpName = "C",
        CustomParser = ParseDelimiter,
    };

    /// <summary><c>--crlf</c>.</summary>
    public Option<bool> CrLf { get; } = new("--crlf") { Description = "End rows with CRLF instead of LF." };

    /// <summary><c>--bom</c>.</summary>
    public Option<bool> Bom { get; } = new("--bom") { Description = "Start the output with a UTF-8 byte-order mark." };

    /// <summary><c>--timestamps FORMAT</c>.</summary>
    public Option<string?> Timestamps { get; } = new("--timestamps")
    {
        Description = "Convert timestamp fields to " + TransformOptionsText.TimestampFormatsText + ". Needs --dataset or --timestamp-fields.",
        HelpName = "FORMAT",
        CustomParser = ParseTimestampFormat,
    };

    /// <summary><c>--timestamp-fields a,b</c>.</summary>
    public Option<string[]> TimestampFields { get; } = new("--timestamp-fields")
    {
        Description = "The fields --timestamps converts (comma-separated). Default: the timestamp fields of --dataset.",
        HelpName = "a,b",
        CustomParser = ParseList,
    };

    /// <summary><c>--timestamp-input auto|unix|unixnano|rfc3339</c>.</summary>
    public Option<string> TimestampInput { get; } = CreateTimestampInput();

    /// <summary><c>--time-zone TZ</c>.</summary>
    public Option<TimeZoneInfo?> TimeZone { get; } = new("--time-zone")
    {
        Description = "Time zone of converted rfc3339 and custom timestamps: an IANA id (e.g. Europe/Berlin), utc or local. Default utc.",
        HelpName = "TZ",
        CustomParser = ParseTimeZone,
    };

    /// <summary><c>--on-bad-line fail|skip|quarantine</c>.</summary>
    public Option<string> OnBadLine { get; } = CreateOnBadLine();

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

    /// <summary><c>--max-output-bytes N</c>.</summary>
    public Option<long?> MaxOutputBytes { get; } = new("--max-output-bytes")
    {
        Description = "Most decompressed bytes one input may produce (decompression-bomb guard): a number with an optional K, M, G or T suffix (powers of 1024). Default 8G.",
        HelpName = "N",
        CustomParser = ParseByteSize,
    };

    /// <summary>Creates the transform options and adds them, and the checks between them, to <paramref name="command"/>.</summary>
    public static TransformOptionsBinder AddTo(Command command)
    {
        var binder = new TransformOptionsBinder();
        Option[] all =
        [
            binder.Fields, binder.NoHeader, binder.Dataset, binder.InputFormat, binder.Delimiter, binder.CrLf, binder.Bom,
            binder.Timestamps, binder.TimestampFields, binder.TimestampInput, binder.TimeZone, binder.OnBadLine,
            binder.FailOnUnknownKeys, binder.EscapeFormulas, binder.MaxOutputBytes,
        ];
        foreach (var option in all)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(binder.Validate);
        return binder;
    }

    /// <summary>The bad-line policy chosen on the command line.</summary>
    public BadLinePolicy GetBadLinePolicy(ParseResult parseResult) => parseResult.GetValue(OnBadLine) switch
    {
        "skip" => BadLinePolicy.Skip,
        "quarantine" => BadLinePolicy.Quarantine,
        _ => BadLinePolicy.Fail,
    };

    /// <summary>Builds the <see cref="TransformOptions"/> the command line asks for.</summary>
    public TransformOptions Bind(ParseResult parseResult)
    {
        var fields = parseResult.GetValue(Fields);
        var timestampFields = parseResult.GetValue(TimestampFields);
        var timestamps = parseResult.GetValue(Timestamps);
        TimestampOutputFormat? timestampOutput = null;
        string? customFormat = null;
        if (timestamps is not null && TransformOptionsText.TryParseTimestampFormat(timestamps, out var format, out customFormat, out _))
        {
            timestampOutput = format;
        }

        return new TransformOptions
        {
            Fields = fields is { Length: > 0 } ? fields : null,
            WriteHeader = !parseResult.GetValue(NoHeader),
            Dataset = parseResult.GetValue(Dataset),
            InputFormat = parseResult.GetValue(InputFormat) switch
            {
                "ndjson" => LogpushInputFormat.Ndjson,
                "csv" => LogpushInputFormat.Csv,
                _ => LogpushInputFormat.Auto,
            },
            Delimiter = parseResult.GetValue(Delimiter) ?? TransformOptions.Default.Delimiter,
            RowEnding = parseResult.GetValue(CrLf) ? CsvRowEnding.CrLf : CsvRowEnding.Lf,
            WriteBom = parseResult.GetValue(Bom),
            TimestampFields = timestampFields is { Length: > 0 } ? timestampFields : null,
            TimestampInput = parseResult.GetValue(TimestampInput) switch
            {
                "unix" => LogpushTimestampFormat.Unix,
                "unixnano" => LogpushTimestampFormat.UnixNano,
                "rfc3339" => LogpushTimestampFormat.Rfc3339,
                _ => LogpushTimestampFormat.Auto,
            },
            TimestampOutput = timestampOutput,
            TimestampCustomFormat = customFormat,
            TimeZone = parseResult.GetValue(TimeZone) ?? TimeZoneInfo.Utc,
            EscapeFormulas = parseResult.GetValue(EscapeFormulas),
            OnBadLine = GetBadLinePolicy(parseResult),
            FailOnUnknownKeys = parseResult.GetValue(FailOnUnknownKeys),
            MaxDecompressedBytes = parseResult.GetValue(MaxOutputBytes) ?? TransformOptions.Default.MaxDecompressedBytes,
        };
    }

    /// <summary>
    /// Builds the options and the transformer; options the transformer rejects (e.g. an unknown dataset) become a
    /// <see cref="UsageException"/>.
    /// </summary>
    public LogpushCsvTransformer CreateTransformer(ParseResult parseResult)
    {
        var options = Bind(parseResult);
        try
        {
            return new LogpushCsvTransformer(options);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(InFlagTerms(exception.Message.Split(" (Parameter", 2)[0]));
        }
    }

    /// <summary>
    /// A library message about <see cref="TransformOptions"/> in the command line's terms: each option property it names
    /// becomes the flag that sets it (<c>TimestampOutput</c> → <c>--timestamps</c>).
    /// </summary>
    public static string InFlagTerms(string message)
        => OptionNames().Replace(message, match => FlagsByOption.TryGetValue(match.Value, out var flag) ? flag : match.Value);

    /// <summary>The message of a bad-input failure with its reason in the command line's terms (the source name kept as it is).</summary>
    public static string Describe(LogpushDataException exception)
        => new LogpushDataException(InFlagTerms(exception.Reason), exception.SourceName, exception.LineNumber, exception.ByteOffset).Message;

    /// <summary>The message of an option that cannot apply, in the command line's terms.</summary>
    public static string Describe(TransformOptionsException exception)
        => new TransformOptionsException(exception.OptionName, InFlagTerms(exception.Reason), exception.SourceName).Message;

    private static readonly Dictionary<string, string> FlagsByOption = new(StringComparer.Ordinal)
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
        [nameof(TransformOptions.FailOnUnknownKeys)] = "--fail-on-unknown-keys",
        [nameof(TransformOptions.MaxDecompressedBytes)] = "--max-output-bytes",
    };

    [GeneratedRegex(@"\b[A-Z][A-Za-z]+\b")]
    private static partial Regex OptionNames();

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

    private void Validate(CommandResult result)
    {
        var timestamps = result.GetResult(Timestamps) is { Implicit: false };
        if (timestamps && ValueOrDefault(result, Dataset) is null && result.GetResult(TimestampFields) is null)
        {
            result.AddError("--timestamps needs --dataset NAME or --timestamp-fields a,b to know which fields are timestamps.");
        }

        if (timestamps && ValueOrDefault(result, InputFormat) == "csv" && result.GetResult(Fields) is null)
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

    private static Option<string> CreateInputFormat()
    {
        var option = new Option<string>("--input-format")
        {
            Description = "Record format of the input; auto decides by content (first non-blank byte '{' = ndjson).",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "ndjson", "csv");
        return option;
    }

    private static Option<string> CreateTimestampInput()
    {
        var option = new Option<string>("--timestamp-input")
        {
            Description = "How Logpush wrote the timestamps (its timestamp_format); auto decides by value shape and digit count.",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "unix", "unixnano", "rfc3339");
        return option;
    }

    private static Option<string> CreateOnBadLine()
    {
        var option = new Option<string>("--on-bad-line")
        {
            Description = "A malformed line: fail (default), skip it (counted), or quarantine it (raw line, line number and reason written to --quarantine).",
            DefaultValueFactory = _ => "fail",
        };
        option.AcceptOnlyFromAmong("fail", "skip", "quarantine");
        return option;
    }

    private static string[] ParseList(ArgumentResult result)
    {
        var items = new List<string>();
        foreach (var token in result.Tokens)
        {
            foreach (var item in token.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (items.Contains(item, StringComparer.Ordinal))
                {
                    result.AddError($"{OptionName(result)}: '{item}' is given twice.");
                    return [];
                }

                items.Add(item);
            }
        }

        if (items.Count == 0)
        {
            result.AddError($"{OptionName(result)}: give at least one name.");
        }

        return [.. items];
    }

    private static char? ParseDelimiter(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "," : result.Tokens[^1].Value;
        var delimiter = text switch
        {
            "\\t" or "tab" or "TAB" => '\t',
            _ when text.Length == 1 => text[0],
            _ => '\0',
        };
        if (delimiter is '\0' or '"' or '\r' or '\n' or > '\x7f')
        {
            result.AddError($"--delimiter: '{text}' is not usable; give one ASCII character other than a quote, CR or LF, or \\t / tab.");
            return ',';
        }

        return delimiter;
    }

    private static string? ParseTimestampFormat(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? null : result.Tokens[^1].Value;
        if (!TransformOptionsText.TryParseTimestampFormat(text, out _, out _, out var error))
        {
            result.AddError("--timestamps: " + error);
            return null;
        }

        return text;
    }

    private static TimeZoneInfo? ParseTimeZone(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "utc" : result.Tokens[^1].Value;
        if (text.Equals("utc", StringComparison.OrdinalIgnoreCase) || text.Equals("z", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Utc;
        }

        if (text.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(text);
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            result.AddError($"--time-zone: unknown time zone '{text}'; give an IANA id such as Europe/Berlin, or utc or local.");
            return TimeZoneInfo.Utc;
        }
    }

    /// <summary>Parses <c>1048576</c>, <c>512K</c>, <c>64M</c>, <c>8G</c>, <c>1T</c> (also <c>MB</c>/<c>MiB</c> forms; powers of 1024).</summary>
    internal static bool TryParseByteSize(string text, out long bytes)
    {
        bytes = 0;
        var span = text.AsSpan().Trim();
        var digits = 0;
        while (digits < span.Length && char.IsAsciiDigit(span[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(span[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var suffix = span[digits..].Trim().ToString().ToUpperInvariant();
        var shift = suffix switch
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
        return true;
    }

    private static long? ParseByteSize(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value;
        if (!TryParseByteSize(text, out var bytes))
        {
            result.AddError($"--max-output-bytes: '{text}' is not a positive size; give e.g. 1073741824, 512M or 8G.");
        }

        return bytes;
    }

    private static string OptionName(ArgumentResult result)
        => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
