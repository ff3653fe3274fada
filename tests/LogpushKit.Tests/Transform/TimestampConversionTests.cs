using LogpushKit.Transform;
using static LogpushKit.Tests.Transform.TransformRunner;

namespace LogpushKit.Tests.Transform;

public sealed class TimestampConversionTests
{
    private static TransformOptions To(TimestampOutputFormat format, LogpushTimestampFormat input = LogpushTimestampFormat.Auto)
        => TransformOptions.Default with { TimestampOutput = format, TimestampInput = input, TimestampFields = ["t"], WriteHeader = false };

    private static async Task<string> Convert(string value, TransformOptions options)
    {
        var o = await RunAllAsync(options, Utf8($"{{\"t\":{value},\"x\":{value}}}\n"));
        var cells = o.Csv.TrimEnd('\n');
        var comma = cells.LastIndexOf(',');
        Assert.Equal(value.Trim('"'), cells[(comma + 1)..].Trim('"'));
        return cells[..comma];
    }

    [Theory]
    [InlineData("1724219319", "2024-08-21T05:48:39Z")]
    [InlineData("1724219319123", "2024-08-21T05:48:39Z")]
    [InlineData("1724219319123456", "2024-08-21T05:48:39Z")]
    [InlineData("1724219319123456789", "2024-08-21T05:48:39Z")]
    [InlineData("\"1724219319\"", "2024-08-21T05:48:39Z")]
    [InlineData("\"2024-08-21T05:48:39Z\"", "2024-08-21T05:48:39Z")]
    [InlineData("\"2024-08-21T05:48:39.987654321Z\"", "2024-08-21T05:48:39Z")]
    [InlineData("\"2024-08-21T15:18:39+09:30\"", "2024-08-21T05:48:39Z")]
    [InlineData("\"2024-08-21t05:48:39z\"", "2024-08-21T05:48:39Z")]
    [InlineData("0", "1970-01-01T00:00:00Z")]
    [InlineData("-1", "1969-12-31T23:59:59Z")]
    public async Task Auto_ToRfc3339_ParsesEveryLogpushShape(string value, string expected)
        => Assert.Equal(expected, await Convert(value, To(TimestampOutputFormat.Rfc3339)));

    [Theory]
    [InlineData("1724219319123456789", TimestampOutputFormat.Rfc3339Ms, "2024-08-21T05:48:39.123Z")]
    [InlineData("1724219319123456789", TimestampOutputFormat.Unix, "1724219319")]
    [InlineData("1724219319123456789", TimestampOutputFormat.UnixMs, "1724219319123")]
    [InlineData("1724219319123456789", TimestampOutputFormat.UnixNano, "1724219319123456789")]
    [InlineData("\"2024-08-21T05:48:39.123456789Z\"", TimestampOutputFormat.UnixNano, "1724219319123456789")]
    [InlineData("\"2024-08-21T05:48:39.5Z\"", TimestampOutputFormat.UnixMs, "1724219319500")]
    [InlineData("1724219319", TimestampOutputFormat.UnixNano, "1724219319000000000")]
    [InlineData("1724219319123", TimestampOutputFormat.UnixNano, "1724219319123000000")]
    [InlineData("-1500000000001", TimestampOutputFormat.Unix, "-1500000001")]
    [InlineData("\"1969-12-31T23:59:59.5Z\"", TimestampOutputFormat.Unix, "-1")]
    [InlineData("\"1969-12-31T23:59:59.5Z\"", TimestampOutputFormat.UnixMs, "-500")]
    public async Task Auto_ToOtherFormats_UsesExactIntegerArithmetic(string value, TimestampOutputFormat format, string expected)
        => Assert.Equal(expected, await Convert(value, To(format)));

