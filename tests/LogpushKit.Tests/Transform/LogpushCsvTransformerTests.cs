using System.Buffers;
using System.Text;
using LogpushKit.Testing.Streams;
using LogpushKit.Transform;
using static LogpushKit.Tests.Transform.TransformRunner;

namespace LogpushKit.Tests.Transform;

public sealed class LogpushCsvTransformerTests
{
    private static Task<Outcome> Run(string input, TransformOptions? options = null, bool quarantine = false)
        => RunAllAsync(options, Utf8(input), quarantine);

    // ------------------------------------------------------------------ header and columns

    [Fact]
    public async Task TransformAsync_Default_WritesHeaderFromFirstRecordKeys()
    {
        var o = await Run("{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n");
        Assert.Equal("a,b\n1,x\n2,y\n", o.Csv);
        Assert.Equal(["a", "b"], o.Result.Columns);
        Assert.Equal((2L, 2L, 0L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
        Assert.Equal(LogpushInputFormat.Ndjson, o.Result.InputFormat);
    }

    [Fact]
    public async Task TransformAsync_NoHeader_WritesRowsOnly()
    {
        var o = await Run("{\"a\":1,\"b\":\"x\"}\n", TransformOptions.Default with { WriteHeader = false });
        Assert.Equal("1,x\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_KeysInAnyOrder_MapToTheirColumns()
    {
        var o = await Run("{\"a\":1,\"b\":2,\"c\":3}\n{\"c\":6,\"a\":4,\"b\":5}\n{\"b\":8,\"c\":9,\"a\":7}\n");
        Assert.Equal("a,b,c\n1,2,3\n4,5,6\n7,8,9\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_MissingKey_GivesEmptyCell()
    {
        var o = await Run("{\"a\":1,\"b\":2,\"c\":3}\n{\"c\":6}\n{}\n");
        Assert.Equal("a,b,c\n1,2,3\n,,6\n,,\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_Fields_SelectAndOrderColumns()
    {
        var o = await Run("{\"a\":1,\"b\":2,\"c\":3}\n", TransformOptions.Default with { Fields = ["c", "missing", "a"] });
        Assert.Equal("c,missing,a\n3,,1\n", o.Csv);
        Assert.Equal(1, o.Result.UnknownKeys);
        Assert.Equal(["b"], o.Result.UnknownKeyNames);
    }

    [Fact]
    public async Task TransformAsync_UnknownKeys_AreCountedPerOccurrenceAndNamedOnce()
    {
        var o = await Run("{\"a\":1}\n{\"a\":2,\"x\":1,\"y\":2}\n{\"x\":3,\"a\":3}\n");
        Assert.Equal("a\n1\n2\n3\n", o.Csv);
        Assert.Equal(3, o.Result.UnknownKeys);
        Assert.Equal(["x", "y"], o.Result.UnknownKeyNames);
    }

    [Fact]
    public async Task TransformAsync_FailOnUnknownKeys_MakesTheLineBad()
    {
        var options = TransformOptions.Default with { Fields = ["a"], FailOnUnknownKeys = true };
        var ex = await FailAllAsync(options, Utf8("{\"a\":1}\n{\"a\":2,\"zz\":1}\n"));
        Assert.Equal(2, ex.LineNumber);
        Assert.Equal(8, ex.ByteOffset);
        Assert.Contains("unknown key 'zz'", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransformAsync_FieldsAndNoRecords_WritesHeaderOnly()
    {
        var o = await Run("", TransformOptions.Default with { Fields = ["a", "b"] });
        Assert.Equal("a,b\n", o.Csv);
        Assert.Equal(0, o.Result.Records);
    }

    [Fact]
    public async Task TransformAsync_EmptyInput_WritesNothing()
    {
        var o = await Run("");
        Assert.Equal("", o.Csv);
        Assert.Equal(0, o.Result.Records);
        Assert.Empty(o.Result.Columns);
    }

    [Fact]
    public async Task TransformAsync_EscapedKey_MatchesDecodedColumnName()
    {
        var o = await Run("{\"a\\u0062\":1,\"c\\\"d\":2}\n{\"ab\":3,\"c\\u0022d\":4}\n");
        Assert.Equal("ab,\"c\"\"d\"\n1,2\n3,4\n", o.Csv);
    }

    // ------------------------------------------------------------------ values

    [Fact]
    public async Task TransformAsync_Strings_AreDecoded()
    {
        var o = await Run("{\"s\":\"q\\\"uo\\\\te\\/ \\b\\f \\u00e9 \\ud83d\\ude00 \\u003c\\u0026 caf\u00e9 日本\"}\n", TransformOptions.Default with { WriteHeader = false });
        Assert.Equal("\"q\"\"uo\\te/ \b\f é 😀 <& café 日本\"\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_EscapedControlCharacters_AreDecodedAndQuoted()
    {
        var o = await Run("{\"s\":\"a\\nb\",\"t\":\"c\\rd\",\"u\":\"e\\tf\"}\n", TransformOptions.Default with { WriteHeader = false });
        Assert.Equal("\"a\nb\",\"c\rd\",e\tf\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_Numbers_AreCopiedVerbatim()
    {
        var o = await Run("{\"a\":1724219319123456789,\"b\":1.50,\"c\":-0,\"d\":1e5,\"e\":2E-3,\"f\":0.1e+10,\"g\":99999999999999999999999}\n");
        Assert.Equal("a,b,c,d,e,f,g\n1724219319123456789,1.50,-0,1e5,2E-3,0.1e+10,99999999999999999999999\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_LiteralsAndNull_MapToTextAndEmpty()
    {
        var o = await Run("{\"t\":true,\"f\":false,\"n\":null,\"e\":\"\"}\n");
        Assert.Equal("t,f,n,e\ntrue,false,,\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_NestedValues_AreCompactJsonWithEscapesKept()
    {
        var o = await Run("{\"o\":{\"a\":[1,2.50],\"s\":\"x\\\"y\\u00e9\"},\"e\":[],\"m\":{}}\n");
        Assert.Equal("o,e,m\n\"{\"\"a\"\":[1,2.50],\"\"s\"\":\"\"x\\\"\"y\\u00e9\"\"}\",[],{}\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_NestedWithWhitespace_IsCompacted()
    {
        var o = await Run("{\"o\": { \"a\" : [ 1 , \"b c\" , { } ] , \"n\" : null } , \"x\":[ ]}\n", TransformOptions.Default with { WriteHeader = false });
        Assert.Equal("\"{\"\"a\"\":[1,\"\"b c\"\",{}],\"\"n\"\":null}\",[]\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_ArrayWithoutQuotes_IsNotQuotedUnlessItHoldsTheDelimiter()
    {
        var o = await Run("{\"a\":[1],\"b\":[1,2]}\n", TransformOptions.Default with { WriteHeader = false });
        Assert.Equal("[1],\"[1,2]\"\n", o.Csv);
    }

    // ------------------------------------------------------------------ RFC 4180 output

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \\\"hi\\\"", "\"say \"\"hi\"\"\"")]
    [InlineData("line\\nbreak", "\"line\nbreak\"")]
    [InlineData("cr\\rhere", "\"cr\rhere\"")]
    [InlineData("tab\\there", "tab\there")]
    [InlineData(" spaces ", " spaces ")]
    public async Task TransformAsync_Cell_IsQuotedOnlyWhenNeeded(string json, string cell)
    {
        var o = await Run($"{{\"s\":\"{json}\"}}\n", TransformOptions.Default with { WriteHeader = false });
        Assert.Equal(cell + "\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_TabDelimiter_QuotesTabsNotCommas()
    {
        var o = await Run("{\"a\":\"x,y\",\"b\":\"p\\tq\",\"c\":[1,2]}\n", TransformOptions.Default with { Delimiter = '\t' });
        Assert.Equal("a\tb\tc\nx,y\t\"p\tq\"\t[1,2]\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_CrLfAndBom_AreWrittenOnRequest()
    {
        var o = await Run("{\"a\":1}\n{\"a\":2}\n", TransformOptions.Default with { RowEnding = CsvRowEnding.CrLf, WriteBom = true });
        Assert.Equal("\uFEFFa\r\n1\r\n2\r\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_DelimiterInsideNumbers_QuotesThem()
    {
        var o = await Run("{\"a\":1.5,\"b\":true,\"c\":2}\n", TransformOptions.Default with { Delimiter = '.', WriteHeader = false });
        Assert.Equal("\"1.5\".true.2\n", o.Csv);
    }

    [Fact]
    public async Task TransformAsync_HeaderNames_AreQuotedWhenNeeded()
    {
        var o = await Run("{\"a,b\":1,\"c\\nd\":2}\n");
        Assert.Equal("\"a,b\",\"c\nd\"\n1,2\n", o.Csv);
    }

    // ------------------------------------------------------------------ input lines

    [Fact]
    public async Task TransformAsync_CrLfInputAndMissingFinalNewline_AreAccepted()
    {
        var o = await Run("{\"a\":1}\r\n{\"a\":2}\r\n{\"a\":3}");
        Assert.Equal("a\n1\n2\n3\n", o.Csv);
        Assert.Equal(3, o.Result.Records);
    }

    [Fact]
    public async Task TransformAsync_BlankLines_AreIgnoredButCountedInLineNumbers()
    {
        var o = await Run("\n  \n{\"a\":1}\n\r\n\t\n{\"a\":2}\n\n");
        Assert.Equal("a\n1\n2\n", o.Csv);
        Assert.Equal(2, o.Result.Records);

        var ex = await FailAllAsync(null, Utf8("\n{\"a\":1}\n\n{\"a\":\n"));
        Assert.Equal(4, ex.LineNumber);
        Assert.Equal(10, ex.ByteOffset);
    }

    [Fact]
    public async Task TransformAsync_LeadingBom_IsSkipped()
    {
        var o = await Run("\uFEFF{\"a\":1}\n");
        Assert.Equal("a\n1\n", o.Csv);
        Assert.Equal(LogpushInputFormat.Ndjson, o.Result.InputFormat);
    }

    [Fact]
    public async Task TransformAsync_LongLinesAndMultibyteText_SurviveEverySplit()
    {
        var value = string.Concat(Enumerable.Repeat("日本語😀é,\\\"x", 300));
        var o = await Run($"{{\"a\":\"{value}\",\"b\":1}}\n{{\"a\":\"ü\",\"b\":2}}\n", TransformOptions.Default with { WriteHeader = false });
        var expected = "\"" + string.Concat(Enumerable.Repeat("日本語😀é,\"\"x", 300)) + "\",1\nü,2\n";
        Assert.Equal(expected, o.Csv);
    }

    // ------------------------------------------------------------------ bad lines

    [Theory]
    [InlineData("{\"a\":1", "truncated JSON object")]
    [InlineData("{\"a\":1}x", "unexpected data after the JSON object")]
    [InlineData("{\"a\":1}{\"a\":2}", "unexpected data after the JSON object")]
    [InlineData("{\"a\":1,\"a\":2}", "duplicate key 'a'")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("\"a\"", "not a JSON object")]
    [InlineData("{\"a\":01}", "expected ',' or '}' after a value")]
    [InlineData("{\"a\":1.}", "invalid JSON value")]
    [InlineData("{\"a\":.5}", "invalid JSON value")]
    [InlineData("{\"a\":+1}", "invalid JSON value")]
    [InlineData("{\"a\":tru}", "invalid JSON value")]
    [InlineData("{\"a\":\"x\\q\"}", "invalid escape in a JSON string")]
    [InlineData("{\"a\":\"\\ud83d\"}", "unpaired surrogate in a \\u escape")]
    [InlineData("{\"a\":\"\\ude00x\"}", "unpaired surrogate in a \\u escape")]
    [InlineData("{\"a\":\"\\u12G4\"}", "invalid \\u escape in a JSON string")]
    [InlineData("{\"a\":\"tab\there\"}", "control character in a JSON string")]
    [InlineData("{\"a\":\"open}", "unterminated string")]
    [InlineData("{a:1}", "expected a quoted key")]
    [InlineData("{\"a\" 1}", "expected ':' after a key")]
    [InlineData("{\"a\":[1,2}", "expected ',' or a closing bracket")]
    [InlineData("{\"a\":{\"b\":1}", "truncated JSON object")]
    public async Task TransformAsync_MalformedLine_FailsWithLineAndOffset(string badLine, string reason)
    {
        var input = "{\"a\":0}\n" + badLine + "\n{\"a\":3}\n";
        var ex = await FailAllAsync(null, Utf8(input));
        Assert.Equal(reason, ex.Reason);
        Assert.Equal(2, ex.LineNumber);
        Assert.Equal(8, ex.ByteOffset);
        Assert.Equal("test.log.gz", ex.SourceName);
        Assert.Contains("test.log.gz, line 2, byte offset 8", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<LogpushKitException>(ex);
    }

    [Fact]
    public async Task TransformAsync_LineOverMaxLineBytes_IsABadLineAndNotBuffered()
    {
        var longLine = "{\"a\":\"" + new string('x', 300) + "\"}";
        var input = "{\"a\":\"ok\"}\n" + longLine + "\n{\"a\":\"fine\"}\n" + longLine;
        var ex = await FailAllAsync(TransformOptions.Default with { MaxLineBytes = 100 }, Utf8(input));
        Assert.Equal((2L, 11L), (ex.LineNumber!.Value, ex.ByteOffset!.Value));
        Assert.Equal("line longer than MaxLineBytes (100 bytes)", ex.Reason);

        var o = await Run(input, TransformOptions.Default with { MaxLineBytes = 100, OnBadLine = BadLinePolicy.Quarantine }, quarantine: true);
        Assert.Equal("a\nok\nfine\n", o.Csv);
        Assert.Equal((4L, 2L, 2L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
        Assert.Equal(Utf8(input).Length, o.Result.BytesDecompressed);
        var quarantined = o.Quarantine.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, quarantined.Length);
        Assert.StartsWith("{\"line\":2,\"offset\":11,", quarantined[0], StringComparison.Ordinal);
        Assert.StartsWith("{\"line\":4,\"offset\":" + (11 + longLine.Length + 1 + 13) + ",", quarantined[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BadLinePolicy.Fail)]
    [InlineData(BadLinePolicy.Skip)]
    [InlineData(BadLinePolicy.Quarantine)]
    public async Task TransformAsync_WhitespaceLineOverMaxLineBytes_IsSkippedLikeAnyBlankLine(BadLinePolicy policy)
    {
        // Blank lines longer than MaxLineBytes, split across buffers by every feed but the whole ones; then a line whose
        // content comes only after more than MaxLineBytes of whitespace, which is still an overlong (bad) line.
        var blank = new string(' ', 150) + "\t" + new string(' ', 150) + "\r";
        var beforeBad = "{\"a\":\"ok\"}\n" + blank + "\n{\"a\":\"fine\"}\r\n" + new string('\t', 300) + "\n\n";
        var input = beforeBad + new string(' ', 300) + "{\"a\":\"late\"}\n{\"a\":\"x\"}\n" + blank;
        var options = TransformOptions.Default with { MaxLineBytes = 100, OnBadLine = policy };
        if (policy == BadLinePolicy.Fail)
        {
            var ex = await FailAllAsync(options, Utf8(input));
            Assert.Equal((6L, (long)beforeBad.Length), (ex.LineNumber!.Value, ex.ByteOffset!.Value));
            Assert.Equal("line longer than MaxLineBytes (100 bytes)", ex.Reason);
            return;
        }

        var o = await Run(input, options, quarantine: policy == BadLinePolicy.Quarantine);
        Assert.Equal("a\nok\nfine\nx\n", o.Csv);
        Assert.Equal((4L, 3L, 1L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
        Assert.Equal(input.Length, o.Result.BytesDecompressed);
        if (policy == BadLinePolicy.Quarantine)
        {
            var quarantined = o.Quarantine.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("{\"line\":6,\"offset\":" + beforeBad.Length + ",", Assert.Single(quarantined), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TransformAsync_InvalidUtf8_IsABadLine()
    {
        var input = Utf8("{\"a\":\"ok\"}\n").Concat(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}', (byte)'\n' }).ToArray();
        var ex = await FailAllAsync(null, input);
        Assert.Equal("invalid UTF-8", ex.Reason);
        Assert.Equal(2, ex.LineNumber);
    }

    [Fact]
    public async Task TransformAsync_DeepNesting_IsABadLine()
    {
        var deep = new string('[', 70) + new string(']', 70);
        var ex = await FailAllAsync(null, Utf8($"{{\"a\":{deep}}}\n"));
        Assert.Equal("JSON nesting deeper than 64 levels", ex.Reason);
    }

    [Fact]
    public async Task TransformAsync_Skip_DropsBadLinesAndCountsThem()
    {
        var o = await Run("{\"a\":1}\n{\"a\":\n{\"a\":3}\n[]\n", TransformOptions.Default with { OnBadLine = BadLinePolicy.Skip });
        Assert.Equal("a\n1\n3\n", o.Csv);
        Assert.Equal((4L, 2L, 2L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
    }

    [Fact]
    public async Task TransformAsync_BadFirstRecord_ColumnsComeFromFirstGoodRecord()
    {
        var o = await Run("{\"x\":1,\"x\":2}\n{\"a\":1}\n", TransformOptions.Default with { OnBadLine = BadLinePolicy.Skip });
        Assert.Equal("a\n1\n", o.Csv);
        Assert.Equal(1, o.Result.BadLines);
    }

    [Fact]
    public async Task TransformAsync_Quarantine_WritesRawLineNumberOffsetAndReason()
    {
        var o = await Run("{\"a\":1}\n{\"a\":\"x\n\n{\"a\":3}\nnot json \"q\"\n", TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine }, quarantine: true);
        Assert.Equal("a\n1\n3\n", o.Csv);
        Assert.Equal((4L, 2L, 2L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
        Assert.Equal(
            "{\"line\":2,\"offset\":8,\"reason\":\"unterminated string\",\"bytes\":7,\"truncated\":false,\"raw\":\"{\\u0022a\\u0022:\\u0022x\"}\n"
            + "{\"line\":5,\"offset\":25,\"reason\":\"not a JSON object\",\"bytes\":12,\"truncated\":false,\"raw\":\"not json \\u0022q\\u0022\"}\n",
            o.Quarantine);
    }

    [Fact]
    public async Task TransformAsync_QuarantineOfInvalidUtf8_UsesBase64()
    {
        var input = Utf8("{\"a\":1}\n").Concat(new byte[] { 0xFF, 0xFE, (byte)'\n' }).ToArray();
        var o = await RunAllAsync(TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine }, input, quarantine: true);
        Assert.Equal("{\"line\":2,\"offset\":8,\"reason\":\"invalid UTF-8\",\"bytes\":2,\"truncated\":false,\"rawBase64\":\"//4=\"}\n", o.Quarantine);
    }

    [Fact]
    public async Task TransformAsync_QuarantineOfOverlongLine_SaysItIsCutGivesItsLengthAndKeepsWholeCharacters()
    {
        // MaxLineBytes 100 keeps the first 100 bytes, which end in the middle of the é at bytes 99-100: the record keeps
        // the 99 bytes before it as text (not base64 of the cut bytes) and says how long the whole line was.
        var line = "{\"a\":\"" + new string('x', 93) + "é" + new string('y', 50) + "\"}";
        var o = await Run("{\"a\":1}\n" + line + "\n", TransformOptions.Default with { MaxLineBytes = 100, OnBadLine = BadLinePolicy.Quarantine }, quarantine: true);
        Assert.Equal((2L, 1L, 1L), (o.Result.Records, o.Result.Rows, o.Result.BadLines));
        Assert.Equal(
            "{\"line\":2,\"offset\":8,\"reason\":\"line longer than the line limit (100 bytes)\",\"bytes\":153,\"truncated\":true,\"raw\":\"{\\u0022a\\u0022:\\u0022" + new string('x', 93) + "\"}\n",
            o.Quarantine);
    }

    [Fact]
    public async Task TransformAsync_QuarantineWithoutStream_ThrowsArgumentException()
    {
        var transformer = new LogpushCsvTransformer(TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine });
        await Assert.ThrowsAsync<ArgumentException>(() => transformer.TransformAsync(new MemoryStream(), new MemoryStream()));
    }

    // ------------------------------------------------------------------ formula guard

    [Fact]
    public async Task TransformAsync_EscapeFormulas_PrefixesStringsOnly()
    {
        var input = "{\"a\":\"=SUM(A1)\",\"b\":\"+1\",\"c\":\"-x\",\"d\":\"@cmd\",\"e\":-5,\"f\":\"\\u003d1\",\"g\":\"=a,b\",\"h\":\"ok\"}\n";
        var on = await Run(input, TransformOptions.Default with { EscapeFormulas = true, WriteHeader = false });
        Assert.Equal("'=SUM(A1),'+1,'-x,'@cmd,-5,'=1,\"'=a,b\",ok\n", on.Csv);
        var off = await Run(input, TransformOptions.Default with { WriteHeader = false });
        Assert.Equal("=SUM(A1),+1,-x,@cmd,-5,=1,\"=a,b\",ok\n", off.Csv);
    }

    // ------------------------------------------------------------------ csv input

    [Fact]
    public async Task TransformAsync_CsvInput_PassesThroughByteForByte()
    {
        const string Input = "\"89.163.242.206\",1506702504433000200,\"3a6050bcbe121a87\"\r\n\"a\"\"b\",x,\"multi\nline\"\nlast,row,";
        var o = await Run(Input);
        Assert.Equal(Input, o.Csv);
        Assert.Equal(LogpushInputFormat.Csv, o.Result.InputFormat);
        Assert.Equal((3L, 3L), (o.Result.Records, o.Result.Rows));
    }

    [Fact]
    public async Task TransformAsync_CsvWithFields_WritesHeaderFirst()
    {
        var o = await Run("1,2\n3,4\n", TransformOptions.Default with { Fields = ["A", "B"], WriteBom = true });
        Assert.Equal("\uFEFFA,B\n1,2\n3,4\n", o.Csv);
        Assert.Equal(2, o.Result.Rows);
        var noHeader = await Run("1,2\n", TransformOptions.Default with { Fields = ["A", "B"], WriteHeader = false });
        Assert.Equal("1,2\n", noHeader.Csv);
    }

    [Fact]
    public async Task TransformAsync_CsvQuotedNewlines_CountAsOneRecord()
    {
        var o = await Run("\"a\nb\nc\",1\n\n\"x\"\"\n\",2\n");
        Assert.Equal((2L, 2L), (o.Result.Records, o.Result.Rows));
    }

    [Fact]
    public async Task TransformAsync_CsvUnterminatedQuote_Fails()
    {
        var ex = await FailAllAsync(null, Utf8("a,b\n\"open,1\n2,3\n"));
        Assert.Equal(2, ex.LineNumber);
        Assert.Equal(4, ex.ByteOffset);
        Assert.Contains("unterminated quoted field", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransformAsync_ForcedFormat_OverridesSniffing()
    {
        var asCsv = await Run("{a:1}\n", TransformOptions.Default with { InputFormat = LogpushInputFormat.Csv });
        Assert.Equal("{a:1}\n", asCsv.Csv);
        Assert.Equal(LogpushInputFormat.Csv, asCsv.Result.InputFormat);
        var jsonAsCsv = await FailAllAsync(TransformOptions.Default with { InputFormat = LogpushInputFormat.Csv }, Utf8("{\"a\":1}\n"));
        Assert.Contains("a quote inside an unquoted cell", jsonAsCsv.Reason, StringComparison.Ordinal);
        var ex = await FailAllAsync(TransformOptions.Default with { InputFormat = LogpushInputFormat.Ndjson }, Utf8("a,b\n"));
        Assert.Equal("not a JSON object", ex.Reason);
    }

    [Fact]
    public async Task TransformAsync_LeadingWhitespace_SniffsByFirstNonWhitespaceByte()
    {
        var o = await Run("  \n\n {\"a\":1}\n");
        Assert.Equal(LogpushInputFormat.Ndjson, o.Result.InputFormat);
        Assert.Equal("a\n1\n", o.Csv);
    }

    // ------------------------------------------------------------------ result and ownership

    [Fact]
    public async Task TransformAsync_Result_ReportsBytesAndElapsed()
    {
        var input = Utf8("{\"a\":\"x\"}\n{\"a\":\"y\"}\n");
        var gz = Gzip(input);
        var time = new SteppingTimeProvider(TimeSpan.FromMilliseconds(250));
        var transformer = new LogpushCsvTransformer(null, time);
        var output = new MemoryStream();
        var result = await transformer.TransformAsync(new MemoryStream(gz), output);
        Assert.True(result.Gzip);
        Assert.Equal(gz.Length, result.BytesIn);
        Assert.Equal(input.Length, result.BytesDecompressed);
        Assert.Equal(output.Length, result.BytesOut);
        Assert.Equal(TimeSpan.FromMilliseconds(250), result.Elapsed);
    }

    [Fact]
    public async Task TransformAsync_Streams_AreNeitherDisposedNorClosed()
    {
        var input = new DisposeTrackingStream(Gzip(Utf8("{\"a\":1}\n")));
        var output = new DisposeTrackingStream();
        await new LogpushCsvTransformer().TransformAsync(input, output);
        Assert.False(input.Disposed);
        Assert.False(output.Disposed);
        Assert.True(output.CanWrite);
        Assert.Equal("a\n1\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task TransformAsync_Pipes_AreNotCompletedAndOutputIsFlushed()
    {
        var input = new System.IO.Pipelines.Pipe();
        var output = new System.IO.Pipelines.Pipe();
        await input.Writer.WriteAsync(Gzip(Utf8("{\"a\":1}\n")));
        await input.Writer.CompleteAsync();
        var result = await new LogpushCsvTransformer().TransformAsync(input.Reader, output.Writer);
        Assert.Equal(1, result.Rows);

        await output.Writer.WriteAsync(Utf8("tail"));
        await output.Writer.CompleteAsync();
        var read = await output.Reader.ReadAtLeastAsync(int.MaxValue);
        Assert.Equal("a\n1\ntail", Encoding.UTF8.GetString(read.Buffer.ToArray()));
        await input.Reader.CompleteAsync();
    }

    [Fact]
    public async Task TransformAsync_BomOnly_IsEmpty()
    {
        var o = await Run("\uFEFF");
        Assert.Equal("", o.Csv);
        Assert.Equal(0, o.Result.Records);
    }

    [Fact]
    public async Task TransformAsync_Cancelled_ThrowsOperationCanceled()
    {
        var lines = string.Concat(Enumerable.Range(0, 2000).Select(i => $"{{\"a\":{i}}}\n"));
        foreach (var data in new[] { Utf8(lines), Gzip(Utf8(lines)) })
        {
            using var input = new CancelOnReadStream(data, cancelOnRead: 3, chunk: 16);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => new LogpushCsvTransformer(null, 16, TimeProvider.System).TransformAsync(input, Stream.Null, null, input.Source.Token));
        }
    }

    [Fact]
    public async Task TransformAsync_AlreadyCancelled_ThrowsBeforeReading()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var input = new ChunkedStream(Utf8("{\"a\":1}\n"), 4);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new LogpushCsvTransformer().TransformAsync(input, Stream.Null, null, cts.Token));
    }

    [Fact]
    public async Task TransformAsync_InputReadFails_PropagatesIOException()
    {
        var data = Gzip(Utf8(string.Concat(Enumerable.Range(0, 500).Select(i => $"{{\"a\":{i}}}\n"))));
        await Assert.ThrowsAsync<IOException>(() => new LogpushCsvTransformer(null, 32, TimeProvider.System).TransformAsync(new ThrowingAfterStream(data, 100), Stream.Null));
        var plain = Utf8("{\"a\":1}\n{\"a\":2}\n");
        await Assert.ThrowsAsync<IOException>(() => new LogpushCsvTransformer().TransformAsync(new ThrowingAfterStream(plain, 9), Stream.Null));
    }

    [Fact]
    public async Task TransformAsync_OneTransformer_RunsConcurrently()
    {
        var transformer = new LogpushCsvTransformer();
        var tasks = Enumerable.Range(0, 8).Select(async i =>
        {
            var output = new MemoryStream();
            await transformer.TransformAsync(new MemoryStream(Gzip(Utf8($"{{\"n\":{i}}}\n"))), output);
            return Encoding.UTF8.GetString(output.ToArray());
        });
        var outputs = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"n\n{i}\n"), outputs);
    }

    [Fact]
    public async Task TransformAsync_MoreTransformsThanCores_EachConvertsItsOwnObjectExactly()
    {
        // With as many transforms running as there are cores, a transform converts on the thread that inflates; with tiny
        // buffers every object goes through many chunks of both schedules at once.
        var transformer = new LogpushCsvTransformer(null, 64, TimeProvider.System);
        var count = (Environment.ProcessorCount * 3) + 1;
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            var lines = string.Concat(Enumerable.Range(0, 400).Select(r => $"{{\"object\":{i},\"row\":{r},\"text\":\"a,\\\"b\\\" {i}-{r}\"}}\n"));
            var output = new MemoryStream();
            var result = await transformer.TransformAsync(new MemoryStream(Gzip(Utf8(lines))), output);
            return (i, result.Rows, Text: Encoding.UTF8.GetString(output.ToArray()));
        });

        foreach (var (i, rows, text) in await Task.WhenAll(tasks))
        {
            Assert.Equal(400, rows);
            Assert.Equal("object,row,text\n" + string.Concat(Enumerable.Range(0, 400).Select(r => $"{i},{r},\"a,\"\"b\"\" {i}-{r}\"\n")), text);
        }
    }

    [Fact]
    public async Task TransformAsync_ManyUnknownKeys_NamesAtMost100()
    {
        var line = "{\"a\":1," + string.Join(",", Enumerable.Range(0, 150).Select(i => $"\"k{i}\":{i}")) + "}\n";
        var o = await RunAllAsync(TransformOptions.Default with { Fields = ["a"] }, Utf8(line + line));
        Assert.Equal(300, o.Result.UnknownKeys);
        Assert.Equal(100, o.Result.UnknownKeyNames.Count);
        Assert.Equal("k0", o.Result.UnknownKeyNames[0]);
    }

    [Fact]
    public async Task TransformAsync_Progress_ReportsDecompressedBytesUpToTheTotal()
    {
        var input = Utf8(string.Concat(Enumerable.Range(0, 300).Select(i => $"{{\"a\":{i}}}\n")));
        var reports = new List<long>();
        var progress = new SynchronousProgress(reports.Add);
        var result = await new LogpushCsvTransformer(null, 64, TimeProvider.System)
            .TransformAsync(new ChunkedStream(input, 50), Stream.Null, new TransformContext { Progress = progress });
        Assert.True(reports.Count > 1);
        Assert.Equal(result.BytesDecompressed, reports[^1]);
        Assert.Equal(reports.Order(), reports);
    }

    // ------------------------------------------------------------------ options validation

    public static TheoryData<TransformOptions, string> InvalidOptions() => new()
    {
        { TransformOptions.Default with { Delimiter = '"' }, "Delimiter" },
        { TransformOptions.Default with { Delimiter = '\n' }, "Delimiter" },
        { TransformOptions.Default with { Delimiter = '\r' }, "Delimiter" },
        { TransformOptions.Default with { Delimiter = 'é' }, "Delimiter" },
        { TransformOptions.Default with { Fields = ["a", "b", "a"] }, "twice" },
        { TransformOptions.Default with { Fields = [] }, "Fields" },
        { TransformOptions.Default with { Fields = ["a", ""] }, "Fields" },
        { TransformOptions.Default with { TimestampOutput = TimestampOutputFormat.Custom, TimestampFields = ["t"] }, "TimestampCustomFormat" },
        { TransformOptions.Default with { TimestampOutput = TimestampOutputFormat.Unix }, "TimestampFields" },
        { TransformOptions.Default with { TimestampOutput = TimestampOutputFormat.Unix, Dataset = "no_such_dataset" }, "no_such_dataset" },
        { TransformOptions.Default with { MaxDecompressedBytes = 0 }, "MaxDecompressedBytes" },
        { TransformOptions.Default with { MaxLineBytes = 0 }, "MaxLineBytes" },
        { TransformOptions.Default with { RowEnding = (CsvRowEnding)7 }, "enum" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidOptions_ThrowsArgumentExceptionNamingTheProblem(TransformOptions options, string mentioned)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new LogpushCsvTransformer(options));
        Assert.Contains(mentioned, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NullOptions_UsesDefault()
        => Assert.Same(TransformOptions.Default, new LogpushCsvTransformer().Options);

    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    private sealed class SteppingTimeProvider(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp()
        {
            var now = _ticks;
            _ticks += step.Ticks;
            return now;
        }
    }
}
