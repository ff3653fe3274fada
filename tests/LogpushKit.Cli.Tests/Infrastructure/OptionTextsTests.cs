using System.Text.RegularExpressions;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Infrastructure;

/// <summary>
/// What the help and the usage errors say about option values agrees with what the parser does: ranges, size suffixes,
/// memory, and the quarantine record of an over-long line.
/// </summary>
public sealed partial class OptionTextsTests
{
    private static readonly string SampleData = Path.Combine(RepositoryLayout.Root, "samples", "data");

    /// <summary>The help text with its line wrapping undone.</summary>
    private static string Flat(string help) => Whitespace().Replace(help, " ");

    [Fact]
    public async Task Run_ConcurrencyNotANumber_UsageErrorNamesTheFlagAndItsRange()
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path, "--concurrency", "lots");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("logpushkit: --concurrency: 'lots' is not a whole number; give 1 to 256.", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(output.Path, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("--batch-size", "lots", "--batch-size: 'lots' is not a whole number (see --help).")]
    [InlineData("--visibility-timeout", "soon", "--visibility-timeout: 'soon' is not a whole number (see --help).")]
    public async Task Consume_NumberOptionNotANumber_UsageErrorWithoutTypeNames(string option, string value, string expected)
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("consume", "--queue-id", "q", "--source", SampleData, "--target", output.Path, option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("logpushkit: " + expected, run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--sample-rate", "abc", "--sample-rate: 'abc' is not a number (see --help).")]
    [InlineData("--max-upload-bytes", "x", "--max-upload-bytes: 'x' is not a whole number (see --help).")]
    public async Task JobsCreate_NumberOptionNotANumber_UsageErrorNotACrash(string option, string value, string expected)
    {
        // the command's own range checks read these values: on one that did not parse, that ended the process (exit 134)
        var run = await CliProcess.RunAsync("jobs", "create", "--dataset", "http_requests", "--destination", "r2://logs/x", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("logpushkit: " + expected, run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("consume")]
    public async Task Help_ConcurrencyAndIoBudget_NameTheRangeAndEverySuffixTheParserTakes(string command)
    {
        var help = Flat((await CliProcess.RunAsync(command, "--help")).StandardOutput);

        Assert.Contains("Objects converted at once, 1-256.", help, StringComparison.Ordinal);
        Assert.Contains("A number with an optional K, M, G or T suffix (powers of 1024). Default 64M;", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ConsumeIoBudget_TellsOfQueuedObjectsNotOfAFoldersReadAhead()
    {
        var consume = Flat((await CliProcess.RunAsync("consume", "--help")).StandardOutput);
        var run = Flat((await CliProcess.RunAsync("run", "--help")).StandardOutput);

        Assert.Contains("The bytes that queued objects in flight beyond --concurrency may hold", consume, StringComparison.Ordinal);
        Assert.Contains("each pull asks for as many messages as may start", consume, StringComparison.Ordinal);
        Assert.DoesNotContain("reading ahead", consume, StringComparison.Ordinal);
        Assert.Contains("between local folders reading ahead", run, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ConvertAndTopLevel_SayMemoryIsBoundedByTheLongestLine()
    {
        foreach (var args in new[] { new[] { "convert", "--help" }, ["--help"] })
        {
            var help = Flat((await CliProcess.RunAsync(args)).StandardOutput);

            Assert.DoesNotContain("constant memory", help, StringComparison.Ordinal);
            Assert.Contains("streaming in memory bounded by the longest line", help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_OnBadLineAndMaxLineBytes_SayAnOverlongLineKeepsOnlyItsFirstKiB()
    {
        var help = Flat((await CliProcess.RunAsync("convert", "--help")).StandardOutput);

        Assert.Contains("a line longer than --max-line-bytes keeps only its first KiB and is marked truncated", help, StringComparison.Ordinal);
        Assert.Contains("quarantined, only its first KiB is kept, marked truncated, with its length", help, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
