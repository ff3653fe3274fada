using System.Diagnostics;
using System.Text;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>logpushkit convert</c> through the real process: exit codes, stdout/stderr, files left behind.</summary>
public sealed class ConvertCommandTests : IDisposable
{
    // Two gateway_http-like records written the way Logpush (Go's encoding/json) writes them.
    private const string Ndjson =
        "{\"ClientIP\":\"192.0.2.1\",\"Host\":\"example.com\",\"Status\":200,\"Ratio\":1.50,\"Nanos\":1724219319123456789,\"Ok\":true,"
        + "\"Tags\":[\"a\",\"b\"],\"Meta\":{\"k\":\"v\"},\"Note\":\"say \\\"hi\\\", then\\nleave\",\"Html\":\"\\u003cb\\u003e \\u0026\",\"Gone\":null}\n"
        + "{\"Host\":\"例え.jp\",\"ClientIP\":\"2001:db8::1\",\"Status\":404,\"Ratio\":0,\"Nanos\":1,\"Ok\":false,"
        + "\"Tags\":[],\"Meta\":{},\"Note\":\"\",\"Html\":\"x\",\"Gone\":\"v\",\"Extra\":1}\n";

    private const string ExpectedCsv =
        "ClientIP,Host,Status,Ratio,Nanos,Ok,Tags,Meta,Note,Html,Gone\n"
        + "192.0.2.1,example.com,200,1.50,1724219319123456789,true,\"[\"\"a\"\",\"\"b\"\"]\",\"{\"\"k\"\":\"\"v\"\"}\",\"say \"\"hi\"\", then\nleave\",<b> &,\n"
        + "2001:db8::1,例え.jp,404,0,1,false,[],{},,x,v\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Convert_GzipNdjsonToFile_WritesExpectedCsvAndOneLineSummary()
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(ExpectedCsv, await File.ReadAllTextAsync(_dir.File("out.csv")));
        Assert.Empty(run.StandardOutputBytes);
        var summary = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("logpushkit: converted ", summary, StringComparison.Ordinal);
        Assert.Contains("2 records, 2 rows, 0 bad lines", summary, StringComparison.Ordinal);
        Assert.Contains("MB/s", summary, StringComparison.Ordinal);
        Assert.Equal(["in.log.gz", "out.csv"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_StdinToStdout_PipesCsv()
    {
        var run = await CliProcess.RunAsync(["convert", "-"], PipelineTestData.Gzip(Ndjson));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(ExpectedCsv, run.StandardOutput);
        Assert.Contains("converted stdin -> stdout", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_PlainNdjsonToDashOutput_WritesStdout()
    {
        var input = _dir.File("in.ndjson");
        await File.WriteAllTextAsync(input, Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "-o", "-");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(ExpectedCsv, run.StandardOutput);
    }

    [Fact]
    public async Task Convert_Quiet_PrintsNothingOnStderr()
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--quiet");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.StandardError);
        Assert.Equal(ExpectedCsv, await File.ReadAllTextAsync(_dir.File("out.csv")));
    }

    [Fact]
    public async Task Convert_FieldsTsvCrLfBomNoHeader_AppliesEveryOption()
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "--fields", "Status,Host", "--fields", "Missing", "--delimiter", "tab", "--crlf", "--bom", "--no-header", "-q");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal([0xEF, 0xBB, 0xBF], run.StandardOutputBytes.Take(3));
        Assert.Equal("200\texample.com\t\r\n404\t例え.jp\t\r\n", Encoding.UTF8.GetString(run.StandardOutputBytes, 3, run.StandardOutputBytes.Length - 3));
    }

    [Fact]
    public async Task Convert_TimestampsRfc3339InTimeZone_ConvertsNamedFields()
    {
        var input = _dir.WriteGzip("in.log.gz", "{\"When\":1724219319,\"Other\":1724219319}\n");

        var run = await CliProcess.RunAsync("convert", input, "--timestamps", "custom:yyyy-MM-dd HH:mm:ss", "--timestamp-fields", "When", "--time-zone", "Asia/Tokyo", "-q");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("When,Other\n2024-08-21 14:48:39,1724219319\n", run.StandardOutput);
    }

    [Fact]
    public async Task Convert_CsvInputWithFields_PassesRowsThroughUnderAHeader()
    {
        const string rows = "192.0.2.1,\"a, b\",200\n2001:db8::1,c,404\n";
        var input = _dir.WriteGzip("in.log.gz", rows);

        var run = await CliProcess.RunAsync("convert", input, "--fields", "ClientIP,Name,Status", "-q");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("ClientIP,Name,Status\n" + rows, run.StandardOutput);
    }

    [Fact]
    public async Task Convert_ExistingOutput_IsReplacedWhole()
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson);
        await File.WriteAllTextAsync(_dir.File("out.csv"), new string('x', 100_000));

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(ExpectedCsv, await File.ReadAllTextAsync(_dir.File("out.csv")));
        Assert.Equal(["in.log.gz", "out.csv"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_MalformedJsonLine_ExitsThreeNamingTheLineAndLeavesNoFile()
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson + "{\"ClientIP\": oops}\n");

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"));

        Assert.Equal(3, run.ExitCode);
        var message = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("logpushkit: bad input: ", message, StringComparison.Ordinal);
        Assert.Contains("line 3", message, StringComparison.Ordinal);
        Assert.Contains("in.log.gz", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_TruncatedGzip_ExitsThreeAndLeavesNoFile()
    {
        var gzip = PipelineTestData.Gzip(string.Concat(Enumerable.Repeat(Ndjson, 200)));
        await File.WriteAllBytesAsync(_dir.File("in.log.gz"), gzip.AsSpan(0, gzip.Length / 2).ToArray());

        var run = await CliProcess.RunAsync("convert", _dir.File("in.log.gz"), "-o", _dir.File("out.csv"));

        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith("logpushkit: bad input: ", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_FailureWithExistingOutput_LeavesTheOldFileUntouched()
    {
        var input = _dir.WriteGzip("in.log.gz", "{\"a\":1}\nnot json\n");
        await File.WriteAllTextAsync(_dir.File("out.csv"), "old\n");

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"));

        Assert.Equal(3, run.ExitCode);
        Assert.Equal("old\n", await File.ReadAllTextAsync(_dir.File("out.csv")));
        Assert.Equal(["in.log.gz", "out.csv"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_MaxOutputBytesExceeded_ExitsThree()
    {
        var input = _dir.WriteGzip("in.log.gz", string.Concat(Enumerable.Repeat(Ndjson, 100)));

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--max-output-bytes", "1K");

        Assert.Equal(3, run.ExitCode);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_QuarantinePolicy_WritesBadLinesBesideTheOutput()
    {
        var input = _dir.WriteGzip("in.log.gz", "{\"a\":1}\n{\"a\": nope}\n{\"a\":3}\n");

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--on-bad-line", "quarantine");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("a\n1\n3\n", await File.ReadAllTextAsync(_dir.File("out.csv")));
        Assert.Contains("3 records, 2 rows, 1 bad lines", run.StandardError, StringComparison.Ordinal);
        var quarantine = Assert.Single((await File.ReadAllTextAsync(_dir.File("out.csv.quarantine.ndjson"))).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var entry = System.Text.Json.JsonDocument.Parse(quarantine);
        Assert.Equal(2, entry.RootElement.GetProperty("line").GetInt64());
        Assert.Equal("{\"a\": nope}", entry.RootElement.GetProperty("raw").GetString());
        Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("reason").GetString()));
        Assert.Equal(["in.log.gz", "out.csv", "out.csv.quarantine.ndjson"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_QuarantineToChosenPath_WritesThereAndNowhereElse()
    {
        var input = _dir.WriteGzip("in.log.gz", "{\"a\":1}\nbroken\n");

        var run = await CliProcess.RunAsync(["convert", input, "--on-bad-line", "quarantine", "--quarantine", _dir.File("bad.ndjson"), "-q"], stdin: null);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("a\n1\n", run.StandardOutput);
        Assert.Contains("\"raw\":\"broken\"", await File.ReadAllTextAsync(_dir.File("bad.ndjson")), StringComparison.Ordinal);
        Assert.Equal(["bad.ndjson", "in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_SkipPolicy_CountsBadLines()
    {
        var run = await CliProcess.RunAsync(["convert", "-", "--on-bad-line", "skip"], Encoding.UTF8.GetBytes("{\"a\":1}\n{oops\n{\"a\":3}\n"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("a\n1\n3\n", run.StandardOutput);
        Assert.Contains("3 records, 2 rows, 1 bad lines", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_MissingInputFile_ExitsOneWithOneLine()
    {
        var run = await CliProcess.RunAsync("convert", _dir.File("absent.log.gz"), "-o", _dir.File("out.csv"));

        Assert.Equal(1, run.ExitCode);
        var message = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("absent.log.gz", message, StringComparison.Ordinal);
        Assert.Empty(_dir.FileNames());
    }

    [Theory]
    [InlineData("convert")]
    [InlineData("convert", "in.log.gz", "--bogus")]
    [InlineData("convert", "in.log.gz", "--delimiter", "ab")]
    [InlineData("convert", "in.log.gz", "--delimiter", "\"")]
    [InlineData("convert", "in.log.gz", "--input-format", "xml")]
    [InlineData("convert", "in.log.gz", "--on-bad-line", "ignore")]
    [InlineData("convert", "in.log.gz", "--timestamps", "rfc3339")]
    [InlineData("convert", "in.log.gz", "--timestamps", "rfc3399", "--timestamp-fields", "a")]
    [InlineData("convert", "in.log.gz", "--timestamps", "unix", "--timestamp-fields", "a", "--time-zone", "Mars/Olympus_Mons")]
    [InlineData("convert", "in.log.gz", "--time-zone", "utc")]
    [InlineData("convert", "in.log.gz", "--max-output-bytes", "12Q")]
    [InlineData("convert", "in.log.gz", "--max-output-bytes", "0")]
    [InlineData("convert", "in.log.gz", "--quarantine", "bad.ndjson")]
    [InlineData("convert", "in.log.gz", "--on-bad-line", "quarantine")]
    [InlineData("convert", "in.log.gz", "--fields", ",")]
    [InlineData("convert", "in.log.gz", "--fields", "a,a")]
    [InlineData("frobnicate")]
    public async Task Convert_UsageError_ExitsTwoWithoutTouchingFiles(params string[] args)
    {
        _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync(args, stdin: null, workingDirectory: _dir.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("logpushkit: ", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("--help", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(run.StandardOutputBytes);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_UnknownDataset_ExitsTwo()
    {
        var input = _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "--dataset", "no_such_dataset", "--timestamps", "rfc3339");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no_such_dataset", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ConvertCommand_DocumentsOptionsAndExitCodes()
    {
        var run = await CliProcess.RunAsync("convert", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("logpushkit convert <input> [options]", run.StandardOutput, StringComparison.Ordinal);
        // the exit codes are listed once, by the top-level help, which the command's description refers to
        Assert.Contains("the exit codes every command shares: see 'logpushkit --help'", run.StandardOutput, StringComparison.Ordinal);
        var top = await CliProcess.RunAsync("--help");
        Assert.Matches(@"(?m)^  3\s+bad input data: corrupt gzip, malformed line, size limit$", top.StandardOutput);
        foreach (var option in new[] { "--output", "--fields", "--no-header", "--dataset", "--input-format", "--delimiter", "--crlf", "--bom", "--timestamps", "--timestamp-fields", "--time-zone", "--on-bad-line", "--quarantine", "--escape-formulas", "--max-output-bytes", "--quiet" })
        {
            Assert.Contains(option, run.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Convert_DevNullOutput_WritesThroughWithoutReplacingTheDevice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /dev/null is a Linux (Unix) path; the CI runs on Linux
        }

        var input = _dir.WriteGzip("in.log.gz", Ndjson);

        var run = await CliProcess.RunAsync("convert", input, "-o", "/dev/null");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, new FileInfo("/dev/null").Length);
        Assert.DoesNotContain(Directory.GetFiles("/dev"), f => Path.GetFileName(f).StartsWith(".null.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Convert_CtrlC_ExitsWithCancelledCodeAndLeavesNoFile()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // SIGINT is sent with kill(1)
        }

        // stdin stays open, so the conversion is still running when the signal arrives.
        using var process = CliProcess.Start(["convert", "-", "-o", _dir.File("out.csv")]);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(PipelineTestData.Gzip(Ndjson).AsMemory(0, 20));
        await process.StandardInput.BaseStream.FlushAsync();
        var waited = Stopwatch.StartNew();
        while (!_dir.FileNames().Any(n => n.StartsWith(".out.csv.", StringComparison.Ordinal)) && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        Assert.Contains(_dir.FileNames(), n => n.StartsWith(".out.csv.", StringComparison.Ordinal) && n.EndsWith(".tmp", StringComparison.Ordinal));
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(130, process.ExitCode);
        Assert.Empty(_dir.FileNames());
        Assert.DoesNotContain("   at ", await stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_EverySampleObject_Succeeds()
    {
        var samples = Directory.GetFiles(Path.Combine(RepositoryLayout.Root, "samples", "data"), "*.log.gz", SearchOption.AllDirectories);
        Assert.NotEmpty(samples);

        foreach (var sample in samples)
        {
            var run = await CliProcess.RunAsync("convert", sample, "-o", _dir.File("sample.csv"));

            Assert.True(run.ExitCode == 0, $"{sample}: {run.StandardError}");
            Assert.Matches(@"converted .+: [0-9,]+ records, [0-9,]+ rows, 0 bad lines", run.StandardError);
            var lines = (await File.ReadAllTextAsync(_dir.File("sample.csv"))).Count(c => c == '\n');
            Assert.True(lines > 1, sample);
        }
    }
}
