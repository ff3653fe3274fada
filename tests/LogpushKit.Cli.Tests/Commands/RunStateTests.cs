using System.Runtime.Versioning;
using LogpushKit.Testing;
using LogpushKit.Testing.Processes;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>run</c> with the conversion state (the default for a folder target), through the real process: what a SIEM
/// forwarder consumed is not produced again, the target folder holds only CSV files, the quarantine has its own place.
/// </summary>
public sealed class RunStateTests
{
    private const string Mixed = "{\"EdgeStartTimestamp\":1724200000000000000,\"ClientIP\":\"192.0.2.1\"}\n{\"EdgeStartTimestamp\":1724200001000000000,\"ClientIP\":\"192.0.2.2\"}\n";

    private static string[] Files(string root) =>
        [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    private static TempDirectory SourceWithThree()
    {
        var folder = new TempDirectory();
        Directory.CreateDirectory(folder.File("src/http_requests/20240821"));
        for (var i = 0; i < 3; i++)
        {
            folder.WriteGzip($"src/http_requests/20240821/20240821T00000{i}Z_20240821T00010{i}Z_{i:x8}.log.gz", Mixed);
        }

        return folder;
    }

    [Fact]
    public async Task Run_CsvsConsumedThenRunAgain_NothingReproduced_OptionsChangeReconvertsAll()
    {
        using var folder = SourceWithThree();
        var state = folder.File("state");
        var env = new Dictionary<string, string> { ["XDG_STATE_HOME"] = state };
        string[] run = ["run", "--source", folder.File("src"), "--target", folder.File("out")];

        var first = await CliProcess.RunAsync(run, stdin: null, environment: env);
        Assert.True(first.ExitCode == 0, first.StandardError);
        Assert.Contains("3 converted (3 new", first.StandardError, StringComparison.Ordinal);
        Assert.Equal(3, Files(folder.File("out")).Length);
        Assert.All(Files(folder.File("out")), f => Assert.EndsWith(".csv", f, StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(state, "logpushkit", "state.db")));

        // the SIEM forwarder consumes (deletes) the CSV files
        foreach (var csv in Directory.GetFiles(folder.File("out"), "*.csv", SearchOption.AllDirectories))
        {
            File.Delete(csv);
        }

        var again = await CliProcess.RunAsync(run, stdin: null, environment: env);
        Assert.True(again.ExitCode == 0, again.StandardError);
        Assert.Contains("0 converted, 3 skipped (3 up to date", again.StandardError, StringComparison.Ordinal);
        Assert.Empty(Files(folder.File("out")));

        var reformatted = await CliProcess.RunAsync([.. run, "--timestamps", "rfc3339"], stdin: null, environment: env);
        Assert.True(reformatted.ExitCode == 0, reformatted.StandardError);
        Assert.Contains("3 converted (0 new, 0 source changed, 3 options changed", reformatted.StandardError, StringComparison.Ordinal);
        Assert.Contains("2024-08-21T00:26:40Z", await File.ReadAllTextAsync(Directory.GetFiles(folder.File("out"), "*.csv", SearchOption.AllDirectories)[0]), StringComparison.Ordinal);

        var same = await CliProcess.RunAsync([.. run, "--timestamps", "rfc3339"], stdin: null, environment: env);
        Assert.Contains("0 converted, 3 skipped (3 up to date", same.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TargetFolderRemoved_NextRunProducesEveryCsvAgain()
    {
        // what a user does to start a target over, and what a benchmark does between rounds: the folder itself goes
        using var folder = SourceWithThree();
        var env = new Dictionary<string, string> { ["XDG_STATE_HOME"] = folder.File("state") };
        string[] run = ["run", "--source", folder.File("src"), "--target", folder.File("out"), "--quiet"];
        Assert.Equal(0, (await CliProcess.RunAsync(run, stdin: null, environment: env)).ExitCode);
        var before = Files(folder.File("out"));
        Assert.Equal(3, before.Length);

        Directory.Delete(folder.File("out"), recursive: true);
        var again = await CliProcess.RunAsync(run[..^1], stdin: null, environment: env);

        Assert.True(again.ExitCode == 0, again.StandardError);
        Assert.Contains("3 converted (3 new", again.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, Files(folder.File("out")));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Run_UnchangedSourcesUnreadable_SecondRunDoesNotOpenThem()
    {
        using var folder = SourceWithThree();
        string[] run = ["run", "--source", folder.File("src"), "--target", folder.File("out")];
        Assert.Equal(0, (await CliProcess.RunAsync(run)).ExitCode);

        // the child drops dac_override when the tests run as root (ChildProcesses), so mode 000 stops it from opening them
        foreach (var file in Directory.GetFiles(folder.File("src"), "*.log.gz", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(file, UnixFileMode.None);
        }

        var again = await RunHonouringPermissionsAsync(run, folder.File("out"));

        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("0 converted, 3 skipped (3 up to date", again.Error, StringComparison.Ordinal);

        // the same process forced to read them cannot: the modes do stop it
        var forced = await RunHonouringPermissionsAsync([.. run, "--force"], folder.File("out"));
        Assert.Equal(1, forced.ExitCode);
        Assert.Contains("3 failed", forced.Error, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output, string Error)> RunHonouringPermissionsAsync(string[] args, string target)
    {
        var start = ChildProcesses.HonourFilePermissions(ChildProcesses.Dotnet(CliProcess.CliDll, args));
        start.Environment["XDG_STATE_HOME"] = CliProcess.StateHomeFor(args, Environment.CurrentDirectory);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("CLOUDFLARE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        return ChildProcesses.RunAsync(start, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Run_BadLines_QuarantineInItsOwnLocation_TargetHoldsOnlyCsv()
    {
        using var folder = new TempDirectory();
        Directory.CreateDirectory(folder.File("src"));
        folder.WriteGzip("src/a.log.gz", "{\"a\":1}\nnot json\n{\"a\":2}\n");
        var state = folder.File("state");
        var env = new Dictionary<string, string> { ["XDG_STATE_HOME"] = state };

        var run = await CliProcess.RunAsync(["run", "--source", folder.File("src"), "--target", folder.File("out"), "--on-bad-line", "quarantine"], stdin: null, environment: env);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(["a.csv"], Files(folder.File("out")));
        var quarantine = Directory.GetFiles(Path.Combine(state, "logpushkit", "quarantine"), "*", SearchOption.AllDirectories);
        var file = Assert.Single(quarantine);
        Assert.EndsWith("a.csv.quarantine", file, StringComparison.Ordinal);
        Assert.Contains("not json", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        Assert.Contains($"1 bad lines quarantined in {Path.GetDirectoryName(file)}", run.StandardError, StringComparison.Ordinal);

        var elsewhere = await CliProcess.RunAsync(["run", "--source", folder.File("src"), "--target", folder.File("out2"), "--on-bad-line", "quarantine", "--quarantine", folder.File("bad")], stdin: null, environment: env);
        Assert.True(elsewhere.ExitCode == 0, elsewhere.StandardError);
        Assert.Equal(["a.csv.quarantine"], Files(folder.File("bad")));
        Assert.Equal(["a.csv"], Files(folder.File("out2")));
    }

    [Fact]
    public async Task Run_QuarantineWithoutQuarantinedBadLines_IsRefused()
    {
        using var folder = SourceWithThree();

        var run = await CliProcess.RunAsync("run", "--source", folder.File("src"), "--target", folder.File("out"), "--quarantine", folder.File("bad"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--quarantine:", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StateNotADatabase_FailsNamingThePathAndFlag()
    {
        using var folder = SourceWithThree();
        await File.WriteAllTextAsync(folder.File("state.db"), new string('x', 4096));

        var run = await CliProcess.RunAsync("run", "--source", folder.File("src"), "--target", folder.File("out"), "--state", folder.File("state.db"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--state:", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(folder.File("state.db"), run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(folder.File("out")) ? Files(folder.File("out")) : []);
    }
}
