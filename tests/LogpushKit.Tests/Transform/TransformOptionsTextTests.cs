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
    [InlineData("", "is empty; give rfc3339")]
    [InlineData("custom:", "'custom:' has no pattern after 'custom:'")]
    [InlineData("custom:%", "'%' is not a valid .NET custom date/time pattern")]
    public void TryParseTimestampFormat_AnythingElse_IsAnErrorNeverAPattern(string text, string expected)
    {
        Assert.False(TransformOptionsText.TryParseTimestampFormat(text, out _, out var custom, out var error));
        Assert.Null(custom);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
