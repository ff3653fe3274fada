using System.Diagnostics;
using System.Text;

namespace LogpushKit.Testing.Processes;

/// <summary>
/// Starts real child processes for the tests: the <c>LogpushKit.Tests.Child</c> harness, and any process that must meet
/// file permissions the way an ordinary user does.
/// </summary>
/// <remarks>
/// Tests run as root in CI, and root reads every file whatever its permission bits (the capabilities
/// <c>CAP_DAC_OVERRIDE</c> and <c>CAP_DAC_READ_SEARCH</c>). <see cref="HonourFilePermissions"/> therefore starts the
/// process through <c>setpriv --bounding-set=-dac_override,-dac_read_search</c> when the tests run as root: the child
/// keeps user id 0 (it can still reach the .NET install and the test folders, which root owns) but has no permission
/// override, so <c>chmod 000</c> denies it like anyone else. Under an ordinary user nothing is added. Without
/// <c>setpriv</c> (util-linux) as root, it fails with a message saying so rather than testing nothing.
/// </remarks>
public static class ChildProcesses
{
    /// <summary>
    /// The child harness in its own build output (artifacts/bin/LogpushKit.Tests.Child/&lt;config&gt;/), where all its
    /// dependencies are; the copy next to a test assembly may lack those the test project gets from a shared framework.
    /// </summary>
    public static string ChildDll { get; } = File.Exists(RepositoryLayout.BuiltAssembly("LogpushKit.Tests.Child"))
        ? RepositoryLayout.BuiltAssembly("LogpushKit.Tests.Child")
        : Path.Combine(AppContext.BaseDirectory, "LogpushKit.Tests.Child.dll");

    /// <summary>The dotnet host that runs the test process.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Whether this process runs with root's permission override (the tests must then drop it in children).</summary>
    public static bool RunsAsRoot => OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess;

    /// <summary>A start info for the child harness with <paramref name="arguments"/>; stdout and stderr redirected.</summary>
    public static ProcessStartInfo Child(params string[] arguments)
    {
        Assert.True(File.Exists(ChildDll), $"The child program is missing: {ChildDll}");
        return Dotnet(ChildDll, arguments);
    }

    /// <summary>
    /// A start info that runs <paramref name="assembly"/> on the <see cref="DotnetHost"/> with <paramref name="arguments"/>:
    /// stdout and stderr redirected (UTF-8), no shell, telemetry off.
    /// </summary>
    public static ProcessStartInfo Dotnet(string assembly, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return start;
    }

    /// <summary>
    /// Returns <paramref name="start"/> changed so that the process meets file permission bits even when the tests run
    /// as root (see remarks).
    /// </summary>
    public static ProcessStartInfo HonourFilePermissions(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (!RunsAsRoot)
        {
            return start;
        }

        var setpriv = new[] { "/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "These tests deny a child process access to a file; as root that needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Install util-linux or run the tests as an ordinary user.");
        return Wrap(start, setpriv, "--bounding-set=-dac_override,-dac_read_search", "--");
    }

    /// <summary>
    /// Returns <paramref name="start"/> changed so that the process starts with SIGINT handled by default, as from a
    /// terminal, whatever this test run inherited. A shell starts background jobs with SIGINT ignored, children inherit
    /// that across exec, and .NET leaves an ignored SIGINT ignored: a Ctrl-C test would then send a signal nobody sees.
    /// Through <c>env --default-signal=INT</c> (GNU coreutils 8.31 or later), which execs the program, so the process id
    /// is the program's. Elsewhere than on Linux <paramref name="start"/> is returned as it is.
    /// </summary>
    public static ProcessStartInfo WithDefaultInterrupt(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        return OperatingSystem.IsLinux() ? Wrap(start, "/usr/bin/env", "--default-signal=INT", "--") : start;
    }

    private static ProcessStartInfo Wrap(ProcessStartInfo start, string program, params string[] programArguments)
    {
        var wrapped = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = start.RedirectStandardOutput,
            RedirectStandardError = start.RedirectStandardError,
            RedirectStandardInput = start.RedirectStandardInput,
            UseShellExecute = false,
            WorkingDirectory = start.WorkingDirectory,
            StandardOutputEncoding = start.StandardOutputEncoding,
            StandardErrorEncoding = start.StandardErrorEncoding,
        };
        foreach (var argument in programArguments)
        {
            wrapped.ArgumentList.Add(argument);
        }

        wrapped.ArgumentList.Add(start.FileName);
        foreach (var argument in start.ArgumentList)
        {
            wrapped.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in start.Environment)
        {
            wrapped.Environment[name] = value;
        }

        return wrapped;
    }

    /// <summary>Runs <paramref name="start"/> to its end within <paramref name="timeout"/>; returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ProcessStartInfo start, TimeSpan? timeout = null)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + start.FileName);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(cts.Token);
        var error = start.RedirectStandardError ? process.StandardError.ReadToEndAsync(cts.Token) : Task.FromResult(string.Empty);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, await output, await error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s.");
        }
    }

    /// <summary>Makes a FIFO (named pipe) at <paramref name="path"/> with <c>mkfifo</c>.</summary>
    public static async Task MakeFifoAsync(string path)
    {
        var start = new ProcessStartInfo("mkfifo") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        var (exitCode, _, error) = await RunAsync(start, TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 0, $"mkfifo {path} failed: {error}");
    }
}
