using System.Text;
using LogpushKit.Transform;
using static LogpushKit.Tests.Transform.TransformRunner;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// The fused route's own paths (see <c>ConversionStage</c>'s remarks): a nested value checked and written in one pass,
/// numbers and literals copied as they are, and layouts whose keys are some of the columns in their order. Every record
/// here repeats the layout of the one before it, so all but the first take the fused route; the expected cells are
/// written out independently of the converter.
/// </summary>
public sealed class FusedRouteTests
{
    public static TheoryData<string> NestedValues() =>
    [
        "[]",
        "{}",
        "[12]",
        "[1,2]",
        "[-0.5e+3,true,false,null]",
        "[\"a\"]",
        "[\"\"]",
        "{\"k\":\"v\"}",
        "{\"k\":{\"x\":[1,[2,[]]]},\"e\":\"v,w\"}",
        "[\"a quote \\\" inside\",\"a backslash \\\\\",\"\\u00e9\\ud83d\\ude00\",\"tab\\tnew\\nline\"]",
        "[\"" + new string('s', 40) + "\",\"" + new string('t', 70) + "\"]",
        "[\"" + new string('q', 31) + "\\\"" + new string('r', 33) + "\"]",
        "{\"files\":[{\"name\":\"photo \\\"final\\\".jpg\",\"size\":38309117,\"sha\":\"8183c6ba077e4b1c0df67f8b8f62af7c\"}],\"scanned\":true}",
        "[{\"\":[]},{\"a,b\":\"c;d\"}]",
        "[\"é\",\"日本\",\"😀\"]",
        new string('[', 64) + new string(']', 64),
        new string('[', 63) + "\"deep\"" + new string(']', 63),
    ];

    [Theory]
    [MemberData(nameof(NestedValues))]
    public async Task TransformAsync_NestedValueAtEveryPositionInABlock_IsItsJsonQuotedWhenNeeded(string nested)
    {
        // The value starts at each of the 64 positions of the parser's 64-byte blocks (and its strings end at each).
        var input = new StringBuilder();
        var rows = new StringBuilder("p,n,z\n");
        var cell = nested.Contains('"', StringComparison.Ordinal) || nested.Contains(',', StringComparison.Ordinal)
            ? "\"" + nested.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : nested;
        for (var shift = 0; shift <= 65; shift++)
        {
            var pad = new string('x', shift);
            input.Append("{\"p\":\"").Append(pad).Append("\",\"n\":").Append(nested).Append(",\"z\":1}\n");
            rows.Append(pad).Append(',').Append(cell).Append(",1\n");
        }

        var outcome = await RunAllAsync(null, Utf8(input.ToString()));

        Assert.Equal(rows.ToString(), outcome.Csv);
    }

    [Theory]
    [InlineData(';', "[1,2]", "[1,2]")]
    [InlineData(';', "[\"a;b\"]", "\"[\"\"a;b\"\"]\"")]
    [InlineData('\t', "{\"a\":[1,2]}", "\"{\"\"a\"\":[1,2]}\"")]
    [InlineData('1', "[1]", "\"[1]\"")]
    [InlineData('1', "[2]", "[2]")]
    public async Task TransformAsync_NestedValueWithAnotherDelimiter_IsQuotedWhenItHoldsIt(char delimiter, string nested, string cell)
    {
        var line = "{\"a\":\"x\",\"n\":" + nested + "}\n";
        var options = TransformOptions.Default with { Delimiter = delimiter };

        var outcome = await RunAllAsync(options, Utf8(line + line + line));

        var d = delimiter.ToString();
        var header = "a" + d + "n\n";
        Assert.Equal(header + string.Concat(Enumerable.Repeat("x" + d + cell + "\n", 3)), outcome.Csv);
    }

    [Theory]
    [InlineData("[1,2,]", "invalid JSON value")]
    [InlineData("[1,2}", "expected ',' or a closing bracket")]
    [InlineData("{\"a\"1}", "expected ':' after a key")]
    [InlineData("{1:2}", "expected a quoted key")]
    [InlineData("{\"a\":1,}", "expected a quoted key")]
    [InlineData("[01]", "expected ',' or a closing bracket")]
    [InlineData("[tru]", "invalid JSON value")]
    [InlineData("[\"a\\q\"]", "invalid escape in a JSON string")]
    [InlineData("[\"\\ud83d\"]", "unpaired surrogate in a \\u escape")]
    [InlineData("[\"tab\there\"]", "control character in a JSON string")]
    [InlineData("[\"open", "unterminated string")]
    [InlineData("[[[1]]", "expected ',' or a closing bracket")]
    [InlineData("[1;2]", "expected ',' or a closing bracket")]
    [InlineData("[1 ,2,]", "invalid JSON value")]
    public async Task TransformAsync_BadNestedValueThatRepeatsTheLayout_FailsWithLineOffsetAndReason(string nested, string reason)
    {
        var good = "{\"a\":0,\"n\":[\"x\"]}\n";
        var ex = await FailAllAsync(null, Utf8(good + good + "{\"a\":0,\"n\":" + nested + "}\n" + good));

        Assert.Equal(reason, ex.Reason);
        Assert.Equal(3, ex.LineNumber);
        Assert.Equal(2 * good.Length, ex.ByteOffset);
    }

