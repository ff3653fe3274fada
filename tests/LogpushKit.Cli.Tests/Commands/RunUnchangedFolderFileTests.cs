using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// The documented limit of how <c>run</c> recognises an unchanged folder source file without reading it (its size,
/// modification time and inode, as recorded in the state), and the documented way round it: <c>--force</c>.
/// </summary>
public sealed class RunUnchangedFolderFileTests
{
    [Fact]
    public async Task Run_SameSizeRewriteWithTheTimePutBack_IsTakenAsUnchangedUntilForced()
    {
        using var folder = new TempDirectory();
        Directory.CreateDirectory(folder.File("src"));
        var source = folder.File("src/20240821T000000Z_20240821T000100Z_00000001.log.gz");
        await File.WriteAllTextAsync(source, "{\"a\":\"before\"}\n");
        var recorded = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(source, recorded);
        var env = new Dictionary<string, string> { ["XDG_STATE_HOME"] = folder.File("state") };
        string[] run = ["run", "--source", folder.File("src"), "--target", folder.File("out"), "--no-jobs"];

        var first = await CliProcess.RunAsync(run, stdin: null, environment: env);
        Assert.True(first.ExitCode == 0, first.StandardError);
        var csv = Assert.Single(Directory.GetFiles(folder.File("out"), "*.csv", SearchOption.AllDirectories));
        Assert.Equal("a\nbefore\n", await File.ReadAllTextAsync(csv));

        // rewritten in place (same inode), same length, and the modification time put back, as `touch -d` would
        using (var stream = new FileStream(source, FileMode.Open, FileAccess.Write))
        {
            await stream.WriteAsync("{\"a\":\"after!\"}\n"u8.ToArray());
        }

        File.SetLastWriteTimeUtc(source, recorded);

        var again = await CliProcess.RunAsync(run, stdin: null, environment: env);
        Assert.True(again.ExitCode == 0, again.StandardError);
        Assert.Contains("0 converted, 1 skipped (1 up to date", again.StandardError, StringComparison.Ordinal);
        Assert.Equal("a\nbefore\n", await File.ReadAllTextAsync(csv));

        var forced = await CliProcess.RunAsync([.. run, "--force"], stdin: null, environment: env);
        Assert.True(forced.ExitCode == 0, forced.StandardError);
        Assert.Contains("1 converted", forced.StandardError, StringComparison.Ordinal);
        Assert.Equal("a\nafter!\n", await File.ReadAllTextAsync(csv));
    }
}
