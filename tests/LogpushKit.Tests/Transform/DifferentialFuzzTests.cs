using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using LogpushKit.Testing;
using LogpushKit.Testing.Streams;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// Differential fuzzing: random ndjson (one fixed seed per case) goes through <see cref="LogpushCsvTransformer"/> by several
/// feeds (whole, one byte at a time, random chunks, a pipe; plain and gzip'd; both vector widths) and through <see cref="ReferenceConverter"/>,
/// an independent converter built on <see cref="JsonDocument"/> from the documented rules alone. Both must give the same
/// CSV bytes, counts, columns and bad lines. The inputs lean on what the converter treats specially: records that repeat
/// a learned key layout and records that differ from it slightly (order, whitespace, escaped keys, extra or missing keys),
/// long strings, every escape, exotic delimiters, blank and overlong lines, and malformed lines.
/// </summary>
public sealed class DifferentialFuzzTests
{
    private const int Cases = 80;

    public static TheoryData<int> Seeds() => TestSeeds.UpTo(Cases);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task TransformAsync_RandomNdjson_MatchesTheReferenceConverter(int seed)
    {
        var random = new Random(seed);
        var options = RandomOptions(random);
        var input = new NdjsonGenerator(random, options.MaxLineBytes).Generate();
        if (options.InputFormat == LogpushInputFormat.Auto && FirstNonWhitespace(input) is not (-1 or '{'))
        {
            options = options with { InputFormat = LogpushInputFormat.Ndjson };
        }

        var expected = ReferenceConverter.Convert(input, options);
        foreach (var (name, run) in Feeds(random, input))
        {
            var label = $"seed {seed}, feed {name}";
            var quarantine = options.OnBadLine == BadLinePolicy.Quarantine ? new MemoryStream() : null;
            var context = new TransformContext { SourceName = "fuzz.log", Quarantine = quarantine };
            if (options.OnBadLine == BadLinePolicy.Fail && expected.Bad.Count > 0)
            {
                var ex = await Assert.ThrowsAsync<LogpushDataException>(() => run(options, context));
                var first = expected.Bad[0];
                Assert.True((first.Line, first.Offset) == (ex.LineNumber, ex.ByteOffset), $"{label}: failed at line {ex.LineNumber}, offset {ex.ByteOffset}; the reference's first bad line is {first.Line} at {first.Offset}");
                continue;
            }

            var (csv, result) = await run(options, context);
            AssertSameCsv(expected.Csv, csv, label);
            var counts = (result.Records, result.Rows, result.BadLines, result.UnknownKeys);
            Assert.True((expected.Records, expected.Rows, expected.BadLines, expected.UnknownKeys) == counts, $"{label}: (Records, Rows, BadLines, UnknownKeys) = {counts}, the reference says {(expected.Records, expected.Rows, expected.BadLines, expected.UnknownKeys)}");
            Assert.True(expected.Columns.SequenceEqual(result.Columns), $"{label}: columns [{string.Join("|", result.Columns)}], the reference says [{string.Join("|", expected.Columns)}]");
            Assert.True((csv.Length, input.Length) == (result.BytesOut, result.BytesDecompressed), $"{label}: (BytesOut, BytesDecompressed) = {(result.BytesOut, result.BytesDecompressed)}, expected {(csv.Length, input.Length)}");

            // A name counts as seen once a record reaches key mapping; those of the rows written must all be there (up to 100).
            Assert.True(result.UnknownKeyNames.Count == 100 || expected.UnknownInRows.IsSubsetOf(result.UnknownKeyNames), $"{label}: unknown key names [{string.Join("|", result.UnknownKeyNames)}] miss some of [{string.Join("|", expected.UnknownInRows)}]");
            Assert.True(expected.UnknownAnywhere.IsSupersetOf(result.UnknownKeyNames), $"{label}: unknown key names [{string.Join("|", result.UnknownKeyNames)}] that no record holds");
            if (quarantine is not null)
            {
                AssertSameQuarantine(expected.Bad, quarantine.ToArray(), label);
            }
        }
    }

    // ------------------------------------------------------------------ options and feeds

