using System.Diagnostics;
using System.Text;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>logpushkit convert</c> off the happy path, through the real process: an output that is the input, a reader that
/// goes away, mistakes named in the user's terms, and nothing left behind by a failed run.
/// </summary>
public sealed class ConvertSafetyTests : IDisposable
{
    private const string Ndjson = "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("same path")]
    [InlineData("other spelling")]
    [InlineData("symbolic link")]
    [InlineData("hard link")]
    public async Task Convert_OutputIsTheInput_UsageErrorAndSourceUntouched(string how)
    {
        if (OperatingSystem.IsWindows() && how.EndsWith("link", StringComparison.Ordinal))
        {
            return; // links need privileges there
        }

        var input = _dir.WriteGzip("x.log.gz", Ndjson);
        var original = await File.ReadAllBytesAsync(input);
        var output = how switch
        {
            "same path" => input,
            "other spelling" => Path.Combine(_dir.Path, ".", "x.log.gz"),
            "symbolic link" => File.CreateSymbolicLink(_dir.File("link.log.gz"), input).FullName,
            _ => HardLink(input, _dir.File("hard.log.gz")),
        };

        var run = await CliProcess.RunAsync("convert", input, "-o", output);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--output", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("is the input itself", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllBytesAsync(input));
        Assert.DoesNotContain(_dir.FileNames(), n => n.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Convert_QuarantineIsTheInput_UsageErrorAndSourceUntouched()
    {
        var input = _dir.WriteGzip("x.log.gz", Ndjson);
        var original = await File.ReadAllBytesAsync(input);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--on-bad-line", "quarantine", "--quarantine", input);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--quarantine", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllBytesAsync(input));
        Assert.False(File.Exists(_dir.File("out.csv")));
    }

    [Fact]
    public async Task Convert_StdoutReaderGoesAway_StopsAtTheBrokenPipeWithExit141()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // EPIPE and exit 141 are the POSIX convention
        }

        // ~30 MB of CSV: far more than a pipe buffer, so the CLI is still writing when the reader closes
        var records = new StringBuilder();
        for (var i = 0; i < 300_000; i++)
        {
            records.Append("{\"a\":").Append(i).Append(",\"b\":\"").Append('x', 80).Append("\"}\n");
        }

        var input = _dir.WriteGzip("big.log.gz", records.ToString());
        using var process = CliProcess.Start(["convert", input, "-o", "-"]);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var head = new byte[4096];
        await process.StandardOutput.BaseStream.ReadExactlyAsync(head);
        await process.StandardOutput.BaseStream.DisposeAsync(); // the reader goes away, as `| head` does

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(141, process.ExitCode);
        var error = await stderr;
        Assert.Contains("broken pipe", error, StringComparison.Ordinal);
        Assert.DoesNotContain("converted", error, StringComparison.Ordinal);
        Assert.StartsWith("a,b\n0,", Encoding.UTF8.GetString(head), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_FolderAsInput_SaysItIsAFolderNotAccessDenied()
    {
        Directory.CreateDirectory(_dir.File("logs"));

        var run = await CliProcess.RunAsync("convert", _dir.File("logs"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is a folder, not a file", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", run.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Convert_OutputInMissingFolder_NamesTheTargetNotTheTemporaryFile()
    {
        var input = _dir.WriteGzip("x.log.gz", Ndjson);
        var target = Path.Combine(_dir.Path, "missing", "out.csv");

        var run = await CliProcess.RunAsync("convert", input, "-o", target);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(target, run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_OutputIsAFolder_UsageErrorAndNoQuarantineLeft()
    {
        var input = _dir.WriteGzip("x.log.gz", "{\"a\":1}\nnot json\n");
        Directory.CreateDirectory(_dir.File("out.csv"));

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--on-bad-line", "quarantine");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--output", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["x.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_LimitExceeded_ErrorNamesTheFlagNotTheProperty()
    {
        var input = _dir.WriteGzip("x.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--max-output-bytes", "5");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("--max-output-bytes", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("MaxDecompressedBytes", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_OptionTheLibraryRefuses_MessageNamesFlagsNotProperties()
    {
        var input = _dir.WriteGzip("x.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "--dataset", "nope", "--timestamps", "unix");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "logpushkit: --dataset 'nope' is not in the dataset catalog, so its timestamp fields are unknown; name them with --timestamp-fields.\n",
            run.StandardError);
    }

    [Fact]
    public async Task Convert_FileNameWithControlCharacters_PrintedEscaped()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows file names cannot hold control characters
        }

        var input = _dir.WriteGzip("evil\n\u001b[31mname.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("evil\\n\\u001b[31mname.log.gz", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.StandardError);
        Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string HardLink(string existing, string link)
    {
        using var ln = Process.Start("ln", [existing, link]);
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
        return link;
    }
}
