using System.Diagnostics;
using LogpushKit.Testing;
using LogpushKit.Testing.Processes;
using LogpushKit.Testing.S3;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// Reconciles in real child processes (<c>LogpushKit.Tests.Child</c>): two processes racing on one target, and a process
/// that file permissions apply to (as root, through <see cref="ChildProcesses.HonourFilePermissions"/>).
/// </summary>
public sealed class LogpushReconcilerProcessTests
{
    private const int Objects = 16;

    [Fact]
    public async Task Reconcile_TwoProcessesOnOneFolderTarget_WriteEachTargetExactlyOnce()
    {
        using var folder = new TempDirectory("xproc-fs");
        var source = await WriteSourceAsync(folder.Path);
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(Path.Combine(target, "gw"));

        // Every write of a target is a rename of its temporary file into place: count those (independent of the children's own report).
        var renames = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var watcher = new FileSystemWatcher(Path.Combine(target, "gw")) { NotifyFilter = NotifyFilters.FileName, InternalBufferSize = 64 * 1024 };
        watcher.Renamed += (_, e) =>
        {
            if (e.Name is { } name && name.EndsWith(".csv", StringComparison.Ordinal))
            {
                renames.AddOrUpdate(name, 1, (_, n) => n + 1);
            }
        };
        watcher.EnableRaisingEvents = true;

        var summaries = await RaceAsync(folder.Path, source, target, environment: null);
        await WaitUntilStableAsync(() => renames.Values.Sum());

        Assert.Equal(Objects, summaries.Sum(s => s.Converted));
        Assert.Equal(Objects, summaries.Sum(s => s.Duplicates));
        Assert.Equal(0, summaries.Sum(s => s.Failed));

        // converted once, not just written once: the process that waited for a target's lock found it done and never read the source
        Assert.Equal(Objects, summaries.Sum(s => s.SourceReads));
        Assert.Equal(Enumerable.Range(0, Objects).Select(i => $"{i:D2}.csv"), renames.Keys.Order(StringComparer.Ordinal));
        Assert.All(renames, r => Assert.Equal(1, r.Value));
        for (var i = 0; i < Objects; i++)
        {
            Assert.Equal(PipelineTestData.ExpectedCsv(5_000, seed: i), await File.ReadAllTextAsync(Path.Combine(target, "gw", $"{i:D2}.csv")));
        }
    }

    [Fact]
    public async Task Reconcile_TwoProcessesOnOneBucketTargetWithConditionalWrites_WriteEachTargetExactlyOnce()
    {
        await using var server = await S3StandInServer.StartAsync();
        var bucket = server.CreateBucket("xproc");
        using var folder = new TempDirectory("xproc-s3");
        var source = await WriteSourceAsync(folder.Path);
        var environment = new Dictionary<string, string>
        {
            ["LOGPUSHKIT_TEST_S3_ENDPOINT"] = server.Endpoint.AbsoluteUri,
            ["AWS_ACCESS_KEY_ID"] = "STANDIN",
            ["AWS_SECRET_ACCESS_KEY"] = "STANDIN",
        };

        var summaries = await RaceAsync(folder.Path, source, "s3://" + bucket, environment);

        Assert.Equal(Objects, summaries.Sum(s => s.Converted));
        Assert.Equal(Objects, summaries.Sum(s => s.Duplicates));
        Assert.Equal(0, summaries.Sum(s => s.Failed));
        for (var i = 0; i < Objects; i++)
        {
            Assert.Equal(1, server.WritesOf(bucket, $"gw/{i:D2}.csv"));
        }

        Assert.Empty(server.Uploads(bucket));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Reconcile_UnreadableFileAndSubfolderAndAFifo_ConvertsTheRestAndCountsEachUnreadablePartAsFailed()
    {
        using var folder = new TempDirectory("perm");
        var source = Path.Combine(folder.Path, "src");
        foreach (var key in new[] { "a/1.log.gz", "b/2.log.gz", "locked/3.log.gz", "c/secret.log.gz" })
        {
            var path = Path.Combine(source, key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        }

        await ChildProcesses.MakeFifoAsync(Path.Combine(source, "b", "pipe.log.gz"));
        File.SetUnixFileMode(Path.Combine(source, "locked"), UnixFileMode.None);
        File.SetUnixFileMode(Path.Combine(source, "c", "secret.log.gz"), UnixFileMode.None);
        try
        {
            var target = Path.Combine(folder.Path, "out");
            var (exitCode, output, error) = await ChildProcesses.RunAsync(
                ChildProcesses.HonourFilePermissions(ChildProcesses.Child("reconcile", source, target, "--concurrency", "2")),
                TimeSpan.FromSeconds(60));

            Assert.True(exitCode == 0, output + error);
            var summary = ParseSummary(output);
            Assert.Equal((2, 2), (summary.Converted, summary.Failed));
            var failed = output.Split('\n').Where(l => l.StartsWith("result\tFailed\t", StringComparison.Ordinal)).Select(l => l.Split('\t')).ToArray();
            Assert.Equal(["c/secret.log.gz", "locked/"], failed.Select(f => f[2]).Order(StringComparer.Ordinal).ToArray());
            Assert.All(failed, f => Assert.Contains("denied", f[3], StringComparison.OrdinalIgnoreCase));
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

    private static async Task<string> WriteSourceAsync(string root)
    {
        var source = Path.Combine(root, "src");
        Directory.CreateDirectory(Path.Combine(source, "gw"));
        for (var i = 0; i < Objects; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(source, "gw", $"{i:D2}.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(5_000, seed: i)));
        }

        return source;
    }

    /// <summary>Starts two children on the same source and target, releases them together, and returns their summaries.</summary>
    private static async Task<Summary[]> RaceAsync(string root, string source, string target, IReadOnlyDictionary<string, string>? environment)
    {
        var go = Path.Combine(root, "go");
        var children = new List<Process>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var start = ChildProcesses.Child("reconcile", source, target, "--start-when", go, "--concurrency", "2");
                foreach (var (name, value) in environment ?? new Dictionary<string, string>())
                {
                    start.Environment[name] = value;
                }

                children.Add(Process.Start(start)!);
            }

            foreach (var child in children)
            {
                Assert.Equal("ready", await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            }

            await File.WriteAllTextAsync(go, "go");
            var outputs = await Task.WhenAll(children.Select(async c =>
            {
                var output = await c.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(120));
                var error = await c.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
                await c.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.True(c.ExitCode == 0, output + error);
                return output;
            }));
            return [.. outputs.Select(ParseSummary)];
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                }

                child.Dispose();
            }
        }
    }

    private static Summary ParseSummary(string output)
    {
        var line = output.Split('\n').Single(l => l.StartsWith("summary\t", StringComparison.Ordinal)).Split('\t');
        var numbers = line.Skip(1).Select(n => long.Parse(n, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new Summary(numbers[0], numbers[1], numbers[2], numbers[4]);
    }

    private static async Task WaitUntilStableAsync(Func<int> count)
    {
        var last = -1;
        for (var i = 0; i < 50; i++)
        {
            var now = count();
            if (now == last)
            {
                return;
            }

            last = now;
            await Task.Delay(200);
        }
    }

    private sealed record Summary(long Converted, long Duplicates, long Failed, long SourceReads);
}