    private static TransformOptions RandomOptions(Random random)
    {
        char[] exotic = ['|', ' ', '.', 'e', '1', ':', '{', '\'', '\\', 'a', '-', 'n', '\u0001', '\u007f'];
        var delimiter = random.Next(10) switch
        {
            < 4 => ',',
            < 6 => '\t',
            < 8 => ';',
            _ => exotic[random.Next(exotic.Length)],
        };
        string[]? fields = null;
        if (random.Next(4) == 0)
        {
            fields = [.. NdjsonGenerator.KeyPool.Where(k => k.Length > 0 && random.Next(3) == 0).Append("NeverPresent").OrderBy(_ => random.Next())];
        }

        return TransformOptions.Default with
        {
            Delimiter = delimiter,
            RowEnding = random.Next(2) == 0 ? CsvRowEnding.Lf : CsvRowEnding.CrLf,
            WriteHeader = random.Next(8) > 0,
            WriteBom = random.Next(10) == 0,
            Fields = fields,
            OnBadLine = random.Next(10) switch
            {
                < 7 => BadLinePolicy.Skip,
                < 9 => BadLinePolicy.Quarantine,
                _ => BadLinePolicy.Fail,
            },
            FailOnUnknownKeys = random.Next(10) == 0,
            EscapeFormulas = random.Next(6) == 0,
            MaxLineBytes = random.Next(4) == 0 ? random.Next(60, 600) : TransformOptions.Default.MaxLineBytes,
            InputFormat = random.Next(2) == 0 ? LogpushInputFormat.Auto : LogpushInputFormat.Ndjson,
        };
    }

    private delegate Task<(byte[] Csv, TransformResult Result)> Feed(TransformOptions options, TransformContext context);

    /// <summary>The same input, whole, one byte at a time, in random chunks through random buffer sizes, by a pipe, gzip'd.</summary>
    private static IEnumerable<(string Name, Feed Run)> Feeds(Random random, byte[] input)
    {
        var gzip = TransformRunner.Gzip(input, random.Next(1, 4));
        var seed = random.Next();
        var (chunk, buffer) = (random.Next(2, 512), random.Next(1, 300));
        var yieldOnAsync = random.Next(2) == 0;
        var (gzipChunk, gzipBuffer) = (random.Next(1, 64), random.Next(1, 64));
        var (pipeChunk, pipeBuffer) = (random.Next(1, 200), random.Next(1, 100));
        yield return ("plain-whole", (o, c) => ViaStreamAsync(o, new MemoryStream(input), LogpushCsvTransformer.DefaultBufferSize, c));
        yield return ("plain-one-byte", (o, c) => ViaStreamAsync(o, new ChunkedStream(input, 1), 1, c));
        yield return ($"plain-random (chunks ≤ {chunk}, buffer {buffer})", (o, c) => ViaStreamAsync(o, new ChunkedStream(input, chunk, seed, yieldOnAsync), buffer, c));
        yield return ($"plain-pipe (chunks ≤ {pipeChunk}, buffer {pipeBuffer})", (o, c) => TransformRunner.TransformViaPipeAsync(o, input, pipeChunk, seed, pipeBuffer, c));
        yield return ("gzip-whole", (o, c) => ViaStreamAsync(o, new MemoryStream(gzip), LogpushCsvTransformer.DefaultBufferSize, c));
        yield return ($"gzip-random (chunks ≤ {gzipChunk}, buffer {gzipBuffer})", (o, c) => ViaStreamAsync(o, new ChunkedStream(gzip, gzipChunk, seed + 1), gzipBuffer, c));

        // Both vector widths of the hot loops, whatever this machine would pick.
        yield return ("plain-whole-vector128", (o, c) => ViaStreamAsync(o, new MemoryStream(input), LogpushCsvTransformer.DefaultBufferSize, c, vector256: false));
        yield return ($"plain-random-vector256 (chunks ≤ {chunk}, buffer {buffer})", (o, c) => ViaStreamAsync(o, new ChunkedStream(input, chunk, seed + 2), buffer, c, vector256: true));
    }

