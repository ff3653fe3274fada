using System.Text;
using LogpushKit.Testing.Streams;
using LogpushKit.Transform;
using static LogpushKit.Tests.Transform.TransformRunner;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// Records far larger than Logpush's usual few KiB: a field of megabytes (issue 14: it failed at the old 4 MiB default of
/// MaxLineBytes), and a first record with 100,000 keys (the columns are looked up by key, not scanned per key). Correctness
/// only: how fast is measured by the benchmarks (LargeRecordBenchmark), never by a test.
/// </summary>
public sealed class TransformLargeRecordTests
{
    private const int FiveMegabytes = 5_000_000;

    /// <summary>A value of <paramref name="length"/> characters (UTF-8 bytes a bit more) holding what CSV must quote.</summary>
    private static string BigValue(int length)
    {
        const string Piece = "ab,\"c\" é€𝄞 \n| ";
        var text = new StringBuilder(length + Piece.Length);
        while (text.Length < length)
        {
            text.Append(Piece).Append(text.Length % 997);
        }

        return text.ToString(0, length);
    }

    private static string JsonString(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static string CsvCell(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task<(string Csv, TransformResult Result)> ConvertAsync(byte[] input, TransformOptions? options = null, int bufferSize = LogpushCsvTransformer.DefaultBufferSize, Stream? source = null)
    {
        var transformer = new LogpushCsvTransformer(options, bufferSize, TimeProvider.System);
        var output = new MemoryStream();
        var result = await transformer.TransformAsync(source ?? new MemoryStream(input), output, new TransformContext { SourceName = "big.log.gz" });
        return (Encoding.UTF8.GetString(output.ToArray()), result);
    }

    /// <summary>Every way the tests feed a big input: whole, in random pieces with small stage buffers, gzip'd in one and in several members.</summary>
    private static IEnumerable<(string Name, Func<Task<(string Csv, TransformResult Result)>> Run)> Feeds(byte[] input, TransformOptions? options = null)
    {
        yield return ("plain", () => ConvertAsync(input, options));
        yield return ("plain, random pieces, 4 KiB buffers", () => ConvertAsync(input, options, 4096, new ChunkedStream(input, 70_000, Seed)));
        var gzip = Gzip(input);
        yield return ("gzip", () => ConvertAsync(gzip, options));
        var members = Gzip(input, 7);
        yield return ("gzip, 7 members, random pieces, 4 KiB buffers", () => ConvertAsync(members, options, 4096, new ChunkedStream(members, 9_000, Seed)));
    }

    [Fact]
    public async Task TransformAsync_NdjsonRecordWithAFiveMegabyteField_ConvertsByteExactlyWithDefaultOptions()
    {
        var value = BigValue(FiveMegabytes);
        var input = Utf8("{\"a\":1,\"big\":\"x\"}\n{\"a\":2,\"big\":" + JsonString(value) + "}\n{\"a\":3,\"big\":null}\n");
        Assert.True(input.Length > FiveMegabytes);
        var expected = "a,big\n1,x\n2," + CsvCell(value) + "\n3,\n";

        foreach (var (name, run) in Feeds(input))
        {
            var (csv, result) = await run();
            Assert.True(expected == csv, $"{name}: the CSV differs (length {csv.Length}, expected {expected.Length})");
            Assert.Equal((3L, 3L, 0L), (result.Records, result.Rows, result.BadLines));
        }
    }

    [Fact]
    public async Task TransformAsync_CsvRowWithAFiveMegabyteCell_PassesThroughByteExactlyWithDefaultOptions()
    {
        var cell = CsvCell(BigValue(FiveMegabytes));
        var input = Utf8("1,x\n2," + cell + "\n3,\n");
        var options = TransformOptions.Default with { Fields = ["a", "big"] };

        foreach (var (name, run) in Feeds(input, options))
        {
            var (csv, result) = await run();
            Assert.True("a,big\n" + Encoding.UTF8.GetString(input) == csv, $"{name}: the CSV differs (length {csv.Length})");
            Assert.Equal((3L, 3L, 0L), (result.Records, result.Rows, result.BadLines));
        }
    }

    [Fact]
    public async Task TransformAsync_RecordOverMaxLineBytes_FailsNamingTheLineAndItsByteOffset()
    {
        var first = "{\"a\":1,\"big\":\"x\"}\n";
        var input = Utf8(first + "{\"a\":2,\"big\":" + JsonString(BigValue(FiveMegabytes)) + "}\n");
        var options = TransformOptions.Default with { MaxLineBytes = 4 << 20 };

        foreach (var (name, run) in Feeds(input, options))
        {
            var ex = await Assert.ThrowsAsync<LogpushDataException>(run);
            Assert.True((2L, (long)first.Length) == (ex.LineNumber, ex.ByteOffset), $"{name}: line {ex.LineNumber}, offset {ex.ByteOffset}");
            Assert.Equal("line longer than MaxLineBytes (4194304 bytes)", ex.Reason);
            Assert.Equal("big.log.gz", ex.SourceName);
        }
    }

    [Fact]
    public async Task TransformAsync_NdjsonRecordOverMaxLineBytesQuarantined_RecordSaysItIsCutAndGivesItsLength()
    {
        var first = "{\"a\":1,\"big\":\"x\"}\n";
        var line = Utf8("{\"a\":2,\"big\":" + JsonString(BigValue(FiveMegabytes)) + "}");
        var input = Utf8(first).Concat(line).Concat(Utf8("\n{\"a\":3,\"big\":null}\n")).ToArray();
        var options = TransformOptions.Default with { MaxLineBytes = 4 << 20, OnBadLine = BadLinePolicy.Quarantine };

        foreach (var (name, quarantine) in QuarantineFeeds(input, options))
        {
            var record = await quarantine();
            AssertCutRecord(record, line, 2, first.Length, "line longer than the line limit (4194304 bytes)", name);
        }
    }

    [Fact]
    public async Task TransformAsync_CsvRowOverMaxLineBytesQuarantined_RecordSaysItIsCutAndGivesItsLength()
    {
        var first = "1,x\n";
        var row = Utf8("2," + CsvCell(BigValue(FiveMegabytes)));
        var input = Utf8(first).Concat(row).Concat(Utf8("\n3,\n")).ToArray();
        var options = TransformOptions.Default with { Fields = ["a", "big"], MaxLineBytes = 4 << 20, OnBadLine = BadLinePolicy.Quarantine };

        foreach (var (name, quarantine) in QuarantineFeeds(input, options))
        {
            var record = await quarantine();
            AssertCutRecord(record, row, 2, first.Length, "row longer than the line limit (4194304 bytes)", name);
        }
    }

    /// <summary>The input whole and in random pieces with small stage buffers; each run gives its one quarantine record.</summary>
    private static IEnumerable<(string Name, Func<Task<string>> Run)> QuarantineFeeds(byte[] input, TransformOptions options)
    {
        yield return ("plain", () => QuarantineAsync(new MemoryStream(input), options, LogpushCsvTransformer.DefaultBufferSize));
        yield return ("plain, random pieces, 4 KiB buffers", () => QuarantineAsync(new ChunkedStream(input, 70_000, Seed), options, 4096));
    }

    private static async Task<string> QuarantineAsync(Stream source, TransformOptions options, int bufferSize)
    {
        var quarantine = new MemoryStream();
        var result = await new LogpushCsvTransformer(options, bufferSize, TimeProvider.System)
            .TransformAsync(source, Stream.Null, new TransformContext { SourceName = "big.log.gz", Quarantine = quarantine });
        Assert.Equal((3L, 2L, 1L), (result.Records, result.Rows, result.BadLines));
        return Assert.Single(Encoding.UTF8.GetString(quarantine.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// The record of a line cut for the quarantine: says so, gives the whole line's length in bytes, and keeps its first KiB
    /// as text (without the character the 1,024th byte may cut).
    /// </summary>
    private static void AssertCutRecord(string record, byte[] line, long lineNumber, long offset, string reason, string feed)
    {
        var keep = 1024;
        while ((line[keep] & 0xC0) == 0x80)
        {
            keep--;
        }

        using var json = System.Text.Json.JsonDocument.Parse(record);
        var root = json.RootElement;
        Assert.True(
            (lineNumber, offset, reason, (long)line.Length, true) == (root.GetProperty("line").GetInt64(), root.GetProperty("offset").GetInt64(), root.GetProperty("reason").GetString(), root.GetProperty("bytes").GetInt64(), root.GetProperty("truncated").GetBoolean()),
            $"{feed}: {record[..Math.Min(record.Length, 300)]}");
        Assert.Equal(Encoding.UTF8.GetString(line, 0, keep), root.GetProperty("raw").GetString());
    }

    [Fact]
    public void MaxLineBytes_DefaultsTo128MiBAndIsAtMost512MiB()
    {
        Assert.Equal(128 << 20, TransformOptions.Default.MaxLineBytes);
        Assert.True(TransformOptionsText.TryParseMaxLineBytes("512M", out var bytes, out _));
        Assert.Equal(512 << 20, bytes);
        Assert.False(TransformOptionsText.TryParseMaxLineBytes("513M", out _, out var error));
        Assert.Equal("'513M' is more than the largest line size, 536870912 bytes.", error);
        var ex = Assert.Throws<ArgumentException>(() => new LogpushCsvTransformer(TransformOptions.Default with { MaxLineBytes = (512 << 20) + 1 }));
        Assert.Contains("MaxLineBytes must be positive and at most 536870912 bytes.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransformAsync_FirstRecordWith100000Keys_MapsEveryKeyToItsColumn()
    {
        const int Keys = 100_000;
        var names = Enumerable.Range(0, Keys).Select(i => "key" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string Record(IEnumerable<int> order, string extra = "") => "{" + string.Join(",", order.Select(i => $"\"{names[i]}\":{i}")) + extra + "}\n";

        // The first record gives the columns; the second has every key in reverse order (each looked up afresh); the third
        // adds an unknown key; the fourth repeats a column's key (a bad line, under skip).
        var input = Utf8(Record(Enumerable.Range(0, Keys)) + Record(Enumerable.Range(0, Keys).Reverse()) + Record(Enumerable.Range(0, Keys), ",\"other\":1")
            + Record(Enumerable.Range(0, Keys), ",\"key050000\":2"));
        var (csv, result) = await ConvertAsync(input, TransformOptions.Default with { OnBadLine = BadLinePolicy.Skip });

        var row = string.Join(",", Enumerable.Range(0, Keys)) + "\n";
        Assert.True(string.Join(",", names) + "\n" + row + row + row == csv, "the CSV differs");
        Assert.Equal(names, result.Columns);
        Assert.Equal((4L, 3L, 1L, 1L), (result.Records, result.Rows, result.BadLines, result.UnknownKeys));
        Assert.Equal(["other"], result.UnknownKeyNames);
    }
}
