using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>run --watch</c> through the real process: an object that keeps failing is given up, not retried forever.</summary>
public sealed class WatchGiveUpTests
{
    [Fact]
    public async Task RunWatch_BadFiles_EachGivenUpOnceFailuresBoundedFixedFileConvertedExitNonZero()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(source);

        using var process = Process.Start(NothingSilentStorageTests.StartInfo(["run", "--source", source, "--target", target, "--watch", "--max-attempts", "2"], honourFilePermissions: false, null))!;
        var stderr = new StderrLines(process, "watching");
        try
        {
            await stderr.Seen.WaitAsync(TimeSpan.FromSeconds(30));
            var whole = PipelineTestData.Gzip(PipelineTestData.Ndjson(50));
            for (var i = 1; i <= 3; i++)
            {
                // a gzip stream cut short: bad data on every attempt
                await File.WriteAllBytesAsync(Path.Combine(source, $"bad{i}.log.gz"), whole[..(whole.Length / 2)]);
            }

            // debounce 1 s, first attempt, retry after 1 s, second attempt: given up
            var deadline = Stopwatch.StartNew();
            while (GaveUp(stderr.Text) < 3 && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }

            Assert.True(GaveUp(stderr.Text) == 3, stderr.Text);
            await Task.Delay(TimeSpan.FromSeconds(3)); // nothing is tried again while the files stay as they are

            await File.WriteAllBytesAsync(Path.Combine(source, "bad2.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
            var fixedCsv = Path.Combine(target, "bad2.csv");
            while (!File.Exists(fixedCsv) && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }

            Assert.True(File.Exists(fixedCsv), "the rewritten file was not converted:\n" + stderr.Text);
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var printed = stderr.Text;

            Assert.True(process.ExitCode == 3, printed); // every failure was bad data
            Assert.Equal(3, GaveUp(printed));
            foreach (var name in new[] { "bad1.log.gz", "bad2.log.gz", "bad3.log.gz" })
            {
                Assert.Single(Regex.Matches(printed, $"gave up on {Regex.Escape(name)} after 2 failed attempts"));
            }

            Assert.Contains("1 converted", printed, StringComparison.Ordinal);
            // per object: bad2 was rewritten and converted, so it is neither failed nor given up any more; 6 attempts failed
            Assert.Contains("2 failed (2 given up until their files change; 6 failed attempts)", printed, StringComparison.Ordinal);
            Assert.Empty(Regex.Matches(printed, "logpushkit: failed bad2\\.log\\.gz: "));
            foreach (var name in new[] { "bad1.log.gz", "bad3.log.gz" })
            {
                Assert.Single(Regex.Matches(printed, $"logpushkit: failed {Regex.Escape(name)}: "));
            }
            Assert.Equal(PipelineTestData.ExpectedCsv(2), await File.ReadAllTextAsync(fixedCsv));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task RunWatch_BadFilesThereAtTheStartWithPasses_EachGivenUpOnceAfterItsAttemptsAndNotRetriedByThePasses()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(source);
        var whole = PipelineTestData.Gzip(PipelineTestData.Ndjson(50));
        for (var i = 1; i <= 2; i++)
        {
            var path = Path.Combine(source, $"bad{i}.log.gz");
            await File.WriteAllBytesAsync(path, whole[..(whole.Length / 2)]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        }

        using var process = Process.Start(NothingSilentStorageTests.StartInfo(["run", "--source", source, "--target", target, "--watch", "--interval", "1", "--max-attempts", "2"], honourFilePermissions: false, null))!;
        var stderr = new StderrLines(process, "watching");
        try
        {
            // the first pass is attempt 1, the watcher's retry after 1 s attempt 2: given up
            var deadline = Stopwatch.StartNew();
            while (GaveUp(stderr.Text) < 2 && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }

            Assert.True(GaveUp(stderr.Text) == 2, stderr.Text);
            await Task.Delay(TimeSpan.FromSeconds(3)); // passes every second: none tries them again
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var printed = stderr.Text;

            Assert.True(process.ExitCode == 3, printed);
            foreach (var name in new[] { "bad1.log.gz", "bad2.log.gz" })
            {
                Assert.Single(Regex.Matches(printed, $"gave up on {Regex.Escape(name)} after 2 failed attempts"));
            }

            Assert.Contains("2 failed (2 given up until their files change; 4 failed attempts)", printed, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static int GaveUp(string text) => Regex.Matches(text, "logpushkit: gave up on ").Count;
}