    [Fact]
    public async Task TransformAsync_NestingDeeperThan64OnTheFusedRoute_IsABadLine()
    {
        var good = "{\"a\":0,\"n\":[]}\n";
        var ex = await FailAllAsync(null, Utf8(good + good + "{\"a\":0,\"n\":" + new string('[', 65) + new string(']', 65) + "}\n"));

        Assert.Equal("JSON nesting deeper than 64 levels", ex.Reason);
        Assert.Equal(3, ex.LineNumber);
    }

    [Fact]
    public async Task TransformAsync_NestedValueWithWhitespace_IsCompactedAsOnTheGeneralRoute()
    {
        var good = "{\"a\":0,\"n\":[1]}\n";

        var outcome = await RunAllAsync(null, Utf8(good + good + "{\"a\":0,\"n\":[ 1, {\"k\" : \"v w\"} ]}\n" + good));

        Assert.Equal("a,n\n0,[1]\n0,[1]\n0,\"[1,{\"\"k\"\":\"\"v w\"\"}]\"\n0,[1]\n", outcome.Csv);
    }

    [Fact]
    public async Task TransformAsync_RecordsWithSomeOfTheColumnsInOrder_LeaveTheOthersEmpty()
    {
        var options = TransformOptions.Default with { Fields = ["a", "b", "c", "d"] };
        var input = "{\"b\":1,\"d\":\"x\"}\n{\"b\":2,\"d\":\"y\"}\n{\"a\":\"q\",\"b\":3}\n{\"a\":\"r\",\"b\":4}\n{\"d\":[5]}\n{\"d\":[6]}\n"
            + "{\"c\":true,\"b\":7}\n{\"c\":false,\"b\":8}\n{\"c\":null}\n{\"c\":null}\n{\"d\":\"z\"}\n";

        var outcome = await RunAllAsync(options, Utf8(input));

        Assert.Equal("a,b,c,d\n,1,,x\n,2,,y\nq,3,,\nr,4,,\n,,,[5]\n,,,[6]\n,7,true,\n,8,false,\n,,,\n,,,\n,,,z\n", outcome.Csv);
        Assert.Equal(0L, outcome.Result.UnknownKeys);
    }

    [Fact]
    public async Task TransformAsync_DatasetColumnsMoreThanTheRecordsKeys_LeaveTheMissingOnesEmpty()
    {
        var options = TransformOptions.Default with { DatasetFields = ["a", "b", "c", "d", "e"], Dataset = "gateway_http", DatasetColumns = true };
        var line = "{\"b\":-1.5e3,\"c\":{\"k\":[1,\"2\"]},\"e\":\"v\"}\n";

        var outcome = await RunAllAsync(options, Utf8(line + line + line));

        var row = ",-1.5e3,\"{\"\"k\"\":[1,\"\"2\"\"]}\",,v\n";
        Assert.Equal("a,b,c,d,e\n" + row + row + row, outcome.Csv);
    }

    [Theory]
    [InlineData("-", "invalid JSON value")]
    [InlineData("1.", "invalid JSON value")]
    [InlineData("1e", "invalid JSON value")]
    [InlineData("nul", "invalid JSON value")]
    [InlineData("fals", "invalid JSON value")]
    [InlineData("truex", "expected ',' or '}' after a value")]
    public async Task TransformAsync_BadScalarThatRepeatsTheLayout_FailsWithTheReason(string value, string reason)
    {
        var good = "{\"a\":0,\"n\":true}\n";
        var ex = await FailAllAsync(null, Utf8(good + good + "{\"a\":0,\"n\":" + value + "}\n"));

        Assert.Equal(reason, ex.Reason);
        Assert.Equal(3, ex.LineNumber);
    }

