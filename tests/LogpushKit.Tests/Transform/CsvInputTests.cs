using System.IO.Compression;
using System.Text.Json;
using LogpushKit.Transform;
using static LogpushKit.Tests.Transform.TransformRunner;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// csv input (Logpush <c>output_type: csv</c>): RFC 4180 rows of UTF-8 text, every row with the expected cells; anything
/// else is bad input or a bad line, never passed off as csv. Every case runs through every feed and encoding.
/// </summary>
public sealed class CsvInputTests
{
    private const string Rows = "\"192.0.2.1\",1724219319,\"a, b\"\r\n\"x\"\"y\",2,\"multi\nline\"\n\n3.5,,=SUM(A1)\n";

    private static TransformOptions Csv => TransformOptions.Default with { InputFormat = LogpushInputFormat.Csv };

    // ------------------------------------------------------------------ passthrough

    [Fact]
    public async Task TransformAsync_ValidCsv_PassesThroughByteForByteAndCountsRows()
    {
        var o = await RunAllAsync(null, Utf8(Rows));
        Assert.Equal(Rows, o.Csv);
        Assert.Equal((3L, 3L, 0L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
        Assert.Equal(LogpushInputFormat.Csv, o.Result.InputFormat);
    }

    [Fact]
    public async Task TransformAsync_LastRowWithoutLineBreak_IsARow()
    {
        var o = await RunAllAsync(null, Utf8("a,b\nc,\"d\""));
        Assert.Equal("a,b\nc,\"d\"", o.Csv);
        Assert.Equal(2, o.Result.Rows);
    }

    [Fact]
    public async Task TransformAsync_ByteOrderMark_IsSkipped()
    {
        var o = await RunAllAsync(null, Utf8("\uFEFFa,b\n1,2\n"));
        Assert.Equal("a,b\n1,2\n", o.Csv);
        Assert.Equal(2, o.Result.Rows);
    }

    // ------------------------------------------------------------------ not csv text: bad input, whatever the policy

    public static TheoryData<string, byte[], string, long, long> NotCsvText()
    {
        var random = new Random(6);
        var noise = new byte[4096];
        random.NextBytes(noise);
        (noise[0], noise[1]) = ((byte)'x', 0xFF); // taken for csv (not '{', not gzip's magic); 0xFF is never UTF-8
        byte[] elf = [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3E, 0];
        var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(Utf8(string.Concat(Enumerable.Repeat("some,log,text\n", 100))));
        }

        return new()
        {
            { "random bytes", noise, "invalid UTF-8", 1, 1 },
            { "an ELF binary", elf, "a NUL byte", 1, 7 },
            { "a zlib stream", zlib.ToArray(), "invalid UTF-8", 1, FirstInvalidUtf8(zlib.ToArray()) },
            { "a NUL byte", Utf8("a,b\nc,d\ne\0,f\n"), "a NUL byte", 3, 9 },
            { "invalid UTF-8 on line 3", [.. Utf8("a,b\nc,d\ne"), 0xC3, 0x28, .. Utf8(",f\n")], "invalid UTF-8", 3, 9 },
            { "a truncated character at the end", [.. Utf8("a,b\nc,"), 0xE2, 0x82], "invalid UTF-8", 2, 6 },
            { "a JSON array", Utf8("[{\"a\":1},{\"a\":2}]\n"), "a quote inside an unquoted cell", 1, 2 },
            { "a quote inside an unquoted cell", Utf8("a,b\nc,d\"e\n"), "a quote inside an unquoted cell", 2, 7 },
            { "text after a closing quote", Utf8("a,b\n\"c\"x,d\n"), "text after the closing quote", 2, 7 },
            { "a CR without LF", Utf8("a,b\nc\rd,e\n"), "a CR outside quotes is not followed by LF", 2, 5 },
            { "a CR at the end", Utf8("a,b\nc,d\r"), "a CR outside quotes is not followed by LF", 2, 7 },
        };
    }

    [Theory]
    [MemberData(nameof(NotCsvText))]
    public async Task TransformAsync_NotCsvText_IsBadInputNamingLineAndOffset(string what, byte[] input, string reason, long line, long offset)
    {
        foreach (var policy in new[] { BadLinePolicy.Fail, BadLinePolicy.Skip })
        {
            var ex = await FailAllAsync(Csv with { OnBadLine = policy }, input, sourceName: "in.log.gz");
            Assert.True(ex.Reason.Contains(reason, StringComparison.Ordinal), $"{what}: {ex.Message}");
            Assert.Equal((line, offset), (ex.LineNumber, ex.ByteOffset));
            Assert.Equal("in.log.gz", ex.SourceName);
        }
    }

    [Fact]
    public async Task TransformAsync_AutoDetectedBinary_IsBadInputNotCsv()
    {
        var ex = await FailAllAsync(null, [(byte)'x', 0x9C, 0x01, 0x02]);
        Assert.Contains("invalid UTF-8", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransformAsync_UnterminatedQuote_FailsAtTheRowStart()
    {
        var ex = await FailAllAsync(Csv with { OnBadLine = BadLinePolicy.Skip }, Utf8("a,b\n\"open,1\n2,3\n"));
        Assert.Equal((2L, 4L), (ex.LineNumber, ex.ByteOffset));
        Assert.Contains("unterminated quoted field", ex.Reason, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ cell count: bad lines under the policy

    [Fact]
    public async Task TransformAsync_RowWithOtherCellCount_FailsNamingRowStart()
    {
        var ex = await FailAllAsync(null, Utf8("a,b,c\n\"x\ny\",2,3\nshort,row\n1,2,3\n"));
        Assert.Equal((4L, 16L), (ex.LineNumber, ex.ByteOffset));
        Assert.Equal("2 cells, expected 3 (as many as the first row)", ex.Reason);
    }

    [Fact]
    public async Task TransformAsync_RowWithOtherCellCount_IsSkippedAndCounted()
    {
        var o = await RunAllAsync(Csv with { OnBadLine = BadLinePolicy.Skip }, Utf8("a,b,c\r\n\"x\ny\",2\r\nd,e,f\n\"1,\"\"2\",3,4,5\ng,h,i"));
        Assert.Equal("a,b,c\r\nd,e,f\ng,h,i", o.Csv);
        Assert.Equal((5L, 3L, 2L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
    }

    [Fact]
    public async Task TransformAsync_RowWithOtherCellCount_IsQuarantinedWithLineOffsetAndReason()
    {
        var o = await RunAllAsync(Csv with { OnBadLine = BadLinePolicy.Quarantine }, Utf8("a,b\n\"x\ny\",2,3\r\nc,d\n"), quarantine: true);
        Assert.Equal("a,b\nc,d\n", o.Csv);
        var bad = JsonDocument.Parse(Assert.Single(o.Quarantine.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal(2, bad.GetProperty("line").GetInt64());
        Assert.Equal(4, bad.GetProperty("offset").GetInt64());
        Assert.Equal("3 cells, expected 2 (as many as the first row)", bad.GetProperty("reason").GetString());
        Assert.Equal("\"x\ny\",2,3\r", bad.GetProperty("raw").GetString());
    }

    [Fact]
    public async Task TransformAsync_FieldsWithOtherCellCount_AreBadInput()
    {
        var row = string.Join(',', Enumerable.Range(0, 39)) + "\n";
        var ex = await FailAllAsync(TransformOptions.Default with { Fields = ["a", "b", "c"] }, Utf8(row + row));
        Assert.Equal((1L, 0L), (ex.LineNumber, ex.ByteOffset));
        Assert.Equal("39 cells, expected 3 (one per Fields name)", ex.Reason);

        var skipped = await RunAllAsync(TransformOptions.Default with { Fields = ["a", "b", "c"], OnBadLine = BadLinePolicy.Skip }, Utf8(row + row));
        Assert.Equal("a,b,c\n", skipped.Csv);
        Assert.Equal((2L, 0L, 2L), (skipped.Result.Records, skipped.Result.Rows, skipped.Result.BadLines));
    }

    [Fact]
    public async Task TransformAsync_RowLongerThanMaxLineBytes_IsABadLineKeepingItsFirstBytes()
    {
        var longRow = "\"" + new string('x', 300) + "\n" + new string('y', 300) + "\",1\n";
        var options = Csv with { MaxLineBytes = 100, OnBadLine = BadLinePolicy.Quarantine };
        var o = await RunAllAsync(options, Utf8("a,b\n" + longRow + "c,d\n"), quarantine: true);
        Assert.Equal("a,b\nc,d\n", o.Csv);
        Assert.Equal((3L, 2L, 1L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
        var bad = JsonDocument.Parse(o.Quarantine).RootElement;
        Assert.Equal((2L, 4L), (bad.GetProperty("line").GetInt64(), bad.GetProperty("offset").GetInt64()));
        Assert.Equal("row longer than the line limit (100 bytes)", bad.GetProperty("reason").GetString());
        Assert.Equal(longRow[..100], bad.GetProperty("raw").GetString());
        Assert.Equal((longRow.Length - 1L, true), (bad.GetProperty("bytes").GetInt64(), bad.GetProperty("truncated").GetBoolean()));

        var ex = await FailAllAsync(options with { OnBadLine = BadLinePolicy.Fail }, Utf8("a,b\n" + longRow + "c,d\n"));
        Assert.Equal((2L, 4L), (ex.LineNumber, ex.ByteOffset));
    }

    [Fact]
    public async Task TransformAsync_OverlongRowBeforeNotText_FailsAsOverlongUnderFail()
    {
        // The row is past MaxLineBytes before its NUL byte: however the input is split, the overlong row is reported.
        var input = Utf8("a,b\n" + new string('x', 150) + "\0,1\n");
        var ex = await FailAllAsync(Csv with { MaxLineBytes = 100 }, input);
        Assert.Equal("row longer than MaxLineBytes (100 bytes)", ex.Reason);
        var early = await FailAllAsync(Csv with { MaxLineBytes = 100 }, Utf8("a,b\n" + new string('x', 50) + "\0" + new string('x', 150) + ",1\n"));
        Assert.Contains("a NUL byte", early.Reason, StringComparison.Ordinal);
        Assert.Equal(54, early.ByteOffset);
    }

    // ------------------------------------------------------------------ options apply to csv input

    [Fact]
    public async Task TransformAsync_TabDelimiter_ChangesTheDelimitersAndQuotesOnlyWhereNeeded()
    {
        var o = await RunAllAsync(TransformOptions.Default with { Delimiter = '\t' }, Utf8(Rows + "a\tb,\"c\td\",e\n"));
        Assert.Equal("\"192.0.2.1\"\t1724219319\t\"a, b\"\n\"x\"\"y\"\t2\t\"multi\nline\"\n3.5\t\t=SUM(A1)\n\"a\tb\"\t\"c\td\"\te\n", o.Csv);
        Assert.Equal((4L, 4L), (o.Result.Records, o.Result.Rows));
    }

    [Fact]
    public async Task TransformAsync_CrLf_EndsEveryRowWithCrLf()
    {
        var o = await RunAllAsync(TransformOptions.Default with { RowEnding = CsvRowEnding.CrLf }, Utf8(Rows));
        Assert.Equal("\"192.0.2.1\",1724219319,\"a, b\"\r\n\"x\"\"y\",2,\"multi\nline\"\r\n3.5,,=SUM(A1)\r\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_EscapeFormulas_PrefixesFormulaCellsButNotNumbers()
    {
        var o = await RunAllAsync(TransformOptions.Default with { EscapeFormulas = true }, Utf8("=1+2,-5,\"-x, y\",+1,@a,-1e3,ok,\"-7\",\"=\"\"q\"\"\"\n"));
        Assert.Equal("'=1+2,-5,\"'-x, y\",'+1,'@a,-1e3,ok,\"-7\",\"'=\"\"q\"\"\"\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_FieldsAndOptions_WriteTheHeaderWithTheDelimiter()
    {
        var options = TransformOptions.Default with { Fields = ["ip", "n", "s"], Delimiter = ';', WriteBom = true };
        var o = await RunAllAsync(options, Utf8(Rows));
        Assert.Equal("\uFEFFip;n;s\n\"192.0.2.1\";1724219319;\"a, b\"\n\"x\"\"y\";2;\"multi\nline\"\n3.5;;=SUM(A1)\n", o.Csv);
        Assert.Equal(["ip", "n", "s"], o.Result.Columns);
    }

    [Fact]
    public async Task TransformAsync_UnparseableTimestampInCsv_IsABadLine()
    {
        var options = TransformOptions.Default with { Fields = ["t", "v"], TimestampFields = ["t"], TimestampOutput = TimestampOutputFormat.UnixMs, OnBadLine = BadLinePolicy.Skip };
        var o = await RunAllAsync(options, Utf8("1724219319,a\nyesterday,b\n\"2024-08-21T05:48:39Z\",c\n"));
        Assert.Equal("t,v\n1724219319000,a\n1724219319000,c\n", o.Csv);
        Assert.Equal((3L, 2L, 1L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
    }

    [Fact]
    public async Task TransformAsync_ReemittedRowWithOtherCellCount_IsStillABadLine()
    {
        var ex = await FailAllAsync(TransformOptions.Default with { RowEnding = CsvRowEnding.CrLf }, Utf8("a,b\nc\n"));
        Assert.Equal("1 cells, expected 2 (as many as the first row)", ex.Reason);
        Assert.Equal((2L, 4L), (ex.LineNumber, ex.ByteOffset));
    }

    /// <summary>Where the first invalid UTF-8 sequence starts, checking that no NUL, quote, CR or LF comes before it.</summary>
    private static long FirstInvalidUtf8(byte[] bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            Assert.False(bytes[i] is 0 or (byte)'"' or (byte)'\r' or (byte)'\n', "the test data must fail on its UTF-8 first");
            if (System.Text.Rune.DecodeFromUtf8(bytes.AsSpan(i), out _, out var n) != System.Buffers.OperationStatus.Done)
            {
                return i;
            }

            i += n;
        }

        return -1;
    }
}
