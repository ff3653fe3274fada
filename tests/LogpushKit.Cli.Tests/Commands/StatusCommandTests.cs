using System.Text.Json;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>logpushkit status</c> through the real process (issue 16): an old unconverted object is named and fails the check
/// (exit 11), <c>run</c> makes it pass (exit 0), a failing Logpush job of the fake API is reported with its secrets masked,
/// <c>--json</c> has the documented shape, and what cannot apply is refused (exit 2).
/// </summary>
public sealed class StatusCommandTests : IAsyncLifetime
{
    private const string Key = "gateway_http/20240601/20240601T000000Z_20240601T000004Z_85e346d9";
    private const string Secret = "5ecre7a11b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6";
    private const string Records = "{\"RayID\":\"8b5f3c0a1e2d4f67\",\"ClientIP\":\"192.0.2.1\"}\n";
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Status_OldUnconvertedObject_IsNamedAndCritical_ThenHealthyAfterRun()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, Key, age: TimeSpan.FromHours(3));

        var before = await CliProcess.RunAsync("status", "--source", source.Path, "--target", target.Path, "--max-lag", "1h");

        Assert.True(before.ExitCode == 11, before.StandardError + before.StandardOutput);
        Assert.StartsWith("feed CRITICAL", before.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"OVERDUE  {"3h 0m",8}  {Key}.log.gz  (no conversion recorded)", before.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("CRITICAL overdue_objects: 1 source objects older than 1h 0m", before.StandardOutput, StringComparison.Ordinal);

        var run = await CliProcess.RunAsync("run", "--source", source.Path, "--target", target.Path, "--quiet");
        Assert.True(run.ExitCode == 0, run.StandardError);

        var after = await CliProcess.RunAsync("status", "--source", source.Path, "--target", target.Path, "--max-lag", "1h");

        Assert.True(after.ExitCode == 0, after.StandardError + after.StandardOutput);
        Assert.StartsWith("feed HEALTHY", after.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("objects: 1 listed, 0 filtered, 1 converted, 0 unconverted (0 overdue)", after.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("gateway_http: 1 of 1 converted; newest window 2024-06-01 00:00:04Z", after.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_YoungUnconvertedObject_IsPendingAndHealthy()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, Key, age: TimeSpan.FromMinutes(5));

        var status = await CliProcess.RunAsync("status", "--source", source.Path, "--target", target.Path, "--max-lag", "1h");

        Assert.True(status.ExitCode == 0, status.StandardError + status.StandardOutput);
        Assert.Contains($"pending  ", status.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(Key, status.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_Json_HasTheDocumentedShape()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, Key, age: TimeSpan.FromDays(2));

        var status = await CliProcess.RunAsync("status", "--source", source.Path, "--target", target.Path, "--max-lag", "90m", "--json");

        Assert.Equal(11, status.ExitCode);
        var json = JsonNode.Parse(status.StandardOutput)!.AsObject();
        Assert.Equal(
            ["status", "checkedAt", "source", "target", "maxLagSeconds", "state", "objects", "unconverted", "datasets", "jobs", "queue", "failures", "problems", "notes"],
            json.Select(p => p.Key));
        Assert.Equal("critical", json["status"]!.GetValue<string>());
        Assert.Equal(5400, json["maxLagSeconds"]!.GetValue<double>());
        Assert.Equal(source.Path, json["source"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Null, json["jobs"]?.GetValueKind() ?? JsonValueKind.Null);
        var unconverted = Assert.Single(json["unconverted"]!.AsArray())!.AsObject();
        Assert.Equal(Key + ".log.gz", unconverted["key"]!.GetValue<string>());
        Assert.Equal(Key + ".csv", unconverted["targetKey"]!.GetValue<string>());
        Assert.True(unconverted["overdue"]!.GetValue<bool>());
        Assert.InRange(unconverted["ageSeconds"]!.GetValue<double>(), 2 * 86400 - 60, 2 * 86400 + 600);
        Assert.Equal("overdue_objects", json["problems"]![0]!["code"]!.GetValue<string>());
        Assert.Equal("critical", json["problems"]![0]!["severity"]!.GetValue<string>());
        Assert.Equal(1, json["objects"]!["overdue"]!.GetValue<long>());
    }

    [Fact]
    public async Task Status_FailingLogpushJob_IsReportedCriticalWithoutItsSecrets()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, Key, age: TimeSpan.FromMinutes(1));
        var id = _api.AddJob(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId), new JsonObject
        {
            ["dataset"] = "gateway_http",
            ["name"] = "siem-feed",
            ["enabled"] = true,
            ["destination_conf"] = $"r2://logs/gateway_http/{{DATE}}?account-id={FakeCloudflareApi.DefaultAccountId}&access-key-id=AK&secret-access-key={Secret}",
            ["last_complete"] = "2026-11-30T10:00:00Z",
            ["last_error"] = "2026-11-30T11:00:00Z",
            ["error_message"] = $"PutObject failed: signature for secret-access-key={Secret} does not match; Authorization: Bearer {_api.ApiToken}",
        });

        var status = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "status", "--source", source.Path, "--target", target.Path);
        var json = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "status", "--source", source.Path, "--target", target.Path, "--json");

        Assert.True(status.ExitCode == 11, status.StandardError + status.StandardOutput);
        Assert.Contains($"{id} gateway_http siem-feed [FAILING] last complete 2026-11-30 10:00:00Z, last error 2026-11-30 11:00:00Z: PutObject failed", status.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("CRITICAL job_failing", status.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(11, json.ExitCode);
        var job = Assert.Single(JsonNode.Parse(json.StandardOutput)!["jobs"]!.AsArray())!;
        Assert.True(job["failing"]!.GetValue<bool>());
        Assert.Equal($"accounts/{FakeCloudflareApi.DefaultAccountId}", job["scope"]!.GetValue<string>());
        foreach (var output in new[] { status.StandardOutput, status.StandardError, json.StandardOutput, json.StandardError })
        {
            Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
            Assert.DoesNotContain(_api.ApiToken, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Status_JobsListingFails_IsDegradedAndSaysSo()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        _api.FailNext(new FakeFailure { Status = System.Net.HttpStatusCode.Forbidden, Errors = [(10000, "Authentication error")], PathContains = "/logpush/jobs" }, times: 5);

        var status = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "status", "--source", source.Path, "--target", target.Path);

        Assert.True(status.ExitCode == 10, status.StandardError + status.StandardOutput);
        Assert.Contains($"DEGRADED jobs_unavailable: the Logpush jobs of accounts/{FakeCloudflareApi.DefaultAccountId} could not be listed", status.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithTheRunsState_CountsConsumedCsvsAsConvertedAndAnotherStateDoesNot()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var state = new TempDirectory();
        Write(source, Key, age: TimeSpan.FromHours(3));
        var database = Path.Combine(state.Path, "state.db");
        var run = await CliProcess.RunAsync("run", "--source", source.Path, "--target", target.Path, "--state", database, "--quiet");
        Assert.True(run.ExitCode == 0, run.StandardError);

        // the SIEM forwarder consumed the CSV: the state still says it was converted
        foreach (var csv in Directory.EnumerateFiles(target.Path, "*.csv", SearchOption.AllDirectories))
        {
            File.Delete(csv);
        }

        var same = await CliProcess.RunAsync("status", "--source", source.Path, "--target", target.Path, "--state", database, "--max-lag", "1h");
        var other = await CliProcess.RunAsync("status", "--source", source.Path, "--target", target.Path, "--state", Path.Combine(state.Path, "other.db"), "--max-lag", "1h");

        Assert.True(same.ExitCode == 0, same.StandardError + same.StandardOutput);
        Assert.Contains("objects: 1 listed, 0 filtered, 1 converted, 0 unconverted (0 overdue)", same.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(database, same.StandardOutput, StringComparison.Ordinal);
        Assert.True(other.ExitCode == 11, other.StandardError + other.StandardOutput);
        Assert.Contains(Key, other.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("soon")]
    [InlineData("-5m")]
    public async Task Status_BadMaxLag_IsAUsageError(string value)
    {
        using var source = new TempDirectory();

        var status = await CliProcess.RunAsync("status", "--source", source.Path, "--target", source.Path + "-out", "--max-lag", value);

        Assert.Equal(2, status.ExitCode);
        Assert.Contains("--max-lag", status.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_QueueWithoutAccount_IsAUsageError()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();

        var status = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api, withAccount: false), "status", "--source", source.Path, "--target", target.Path, "--queue-id", "q1");

        Assert.Equal(2, status.ExitCode);
        Assert.Contains("account", status.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Help_DocumentsTheExitCodes()
    {
        var help = await CliProcess.RunAsync("status", "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("0 healthy; 10 degraded", help.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("11 critical", help.StandardOutput, StringComparison.Ordinal);
    }

    private static void Write(TempDirectory folder, string key, TimeSpan age)
    {
        var path = Path.Combine(folder.Path, key + ".log.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PipelineTestData.Gzip(Records));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
    }
}
