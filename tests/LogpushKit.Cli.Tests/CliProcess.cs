using System.Diagnostics;
using System.Text;
using LogpushKit.Testing;
using LogpushKit.Testing.Processes;

namespace LogpushKit.Cli.Tests;

/// <summary>What one run of the real <c>logpushkit</c> process did.</summary>
internal sealed record CliRun(int ExitCode, byte[] StandardOutputBytes, string StandardError)
{
    public string StandardOutput => Encoding.UTF8.GetString(StandardOutputBytes);
}

/// <summary>
/// Runs the built CLI as a real child process (<c>dotnet LogpushKit.Cli.dll ...</c>, the same app the <c>logpushkit</c> host
/// starts), with optional stdin bytes and a bounded time.
/// </summary>
internal static class CliProcess
{
    private static readonly Lazy<string> Dll = new(FindCliDll);

    public static string CliDll => Dll.Value;

    /// <summary>The environment variables that carry bucket credentials and endpoints; cleared when a test sets an environment.</summary>
    public static readonly string[] BucketVariables =
        ["R2_ACCOUNT_ID", "R2_ENDPOINT", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "LOGPUSHKIT_S3_ENDPOINT"];

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    /// <summary>Runs with exactly the bucket variables in <paramref name="environment"/> (none of the machine's).</summary>
    public static Task<CliRun> RunWithEnvironmentAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
        => RunAsync(args, stdin: null, environment: environment);

    public static async Task<CliRun> RunAsync(
        IReadOnlyList<string> args, byte[]? stdin, string? workingDirectory = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(args, workingDirectory, environment);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, cts.Token);
        var readErr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, cts.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            await readOut;
            return new CliRun(process.ExitCode, stdout.ToArray(), await readErr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"logpushkit {string.Join(' ', args)} did not finish in time.");
        }
    }

    /// <summary>
    /// Starts the process with redirected stdin/stdout/stderr; the caller drives it. The machine's CLOUDFLARE_* variables
    /// are never passed on; with <paramref name="environment"/>, its bucket variables are removed too and these set instead.
    /// </summary>
    public static Process Start(IReadOnlyList<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = ChildProcesses.Dotnet(CliDll, args);
        info.RedirectStandardInput = true;
        info.WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory;

        // Never the machine's Cloudflare account: run and consume list Logpush jobs when credentials are set.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("CLOUDFLARE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        if (environment is not null)
        {
            foreach (var name in BucketVariables)
            {
                info.Environment.Remove(name);
            }

            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }
        }

        // Never the real home's state database, and never one shared by two tests: unless the test sets XDG_STATE_HOME,
        // the state lives in a folder of the test's own (local) --target, so the runs of one test share it.
        if (environment is null || !environment.ContainsKey("XDG_STATE_HOME"))
        {
            info.Environment["XDG_STATE_HOME"] = StateHomeFor(args, info.WorkingDirectory);
        }

        // Ctrl-C reaches the CLI as from a terminal, even when this test run was started with SIGINT ignored
        return Process.Start(ChildProcesses.WithDefaultInterrupt(info)) ?? throw new InvalidOperationException("Could not start the CLI process.");
    }

    /// <summary>The XDG_STATE_HOME a CLI test process gets: one per local --target path, else a fresh one.</summary>
    public static string StateHomeFor(IReadOnlyList<string> args, string workingDirectory)
    {
        var index = args.ToList().IndexOf("--target");
        var target = index >= 0 && index + 1 < args.Count && !args[index + 1].Contains("://", StringComparison.Ordinal)
            ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(args[index + 1], workingDirectory))
            : null;
        var name = target is null
            ? Guid.NewGuid().ToString("N")
            : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(target)))[..16];
        return Path.Combine(Path.GetTempPath(), "logpushkit-cli-tests-state", name);
    }

    private static string FindCliDll()
    {
        var candidates = new[] { RepositoryLayout.BuiltAssembly("LogpushKit.Cli"), Path.Combine(AppContext.BaseDirectory, "LogpushKit.Cli.dll") };
        return candidates.FirstOrDefault(c => File.Exists(c) && File.Exists(Path.ChangeExtension(c, ".runtimeconfig.json")))
            ?? throw new InvalidOperationException("The built CLI was not found at " + string.Join(" or ", candidates));
    }
}

/// <summary>
/// The stderr of a running CLI process, read line by line as it comes (for <c>run --watch</c> and other long runs):
/// <see cref="Seen"/> completes when a line contains the awaited text, <see cref="Text"/> is everything so far.
/// </summary>
internal sealed class StderrLines
{
    private readonly StringBuilder _text = new();
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts reading <paramref name="process"/>'s redirected stderr, watching for a line with <paramref name="awaited"/>.</summary>
    public StderrLines(Process process, string awaited)
    {
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_text)
            {
                _text.AppendLine(e.Data);
            }

            if (e.Data?.Contains(awaited, StringComparison.Ordinal) == true)
            {
                _seen.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>Completes when a line with the awaited text was printed.</summary>
    public Task Seen => _seen.Task;

    /// <summary>What was printed so far.</summary>
    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
