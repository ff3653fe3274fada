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

    [Theory]
    [InlineData("Cannot parse argument 'lots' for option '--batch-size' as expected type 'System.Int32'.", "--batch-size: 'lots' is not a whole number (see --help).")]
    [InlineData("Cannot parse argument 'x' for option '--max-upload-bytes' as expected type 'System.Nullable`1[System.Int64]'.", "--max-upload-bytes: 'x' is not a whole number (see --help).")]
    [InlineData("Cannot parse argument 'abc' for option '--sample-rate' as expected type 'System.Nullable`1[System.Double]'.", "--sample-rate: 'abc' is not a number (see --help).")]
    [InlineData("Cannot parse argument 'soon' for option '--max-lag' as expected type 'System.TimeSpan'.", "--max-lag: 'soon' is not a duration (see --help).")]
    [InlineData("Unrecognized command or argument 'x'.", "Unrecognized command or argument 'x'.")]
    public void ParseError_TypeNames_BecomeWhatTheValueShouldBe(string message, string expected)
        => Assert.Equal(expected, CliText.ParseError(message));

    [Fact]
    public void ForUser_ControlCharacters_EscapedOnOneLine()
        => Assert.Equal(@"failed a\nb\u001b[31m: bad", CliText.ForUser("failed a\nb\u001b[31m: bad"));
}
