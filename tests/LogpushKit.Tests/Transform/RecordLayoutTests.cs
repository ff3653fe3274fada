using System.Text;
using LogpushKit.Transform;
using static LogpushKit.Tests.Transform.TransformRunner;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// The converter learns the key layout of a record and takes a fused route for the records that repeat it. Every record
/// here first sets a layout, then differs from it in one way: the result must be what the general parser gives.
/// </summary>
public sealed class RecordLayoutTests
{
    private const string Layout = "{\"a\":\"x\",\"b\":1,\"c\":[1,2]}\n";

    private static async Task<string> Csv(string input, TransformOptions? options = null)
        => (await RunAllAsync(options ?? TransformOptions.Default with { OnBadLine = BadLinePolicy.Skip }, Utf8(input))).Csv;

    [Theory]
    [InlineData("{\"b\":2,\"a\":\"y\",\"c\":[]}", "y,2,[]")] // another order
    [InlineData("{\"a\":\"y\",\"c\":[]}", "y,,[]")] // a key missing
    [InlineData("{\"a\":\"y\",\"b\":2}", "y,2,")] // the last key missing
    [InlineData("{\"a\":\"y\",\"b\":2,\"c\":[],\"d\":5}", "y,2,[]")] // an extra key
    [InlineData("{\"a\": \"y\", \"b\": 2, \"c\": [ ]}", "y,2,[]")] // whitespace between tokens
    [InlineData("{\"a\" :\"y\",\"b\":2,\"c\":[]}", "y,2,[]")] // whitespace before a colon
    [InlineData("{\"\\u0061\":\"y\",\"b\":2,\"c\":[]}", "y,2,[]")] // an escaped key
    [InlineData("{\"ab\":\"y\",\"b\":2,\"c\":[]}", ",2,[]")] // a key the expected one is a prefix of
    [InlineData("{\"a\":\"y\",\"b\":2,\"c\":[]} ", "y,2,[]")] // trailing whitespace
    [InlineData("{\"a\":\"y\\n\",\"b\":2,\"c\":[]}", "\"y\n\",2,[]")] // an escape in a value
    [InlineData("{\"a\":\"y,z\",\"b\":2,\"c\":[]}", "\"y,z\",2,[]")] // the delimiter in a value
    [InlineData("{\"a\":null,\"b\":true,\"c\":{\"k\":\"v\"}}", ",true,\"{\"\"k\"\":\"\"v\"\"}\"")] // other kinds of value
    public async Task TransformAsync_RecordThatDiffersFromTheLayout_ConvertsLikeTheFirst(string record, string row)
    {
        var csv = await Csv(Layout + record + "\n" + Layout);
        Assert.Equal("a,b,c\nx,1,\"[1,2]\"\n" + row + "\nx,1,\"[1,2]\"\n", csv);
    }

    [Theory]
    [InlineData("{\"a\":\"x\",\"b\":1,\"c\":[1,2]")] // truncated
    [InlineData("{\"a\":\"x\",\"b\":1,\"c\":[1,2]}x")] // trailing data
    [InlineData("{\"a\":\"x\",\"b\":01,\"c\":[1,2]}")] // an invalid number
    [InlineData("{\"a\":\"x\",\"b\":1,\"c\":[1,2,]}")] // an invalid nested value
    [InlineData("{\"a\":\"x\u0001\",\"b\":1,\"c\":[1,2]}")] // a control character in a string
    [InlineData("{\"a\":\"x\",\"b\":1,\"c\":[1,2],\"a\":\"y\"}")] // a column key twice
    public async Task TransformAsync_BadRecordWithTheLayoutsKeys_IsABadLine(string record)
    {
        var outcome = await RunAllAsync(TransformOptions.Default with { OnBadLine = BadLinePolicy.Skip }, Utf8(Layout + record + "\n" + Layout));
        Assert.Equal("a,b,c\nx,1,\"[1,2]\"\nx,1,\"[1,2]\"\n", outcome.Csv);
        Assert.Equal((3L, 2L, 1L), (outcome.Result.Records, outcome.Result.Rows, outcome.Result.BadLines));
    }