    [Fact]
    public async Task ExplicitInputFormat_OverridesDigitCount()
    {
        Assert.Equal("1970-01-01T00:00:01Z", await Convert("1000000000", To(TimestampOutputFormat.Rfc3339, LogpushTimestampFormat.UnixNano)));
        Assert.Equal("1970-01-01T00:16:40Z", await Convert("\"1000\"", To(TimestampOutputFormat.Rfc3339, LogpushTimestampFormat.Unix)));
        var ex = await FailAllAsync(To(TimestampOutputFormat.Unix, LogpushTimestampFormat.Rfc3339), Utf8("{\"t\":1724219319}\n"));
        Assert.Contains("expected RFC 3339 text", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Custom_FormatsInTimeZone()
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var options = To(TimestampOutputFormat.Custom) with { TimestampCustomFormat = "yyyy-MM-dd HH:mm:ss", TimeZone = tokyo };
        Assert.Equal("2024-08-21 14:48:39", await Convert("1724219319", options));
        var rfc = To(TimestampOutputFormat.Rfc3339Ms) with { TimeZone = tokyo };
        Assert.Equal("2024-08-21T14:48:39.123+09:00", await Convert("1724219319123", rfc));
    }

    [Fact]
    public async Task Custom_FormatWithDelimiter_IsQuoted()
    {
        var options = To(TimestampOutputFormat.Custom) with { TimestampCustomFormat = "dd MMM yyyy, HH:mm" };
        var o = await RunAllAsync(options, Utf8("{\"t\":1724219319}\n"));
        Assert.Equal("\"21 Aug 2024, 05:48\"\n", o.Csv);
    }

    [Fact]
    public async Task NullAndEmpty_StayEmpty()
    {
        var o = await RunAllAsync(To(TimestampOutputFormat.Unix), Utf8("{\"t\":null}\n{\"t\":\"\"}\n{\"u\":1}\n"));
        Assert.Equal("\n\n\n", o.Csv);
    }

    [Theory]
    [InlineData("\"yesterday\"", "not an RFC 3339 timestamp")]
    [InlineData("\"2024-02-30T00:00:00Z\"", "invalid date or time")]
    [InlineData("\"2024-08-21T05:48:39\"", "not an RFC 3339 timestamp")]
    [InlineData("1.5", "not an integer timestamp")]
    [InlineData("true", "a timestamp must be a number or a string")]
    [InlineData("{}", "a timestamp must be a number or a string")]
    [InlineData("123456789012345678901234", "out of range")]
    public async Task Unparseable_IsABadLineWithAClearReason(string value, string reason)
    {
        var ex = await FailAllAsync(To(TimestampOutputFormat.Unix), Utf8($"{{\"t\":1}}\n{{\"t\":{value}}}\n"));
        Assert.Equal(2, ex.LineNumber);
        Assert.Contains("field 't': unparseable timestamp", ex.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unparseable_WithSkip_DropsTheWholeRow()
    {
        var options = To(TimestampOutputFormat.Unix) with { OnBadLine = BadLinePolicy.Skip };
        var o = await RunAllAsync(options, Utf8("{\"t\":1}\n{\"t\":\"bad\"}\n{\"t\":2}\n"));
        Assert.Equal("1\n2\n", o.Csv);
        Assert.Equal(1, o.Result.BadLines);
    }

    [Fact]
    public async Task Dataset_ConvertsItsTimestampFields()
    {
        var options = TransformOptions.Default with { Dataset = "gateway_http", TimestampOutput = TimestampOutputFormat.Rfc3339 };
        var o = await RunAllAsync(options, Utf8("{\"Datetime\":1724219319000000000,\"HTTPStatusCode\":1724219319}\n"));
        Assert.Equal("Datetime,HTTPStatusCode\n2024-08-21T05:48:39Z,1724219319\n", o.Csv);
    }

    [Fact]
    public async Task NoTimestampOutput_LeavesValuesAsWritten()
    {
        var o = await RunAllAsync(TransformOptions.Default with { Dataset = "gateway_http" }, Utf8("{\"Datetime\":1724219319000000000}\n"));
        Assert.Equal("Datetime\n1724219319000000000\n", o.Csv);
    }

    [Fact]
    public async Task CsvInput_WithFields_ConvertsTheTimestampColumns()
    {
        var options = To(TimestampOutputFormat.Rfc3339) with { Fields = ["t", "x"] };
        var o = await RunAllAsync(options, Utf8("1724219319,x\n\"2024-08-21T05:48:39.5+02:00\",\"y,z\"\n,empty\n"));
        Assert.Equal("2024-08-21T05:48:39Z,x\n2024-08-21T03:48:39Z,\"y,z\"\n,empty\n", o.Csv);
    }

    [Fact]
    public async Task CsvInput_WithoutFields_RefusesTimestampOutput()
    {
        var ex = await Assert.ThrowsAsync<TransformOptionsException>(
            () => new LogpushCsvTransformer(To(TimestampOutputFormat.Rfc3339)).TransformAsync(new MemoryStream(Utf8("1724219319,x\n")), Stream.Null, new TransformContext { SourceName = "in.csv" }));
        Assert.Equal("TimestampOutput", ex.OptionName);
        Assert.StartsWith("in.csv: TimestampOutput on csv input needs Fields", ex.Message, StringComparison.Ordinal);
        var forced = Assert.Throws<ArgumentException>(() => new LogpushCsvTransformer(To(TimestampOutputFormat.Rfc3339) with { InputFormat = LogpushInputFormat.Csv }));
        Assert.Contains("TimestampOutput on csv input needs Fields", forced.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoColumnIsATimestampField_RefusesTimestampOutput()
    {
        var ex = await Assert.ThrowsAsync<TransformOptionsException>(
            () => new LogpushCsvTransformer(To(TimestampOutputFormat.Unix)).TransformAsync(new MemoryStream(Utf8("{\"a\":1}\n")), Stream.Null));
        Assert.Contains("none of the columns (a) is a timestamp field (t)", ex.Message, StringComparison.Ordinal);
        var withFields = Assert.Throws<ArgumentException>(() => new LogpushCsvTransformer(To(TimestampOutputFormat.Unix) with { Fields = ["a", "b"] }));
        Assert.Contains("none of the Fields (a, b) is a timestamp field (t)", withFields.Message, StringComparison.Ordinal);
    }
}