    private static async Task<(byte[] Csv, TransformResult Result)> ViaStreamAsync(TransformOptions options, Stream input, int bufferSize, TransformContext context, bool? vector256 = null)
    {
        var transformer = new LogpushCsvTransformer(options, bufferSize, TimeProvider.System, vector256);
        var output = new MemoryStream();
        var result = await transformer.TransformAsync(input, output, context);
        return (output.ToArray(), result);
    }

    private static int FirstNonWhitespace(byte[] input)
    {
        var body = input.AsSpan().StartsWith("\uFEFF"u8) ? input.AsSpan(3) : input;
        var i = body.IndexOfAnyExcept(" \t\r\n"u8);
        return i < 0 ? -1 : body[i];
    }

    // ------------------------------------------------------------------ comparison

    private static void AssertSameCsv(byte[] expected, byte[] actual, string label)
    {
        if (expected.AsSpan().SequenceEqual(actual))
        {
            return;
        }

        var at = expected.AsSpan().CommonPrefixLength(actual);
        var from = Math.Max(0, at - 120);
        Assert.Fail($"{label}: the CSV differs from the reference's at byte {at} (lengths {actual.Length} and {expected.Length}).\n" +
            $"reference: «{Window(expected, from, at)}»\nlibrary:   «{Window(actual, from, at)}»");

        static string Window(byte[] bytes, int from, int at)
            => string.Concat(Encoding.UTF8.GetString(bytes.AsSpan(from, Math.Min(bytes.Length, at + 120) - from))
                .Select(c => c < ' ' || c == '\u007f' ? FormattableString.Invariant($"\\x{(int)c:x2}") : c.ToString()));
    }

    /// <summary>The quarantine holds one line per bad line: its number, offset and raw bytes (the reason's wording is the library's own).</summary>
    private static void AssertSameQuarantine(List<ReferenceConverter.BadLine> expected, byte[] quarantine, string label)
    {
        var lines = Encoding.UTF8.GetString(quarantine).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(expected.Count == lines.Length, $"{label}: {lines.Length} quarantined lines, the reference has {expected.Count} bad lines");
        for (var i = 0; i < lines.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            var raw = root.TryGetProperty("raw", out var text) ? Encoding.UTF8.GetBytes(text.GetString()!) : root.GetProperty("rawBase64").GetBytesFromBase64();
            var want = expected[i];
            Assert.True((want.Line, want.Offset) == (root.GetProperty("line").GetInt64(), root.GetProperty("offset").GetInt64()), $"{label}: quarantined line {i} is {lines[i]}; the reference says line {want.Line} at offset {want.Offset}");
            Assert.True(want.Raw.AsSpan().SequenceEqual(raw), $"{label}: quarantined line {i} ({want.Line}) holds other raw bytes: {lines[i]}");
            Assert.True((want.Bytes, want.Truncated) == (root.GetProperty("bytes").GetInt64(), root.GetProperty("truncated").GetBoolean()), $"{label}: quarantined line {i} is {lines[i]}; the reference says {want.Bytes} bytes, truncated {want.Truncated}");
        }
    }

    // ------------------------------------------------------------------ the reference

    /// <summary>
    /// The documented rules (the remarks on <see cref="LogpushCsvTransformer"/> and <see cref="TransformOptions"/>) on
    /// <see cref="JsonDocument"/>, written for clarity and nothing else. The easy ones to miss: values may nest 64 levels
    /// inside the record (so the document may be 65 deep); a line's length counts every byte before its LF, a CR included;
    /// quarantine keeps the first KiB of an overlong line, or MaxLineBytes bytes when that is less; a record with no keys
    /// cannot give the columns; and only spaces, tabs and CRs make a line blank.
    /// </summary>
    private static class ReferenceConverter
    {
        private const int MaxValueDepth = 64;
        private const int OverlongKept = 1024;
        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        public sealed record BadLine(long Line, long Offset, byte[] Raw, long Bytes, bool Truncated)
        {
            public BadLine(long line, long offset, byte[] raw)
                : this(line, offset, raw, raw.Length, Truncated: false)
            {
            }
        }