    [Fact]
    public async Task TransformAsync_LayoutWithUnknownKeys_CountsThemOnEveryRecord()
    {
        var options = TransformOptions.Default with { Fields = ["c", "a"] };
        var outcome = await RunAllAsync(options, Utf8(Layout + Layout + Layout));
        Assert.Equal("c,a\n\"[1,2]\",x\n\"[1,2]\",x\n\"[1,2]\",x\n", outcome.Csv);
        Assert.Equal(3L, outcome.Result.UnknownKeys);
        Assert.Equal(["b"], outcome.Result.UnknownKeyNames);
    }

    [Fact]
    public async Task TransformAsync_LayoutWithTimestampsAndFormulas_ConvertsEachRecord()
    {
        var options = TransformOptions.Default with
        {
            TimestampFields = ["t"],
            TimestampOutput = TimestampOutputFormat.Rfc3339,
            EscapeFormulas = true,
            OnBadLine = BadLinePolicy.Skip,
        };
        var line = "{\"t\":1717200002,\"f\":\"=1+1\",\"g\":\"ok\"}\n";
        var outcome = await RunAllAsync(options, Utf8(line + line + "{\"t\":\"soon\",\"f\":\"x\",\"g\":\"y\"}\n" + line));
        var row = "2024-06-01T00:00:02Z,'=1+1,ok\n";
        Assert.Equal("t,f,g\n" + row + row + row, outcome.Csv);
        Assert.Equal(1L, outcome.Result.BadLines);
    }

    public static TheoryData<int, int> QuoteLayouts()
    {
        var data = new TheoryData<int, int>();
        foreach (var length in new[] { 1, 2, 31, 32, 33, 63, 64, 65, 100 })
        {
            foreach (var every in new[] { 1, 2, 7, 31, 32, 33, 1000 })
            {
                data.Add(length, every);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(QuoteLayouts))]
    public async Task TransformAsync_QuotesAtAnyPosition_AreDoubledInStringsAndNestedValues(int length, int every)
    {
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            text.Append(i % every == every - 1 || every == 1 ? '"' : (char)('a' + (i % 26)));
        }

        var value = text.ToString();
        var escaped = value.Replace("\"", "\\\"", StringComparison.Ordinal);
        var record = $"{{\"s\":\"{escaped}\",\"n\":[\"{escaped}\"]}}\n";
        var csv = await Csv(record + record);
        var cell = "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var nested = "\"" + $"[\"{escaped}\"]".Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var row = (value.Contains('"', StringComparison.Ordinal) ? cell : value) + "," + nested + "\n";
        Assert.Equal("s,n\n" + row + row, csv);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MatchKey_BothWidths_MatchOnlyTheWholeToken(bool vector256)
    {
        var layout = new RecordLayout();
        var first = Encoding.UTF8.GetBytes("{\"a\":1,\"a_key_longer_than_thirty_two_bytes\":2,\"é\":3}");
        var parser = new NdjsonLineParser((byte)',', vector256);
        Assert.Null(parser.Parse(first));
        var entries = parser.Entries.AsSpan(0, parser.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i].Column = i;
        }

        layout.Learn(first, entries, [0, 1, 2], unknownKeys: 0);

        Assert.Equal(3, layout.Count);
        Assert.True(layout.InColumnOrder);
        Assert.Equal(4, Match(layout, first, 1, 0, vector256));
        Assert.Equal(0, Match(layout, first, 1, 1, vector256));
        Assert.Equal("\"a_key_longer_than_thirty_two_bytes\":".Length, Match(layout, first, 7, 1, vector256));
        var padded = Encoding.UTF8.GetBytes("{\"ab\":1" + new string(' ', 40));
        var shortLine = Encoding.UTF8.GetBytes("{\"a\"");
        Assert.Equal(0, Match(layout, padded, 1, 0, vector256));
        Assert.Equal(0, Match(layout, shortLine, 1, 0, vector256));
    }

    private static int Match(RecordLayout layout, byte[] line, int p, int index, bool vector256)
        => vector256 ? layout.MatchKey<Vector256Width>(line, p, index) : layout.MatchKey<Vector128Width>(line, p, index);

    [Fact]
    public void Learn_EscapedKey_LeavesNoLayout()
    {
        var layout = new RecordLayout();
        var line = Encoding.UTF8.GetBytes("{\"\\u0061\":1}");
        var parser = new NdjsonLineParser((byte)',', vector256: true);
        Assert.Null(parser.Parse(line));

        layout.Learn(line, parser.Entries.AsSpan(0, parser.Count), [0], unknownKeys: 0);

        Assert.Equal(-1, layout.Count);
        Assert.False(layout.InColumnOrder);
    }
}