    public static TheoryData<string> EscapedStrings() =>
    [
        "a\\\"b",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b\\f\\t",
        "line\\nbreak",
        "cr\\rhere",
        "a,b",
        ",",
        "x\\u002cy",
        "\\u0022quoted\\u0022",
        "\\u0000\\u001f",
        "na\\u00efve caf\\u00e9 \\u0026 \\u65e5\\u672c",
        "\\ud83d\\ude00 and \\uD83D\\uDE00",
        "https://wiki.example/a?b=1\\u0026q=na\\u00efve caf\\u00e9\\u0026q=cloudflare",
        "ExampleBot/1.0 (+https://bot.example.com/\\\"about\\\")",
        "Block \\\"gambling\\\", \\\"adult\\\"",
        "é,日本\\n😀",
        "\\\"" + new string('q', 60) + "\\\"" + new string('r', 61) + "\\u0041",
    ];

    [Theory]
    [MemberData(nameof(EscapedStrings))]
    public async Task TransformAsync_StringWithEscapesAtEveryPositionInABlock_IsDecodedAndQuotedWhenNeeded(string escaped)
    {
        var text = System.Text.Json.JsonSerializer.Deserialize<string>("\"" + escaped + "\"")!;
        var cell = text.AsSpan().IndexOfAny("\",\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
        var input = new StringBuilder();
        var rows = new StringBuilder("p,s,z\n");
        for (var shift = 0; shift <= 65; shift++)
        {
            var pad = new string('x', shift);
            input.Append("{\"p\":\"").Append(pad).Append("\",\"s\":\"").Append(escaped).Append("\",\"z\":1}\n");
            rows.Append(pad).Append(',').Append(cell).Append(",1\n");
        }

        var outcome = await RunAllAsync(null, Utf8(input.ToString()));

        Assert.Equal(rows.ToString(), outcome.Csv);
    }

    [Theory]
    [InlineData('\t', "a\\tb", "\"a\tb\"")]
    [InlineData('\t', "a,b", "a,b")]
    [InlineData(';', "a;b", "\"a;b\"")]
    [InlineData(';', "a\\u003bb", "\"a;b\"")]
    [InlineData(';', "a,b\\\"", "\"a,b\"\"\"")]
    [InlineData('|', "a\\u007cb", "\"a|b\"")]
    public async Task TransformAsync_StringWithEscapesAndAnotherDelimiter_IsQuotedWhenItHoldsIt(char delimiter, string escaped, string cell)
    {
        var line = "{\"a\":\"x\",\"s\":\"" + escaped + "\"}\n";
        var options = TransformOptions.Default with { Delimiter = delimiter };

        var outcome = await RunAllAsync(options, Utf8(line + line + line));

        var d = delimiter.ToString();
        Assert.Equal("a" + d + "s\n" + string.Concat(Enumerable.Repeat("x" + d + cell + "\n", 3)), outcome.Csv);
    }

    [Theory]
    [InlineData("\"a\\qb\"", "invalid escape in a JSON string")]
    [InlineData("\"\\u12G4\"", "invalid \\u escape in a JSON string")]
    [InlineData("\"\\u12\"", "invalid \\u escape in a JSON string")]
    [InlineData("\"\\ud83d\"", "unpaired surrogate in a \\u escape")]
    [InlineData("\"\\ud83d\\u0041\"", "unpaired surrogate in a \\u escape")]
    [InlineData("\"\\ude00x\"", "unpaired surrogate in a \\u escape")]
    [InlineData("\"a,b\tc\"", "control character in a JSON string")]
    [InlineData("\"a\\\"", "unterminated string")]
    [InlineData("\"a,b", "unterminated string")]
    public async Task TransformAsync_BadStringThatRepeatsTheLayout_FailsWithTheReason(string value, string reason)
    {
        var good = "{\"a\":0,\"s\":\"a\\\"b\"}\n";
        var ex = await FailAllAsync(null, Utf8(good + good + "{\"a\":0,\"s\":" + value + "}\n"));

        Assert.Equal(reason, ex.Reason);
        Assert.Equal(3, ex.LineNumber);
        Assert.Equal(2 * good.Length, ex.ByteOffset);
    }

    [Theory]
    [InlineData(NewlinePolicy.Escape, "\"a\\nb\\r\"", "a\\nb\\r")]
    [InlineData(NewlinePolicy.Space, "\"a\\r\\nb,c\"", "\"a b,c\"")]
    public async Task TransformAsync_EscapedNewlinesWithANewlinePolicy_FollowThePolicy(NewlinePolicy policy, string value, string cell)
    {
        var line = "{\"a\":\"x\",\"s\":" + value + "}\n";

        var outcome = await RunAllAsync(TransformOptions.Default with { NewlinesInCells = policy }, Utf8(line + line));

        Assert.Equal("a,s\nx," + cell + "\nx," + cell + "\n", outcome.Csv);
    }
}
