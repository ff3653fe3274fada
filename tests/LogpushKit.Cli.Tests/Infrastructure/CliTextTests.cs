using LogpushKit.Cli.Infrastructure;

namespace LogpushKit.Cli.Tests.Infrastructure;

public sealed class CliTextTests
{
    [Theory]
    [InlineData("Fields names the column 'Fields' twice. (Parameter 'options')", "--fields names the column 'Fields' twice.")]
    [InlineData("x.log.gz: the data exceeds the limit of 5 bytes (MaxDecompressedBytes); a bomb", "x.log.gz: the data exceeds the limit of 5 bytes (--max-output-bytes); a bomb")]
    [InlineData("line longer than MaxLineBytes (4194304 bytes)", "line longer than --max-line-bytes (4194304 bytes)")]
    [InlineData("name them with TimestampFields.", "name them with --timestamp-fields.")]
    [InlineData("Dataset/x.log.gz: truncated", "Dataset/x.log.gz: truncated")] // a key, not an option
    [InlineData("see Fields.csv", "see Fields.csv")]
    [InlineData(@"C:\data\in.log.gz: not found", @"C:\data\in.log.gz: not found")]
    public void ForUser_OptionNamesOutsideQuotesBecomeFlags(string message, string expected)
        => Assert.Equal(expected, CliText.ForUser(message));

    [Fact]
    public void ForUser_ControlCharacters_EscapedOnOneLine()
        => Assert.Equal(@"failed a\nb\u001b[31m: bad", CliText.ForUser("failed a\nb\u001b[31m: bad"));
}
