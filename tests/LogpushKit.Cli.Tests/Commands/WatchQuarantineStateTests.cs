using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>run --watch</c> through the real process with a state: an object the watch gives up on is quarantined in the state
/// (status: critical), a restarted watch does not try it again while the file is unchanged, and tries it once it changed.
/// </summary>
public sealed class WatchQuarantineStateTests
{
    [Fact]
    public async Task RunWatch_GivenUpObject_QuarantinedInTheStateNotRetriedByARestartedWatchUntilItChanges()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        var state = Path.Combine(folder.Path, "state", "state.db");
        var bad = Path.Combine(source, "a", "corrupt.log.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        var whole = PipelineTestData.Gzip(PipelineTestData.Ndjson(50));
        await File.WriteAllBytesAsync(bad, whole[..(whole.Length / 2)]); // a gzip stream cut short: bad data on every attempt
        File.SetLastWriteTimeUtc(bad, DateTime.UtcNow.AddMinutes(-5));
        string[] watch = ["run", "--source", source, "--target", target, "--state", state, "--watch", "--max-attempts", "2"];
        string[] status = ["status", "--source", source, "--target", target, "--state", state];

        // first watch: the first pass is attempt 1, the retry after 1 s attempt 2: given up
        var (exit, printed) = await WatchAsync(watch, until: "gave up on a/corrupt.log.gz", then: null);
        Assert.True(exit == 3, printed);
        Assert.Single(Regex.Matches(printed, "gave up on a/corrupt\\.log\\.gz after 2 failed attempts"));
        Assert.Single(Regex.Matches(printed, "logpushkit: failed a/corrupt\\.log\\.gz: ")); // one line per object, not per attempt
        Assert.Contains("0 converted, 0 skipped (0 up to date, 0 filtered, 0 missing), 1 failed (1 given up until their files change; 2 failed attempts)", printed, StringComparison.Ordinal);

        var checkedOnce = await CliProcess.RunAsync(status);
        Assert.True(checkedOnce.ExitCode == 11, checkedOnce.StandardOutput + checkedOnce.StandardError);
        Assert.Contains("QUARANTINED  a/corrupt.log.gz  (2 attempts", checkedOnce.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("quarantined_objects", checkedOnce.StandardOutput, StringComparison.Ordinal);

        // restarted: not tried again while unchanged (no attempt is recorded); rewritten good, it is converted
        var csv = Path.Combine(target, "a", "corrupt.csv");
        var attemptsWhileUnchanged = string.Empty;
        (exit, printed) = await WatchAsync(watch, until: "still quarantined: a/corrupt.log.gz", then: async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3)); // long enough for a first pass, an attempt, a retry and a give-up
            attemptsWhileUnchanged = (await CliProcess.RunAsync(status)).StandardOutput;
            await File.WriteAllBytesAsync(bad, PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(csv) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        });

        Assert.Contains("QUARANTINED  a/corrupt.log.gz  (2 attempts", attemptsWhileUnchanged, StringComparison.Ordinal);
        Assert.DoesNotContain("gave up on", printed, StringComparison.Ordinal);
        Assert.True(File.Exists(csv), "the rewritten file was not converted:\n" + printed);
        Assert.Equal(PipelineTestData.ExpectedCsv(2), await File.ReadAllTextAsync(csv));
        Assert.True(exit == 0, printed); // nothing is failing any more
        Assert.Contains("1 converted", printed, StringComparison.Ordinal);
        Assert.Contains(", 0 failed;", printed, StringComparison.Ordinal);
    }

    /// <summary>Starts a watch, waits for a line with <paramref name="until"/>, runs <paramref name="then"/>, stops it with SIGINT.</summary>
    private static async Task<(int Exit, string Stderr)> WatchAsync(string[] args, string until, Func<Task>? then)
    {
        using var process = Process.Start(NothingSilentStorageTests.StartInfo(args, honourFilePermissions: false, null))!;
        var stderr = new StderrLines(process, until);
        try
        {
            try
            {
                await stderr.Seen.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"no line with '{until}' within 30 s:\n{stderr.Text}");
            }

            if (then is not null)
            {
                await then();
            }

            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return (process.ExitCode, stderr.Text);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
