using LogpushKit.Transform;

namespace LogpushKit.Tests.Transform;

public sealed class TransformOptionsTextTests
{
    [Theory]
    [InlineData("rfc3339", TimestampOutputFormat.Rfc3339, null)]
    [InlineData("RFC3339MS", TimestampOutputFormat.Rfc3339Ms, null)]
    [InlineData(" unix ", TimestampOutputFormat.Unix, null)]
    [InlineData("unixms", TimestampOutputFormat.UnixMs, null)]
    [InlineData("UnixNano", TimestampOutputFormat.UnixNano, null)]
    [InlineData("custom:yyyy-MM-dd HH:mm:ss", TimestampOutputFormat.Custom, "yyyy-MM-dd HH:mm:ss")]
    [InlineData("Custom:dd.MM.yyyy", TimestampOutputFormat.Custom, "dd.MM.yyyy")]
    [InlineData("custom:o", TimestampOutputFormat.Custom, "o")]
    public void TryParseTimestampFormat_NamesAndCustomPatterns_Parse(string text, TimestampOutputFormat expected, string? pattern)
    {
        Assert.True(TransformOptionsText.TryParseTimestampFormat(text, out var format, out var custom, out var error), error);
        Assert.Equal((expected, pattern), (format, custom));
    }

    [Theory]
    [InlineData("iso8601", "'iso8601' is not a timestamp format (did you mean rfc3339?)")]
    [InlineData("unix_ms", "'unix_ms' is not a timestamp format (did you mean unixms?)")]
    [InlineData("UNIX-NANO", "'UNIX-NANO' is not a timestamp format (did you mean unixnano?)")]
    [InlineData("rfc3399", "'rfc3399' is not a timestamp format (did you mean rfc3339?)")]
    [InlineData("unixx", "'unixx' is not a timestamp format (did you mean unix?)")]
    [InlineData("epoch", "'epoch' is not a timestamp format (did you mean unix?)")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "'yyyy-MM-dd HH:mm:ss' is not a timestamp format (a .NET date/time pattern is written custom:yyyy-MM-dd HH:mm:ss)")]
    [InlineData("banana", "'banana' is not a timestamp format; give rfc3339")]
    [InlineData("", "'' is not a timestamp format; give rfc3339")]
    [InlineData("custom:", "'custom:' has no pattern after 'custom:'")]
    [InlineData("custom:%", "'%' is not a valid .NET custom date/time pattern")]
    public void TryParseTimestampFormat_AnythingElse_IsAnErrorNeverAPattern(string text, string expected)
    {
        Assert.False(TransformOptionsText.TryParseTimestampFormat(text, out _, out var custom, out var error));
        Assert.Null(custom);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(",", ',')]
    [InlineData(";", ';')]
    [InlineData("|", '|')]
    [InlineData(" ", ' ')]
    [InlineData("tab", '\t')]
    [InlineData("TAB", '\t')]
    [InlineData("\\t", '\t')]
    [InlineData("\t", '\t')]
    public void TryParseDelimiter_OneAsciiCharacterOrTab_Parses(string text, char expected)
    {
        Assert.True(TransformOptionsText.TryParseDelimiter(text, out var delimiter, out var error), error);
        Assert.Equal(expected, delimiter);
    }

    [Theory]
    [InlineData("ab", "'ab' is not a usable delimiter")]
    [InlineData("\"", "'\"' is not a usable delimiter")]
    [InlineData("\r", "'\\r' is not a usable delimiter")]
    [InlineData("é", "'é' is not a usable delimiter")]
    [InlineData("", "'' is not a usable delimiter")]
    [InlineData(null, "'' is not a usable delimiter")]
    public void TryParseDelimiter_AnythingElse_IsAnErrorQuotingTheValue(string? text, string expected)
    {
        Assert.False(TransformOptionsText.TryParseDelimiter(text, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto", LogpushInputFormat.Auto)]
    [InlineData("NDJSON", LogpushInputFormat.Ndjson)]
    [InlineData(" csv ", LogpushInputFormat.Csv)]
    public void TryParseInputFormat_Names_Parse(string text, LogpushInputFormat expected)
    {
        Assert.True(TransformOptionsText.TryParseInputFormat(text, out var format, out _));
        Assert.Equal(expected, format);
    }

    [Theory]
    [InlineData("auto", LogpushTimestampFormat.Auto)]
    [InlineData("unix", LogpushTimestampFormat.Unix)]
    [InlineData("UnixNano", LogpushTimestampFormat.UnixNano)]
    [InlineData("rfc3339", LogpushTimestampFormat.Rfc3339)]
    [InlineData("rfc3339ms", LogpushTimestampFormat.Rfc3339)]
    [InlineData("rfc3339ns", LogpushTimestampFormat.Rfc3339)]
    public void TryParseTimestampInput_LogpushNames_Parse(string text, LogpushTimestampFormat expected)
    {
        Assert.True(TransformOptionsText.TryParseTimestampInput(text, out var format, out _));
        Assert.Equal(expected, format);
    }

    [Theory]
    [InlineData("fail", BadLinePolicy.Fail)]
    [InlineData("Skip", BadLinePolicy.Skip)]
    [InlineData("QUARANTINE", BadLinePolicy.Quarantine)]
    public void TryParseBadLinePolicy_Names_Parse(string text, BadLinePolicy expected)
    {
        Assert.True(TransformOptionsText.TryParseBadLinePolicy(text, out var policy, out _));
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void TryParseNames_UnknownOrNumeric_AreErrorsListingTheNames()
    {
        Assert.False(TransformOptionsText.TryParseInputFormat("xml", out _, out var format));
        Assert.Equal("'xml' is not an input format; give auto, ndjson, csv.", format);
        Assert.False(TransformOptionsText.TryParseTimestampInput("unix_ms", out _, out var input));
        Assert.Equal("'unix_ms' is not a Logpush timestamp format; give auto, unix, unixnano, rfc3339, rfc3339ms, rfc3339ns.", input);
        Assert.False(TransformOptionsText.TryParseBadLinePolicy("2", out _, out var policy));
        Assert.Equal("'2' is not a bad-line policy; give fail, skip, quarantine.", policy);
    }

    [Theory]
    [InlineData("utc", "UTC")]
    [InlineData("Z", "UTC")]
    [InlineData("Europe/Berlin", "Europe/Berlin")]
    public void TryParseTimeZone_UtcAndIanaIds_Parse(string text, string id)
    {
        Assert.True(TransformOptionsText.TryParseTimeZone(text, out var zone, out _));
        Assert.Equal(id, zone.Id == TimeZoneInfo.Utc.Id ? "UTC" : zone.Id);
    }

    [Fact]
    public void TryParseTimeZone_LocalAndUnknown()
    {
        Assert.True(TransformOptionsText.TryParseTimeZone("LOCAL", out var local, out _));
        Assert.Same(TimeZoneInfo.Local, local);
        Assert.False(TransformOptionsText.TryParseTimeZone("Mars/Olympus_Mons", out _, out var error));
        Assert.StartsWith("'Mars/Olympus_Mons' is not a known time zone", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("1048576", 1048576L)]
    [InlineData("64K", 64L << 10)]
    [InlineData("64kb", 64L << 10)]
    [InlineData("512 MiB", 512L << 20)]
    [InlineData("8G", 8L << 30)]
    [InlineData("2T", 2L << 40)]
    public void TryParseByteSize_BinaryMultiples_Parse(string text, long expected)
    {
        Assert.True(TransformOptionsText.TryParseByteSize(text, out var bytes, out _));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("K")]
    [InlineData("5Q")]
    [InlineData("1.5G")]
    [InlineData("99999999999999999999")]
    [InlineData("9000000T")]
    public void TryParseByteSize_Others_AreErrors(string text)
    {
        Assert.False(TransformOptionsText.TryParseByteSize(text, out _, out var error));
        Assert.Equal($"'{text}' is not a positive size; give e.g. 1048576, 512K, 64M or 8G.", error);
    }

    [Theory]
    [InlineData("8X")]
    [InlineData("lots")]
    [InlineData("0")]
    public void TryParseMaxLineBytes_NotASize_EveryExampleItGivesIsAccepted(string text)
    {
        Assert.False(TransformOptionsText.TryParseMaxLineBytes(text, out _, out var error));

        var examples = System.Text.RegularExpressions.Regex.Match(error, @"give e\.g\. (?<list>.+?) \(").Groups["list"].Value.Split([", ", " or "], StringSplitOptions.None);
        Assert.Equal(4, examples.Length);
        Assert.All(examples, example => Assert.True(TransformOptionsText.TryParseMaxLineBytes(example, out _, out _), $"{example} (from: {error})"));
    }

    [Fact]
    public void TryParseMaxLineBytes_FitsAnInt()
    {
        Assert.True(TransformOptionsText.TryParseMaxLineBytes("4M", out var bytes, out _));
        Assert.Equal(4 << 20, bytes);
        Assert.False(TransformOptionsText.TryParseMaxLineBytes("2G", out _, out var error));
        Assert.Equal("'2G' is more than the largest line size, 536870912 bytes.", error);
    }

    [Fact]
    public void TryParseFieldList_ItemsAndCommasGiveOneList()
    {
        Assert.True(TransformOptionsText.TryParseFieldList(["a, b", "c", " ,d"], out var fields, out _));
        Assert.Equal(["a", "b", "c", "d"], fields);
        Assert.False(TransformOptionsText.TryParseFieldList(["a,b", "a"], out _, out var twice));
        Assert.Equal("'a' is given twice.", twice);
        Assert.False(TransformOptionsText.TryParseFieldList([",", " "], out _, out var none));
        Assert.StartsWith("names no field", none, StringComparison.Ordinal);
    }

    [Fact]
    public void RenameOptions_ReplacesOnlyOptionPropertyNames()
    {
        var text = TransformOptionsText.RenameOptions(
            "TimestampOutput needs TimestampFields or a Dataset (Fields: None; Delimiter)",
            name => name switch { "TimestampOutput" => "--timestamps", "TimestampFields" => "--timestamp-fields", "Fields" => "--fields", _ => null });
        Assert.Equal("--timestamps needs --timestamp-fields or a Dataset (--fields: None; Delimiter)", text);
    }
}
