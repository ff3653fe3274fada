using System.Diagnostics;
using System.Text;

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

    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    public static async Task<CliRun> RunAsync(IReadOnlyList<string> args, byte[]? stdin, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        using var process = Start(args, workingDirectory);
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

    /// <summary>Starts the process with redirected stdin/stdout/stderr; the caller drives it.</summary>
    public static Process Start(IReadOnlyList<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the CLI process.");
    }

    /// <summary>The repository root (the folder holding LogpushKit.sln), found from the test's output folder.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LogpushKit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LogpushKit.sln not found above " + AppContext.BaseDirectory);
    }

    private static string FindCliDll()
    {
        // artifacts/bin/LogpushKit.Cli.Tests/<config>/ → artifacts/bin/LogpushKit.Cli/<config>/LogpushKit.Cli.dll
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var candidates = new[]
        {
            Path.Combine(testOutput.Parent!.Parent!.FullName, "LogpushKit.Cli", testOutput.Name, "LogpushKit.Cli.dll"),
            Path.Combine(testOutput.FullName, "LogpushKit.Cli.dll"),
        };
        return candidates.FirstOrDefault(c => File.Exists(c) && File.Exists(Path.ChangeExtension(c, ".runtimeconfig.json")))
            ?? throw new InvalidOperationException("The built CLI was not found at " + string.Join(" or ", candidates));
    }
}
