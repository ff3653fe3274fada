using System.Diagnostics;
using LogpushKit.Testing;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Tests.Commands;

public sealed class RunCommandTests
{
    private static readonly string SampleData = Path.Combine(RepositoryLayout.Root, "samples", "data");

    [Fact]
    public async Task Run_SampleData_ConvertsEveryObjectExactlyAndPrintsSummary()
    {
        // README command one: logpushkit run --source samples/data --target <folder>
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync(["run", "--source", "samples/data", "--target", output.Path], stdin: null, workingDirectory: RepositoryLayout.Root);

        Assert.True(run.ExitCode == 0, run.StandardError);
        var sources = Directory.GetFiles(SampleData, "*.log.gz", SearchOption.AllDirectories);
        Assert.Equal(6, sources.Length);
        Assert.Contains("run: 6 converted", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("0 failed", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("MB/s", run.StandardError, StringComparison.Ordinal);
        var csvs = Directory.GetFiles(output.Path, "*.csv", SearchOption.AllDirectories);
        Assert.Equal(sources.Length, csvs.Length);
        foreach (var source in sources)
        {
            var relative = Path.GetRelativePath(SampleData, source);
            var target = Path.Combine(output.Path, relative[..^".log.gz".Length] + ".csv");
            Assert.Equal(await TransformAsync(source), await File.ReadAllBytesAsync(target));
        }

        Assert.True(File.Exists(Path.Combine(output.Path, "logs", "2024.08", "edge-zürich", "20240821", "20240821T054839Z_20240821T054841Z_a1f4ac10.csv")));
    }

    [Fact]
    public async Task Run_Twice_SecondRunSkipsEverythingAndChangesNothing()
    {
        using var output = new TempDirectory();
        var first = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path);
        Assert.Equal(0, first.ExitCode);
        var before = Snapshot(output.Path);

        var second = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path);

        Assert.Equal(0, second.ExitCode);
        Assert.Contains("0 converted", second.StandardError, StringComparison.Ordinal);
        Assert.Contains("6 up to date", second.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(output.Path));
    }

