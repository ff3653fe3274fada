using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>logpushkit convert --timestamps</c> through the real process: only known names or an explicit custom pattern.</summary>
public sealed class ConvertTimestampsTests : IDisposable
{
    private const string Ndjson = "{\"When\":1724219319,\"Other\":1724219319}\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("iso8601", "did you mean rfc3339?")]
    [InlineData("unix_ms", "did you mean unixms?")]
    [InlineData("rfc3399", "did you mean rfc3339?")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "custom:yyyy-MM-dd HH:mm:ss")]
    [InlineData("custom:", "no pattern after 'custom:'")]
    public async Task Convert_UnknownTimestampFormat_ExitsTwoWithASuggestionAndWritesNothing(string format, string suggestion)
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--timestamps", format, "--timestamp-fields", "When");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--timestamps: '{format}'", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(suggestion, run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Theory]
    [InlineData("custom:yyyy-MM-dd HH:mm:ss", "2024-08-21 05:48:39")]
    [InlineData("custom:dd.MM.yyyy", "21.08.2024")]
    [InlineData("RFC3339", "2024-08-21T05:48:39Z")]
    [InlineData("unixms", "1724219319000")]
    public async Task Convert_KnownNameOrCustomPattern_ConvertsTheTimestampFields(string format, string expected)
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "--timestamps", format, "--timestamp-fields", "When", "-q");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"When,Other\n{expected},1724219319\n", run.StandardOutput);
    }

    [Fact]
    public async Task Help_Convert_DocumentsTheCustomForm()
    {
        var run = await CliProcess.RunAsync("convert", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("custom:<.NET date/time pattern>", run.StandardOutput, StringComparison.Ordinal);
    }
}