        /// <summary>What the quarantine keeps of an overlong line: its first <paramref name="keep"/> bytes, less a character cut at their end.</summary>
        public static byte[] Kept(byte[] line, int keep)
        {
            var kept = line[..keep];
            for (var cut = 1; cut <= 3 && cut < kept.Length && !System.Text.Unicode.Utf8.IsValid(kept); cut++)
            {
                if (System.Text.Unicode.Utf8.IsValid(kept.AsSpan(0, kept.Length - cut)))
                {
                    return kept[..^cut];
                }
            }

            return kept;
        }

        public sealed record Expected(
            byte[] Csv,
            long Records,
            long Rows,
            long BadLines,
            long UnknownKeys,
            string[] Columns,
            List<BadLine> Bad,
            HashSet<string> UnknownInRows,
            HashSet<string> UnknownAnywhere);

        public static Expected Convert(byte[] input, TransformOptions options)
        {
            var csv = new StringBuilder();
            var ending = options.RowEnding == CsvRowEnding.CrLf ? "\r\n" : "\n";
            if (options.WriteBom)
            {
                csv.Append('\uFEFF');
            }

            var columns = options.Fields?.ToArray();
            if (columns is not null && options.WriteHeader)
            {
                AppendRow(csv, columns, options, ending);
            }

            var bad = new List<BadLine>();
            var unknownInRows = new HashSet<string>(StringComparer.Ordinal);
            var unknownAnywhere = new HashSet<string>(StringComparer.Ordinal);
            long records = 0, rows = 0, unknownKeys = 0, lineNumber = 0;
            var position = input.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
            while (position < input.Length)
            {
                var lf = Array.IndexOf(input, (byte)'\n', position);
                var end = lf < 0 ? input.Length : lf;
                var line = input[position..end];
                var offset = position;
                position = lf < 0 ? input.Length : lf + 1;
                lineNumber++;
                if (line.All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r'))
                {
                    continue;
                }

                records++;
                if (line.Length > options.MaxLineBytes)
                {
                    bad.Add(new BadLine(lineNumber, offset, Kept(line, Math.Min(OverlongKept, options.MaxLineBytes)), line.Length, Truncated: true));
                    continue;
                }

                var cells = ConvertLine(line, options, ref columns, out var unknown, unknownAnywhere, csv, ending);
                if (cells is null)
                {
                    bad.Add(new BadLine(lineNumber, offset, line));
                    continue;
                }

                AppendRow(csv, cells, options, ending);
                rows++;
                unknownKeys += unknown.Count;
                unknownInRows.UnionWith(unknown);
            }

            return new Expected(Encoding.UTF8.GetBytes(csv.ToString()), records, rows, bad.Count, unknownKeys, columns ?? [], bad, unknownInRows, unknownAnywhere);
        }

        /// <summary>The cells of one record, or <see langword="null"/> when the line is bad.</summary>
        private static string[]? ConvertLine(byte[] line, TransformOptions options, ref string[]? columns, out List<string> unknown, HashSet<string> unknownAnywhere, StringBuilder csv, string ending)
        {
            unknown = [];
            try
            {
                StrictUtf8.GetCharCount(line);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = MaxValueDepth + 1 });
            }
            catch (JsonException)
            {
                return null;
            }

            using (document)
            {
                var record = document.RootElement;
                if (record.ValueKind != JsonValueKind.Object || !HasOnlyValidStrings(record))
                {
                    return null;
                }

                var members = record.EnumerateObject().ToList();
                if (columns is null)
                {
                    var keys = members.Select(m => m.Name).ToArray();
                    if (keys.Length == 0 || keys.Distinct(StringComparer.Ordinal).Count() != keys.Length)
                    {
                        return null;
                    }

                    columns = keys;
                    if (options.WriteHeader)
                    {
                        AppendRow(csv, columns, options, ending);
                    }
                }

                var cells = new string?[columns.Length];
                foreach (var member in members)
                {
                    var column = Array.IndexOf(columns, member.Name);
                    if (column < 0)
                    {
                        unknown.Add(member.Name);
                        unknownAnywhere.Add(member.Name);
                        if (options.FailOnUnknownKeys)
                        {
                            return null;
                        }

                        continue;
                    }

                    if (cells[column] is not null)
                    {
                        return null;
                    }

                    cells[column] = CellText(member.Value, options);
                }

                return [.. cells.Select(c => c ?? "")];
            }
        }