    [Fact]
    public async Task Run_Quiet_FileStillBeingWritten_IsStillReported_Exit0()
    {
        using var source = new TempDirectory();
        using var output = new TempDirectory();
        var growing = Path.Combine(source.Path, "growing.log.gz");
        await File.WriteAllBytesAsync(growing, PipelineTestData.Gzip("{\"a\":1}\n"));

        // a copy in progress: the file grows every 50 ms for the whole run
        using var stopWriting = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            while (!stopWriting.IsCancellationRequested)
            {
                await File.AppendAllTextAsync(growing, "more", CancellationToken.None);
                await Task.Delay(50, CancellationToken.None);
            }
        });
        CliRun run;
        try
        {
            run = await CliProcess.RunAsync("run", "--source", source.Path, "--target", output.Path, "-q");
        }
        finally
        {
            await stopWriting.CancelAsync();
            await writing;
        }

        // not a failure (the next run converts it), but not done: -q does not hide it
        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("1 still being written (run again)", run.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output.Path, "growing.csv")));
    }

    [Fact]
    public async Task Run_CorruptObject_FailsNamingKeyAndConvertsTheRest()
    {
        using var source = new TempDirectory();
        using var output = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(source.Path, "gw"));
        await File.WriteAllBytesAsync(Path.Combine(source.Path, "gw", "good.log.gz"), PipelineTestData.Gzip("{\"a\":1}\n"));
        var corrupt = PipelineTestData.Gzip(string.Concat(Enumerable.Repeat("{\"a\":12345}\n", 5000)));
        await File.WriteAllBytesAsync(Path.Combine(source.Path, "gw", "bad.log.gz"), corrupt[..(corrupt.Length / 2)]);

        var run = await CliProcess.RunAsync("run", "--source", source.Path, "--target", output.Path);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("failed gw/bad.log.gz", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("1 converted", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("1 failed", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["good.csv"], Directory.GetFiles(Path.Combine(output.Path, "gw"), "*.csv").Select(Path.GetFileName));
    }

    [Fact]
    public async Task Run_TimeWindowAndTemplate_ConvertsOnlyMatchingBatchesUnderTemplateKeys()
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync(
            "run", "--source", SampleData, "--target", output.Path, "--prefix", "gateway_http/",
            "--from", "2024-06-01T00:05:00Z", "--to", "2024-06-01T00:10:00Z", "--target-template", "{date}/{name}.csv", "--concurrency", "1");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(
            ["20240601/20240601T000500Z_20240601T000504Z_e2e067c0.csv"],
            Directory.GetFiles(output.Path, "*.csv", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output.Path, f).Replace('\\', '/')));
    }

    [Theory]
    [InlineData("--concurrency", "0")]
    [InlineData("--concurrency", "many")]
    [InlineData("--target-template", "{nope}.csv")]
    [InlineData("--from", "yesterday-ish")]
    [InlineData("--io-budget", "-1")]
    [InlineData("--io-budget", "lots")]
    public async Task Run_BadOption_UsageError(string option, string value)
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path, option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(option, run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(output.Path, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("0")] // documented: only --concurrency objects in flight (it was refused as "not a positive size")
    [InlineData("1M")]
    [InlineData("1T")] // the help names T with K, M, G: the size parser every size flag shares takes it
    public async Task Run_IoBudget_ZeroOrASize_ConvertsEveryObject(string budget)
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path, "--io-budget", budget, "--concurrency", "1");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("run: 6 converted", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(6, Directory.GetFiles(output.Path, "*.csv", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Run_MissingSourceFolder_UsageErrorNamingIt()
    {
        using var output = new TempDirectory();
        var missing = Path.Combine(output.Path, "nope");

        var run = await CliProcess.RunAsync("run", "--source", missing, "--target", output.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(missing, run.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task Run_SourceIsAFile_SaysItIsAFileNotThatTheFolderIsMissing()
    {
        using var temp = new TempDirectory();
        var file = temp.WriteGzip("x.log.gz", "{\"a\":1}\n");

        var run = await CliProcess.RunAsync("run", "--source", file, "--target", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--source: '{file}' is a file, not a folder", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FromAfterTo_UsageError()
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path, "--from", "2024-06-02", "--to", "2024-06-01");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--from", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("must be earlier than --to", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(output.Path, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("{path}.log.gz")]
    [InlineData("{file}")]
    [InlineData("{dir}/{name}.log.gz")]
    public async Task Run_TemplateWritingOverTheSources_RefusedAndSourcesUntouched(string template)
    {
        using var folder = new TempDirectory();
        Directory.CreateDirectory(folder.File("gw"));
        var source = folder.WriteGzip(Path.Combine("gw", "a.log.gz"), "{\"a\":1}\n");
        var original = await File.ReadAllBytesAsync(source);

        var run = await CliProcess.RunAsync("run", "--source", folder.Path, "--target", folder.Path, "--target-template", template);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--target-template", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("over their source objects", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllBytesAsync(source));
    }

    [Fact]
    public async Task Run_WatchFolderWithTimeWindow_UsageErrorInsteadOfIgnoringTheWindow()
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path, "--watch", "--from", "2024-06-01");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--from/--to", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ParseErrorQuotingControlCharacters_PrintedEscaped()
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path, "--concurrency", "2\u001b[2J\nforged");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("2\\u001b[2J\\nforged", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.StandardError);
        Assert.DoesNotContain(run.StandardError.Split('\n'), line => line.StartsWith("forged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_IntervalWithoutWatch_UsageError()
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunAsync("run", "--source", SampleData, "--target", output.Path, "--interval", "5");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--interval needs --watch", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Watch_ConvertsNewObjectsUntilInterrupted()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGINT delivery below is POSIX
        }

        using var source = new TempDirectory();
        using var output = new TempDirectory();
        await File.WriteAllBytesAsync(Path.Combine(source.Path, "first.log.gz"), PipelineTestData.Gzip("{\"a\":1}\n"));
        using var process = CliProcess.Start(["run", "--source", source.Path, "--target", output.Path, "--watch"]);
        var stderr = new StderrLines(process, "watching");
        try
        {
            await stderr.Seen.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(File.Exists(Path.Combine(output.Path, "first.csv")));

            Directory.CreateDirectory(Path.Combine(source.Path, "new", "20240601"));
            await File.WriteAllBytesAsync(Path.Combine(source.Path, "new", "20240601", "späť.log.gz"), PipelineTestData.Gzip("{\"b\":\"x,y\"}\n"));
            var second = Path.Combine(output.Path, "new", "20240601", "späť.csv");
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(second) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            Assert.Equal("b\n\"x,y\"\n", await File.ReadAllTextAsync(second));
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("2 converted", stderr.Text, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<byte[]> TransformAsync(string path)
    {
        await using var input = File.OpenRead(path);
        using var output = new MemoryStream();
        // run's defaults: the dataset a folder of the key names, else told from the first record; its catalog columns
        var dataset = Path.GetRelativePath(SampleData, path).Split(Path.DirectorySeparatorChar)
            .Reverse().Skip(1).FirstOrDefault(s => LogpushKit.Datasets.LogpushDatasetCatalog.Default.TryGet(s, null, out _)) ?? TransformOptions.AutoDataset;
        await new LogpushCsvTransformer(new TransformOptions { Dataset = dataset, DatasetColumns = true }).TransformAsync(input, output);
        return output.ToArray();
    }

    private static Dictionary<string, (DateTime, long)> Snapshot(string root)
        => Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => (File.GetLastWriteTimeUtc(f), new FileInfo(f).Length));
}
