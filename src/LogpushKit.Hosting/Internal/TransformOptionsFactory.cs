using LogpushKit.Transform;

namespace LogpushKit.Hosting;

/// <summary>
/// Turns the configuration form of the transform options (<see cref="LogpushKitTransformOptions"/>) into
/// <see cref="TransformOptions"/>, parsing every value with <see cref="TransformOptionsText"/> (as the CLI parses its
/// flags), so the same text means the same thing in both hosts. Every failure names its configuration key.
/// </summary>
internal static class TransformOptionsFactory
{
    /// <summary>The configuration section of the transform options.</summary>
    public const string Section = LogpushKitOptions.SectionName + ":Transform";

    /// <summary>Where each <see cref="TransformOptions"/> property is set in configuration (its key under the section).</summary>
    private static readonly Dictionary<string, string> KeysByOption = new(StringComparer.Ordinal)
    {
        [nameof(TransformOptions.Fields)] = nameof(LogpushKitTransformOptions.Fields),
        [nameof(TransformOptions.WriteHeader)] = nameof(LogpushKitTransformOptions.WriteHeader),
        [nameof(TransformOptions.InputFormat)] = nameof(LogpushKitTransformOptions.InputFormat),
        [nameof(TransformOptions.Delimiter)] = nameof(LogpushKitTransformOptions.Delimiter),
        [nameof(TransformOptions.RowEnding)] = nameof(LogpushKitTransformOptions.CrLf),
        [nameof(TransformOptions.WriteBom)] = nameof(LogpushKitTransformOptions.Bom),
        [nameof(TransformOptions.Dataset)] = nameof(LogpushKitTransformOptions.Dataset),
        [nameof(TransformOptions.TimestampFields)] = nameof(LogpushKitTransformOptions.TimestampFields),
        [nameof(TransformOptions.TimestampInput)] = nameof(LogpushKitTransformOptions.TimestampInput),
        [nameof(TransformOptions.TimestampOutput)] = nameof(LogpushKitTransformOptions.Timestamps),
        [nameof(TransformOptions.TimestampCustomFormat)] = nameof(LogpushKitTransformOptions.Timestamps),
        [nameof(TransformOptions.TimeZone)] = nameof(LogpushKitTransformOptions.TimeZone),
        [nameof(TransformOptions.EscapeFormulas)] = nameof(LogpushKitTransformOptions.EscapeFormulas),
        [nameof(TransformOptions.OnBadLine)] = nameof(LogpushKitTransformOptions.OnBadLine),
        [nameof(TransformOptions.FailOnUnknownKeys)] = nameof(LogpushKitTransformOptions.FailOnUnknownKeys),
        [nameof(TransformOptions.MaxLineBytes)] = nameof(LogpushKitTransformOptions.MaxLineBytes),
        [nameof(TransformOptions.MaxDecompressedBytes)] = nameof(LogpushKitTransformOptions.MaxDecompressedBytes),
        [nameof(TransformOptions.DatasetColumns)] = nameof(LogpushKitTransformOptions.Columns),
        [nameof(TransformOptions.DatasetFields)] = nameof(LogpushKitTransformOptions.Columns),
        [nameof(TransformOptions.OnNewKeys)] = nameof(LogpushKitTransformOptions.OnNewKeys),
        [nameof(TransformOptions.NewlinesInCells)] = nameof(LogpushKitTransformOptions.NewlinesInCells),
    };

    /// <summary>Builds the options, checked as the transformer checks them.</summary>
    /// <exception cref="ArgumentException">A value is not usable; the message names every failing key.</exception>
    public static TransformOptions Create(LogpushKitTransformOptions options, string section = Section)
    {
        var failures = new List<string>();
        return TryCreate(options, section, failures) ?? throw new ArgumentException(string.Join(" ", failures));
    }

