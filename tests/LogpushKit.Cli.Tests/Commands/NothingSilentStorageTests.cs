using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LogpushKit.Testing;
using LogpushKit.Testing.Processes;
using LogpushKit.Testing.S3;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// Issue 10 through the real <c>logpushkit</c> process, for the storage and pipeline classes: a target that is the source,
/// two sources on one target, unreadable objects and FIFOs, leftovers of killed runs, two runs on one target.
/// </summary>
public sealed class NothingSilentStorageTests
{
    [Fact]
    public async Task Run_TemplateMapsEachObjectOntoItselfThroughALink_FailsAndLeavesTheSourceUntouched()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "d");
        Directory.CreateDirectory(Path.Combine(source, "gw"));
        var original = PipelineTestData.Gzip(Ndjson(3, "x"));
        await File.WriteAllBytesAsync(Path.Combine(source, "gw", "x.log.gz"), original);

        // the target names the source folder through a link, so only the buckets' identity shows they are one store
        var link = Path.Combine(folder.Path, "link");
        Directory.CreateSymbolicLink(link, source);

        var run = await RunAsync(["run", "--source", source, "--target", link, "--target-template", "{path}.log.gz"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is the source object 'gw/x.log.gz' itself", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllBytesAsync(Path.Combine(source, "gw", "x.log.gz")));
        Assert.Equal(["x.log.gz"], Directory.GetFiles(Path.Combine(source, "gw")).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public async Task Run_CaseVariantSourcesOnOneTarget_FailsNamingBothOnEveryRunAndNeverFlips()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(Path.Combine(source, "gw"));
        await File.WriteAllBytesAsync(Path.Combine(source, "gw", "x.log.gz"), PipelineTestData.Gzip(Ndjson(1, "lower")));
        await File.WriteAllBytesAsync(Path.Combine(source, "gw", "x.LOG.GZ"), PipelineTestData.Gzip(Ndjson(1, "upper")));

        var first = await RunAsync(["run", "--source", source, "--target", target, "--concurrency", "2"]);
        var kept = await File.ReadAllTextAsync(Path.Combine(target, "gw", "x.csv"));
        var second = await RunAsync(["run", "--source", source, "--target", target, "--concurrency", "2"]);

        foreach (var run in new[] { first, second })
        {
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("1 failed", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("'gw/x.log.gz'", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("'gw/x.LOG.GZ'", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("Two source objects map to target 'gw/x.csv'", run.StandardError, StringComparison.Ordinal);
        }

        Assert.Contains("1 converted", first.StandardError, StringComparison.Ordinal);
        Assert.Contains("0 converted", second.StandardError, StringComparison.Ordinal);
        Assert.Equal(kept, await File.ReadAllTextAsync(Path.Combine(target, "gw", "x.csv")));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Run_FolderWithAFifoAnUnreadableFileAndAnUnreadableFolder_ConvertsTheRestAndExitsNonZero()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        foreach (var key in new[] { "a/1.log.gz", "b/2.log.gz", "locked/3.log.gz", "c/secret.log.gz" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, key))!);
            await File.WriteAllBytesAsync(Path.Combine(source, key), PipelineTestData.Gzip(Ndjson(2, key)));
        }

        await ChildProcesses.MakeFifoAsync(Path.Combine(source, "b", "pipe.log.gz"));
        File.SetUnixFileMode(Path.Combine(source, "locked"), UnixFileMode.None);
        File.SetUnixFileMode(Path.Combine(source, "c", "secret.log.gz"), UnixFileMode.None);
        try
        {
            // as root the CLI runs without the permission override, so the modes above deny it (see ChildProcesses)
            var run = await RunAsync(["run", "--source", source, "--target", target], honourFilePermissions: true);

            Assert.Equal(1, run.ExitCode);
            Assert.Contains("2 converted", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("2 failed", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("failed c/secret.log.gz", run.StandardError, StringComparison.Ordinal);
            Assert.Contains("failed locked/", run.StandardError, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(target, "a", "1.csv")));
            Assert.True(File.Exists(Path.Combine(target, "b", "2.csv")));
            Assert.False(File.Exists(Path.Combine(target, "b", "pipe.csv")));
        }
        finally
        {
            File.SetUnixFileMode(Path.Combine(source, "locked"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Path.Combine(source, "c", "secret.log.gz"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task Run_AfterARunWasKilledMidWrite_RemovesItsStaleTempFileAndConvertsAgain()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(Path.Combine(source, "gw"));
        Directory.CreateDirectory(Path.Combine(target, "gw"));
        await WriteGzipNdjsonAsync(Path.Combine(source, "gw", "big.log.gz"), 4_000_000, "big");

        // kill -9 the first run once its temporary file has grown: that is the leftover a killed run leaves. The run takes
        // about a second and a half on an idle machine; the watch loop sleeps on its own thread rather than awaiting a timer,
        // so a busy thread pool (the other tests) cannot make it miss the run's whole write.
        using (var killed = Start(["run", "--source", source, "--target", target, "--quiet"]))
        {
            try
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                var grown = await Task.Factory.StartNew(
                    () =>
                    {
                        while (Directory.GetFiles(Path.Combine(target, "gw"), ".big.csv.*.tmp").Select(f => new FileInfo(f).Length).DefaultIfEmpty().Max() < 64 << 10)
                        {
                            if (DateTime.UtcNow >= deadline || killed.HasExited)
                            {
                                return false;
                            }

                            Thread.Sleep(2);
                        }

                        return true;
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default);
                Assert.True(grown, "the run finished or never wrote before it could be killed");
            }
            finally
            {
                killed.Kill(entireProcessTree: true);
                await killed.WaitForExitAsync();
            }
        }

        var leftovers = Directory.GetFiles(Path.Combine(target, "gw"), ".big.csv.*.tmp");
        Assert.NotEmpty(leftovers);
        Assert.False(File.Exists(Path.Combine(target, "gw", "big.csv")));
        foreach (var leftover in leftovers)
        {
            File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-2));
        }

        var fresh = Path.Combine(target, "gw", ".other.csv." + Guid.NewGuid().ToString("N") + ".tmp");
        await File.WriteAllTextAsync(fresh, "a put still running in another process");

        var run = await RunAsync(["run", "--source", source, "--target", target]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("1 converted", run.StandardError, StringComparison.Ordinal);
        Assert.EndsWith($"; {leftovers.Length} leftovers of interrupted puts removed", run.StandardError.TrimEnd('\n'), StringComparison.Ordinal);
        Assert.All(leftovers, l => Assert.False(File.Exists(l), l));
        Assert.True(File.Exists(fresh));
        Assert.Equal([".other.csv", "big.csv"], Directory.GetFiles(Path.Combine(target, "gw")).Select(p => Path.GetFileName(p)!)
            .Where(n => !n.EndsWith(".meta.json", StringComparison.Ordinal)).Select(n => n.StartsWith(".other.csv.", StringComparison.Ordinal) ? ".other.csv" : n).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Run_BucketTargetWithAStaleMultipartUploadOfAKilledRun_AbortsItAndOnlyIt()
    {
        await using var server = await S3StandInServer.StartAsync();
        var bucket = server.CreateBucket("cli");
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        Directory.CreateDirectory(Path.Combine(source, "gw"));
        await File.WriteAllBytesAsync(Path.Combine(source, "gw", "a.log.gz"), PipelineTestData.Gzip(Ndjson(2, "a")));
        using (var raw = new AmazonS3Client(new BasicAWSCredentials("STANDIN", "STANDIN"), new AmazonS3Config { ServiceURL = server.Endpoint.AbsoluteUri, ForcePathStyle = true, AuthenticationRegion = "auto" }))
        {
            foreach (var key in new[] { "siem/gw/killed.csv", "siem/gw/killed.csv.quarantine", "siem/gw/not-ours.json", "elsewhere/gw/killed.csv" })
            {
                await raw.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key });
            }
        }

        server.AgeUploads(bucket, TimeSpan.FromHours(3));
        using (var raw = new AmazonS3Client(new BasicAWSCredentials("STANDIN", "STANDIN"), new AmazonS3Config { ServiceURL = server.Endpoint.AbsoluteUri, ForcePathStyle = true, AuthenticationRegion = "auto" }))
        {
            await raw.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "siem/gw/running.csv" });
        }

        var run = await RunAsync(
            ["run", "--source", source, "--target", $"s3://{bucket}/siem/", "--endpoint", server.Endpoint.AbsoluteUri],
            environment: new() { ["AWS_ACCESS_KEY_ID"] = "STANDIN", ["AWS_SECRET_ACCESS_KEY"] = "STANDIN" });

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("; 2 leftovers of interrupted puts removed", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(
            ["elsewhere/gw/killed.csv", "siem/gw/not-ours.json", "siem/gw/running.csv"],
            server.Uploads(bucket).Select(u => u.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(1, server.WritesOf(bucket, "siem/gw/a.csv"));
    }

    [Fact]
    public async Task Run_TwoRunsAtOnceOnOneTarget_WriteEachTargetOnceAndBothSucceed()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(Path.Combine(source, "gw"));
        Directory.CreateDirectory(Path.Combine(target, "gw"));
        const int objects = 12;
        for (var i = 0; i < objects; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(source, "gw", $"{i:D2}.log.gz"), PipelineTestData.Gzip(Ndjson(20_000, $"o{i}")));
        }

        var renames = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var watcher = new FileSystemWatcher(Path.Combine(target, "gw")) { NotifyFilter = NotifyFilters.FileName, InternalBufferSize = 64 * 1024 };
        watcher.Renamed += (_, e) =>
        {
            if (e.Name is { } name && name.EndsWith(".csv", StringComparison.Ordinal))
            {
                renames.AddOrUpdate(name, 1, (_, n) => n + 1);
            }
        };
        watcher.EnableRaisingEvents = true;

        var runs = await Task.WhenAll(
            RunAsync(["run", "--source", source, "--target", target, "--concurrency", "2"]),
            RunAsync(["run", "--source", source, "--target", target, "--concurrency", "2"]));
        await Task.Delay(500);

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.StandardError));
        Assert.All(runs, r => Assert.Contains("0 failed", r.StandardError, StringComparison.Ordinal));
        Assert.All(runs, r => Assert.DoesNotContain("leftovers", r.StandardError, StringComparison.Ordinal)); // printed only when there were any
        var converted = runs.Sum(r => int.Parse(System.Text.RegularExpressions.Regex.Matches(r.StandardError, @"run: (\d+) converted")[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(objects, converted);
        Assert.Equal(objects, renames.Count);
        Assert.All(renames, r => Assert.Equal(1, r.Value));
    }

    private static Task<CliRun> RunAsync(string[] args, bool honourFilePermissions = false, Dictionary<string, string>? environment = null) =>
        RunProcessAsync(StartInfo(args, honourFilePermissions, environment));

    private static Process Start(string[] args) => Process.Start(StartInfo(args, false, null))!;

    /// <summary>The CLI process with only the environment the test gives (no bucket credentials of the machine); as root, optionally without the permission override.</summary>
    internal static ProcessStartInfo StartInfo(string[] args, bool honourFilePermissions, Dictionary<string, string>? environment)
    {
        var info = ChildProcesses.Dotnet(CliProcess.CliDll, args);

        // Only what the test sets: no R2_/AWS_ credentials of the machine running the tests.
        foreach (var name in CliProcess.BucketVariables)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }

        // Ctrl-C reaches the CLI as from a terminal, even when this test run was started with SIGINT ignored
        return ChildProcesses.WithDefaultInterrupt(honourFilePermissions ? ChildProcesses.HonourFilePermissions(info) : info);
    }

    private static async Task<CliRun> RunProcessAsync(ProcessStartInfo info)
    {
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var readErr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"logpushkit {string.Join(' ', info.ArgumentList)} did not finish within 120 s.");
        }

        await readOut;
        return new CliRun(process.ExitCode, stdout.ToArray(), await readErr);
    }

    private static string Ndjson(int rows, string tag)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < rows; i++)
        {
            builder.Append("{\"RayID\":\"").Append(tag).Append('-').Append(i).Append("\",\"EdgeResponseStatus\":").Append(200 + (i % 5)).Append("}\n");
        }

        return builder.ToString();
    }

    private static async Task WriteGzipNdjsonAsync(string path, int rows, string tag)
    {
        await using var file = File.Create(path);
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await using var writer = new StreamWriter(gzip, new UTF8Encoding(false), 1 << 16);
        for (var i = 0; i < rows; i++)
        {
            await writer.WriteAsync($"{{\"RayID\":\"{tag}-{i}\",\"EdgeResponseStatus\":{200 + (i % 5)}}}\n");
        }
    }
}
