using System.Diagnostics;
using System.Globalization;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>run --watch</c> through the real process: the folder watcher's own failures count like failed objects.</summary>
public sealed class WatchFailureTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task RunWatch_FolderMovedInWithAnUnreadablePart_PrintedCountedAndExitsOne()
    {
        using var folder = new TempDirectory();
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(source);
        await File.WriteAllBytesAsync(Path.Combine(source, "first.log.gz"), PipelineTestData.Gzip("{\"a\":1}\n"));
        var moved = Path.Combine(folder.Path, "moved");
        Directory.CreateDirectory(Path.Combine(moved, "locked"));
        await File.WriteAllBytesAsync(Path.Combine(moved, "second.log.gz"), PipelineTestData.Gzip("{\"b\":2}\n"));
        await File.WriteAllBytesAsync(Path.Combine(moved, "locked", "third.log.gz"), PipelineTestData.Gzip("{\"c\":3}\n"));
        File.SetUnixFileMode(Path.Combine(moved, "locked"), UnixFileMode.None);

        // as root the CLI runs without the permission override, so the mode above denies it (see ChildProcesses)
        using var process = Process.Start(NothingSilentStorageTests.StartInfo(["run", "--source", source, "--target", target, "--watch"], honourFilePermissions: true, null))!;
        var stderr = new StderrLines(process, "watching");
        try
        {
            await stderr.Seen.WaitAsync(TimeSpan.FromSeconds(30));

            // a folder moved in makes the watcher scan the source; the scan cannot read moved/locked
            Directory.Move(moved, Path.Combine(source, "moved"));
            var second = Path.Combine(target, "moved", "second.csv");
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(second) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            Assert.True(File.Exists(second), "the readable object of the moved folder was not converted");
            await Task.Delay(500); // the scan reports the unreadable part after everything readable
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var printed = stderr.Text;

            Assert.True(process.ExitCode == 1, printed);
            Assert.Contains("failed moved/locked/: ", printed, StringComparison.Ordinal);
            Assert.Contains("2 converted", printed, StringComparison.Ordinal);
            Assert.Contains("1 failed", printed, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            var locked = Directory.Exists(Path.Combine(source, "moved", "locked")) ? Path.Combine(source, "moved", "locked") : Path.Combine(moved, "locked");
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
