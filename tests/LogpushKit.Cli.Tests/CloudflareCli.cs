using System.Diagnostics;
using System.Text;
using LogpushKit.Testing.FakeCloudflare;
using LogpushKit.Testing.Processes;

namespace LogpushKit.Cli.Tests;

/// <summary>
/// Runs the real CLI process (<see cref="CliProcess.CliDll"/>) with a controlled environment: every CLOUDFLARE_* and
/// R2_* variable of the test process is removed, then the given ones are set (by default a token and the fake's base URL).
/// </summary>
internal static class CloudflareCli
{
    public static Dictionary<string, string?> Environment(FakeCloudflareApi api, bool withAccount = true) => new()
    {
        ["CLOUDFLARE_API_TOKEN"] = api.ApiToken,
        ["CLOUDFLARE_API_BASE_URL"] = api.BaseAddress.AbsoluteUri,
        ["CLOUDFLARE_ACCOUNT_ID"] = withAccount ? FakeCloudflareApi.DefaultAccountId : null,
    };

    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = ChildProcesses.Dotnet(CliProcess.CliDll, args);
        info.RedirectStandardInput = true;
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CLOUDFLARE_", StringComparison.Ordinal) || k.StartsWith("R2_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            if (value is not null)
            {
                info.Environment[key] = value;
            }
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the CLI process.");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"logpushkit {string.Join(' ', args)} did not finish in time.");
        }

        return new CliRun(process.ExitCode, Encoding.UTF8.GetBytes(await stdout), await stderr);
    }
}