    /// <summary>
    /// Builds the options, or adds to <paramref name="failures"/> one message per unusable value, each starting with its
    /// key under <paramref name="section"/> (e.g. <c>LogpushKit:Transform:Timestamps: 'unix_ms' is not a timestamp format
    /// (did you mean unixms?)…</c>), and returns <see langword="null"/>.
    /// </summary>
    public static TransformOptions? TryCreate(LogpushKitTransformOptions options, string section, List<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        var before = failures.Count;
        string Key(string name) => $"{section}:{name}";
        void Check(bool ok, string name, string? error)
        {
            if (!ok)
            {
                failures.Add($"{Key(name)}: {error}");
            }
        }

        IReadOnlyList<string>? fields = null;
        if (options.Fields.Count > 0)
        {
            Check(TransformOptionsText.TryParseFieldList(options.Fields, out fields, out var error), nameof(options.Fields), error);
        }

        IReadOnlyList<string>? timestampFields = null;
        if (options.TimestampFields.Count > 0)
        {
            Check(TransformOptionsText.TryParseFieldList(options.TimestampFields, out timestampFields, out var error), nameof(options.TimestampFields), error);
        }

        TimestampOutputFormat? timestampOutput = null;
        string? customPattern = null;
        if (!string.IsNullOrWhiteSpace(options.Timestamps))
        {
            Check(TransformOptionsText.TryParseTimestampFormat(options.Timestamps, out var format, out customPattern, out var error), nameof(options.Timestamps), error);
            timestampOutput = format;
        }

        string? e;
        Check(TransformOptionsText.TryParseInputFormat(options.InputFormat, out var inputFormat, out e), nameof(options.InputFormat), e);
        Check(TransformOptionsText.TryParseDelimiter(options.Delimiter, out var delimiter, out e), nameof(options.Delimiter), e);
        Check(TransformOptionsText.TryParseTimestampInput(options.TimestampInput, out var timestampInput, out e), nameof(options.TimestampInput), e);
        Check(TransformOptionsText.TryParseTimeZone(options.TimeZone, out var timeZone, out e), nameof(options.TimeZone), e);
        Check(TransformOptionsText.TryParseBadLinePolicy(options.OnBadLine, out var onBadLine, out e), nameof(options.OnBadLine), e);
        Check(TransformOptionsText.TryParseMaxLineBytes(options.MaxLineBytes, out var maxLineBytes, out e), nameof(options.MaxLineBytes), e);
        Check(TransformOptionsText.TryParseByteSize(options.MaxDecompressedBytes, out var maxDecompressedBytes, out e), nameof(options.MaxDecompressedBytes), e);
        Check(TransformOptionsText.TryParseNewKeyPolicy(options.OnNewKeys, out var onNewKeys, out e), nameof(options.OnNewKeys), e);
        Check(TransformOptionsText.TryParseNewlinePolicy(options.NewlinesInCells, out var newlines, out e), nameof(options.NewlinesInCells), e);
        var columns = options.Columns?.Trim() ?? string.Empty;
        Check(
            columns.Equals("dataset", StringComparison.OrdinalIgnoreCase) || columns.Equals("first-record", StringComparison.OrdinalIgnoreCase),
            nameof(options.Columns),
            $"'{columns}' is not a column source; give dataset or first-record.");
        if (failures.Count > before)
        {
            return null;
        }

        var result = new TransformOptions
        {
            Fields = fields,
            WriteHeader = options.WriteHeader,
            InputFormat = inputFormat,
            Dataset = string.IsNullOrWhiteSpace(options.Dataset) ? null : options.Dataset.Trim(),
            DatasetColumns = fields is null && !string.IsNullOrWhiteSpace(options.Dataset) && columns.Equals("dataset", StringComparison.OrdinalIgnoreCase),
            OnNewKeys = onNewKeys,
            NewlinesInCells = newlines,
            Delimiter = delimiter,
            RowEnding = options.CrLf ? CsvRowEnding.CrLf : CsvRowEnding.Lf,
            WriteBom = options.Bom,
            TimestampOutput = timestampOutput,
            TimestampCustomFormat = customPattern,
            TimestampFields = timestampFields,
            TimestampInput = timestampInput,
            TimeZone = timeZone ?? TimeZoneInfo.Utc,
            OnBadLine = onBadLine,
            EscapeFormulas = options.EscapeFormulas,
            FailOnUnknownKeys = options.FailOnUnknownKeys,
            MaxLineBytes = maxLineBytes,
            MaxDecompressedBytes = maxDecompressedBytes,
        };
        try
        {
            _ = new LogpushCsvTransformer(result);
        }
        catch (ArgumentException ex)
        {
            var message = InKeyTerms(ex.Message.Split(" (Parameter", 2)[0], section);
            failures.Add(message.Contains(section, StringComparison.Ordinal) ? message : $"{section}: {message}");
            return null;
        }

        return result;
    }

    /// <summary>A library message about <see cref="TransformOptions"/> with each option property it names as its configuration key.</summary>
    public static string InKeyTerms(string message, string section = Section)
        => TransformOptionsText.RenameOptions(message, name => KeysByOption.TryGetValue(name, out var key) ? $"{section}:{key}" : null);
}
