using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Datasets;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>run</c> tells datasets by the Logpush jobs it lists at start (issue 13, step 2 of the resolution), through the real
/// process against the fake Cloudflare API: objects under a job's destination path whose first record tells nothing get
/// the job's dataset and field_names; <c>--no-jobs</c> skips the listing; a failed listing is a warning, not a failure.
/// </summary>
public sealed class RunJobRoutesTests : IAsyncLifetime
{
    private const string R2Secret = "5ecre7a11b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6";
    private const string NeutralKey = "neutral/20240821/20240821T054839Z_20240821T054841Z_00000001";
    private const string OtherKey = "other/20240821/20240821T054839Z_20240821T054841Z_00000002";

    // keys that several datasets hold (http_requests, firewall_events, …): the first record alone tells nothing
    private const string Records = "{\"RayID\":\"8b5f3c0a1e2d4f67\",\"ClientIP\":\"192.0.2.1\"}\n{\"RayID\":\"8b5f3c0a1e2d4f68\",\"ClientIP\":\"192.0.2.2\"}\n";
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _api.AddJob(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId), new JsonObject
        {
            ["dataset"] = "http_requests",
            ["name"] = "http",
            ["enabled"] = true,
            ["destination_conf"] = $"r2://logs/neutral/{{DATE}}?account-id={FakeCloudflareApi.DefaultAccountId}&access-key-id=AK&secret-access-key={R2Secret}",
            ["output_options"] = new JsonObject { ["output_type"] = "ndjson", ["timestamp_format"] = "unixnano", ["field_names"] = new JsonArray("EdgeStartTimestamp", "ClientIP", "RayID") },
        });
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public void Records_AloneDoNotTellADataset()
        => Assert.Null(LogpushDatasetResolver.MatchRecordKeys(LogpushDatasetCatalog.Default, ["RayID", "ClientIP"]));

    [Fact]
    public async Task Run_ObjectUnderJobDestination_GetsTheJobsDatasetAndColumns()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, NeutralKey, Records);
        Write(source, OtherKey, Records);

        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "run", "--source", source.Path, "--target", target.Path, "--verbose");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains(_api.Requests, r => r.Method == "GET" && r.Path == $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/jobs");
        Assert.Contains("http_requests (Logpush job)", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("1 Logpush jobs listed, 1 with an R2 destination", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(R2Secret, run.StandardError, StringComparison.Ordinal);
        // the job's field_names, in its order, whatever the first record holds
        Assert.Equal("EdgeStartTimestamp,ClientIP,RayID\n,192.0.2.1,8b5f3c0a1e2d4f67\n,192.0.2.2,8b5f3c0a1e2d4f68\n", Read(target, NeutralKey));
        // outside the job's path: the record keys, dataset unknown
        Assert.Equal("RayID,ClientIP\n8b5f3c0a1e2d4f67,192.0.2.1\n8b5f3c0a1e2d4f68,192.0.2.2\n", Read(target, OtherKey));
        Assert.Contains("1 dataset unknown", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoJobs_ListsNothingAndTellsByRecordKeysOnly()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, NeutralKey, Records);

        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "run", "--source", source.Path, "--target", target.Path, "--no-jobs");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Empty(_api.Requests);
        Assert.Equal("RayID,ClientIP\n8b5f3c0a1e2d4f67,192.0.2.1\n8b5f3c0a1e2d4f68,192.0.2.2\n", Read(target, NeutralKey));
        Assert.Contains("1 dataset unknown", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoCredentials_ListsNothingAndSaysNothing()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, NeutralKey, Records);
        var env = CloudflareCli.Environment(_api);
        env["CLOUDFLARE_API_TOKEN"] = null;

        var run = await CloudflareCli.RunAsync(env, "run", "--source", source.Path, "--target", target.Path);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Empty(_api.Requests);
        Assert.DoesNotContain("warning", run.StandardError, StringComparison.Ordinal);
        Assert.Equal("RayID,ClientIP\n8b5f3c0a1e2d4f67,192.0.2.1\n8b5f3c0a1e2d4f68,192.0.2.2\n", Read(target, NeutralKey));
    }

    [Fact]
    public async Task Run_FailedListing_WarnsMaskedAndStillConverts()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, NeutralKey, Records);
        _api.FailNext(new FakeFailure { Status = HttpStatusCode.Forbidden, Errors = [(10000, "Authentication error for token " + _api.ApiToken)], PathContains = "/logpush/jobs" }, times: 5);

        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "run", "--source", source.Path, "--target", target.Path);

        Assert.True(run.ExitCode == 0, run.StandardError);
        var warning = Assert.Single(run.StandardError.Split('\n'), l => l.Contains("warning", StringComparison.Ordinal));
        Assert.Contains($"could not list the Logpush jobs of account {FakeCloudflareApi.DefaultAccountId}", warning, StringComparison.Ordinal);
        Assert.Contains("10000", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.ApiToken, run.StandardError, StringComparison.Ordinal);
        Assert.Contains("run: 1 converted", run.StandardError, StringComparison.Ordinal);
        Assert.Equal("RayID,ClientIP\n8b5f3c0a1e2d4f67,192.0.2.1\n8b5f3c0a1e2d4f68,192.0.2.2\n", Read(target, NeutralKey));
    }

    [Fact]
    public async Task Run_AccountIdWithNoJobs_IsRefusedAsUsage()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();

        var run = await CloudflareCli.RunAsync(
            CloudflareCli.Environment(_api), "run", "--source", source.Path, "--target", target.Path, "--no-jobs", "--account-id", FakeCloudflareApi.DefaultAccountId);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--account-id only serves the Logpush job listing", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    private static void Write(TempDirectory folder, string key, string ndjson)
    {
        var path = Path.Combine(folder.Path, key + ".log.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PipelineTestData.Gzip(ndjson));
    }

    private static string Read(TempDirectory folder, string key) => File.ReadAllText(Path.Combine(folder.Path, key + ".csv"));
}
