using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LogpushKit.Testing;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// Differential fuzzing of csv input: random csv (one fixed seed per case; rows with the wrong cell count, quoted cells
/// holding quotes, delimiters, CRs and line breaks, blank lines, CRLF, long rows, and now and then a byte that makes the
/// input not csv) goes through every feed and encoding of <see cref="TransformRunner"/> and through
/// <see cref="ReferenceCsvInput"/>, an independent byte-at-a-time reading of the documented rules. Both must give the same
/// CSV, counts and quarantine, or fail at the same line and offset for the same reason.
/// </summary>
public sealed partial class CsvDifferentialFuzzTests
{
    private const int Cases = 100;

    public static TheoryData<int> Seeds() => TestSeeds.UpTo(Cases);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task TransformAsync_RandomCsv_MatchesTheReference(int seed)
    {
        var random = new Random(seed);
        var columns = random.Next(1, 7);
        var options = RandomOptions(random, columns);
        var input = Generate(random, columns, options.MaxLineBytes);
        var expected = ReferenceCsvInput.Convert(input, options);
        var label = $"seed {seed}";
        if (expected.Failure is { } failure)
        {
            // (A hard failure does not depend on where bad lines go; FailAllAsync gives no quarantine stream.)
            var failing = options.OnBadLine == BadLinePolicy.Quarantine ? options with { OnBadLine = BadLinePolicy.Skip } : options;
            var ex = await TransformRunner.FailAllAsync(failing, input, sourceName: "fuzz.csv");
            Assert.True(
                (failure.Line, failure.Offset) == (ex.LineNumber, ex.ByteOffset) && ex.Reason.StartsWith(failure.Reason, StringComparison.Ordinal),
                $"{label}: failed with '{ex.Message}'; the reference fails at line {failure.Line}, offset {failure.Offset}: {failure.Reason}");
            return;
        }

        var outcome = await TransformRunner.RunAllAsync(options, input, quarantine: options.OnBadLine == BadLinePolicy.Quarantine, sourceName: "fuzz.csv");
        Assert.True(expected.Csv == outcome.Csv, $"{label}: wrote\n{outcome.Csv}\n--- the reference writes\n{expected.Csv}");
        var counts = (outcome.Result.Records, outcome.Result.Rows, outcome.Result.BadLines);
        Assert.True((expected.Records, expected.Rows, expected.BadLines) == counts, $"{label}: (Records, Rows, BadLines) = {counts}, the reference says {(expected.Records, expected.Rows, expected.BadLines)}");
        if (options.OnBadLine == BadLinePolicy.Quarantine)
        {
            var actual = outcome.Quarantine.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ParseQuarantine).ToList();
            Assert.True(expected.Bad.SequenceEqual(actual), $"{label}: quarantined [{string.Join("; ", actual)}], the reference says [{string.Join("; ", expected.Bad)}]");
        }
    }

    private static ReferenceCsvInput.BadRow ParseQuarantine(string line)
    {
        var json = JsonDocument.Parse(line).RootElement;
        var raw = json.TryGetProperty("raw", out var text) ? Encoding.UTF8.GetBytes(text.GetString()!) : json.GetProperty("rawBase64").GetBytesFromBase64();
        return new(json.GetProperty("line").GetInt64(), json.GetProperty("offset").GetInt64(), json.GetProperty("reason").GetString()!, Convert.ToHexString(raw), json.GetProperty("bytes").GetInt64(), json.GetProperty("truncated").GetBoolean());
    }

    private static TransformOptions RandomOptions(Random random, int columns)
    {
        char[] delimiters = [',', ',', ',', ',', '\t', ';', '|', ' ', '\'', '='];
        return TransformOptions.Default with
        {
            InputFormat = LogpushInputFormat.Csv,
            Delimiter = delimiters[random.Next(delimiters.Length)],
            RowEnding = random.Next(3) == 0 ? CsvRowEnding.CrLf : CsvRowEnding.Lf,
            EscapeFormulas = random.Next(4) == 0,
            Fields = random.Next(3) == 0 ? [.. Enumerable.Range(0, columns + (random.Next(8) == 0 ? 1 : 0)).Select(c => "c" + c)] : null,
            WriteHeader = random.Next(5) > 0,
            WriteBom = random.Next(8) == 0,
            OnBadLine = random.Next(10) switch
            {
                < 5 => BadLinePolicy.Skip,
                < 8 => BadLinePolicy.Quarantine,
                _ => BadLinePolicy.Fail,
            },
            MaxLineBytes = random.Next(3) == 0 ? random.Next(20, 200) : TransformOptions.Default.MaxLineBytes,
        };
    }

    /// <summary>Rows of <paramref name="columns"/> cells (sometimes one more or less), the way a careful csv writer writes them, plus accidents.</summary>
    private static byte[] Generate(Random random, int columns, int maxLineBytes)
    {
        string[] pieces = ["a", "b", "xyz", "192.0.2.1", "-5", "1e3", "+1", "=SUM(A1)", "@x", "-y", " ", ",", "\"", "\r", "\n", "\r\n", "é", "日本", "😀", "", "0.5", "\t", ";", "|", "'"];
        var output = new List<byte>();
        if (random.Next(10) == 0)
        {
            output.AddRange("\uFEFF"u8.ToArray());
        }

        var rows = random.Next(0, 40);
        for (var r = 0; r < rows; r++)
        {
            if (random.Next(12) == 0)
            {
                output.AddRange(random.Next(2) == 0 ? "\n"u8.ToArray() : "\r\n"u8.ToArray());
                continue;
            }

            var cells = columns + (random.Next(10) == 0 ? (random.Next(2) == 0 ? -1 : 1) : 0);
            var row = new StringBuilder();
            for (var c = 0; c < Math.Max(cells, 1); c++)
            {
                if (c > 0)
                {
                    row.Append(',');
                }

                var value = new StringBuilder();
                var parts = random.Next(4) == 0 ? random.Next(5, 30) : random.Next(0, 4);
                for (var p = 0; p < parts; p++)
                {
                    value.Append(pieces[random.Next(pieces.Length)]);
                }

                var text = value.ToString();
                var quote = text.AsSpan().IndexOfAny(",\"\r\n") >= 0 || random.Next(6) == 0;
                row.Append(quote ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text);
            }

            if (r == rows - 1 && random.Next(3) == 0)
            {
                output.AddRange(Encoding.UTF8.GetBytes(row.ToString()));
                break;
            }

            output.AddRange(Encoding.UTF8.GetBytes(row.ToString()));
            output.AddRange(random.Next(3) == 0 ? "\r\n"u8.ToArray() : "\n"u8.ToArray());
        }

        if (output.Count > 0 && random.Next(8) == 0)
        {
            // An accident: a byte that is not text, or not csv.
            byte[][] accidents = [[0], [0xFF], [0xC3], [(byte)'"'], [(byte)'\r'], [(byte)'x', (byte)'"', (byte)'y']];
            output.InsertRange(random.Next(output.Count), accidents[random.Next(accidents.Length)]);
        }

        return [.. output];
    }

    /// <summary>The documented rules for csv input, one byte at a time, on the whole input at once.</summary>
    internal static partial class ReferenceCsvInput
    {
        public sealed record BadRow(long Line, long Offset, string Reason, string RawHex, long Bytes, bool Truncated);

        public sealed record Failed(long Line, long Offset, string Reason);

        public sealed record Expected(string Csv, long Records, long Rows, long BadLines, List<BadRow> Bad, Failed? Failure);

        private sealed class FailException(Failed failure) : Exception
        {
            public Failed Failure { get; } = failure;
        }

        public static Expected Convert(byte[] data, TransformOptions options)
        {
            var state = new State(data, options);
            try
            {
                state.Run();
            }
            catch (FailException ex)
            {
                return new Expected("", 0, 0, 0, [], ex.Failure);
            }

            return new Expected(Encoding.UTF8.GetString(state.Output.ToArray()), state.Records, state.Rows, state.Bad.Count, state.Bad, null);
        }

        [GeneratedRegex(@"\A-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\z")]
        private static partial Regex JsonNumber();

        private sealed class State(byte[] data, TransformOptions options)
        {
            private readonly bool _reemit = options.Delimiter != ',' || options.RowEnding != CsvRowEnding.Lf || options.EscapeFormulas;
            private int _cells = options.Fields?.Count ?? 0;

            public List<byte> Output { get; } = [];

            public List<BadRow> Bad { get; } = [];

            public long Records { get; private set; }

            public long Rows { get; private set; }

            public void Run()
            {
                var start = data.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
                if (options.WriteBom)
                {
                    Output.AddRange("\uFEFF"u8.ToArray());
                }

                if (options.Fields is { } fields && options.WriteHeader)
                {
                    Output.AddRange(Encoding.UTF8.GetBytes(string.Join(options.Delimiter, fields) + Ending));
                }

                var textError = FirstNotText(start, out var textReason);
                var line = 1L;
                var rowStart = start;
                var rowLine = 1L;
                var cells = 1;
                bool inQuotes = false, afterClose = false, afterCr = false, atCellStart = true;
                for (var i = start; i < data.Length; i++)
                {
                    // The first byte that breaks a rule fails the input, in this order at one byte: a CR before it
                    // without LF (at the CR), the row passing MaxLineBytes (under Fail), a closing quote before it, not text.
                    var b = data[i];
                    var rowEnd = b == '\n' && !inQuotes;
                    if (afterCr && b != '\n')
                    {
                        Fail(line, i - 1, "a CR outside quotes is not followed by LF");
                    }

                    if (options.OnBadLine == BadLinePolicy.Fail && !rowEnd && i - rowStart >= options.MaxLineBytes)
                    {
                        Fail(rowLine, rowStart, Overlong);
                    }

                    if (afterClose && b is not ((byte)',' or (byte)'"' or (byte)'\r' or (byte)'\n'))
                    {
                        Fail(line, i, "text after the closing quote of a cell");
                    }

                    if (i == textError)
                    {
                        Fail(line, i, textReason!);
                    }

                    if (inQuotes)
                    {
                        line += b == '\n' ? 1 : 0;
                        (inQuotes, afterClose) = b == '"' ? (false, true) : (true, false);
                        continue;
                    }

                    switch (b)
                    {
                        case (byte)'"':
                            if (!atCellStart && !afterClose)
                            {
                                Fail(line, i, "a quote inside an unquoted cell");
                            }

                            inQuotes = true;
                            break;
                        case (byte)',':
                            cells++;
                            break;
                        case (byte)'\n':
                            Row(rowStart, i, cells, rowLine, lineEnd: true);
                            line++;
                            (rowStart, rowLine, cells) = (i + 1, line, 1);
                            break;
                    }

                    atCellStart = b is (byte)',' or (byte)'\n';
                    afterClose = false;
                    afterCr = b == '\r';
                }

                if (textError == data.Length)
                {
                    Fail(line, FirstInvalid(start), textReason!);
                }

                if (inQuotes)
                {
                    Fail(rowLine, rowStart, "unterminated quoted field at the end of the csv input");
                }

                if (afterCr)
                {
                    Fail(line, data.Length - 1, "a CR outside quotes is not followed by LF");
                }

                if (rowStart < data.Length)
                {
                    Row(rowStart, data.Length, cells, rowLine, lineEnd: false);
                }
            }

            private string Ending => options.RowEnding == CsvRowEnding.CrLf ? "\r\n" : "\n";

            private string Overlong => string.Create(CultureInfo.InvariantCulture, $"row longer than MaxLineBytes ({options.MaxLineBytes} bytes)");

            /// <summary>What the quarantine keeps of an overlong row: its first <paramref name="keep"/> bytes, less a character cut at their end.</summary>
            private static ReadOnlySpan<byte> Kept(ReadOnlySpan<byte> row, int keep)
            {
                var kept = row[..keep];
                for (var cut = 1; cut <= 3 && cut < kept.Length && !System.Text.Unicode.Utf8.IsValid(kept); cut++)
                {
                    if (System.Text.Unicode.Utf8.IsValid(kept[..^cut]))
                    {
                        return kept[..^cut];
                    }
                }

                return kept;
            }

            /// <summary>A row: its bytes are <c>data[start..end]</c>; <paramref name="lineEnd"/>: an LF follows.</summary>
            private void Row(int start, int end, int cells, long line, bool lineEnd)
            {
                var bytes = data.AsSpan(start, end - start);
                var through = data.AsSpan(start, end - start + (lineEnd ? 1 : 0));
                if (bytes.IsEmpty || bytes.SequenceEqual("\r"u8))
                {
                    if (!_reemit)
                    {
                        Output.AddRange(through.ToArray());
                    }

                    return;
                }

                Records++;
                _cells = _cells == 0 ? cells : _cells;
                var reason = bytes.Length > options.MaxLineBytes ? Overlong
                    : cells != _cells ? string.Create(CultureInfo.InvariantCulture, $"{cells} cells, expected {_cells} ({(options.Fields is null ? "as many as the first row" : "one per Fields name")})")
                    : null;
                if (reason is not null)
                {
                    if (options.OnBadLine == BadLinePolicy.Fail)
                    {
                        Fail(line, start, reason);
                    }

                    // Quarantined, an overlong row keeps its first KiB (less a character cut at its end) and says it is cut.
                    var overlong = bytes.Length > options.MaxLineBytes;
                    var raw = overlong ? Kept(bytes, Math.Min(options.MaxLineBytes, 1024)) : bytes;
                    reason = overlong ? string.Create(CultureInfo.InvariantCulture, $"row longer than the line limit ({options.MaxLineBytes} bytes)") : reason;
                    Bad.Add(new BadRow(line, start, reason, System.Convert.ToHexString(raw), bytes.Length, overlong));
                    return;
                }

                Rows++;
                if (!_reemit)
                {
                    Output.AddRange(through.ToArray());
                    return;
                }

                // Written again, changing only what the options name: cells stay as written (quoted or not) unless the new
                // delimiter is in an unquoted one or it is a formula.
                var text = Encoding.UTF8.GetString(bytes.EndsWith("\r"u8) ? bytes[..^1] : bytes);
                Output.AddRange(Encoding.UTF8.GetBytes(string.Join(options.Delimiter, Cells(text).Select(Rewrite)) + Ending));
            }

            /// <summary>The cells of a checked row: as written, and their values.</summary>
            private static IEnumerable<(string Written, bool Quoted, string Value)> Cells(string row)
            {
                var p = 0;
                while (true)
                {
                    var start = p;
                    var value = new StringBuilder();
                    var quoted = p < row.Length && row[p] == '"';
                    if (quoted)
                    {
                        p++;
                        while (!(row[p] == '"' && (p + 1 >= row.Length || row[p + 1] != '"')))
                        {
                            value.Append(row[p]);
                            p += row[p] == '"' ? 2 : 1;
                        }

                        p++;
                    }
                    else
                    {
                        while (p < row.Length && row[p] != ',')
                        {
                            value.Append(row[p++]);
                        }
                    }

                    yield return (row[start..p], quoted, value.ToString());
                    if (p >= row.Length)
                    {
                        yield break;
                    }

                    p++;
                }
            }

            private string Rewrite((string Written, bool Quoted, string Value) cell)
            {
                var formula = options.EscapeFormulas && cell.Value.Length > 0 && cell.Value[0] is '=' or '+' or '-' or '@' && !JsonNumber().IsMatch(cell.Value);
                if (cell.Quoted)
                {
                    return formula ? "\"'" + cell.Written[1..] : cell.Written;
                }

                var text = (formula ? "'" : "") + cell.Value;
                var quote = (options.Delimiter != ',' && cell.Value.Contains(options.Delimiter, StringComparison.Ordinal)) || (formula && options.Delimiter == '\'');
                return quote ? "\"" + text + "\"" : text;
            }


            /// <summary>The offset of the first NUL or invalid UTF-8 (data.Length: an incomplete character at the end), or -1.</summary>
            private int FirstNotText(int start, out string? reason)
            {
                var invalid = FirstInvalid(start);
                var nul = data.AsSpan(start).IndexOf((byte)0);
                nul = nul < 0 ? -1 : nul + start;
                if (nul >= 0 && (invalid < 0 || nul < invalid))
                {
                    reason = "a NUL byte";
                    return nul;
                }

                reason = invalid >= 0 ? "invalid UTF-8" : null;
                return invalid < 0 ? -1 : Rune.DecodeFromUtf8(data.AsSpan(invalid), out _, out _) == OperationStatus.NeedMoreData ? data.Length : invalid;
            }

            private int FirstInvalid(int start)
            {
                for (var i = start; i < data.Length;)
                {
                    if (Rune.DecodeFromUtf8(data.AsSpan(i), out _, out var n) != OperationStatus.Done)
                    {
                        return i;
                    }

                    i += n;
                }

                return -1;
            }

            [System.Diagnostics.CodeAnalysis.DoesNotReturn]
            private static void Fail(long line, long offset, string reason) => throw new FailException(new Failed(line, offset, reason));
        }
    }
}
