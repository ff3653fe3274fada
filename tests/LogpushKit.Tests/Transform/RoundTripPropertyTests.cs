using System.Globalization;
using System.Text;
using CsvHelper;
using LogpushKit.Testing.Streams;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// Random records → ndjson (random escaping) → gzip (random members) → CSV (random buffer size) → parsed back by an
/// independent reader (CsvHelper) → must equal the values the records hold. Fixed seeds; a failure names its seed.
/// </summary>
public sealed class RoundTripPropertyTests
{
    private static readonly string[] Keys = ["id", "text", "num", "flag", "nothing", "nested", "uni", "ts"];

    private static readonly string[] Pieces =
    [
        "a", "plain", ",", "\"", "\"\"", "\n", "\r\n", "\r", "\t", " ", "\\", "/", "é", "日本語", "😀", "\u2028", "<", "&", "=", "+", "-", "@",
        "x,y", "'", "\u0001", "\u007f", "\u00a0", "𝄞",
    ];

    private static readonly string[] Numbers = ["0", "-0", "1", "-17", "1.50", "1e5", "2E-3", "-0.0001e+10", "1724219319123456789", "12345678901234567890123"];

    public static TheoryData<int, char, bool> Seeds()
    {
        var data = new TheoryData<int, char, bool>();
        for (var seed = 1; seed <= 12; seed++)
        {
            data.Add(seed, seed % 3 == 0 ? '\t' : seed % 4 == 0 ? ';' : ',', seed % 2 == 0);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task TransformAsync_RandomRecords_RoundTripThroughAnIndependentCsvReader(int seed, char delimiter, bool crlf)
    {
        var random = new Random(seed);
        var records = new List<Dictionary<string, string>>();
        var ndjson = new StringBuilder();
        var count = random.Next(1, 120);
        for (var r = 0; r < count; r++)
        {
            var expected = new Dictionary<string, string>();
            var parts = new List<string>();
            var keys = r == 0 ? Keys : Keys.OrderBy(_ => random.Next()).Where(_ => random.Next(5) > 0).ToArray();
            foreach (var key in keys)
            {
                var (json, cell) = RandomValue(random, 0);
                parts.Add($"{JsonString(key, random)}:{json}");
                expected[key] = cell;
            }

            records.Add(expected);
            ndjson.Append('{').Append(string.Join(",", parts)).Append('}').Append(random.Next(4) == 0 ? "\r\n" : "\n");
            if (random.Next(10) == 0)
            {
                ndjson.Append("  \n");
            }
        }

        var input = TransformRunner.Gzip(Encoding.UTF8.GetBytes(ndjson.ToString()), random.Next(1, 4));
        var options = TransformOptions.Default with { Delimiter = delimiter, RowEnding = crlf ? CsvRowEnding.CrLf : CsvRowEnding.Lf };
        var transformer = new LogpushCsvTransformer(options, random.Next(1, 200), TimeProvider.System);
        var output = new MemoryStream();
        var result = await transformer.TransformAsync(new ChunkedStream(input, random.Next(1, 300), seed), output);
        Assert.Equal(count, result.Rows);

        var readerOptions = CsvReaderOptions.Default with { Separator = delimiter, HasHeader = true, TrimWhitespace = false, DetectSeparatorHint = false, MalformedData = CsvMalformedDataHandling.Throw };
        using var reader = CsvReader.Create(output.ToArray(), readerOptions);
        for (var r = 0; r < count; r++)
        {
            Assert.True(await reader.ReadAsync(), $"seed {seed}: row {r} missing");
            Assert.Equal(Keys, reader.Headers);
            Assert.Equal(Keys.Length, reader.FieldCount);
            for (var c = 0; c < Keys.Length; c++)
            {
                var want = records[r].GetValueOrDefault(Keys[c], "");
                var got = reader.GetString(c);
                Assert.True(want == got, $"seed {seed}, row {r}, column {Keys[c]}: expected «{want}», got «{got}»");
            }
        }

        Assert.False(await reader.ReadAsync(), $"seed {seed}: extra rows");
    }

    private static (string Json, string Cell) RandomValue(Random random, int depth)
    {
        switch (random.Next(depth > 1 ? 5 : 7))
        {
            case 0:
            case 1:
                var text = string.Concat(Enumerable.Range(0, random.Next(0, 8)).Select(_ => Pieces[random.Next(Pieces.Length)]));
                return (JsonString(text, random), text);
            case 2:
                var number = Numbers[random.Next(Numbers.Length)];
                return (number, number);
            case 3:
                return random.Next(2) == 0 ? ("true", "true") : ("false", "false");
            case 4:
                return ("null", "");
            case 5:
                var items = Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomValue(random, depth + 1).Json).ToArray();
                var array = "[" + string.Join(",", items) + "]";
                return (array, array);
            default:
                var members = Enumerable.Range(0, random.Next(0, 3)).Select(i => $"{JsonString("k" + i, random)}:{RandomValue(random, depth + 1).Json}").ToArray();
                var obj = "{" + string.Join(",", members) + "}";
                return (obj, obj);
        }
    }

    /// <summary>A JSON string literal with randomly chosen (valid) escapes: short escapes, \u escapes (with surrogate pairs) or raw UTF-8.</summary>
    private static string JsonString(string value, Random random)
    {
        var sb = new StringBuilder("\"");
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var escape = random.Next(3) == 0;
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    continue;
                case '\\':
                    sb.Append("\\\\");
                    continue;
                case '\n':
                    sb.Append(escape ? "\\u000a" : "\\n");
                    continue;
                case '\r':
                    sb.Append(escape ? "\\u000D" : "\\r");
                    continue;
                case '\t':
                    sb.Append(escape ? "\\u0009" : "\\t");
                    continue;
                case '/':
                    sb.Append(escape ? "\\/" : "/");
                    continue;
            }

            if (char.IsHighSurrogate(c))
            {
                sb.Append(escape ? FormattableString.Invariant($"\\u{(int)c:X4}\\u{(int)value[i + 1]:x4}") : value.Substring(i, 2));
                i++;
            }
            else if (c < 0x20 || escape)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.Append('"').ToString();
    }
}