        /// <summary>Every string and key decodes to valid UTF-16 (no unpaired <c>\u</c> surrogates).</summary>
        private static bool HasOnlyValidStrings(JsonElement value)
        {
            try
            {
                return Valid(value);
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            static bool Valid(JsonElement value) => value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() is not null,
                JsonValueKind.Array => value.EnumerateArray().All(Valid),
                JsonValueKind.Object => value.EnumerateObject().All(m => m.Name is not null && Valid(m.Value)),
                _ => true,
            };
        }

        private static string CellText(JsonElement value, TransformOptions options) => value.ValueKind switch
        {
            JsonValueKind.String when options.EscapeFormulas && value.GetString() is [('=' or '+' or '-' or '@'), ..] => "'" + value.GetString(),
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "",
            _ => Compact(value),
        };

        /// <summary>A nested value without whitespace between tokens; strings (keys too) exactly as written.</summary>
        private static string Compact(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.Object =>
                "{" + string.Join(",", value.EnumerateObject().Select(m => "\"" + Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8PropertyName(m)) + "\":" + Compact(m.Value))) + "}",
            JsonValueKind.Array => "[" + string.Join(",", value.EnumerateArray().Select(Compact)) + "]",
            _ => value.GetRawText(),
        };

        private static void AppendRow(StringBuilder csv, IEnumerable<string> cells, TransformOptions options, string ending)
            => csv.AppendJoin(options.Delimiter, cells.Select(c => Quote(c, options.Delimiter))).Append(ending);

        private static string Quote(string cell, char delimiter)
            => cell.Contains(delimiter, StringComparison.Ordinal) || cell.AsSpan().IndexOfAny('"', '\r', '\n') >= 0
                ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
                : cell;
    }

    // ------------------------------------------------------------------ the generator

    /// <summary>
    /// Random ndjson as Logpush writes it (one key layout, compact), with deliberate departures: records that differ from
    /// the layout in one or two ways, layout changes, blank and overlong lines (some exactly at the limit), CRLF, a missing
    /// final line break, malformed lines.
    /// </summary>
    private sealed class NdjsonGenerator(Random random, int maxLineBytes)
    {
        public static readonly string[] KeyPool =
        [
            "ClientIP", "ClientRequestHost", "EdgeStartTimestamp", "RayID", "a", "ab", "b", "c", "id", "n", "x",
            "AFieldNameLongerThanThirtyTwoBytesToo", "a,b", "semi;colon", "tab\tkey", "q\"uote", "new\nline", "sp ace", "é", "日本",
            "😀", "", "back\\slash", "sl/ash", "a.b", "e", "=f", "pipe|key", ":", "{", "\u0001ctl", "\u007fdel",
        ];

        private static readonly string[] Pieces =
        [
            "a", "plain", "text with spaces", "0123456789", ",", ";", "|", ":", "{", "}", "[", ".", "e", "'", "\"", "\"\"", "\\",
            "/", "\n", "\r", "\r\n", "\t", " ", "\b", "\f", "\u0001", "\u001f", "\u007f", "\u00a0", "é", "日本語", "😀", "𝄞",
            "\u2028", "\uffff", "=", "+1", "-", "@", "x,y", "\0",
        ];

        private static readonly string[] Numbers =
        [
            "0", "-0", "1", "-17", "1.50", "0.0", "1e5", "1E+5", "2E-3", "-0.0001e+10", "1724219319123456789",
            "12345678901234567890123", "1e400", "-1.7976931348623157e308", "5e-324",
        ];

        private static readonly string[] BadValues =
        [
            "01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul", "True", "'s'", "\"open", "[1,2,]",
            "{\"k\":1,}", "{\"k\" 1}", "{k:1}", "[1 2]", "\"\\q\"", "\"\\u12G4\"", "\"\\ud83d\"", "\"\\ude00x\"", "\"\\ud83d\\u0041\"",
            "\"tab\there\"", "\"ctl\u0001\"", "[\"\\ud800\"]", "\"\\x41\"", "\"\\U0041\"", "\"\\u00e\"",
        ];

        private readonly List<string> _keys = [];
        private readonly double _crlfRate = new[] { 0, 0, 0.2, 1 }[random.Next(4)];
        private readonly double _spacedRate = new[] { 0, 0.05, 0.3 }[random.Next(3)];
        private readonly double _escapeRate = new[] { 0, 0.1, 0.4 }[random.Next(3)];
        private readonly double _longRate = new[] { 0, 0.05, 0.3 }[random.Next(3)];
        private readonly double _blankRate = new[] { 0.01, 0.05 }[random.Next(2)];
        private readonly double _malformedRate = new[] { 0.01, 0.04, 0.1 }[random.Next(3)];
        private readonly double _varyRate = new[] { 0.03, 0.1, 0.4 }[random.Next(3)];
        private bool _spaced;

        public byte[] Generate()
        {
            var odd = random.Next(3) == 0;
            var pool = KeyPool.Where((k, i) => odd || i < 12).OrderBy(_ => random.Next()).ToList();
            _keys.AddRange(pool.Take(random.Next(1, Math.Min(pool.Count, 10))));
            if (random.Next(10) == 0)
            {
                // More keys than the parser's and the layout's first arrays hold.
                _keys.AddRange(Enumerable.Range(0, random.Next(60, 140)).Select(i => FormattableString.Invariant($"wide_field_name_{i:D3}")));
            }

            var output = new List<byte>();
            if (random.Next(12) == 0)
            {
                output.AddRange("\uFEFF"u8.ToArray());
            }

            var lines = random.Next(10) == 0 ? random.Next(0, 4) : random.Next(1, 200);
            for (var i = 0; i < lines; i++)
            {
                output.AddRange(Line());
                var last = i == lines - 1;
                if (!last || random.Next(3) > 0)
                {
                    output.AddRange(random.NextDouble() < _crlfRate ? "\r\n"u8.ToArray() : "\n"u8.ToArray());
                }
            }

            return [.. output];
        }

        private byte[] Line()
        {
            if (maxLineBytes < 1024 && random.Next(15) == 0)
            {
                return AtTheLimit();
            }

            var roll = random.NextDouble();
            if (roll < _blankRate)
            {
                string[] blanks = ["", " ", "\t", "\r", " \t\r ", new string(' ', random.Next(60, 700)), new string('\t', random.Next(60, 700)) + "\r"];
                return Encoding.UTF8.GetBytes(blanks[random.Next(blanks.Length)]);
            }

            if (roll < _blankRate + _malformedRate)
            {
                return Malformed();
            }

            if (roll >= _blankRate + _malformedRate + _varyRate)
            {
                _spaced = false;
                return Encoding.UTF8.GetBytes(Record(_keys, escapeKeys: false));
            }

            var keys = Vary(_keys);
            if (random.Next(12) == 0)
            {
                // Logpush never does it, but a new layout from here on is fine: the converter relearns it.
                _keys.Clear();
                _keys.AddRange(keys.Distinct());
            }

            _spaced = random.NextDouble() < _spacedRate;
            return Encoding.UTF8.GetBytes(Ws() + Record(keys, escapeKeys: random.Next(6) == 0) + Ws());
        }

        /// <summary>A record or a blank line padded with trailing whitespace to one byte under, at or over MaxLineBytes.</summary>
        private byte[] AtTheLimit()
        {
            var length = maxLineBytes + random.Next(-1, 2);
            _spaced = false;
            var line = random.Next(4) == 0 ? [] : Encoding.UTF8.GetBytes(Record(_keys, escapeKeys: false));
            if (line.Length > length)
            {
                line = "{\"k\":1}"u8.ToArray();
            }

            return [.. line, .. Enumerable.Range(0, length - line.Length).Select(_ => random.Next(4) == 0 ? (byte)'\t' : (byte)' ')];
        }

        /// <summary>The layout's keys changed a little: reordered, one missing, one extra, one twice, a near miss.</summary>
        private List<string> Vary(List<string> layout)
        {
            var keys = layout.ToList();
            switch (random.Next(8))
            {
                case 0:
                    keys = [.. keys.OrderBy(_ => random.Next())];
                    break;
                case 1 when keys.Count > 1:
                    (keys[0], keys[^1]) = (keys[^1], keys[0]);
                    break;
                case 2 when keys.Count > 0:
                    keys.RemoveAt(random.Next(keys.Count));
                    break;
                case 3:
                    keys.Insert(random.Next(keys.Count + 1), random.Next(2) == 0 ? KeyPool[random.Next(KeyPool.Length)] : "extra" + random.Next(12));
                    break;
                case 4 when keys.Count > 0:
                    keys.Insert(random.Next(keys.Count + 1), keys[random.Next(keys.Count)]);
                    break;
                case 5 when keys.Count > 0:
                    var k = random.Next(keys.Count);
                    keys[k] = random.Next(2) == 0 || keys[k].Length == 0 ? keys[k] + "x" : keys[k][..^1];
                    break;
                case 6:
                    keys.Clear();
                    break;
                default:
                    break;
            }

            return keys;
        }

        private string Record(IEnumerable<string> keys, bool escapeKeys)
        {
            var members = keys.Select(k => Ws() + JsonString(k, escapeKeys ? 0.3 : 0) + Ws() + ":" + Ws() + Value(0) + Ws());
            return "{" + string.Join(",", members) + Ws() + "}";
        }

        private byte[] Malformed()
        {
            _spaced = random.Next(4) == 0;
            var record = Record(_keys, escapeKeys: false);
            switch (random.Next(10))
            {
                case 0:
                    return Encoding.UTF8.GetBytes(record[..random.Next(record.Length)]);
                case 1:
                    string[] tails = ["x", "}", "{}", ",", " 1", "\"", "{\"a\":1}", "\u0001"];
                    return Encoding.UTF8.GetBytes(record + tails[random.Next(tails.Length)]);
                case 2:
                    var members = _keys.Select(k => JsonString(k, 0) + ":" + Value(0)).ToList();
                    members.Insert(random.Next(members.Count + 1), JsonString(_keys.Count > 0 ? _keys[0] : "k", 0) + ":" + BadValues[random.Next(BadValues.Length)]);
                    return Encoding.UTF8.GetBytes("{" + string.Join(",", members) + "}");
                case 3:
                    // Invalid UTF-8 inside a string value: a stray byte, a truncated sequence, an overlong form, a surrogate.
                    byte[][] invalid = [[0xC3, 0x28], [0xFF], [0xE6, 0x97], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xF4, 0x90, 0x80, 0x80]];
                    var at = record.Length - 1;
                    var head = Encoding.UTF8.GetBytes(record[..at] + (_keys.Count > 0 ? "," : "") + "\"bad\":\"x");
                    return [.. head, .. invalid[random.Next(invalid.Length)], .. "y\"}"u8];
                case 4:
                    string[] notObjects = ["[1,2]", "\"a\"", "42", "null", "true", "[{\"a\":1}]", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{'a':1}", "{a:1}", "//", "{\"a\":1}/**/", "\f", "\v", "\u00a0", "\u00a0{\"a\":1}", "{\"a\":1}\f"];
                    return Encoding.UTF8.GetBytes(notObjects[random.Next(notObjects.Length)]);
                case 5 when _keys.Count > 0:
                    // A key twice (a column, or not one when the fields leave it out).
                    return Encoding.UTF8.GetBytes(record[..^1] + "," + JsonString(_keys[random.Next(_keys.Count)], 0.3) + ":1}");
                case 6:
                    var depth = new[] { 63, 64, 65, 66, 200 }[random.Next(5)];
                    return Encoding.UTF8.GetBytes(record[..^1] + (_keys.Count > 0 ? "," : "") + "\"deep\":" + new string('[', depth) + new string(']', depth) + "}");
                case 7:
                    return Encoding.UTF8.GetBytes("{}");
                case 8:
                    // A record split by a raw line break: two bad lines (or a valid prefix, rarely).
                    var cut = random.Next(record.Length);
                    return Encoding.UTF8.GetBytes(record[..cut] + "\n" + record[cut..]);
                default:
                    return Encoding.UTF8.GetBytes("{\"" + new string('k', random.Next(1, 5)) + "\":\"" + Text(isLong: true) + "\"}");
            }
        }

        private string Ws()
        {
            if (!_spaced || random.Next(3) > 0)
            {
                return "";
            }

            string[] whitespace = [" ", "  ", "\t", " \t ", "\r", " \r\t"];
            return whitespace[random.Next(whitespace.Length)];
        }

        private string Value(int depth)
        {
            if (random.Next(400) == 0)
            {
                var n = new[] { 2, 63, 64, 65 }[random.Next(4)];
                return new string('[', n) + new string(']', n);
            }

            switch (random.Next(depth > 2 ? 6 : 9))
            {
                case 0:
                case 1:
                case 2:
                    return JsonString(Text(random.NextDouble() < _longRate), _escapeRate);
                case 3:
                    return Number();
                case 4:
                    return random.Next(2) == 0 ? "true" : "false";
                case 5:
                    return "null";
                case 6:
                case 7:
                    var items = Enumerable.Range(0, random.Next(0, 4)).Select(_ => Ws() + Value(depth + 1) + Ws());
                    return "[" + Ws() + string.Join(",", items) + "]";
                default:
                    var members = Enumerable.Range(0, random.Next(0, 4)).Select(_ => Ws() + JsonString(Text(isLong: false), _escapeRate) + Ws() + ":" + Ws() + Value(depth + 1) + Ws());
                    return "{" + Ws() + string.Join(",", members) + "}";
            }
        }

        private string Number()
        {
            if (random.Next(3) == 0)
            {
                return Numbers[random.Next(Numbers.Length)];
            }

            var text = new StringBuilder();
            if (random.Next(3) == 0)
            {
                text.Append('-');
            }

            var digits = random.NextInt64(1, long.MaxValue).ToString(CultureInfo.InvariantCulture);
            text.Append(random.Next(4) == 0 ? "0" : digits[..random.Next(1, digits.Length + 1)]);
            if (random.Next(3) == 0)
            {
                text.Append('.').Append(random.Next(0, 1000000).ToString(CultureInfo.InvariantCulture));
            }

            if (random.Next(4) == 0)
            {
                text.Append(random.Next(2) == 0 ? 'e' : 'E').Append(new[] { "", "+", "-" }[random.Next(3)]).Append(random.Next(0, 400));
            }

            return text.ToString();
        }

        /// <summary>Text from pieces that matter to CSV and JSON; a long one spans several 32- and 64-byte blocks.</summary>
        private string Text(bool isLong)
        {
            var text = new StringBuilder();
            var target = isLong ? random.Next(65, 400) : random.Next(3) == 0 ? random.Next(12, 70) : random.Next(0, 12);
            while (text.Length < target)
            {
                text.Append(random.Next(3) == 0 ? Pieces[random.Next(Pieces.Length)] : "abcdefghij"[..random.Next(1, 11)]);
            }

            return text.ToString();
        }

        /// <summary>A JSON string literal; each character escaped with probability <paramref name="escapeRate"/> (in any valid form), or when it must be.</summary>
        private string JsonString(string value, double escapeRate)
        {
            var json = new StringBuilder("\"");
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                var escape = random.NextDouble() < escapeRate;
                var pair = char.IsHighSurrogate(c) && i + 1 < value.Length;
                if (escape && random.Next(3) == 0)
                {
                    json.Append(Hex(c));
                    if (pair)
                    {
                        json.Append(Hex(value[++i]));
                    }

                    continue;
                }

                switch (c)
                {
                    case '"':
                        json.Append("\\\"");
                        continue;
                    case '\\':
                        json.Append("\\\\");
                        continue;
                    case '/' when escape:
                        json.Append("\\/");
                        continue;
                    case '\n':
                        json.Append("\\n");
                        continue;
                    case '\r':
                        json.Append("\\r");
                        continue;
                    case '\t':
                        json.Append("\\t");
                        continue;
                    case '\b':
                        json.Append("\\b");
                        continue;
                    case '\f':
                        json.Append("\\f");
                        continue;
                    case < ' ':
                        json.Append(Hex(c));
                        continue;
                    default:
                        json.Append(c);
                        if (pair)
                        {
                            json.Append(value[++i]);
                        }

                        continue;
                }
            }

            return json.Append('"').ToString();

            string Hex(char c) => "\\u" + ((int)c).ToString(random.Next(2) == 0 ? "x4" : "X4", CultureInfo.InvariantCulture);
        }
    }
}
