using System.Diagnostics;
using LogpushKit.Testing;
using LogpushKit.Testing.Processes;

namespace LogpushKit.Hosting.Tests;

/// <summary>What one run of the worker sample's process did.</summary>
internal sealed record WorkerRun(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs the built worker sample (<c>dotnet LogpushKit.Worker.dll</c>) as a real child process, configured through
/// environment variables (<c>LogpushKit__Source</c>…) as a service manager would, with none of the machine's bucket
/// credentials.
/// </summary>
internal static class WorkerProcess
{
    private static readonly string[] BucketVariables =
        ["R2_ACCOUNT_ID", "R2_ENDPOINT", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "LOGPUSHKIT_S3_ENDPOINT",
         "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_ZONE_ID", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY", "CLOUDFLARE_API_BASE_URL",
         "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT"];

    private static readonly Lazy<string> Dll = new(FindWorkerDll);

    /// <summary>Starts the worker in <paramref name="workingDirectory"/> with <paramref name="environment"/>; the caller drives it.</summary>
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var info = ChildProcesses.Dotnet(Dll.Value, []);
        info.WorkingDirectory = workingDirectory;
        foreach (var name in BucketVariables)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.Environment["Logging__Console__FormatterName"] = "simple";
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the worker process.");
    }

    /// <summary>Runs the worker until it exits by itself (bounded: a worker that keeps running fails the test).</summary>
    public static async Task<WorkerRun> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        using var process = Start(workingDirectory, environment);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return new WorkerRun(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The worker did not exit in time (it should have refused its configuration).");
        }
    }

    private static string FindWorkerDll()
    {
        var path = RepositoryLayout.BuiltAssembly("LogpushKit.Worker");
        return File.Exists(path) ? path : throw new InvalidOperationException("The built worker was not found at " + path);
    }
}
