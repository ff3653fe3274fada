using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>logpushkit jobs …</c> through the real process against the fake Cloudflare API.</summary>
public sealed class JobsCommandTests : IAsyncLifetime
{
    private const string R2Secret = "5ecre7a11b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6";
    private static readonly LogpushScope Account = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private Dictionary<string, string?> Env(bool withAccount = true) => CloudflareCli.Environment(_api, withAccount);

    private long AddJob(string? destination = null) => _api.AddJob(Account, new JsonObject
    {
        ["dataset"] = "gateway_http",
        ["name"] = "gw",
        ["enabled"] = true,
        ["destination_conf"] = destination ?? $"r2://logs/gw?account-id={FakeCloudflareApi.DefaultAccountId}&access-key-id=AK&secret-access-key={R2Secret}",
        ["output_options"] = new JsonObject { ["output_type"] = "csv", ["timestamp_format"] = "unix", ["field_names"] = new JsonArray("Datetime", "Action") },
        ["last_complete"] = "2025-06-01T10:16:00Z",
    });

    [Fact]
    public async Task JobsCreate_SeedFlags_PostsExpectedJobAndMasksSecret()
    {
        var env = Env();
        env["R2_ACCESS_KEY_ID"] = "AKID";
        env["R2_SECRET_ACCESS_KEY"] = R2Secret;
        _api.SetDatasetFields("gateway_http", [new("Datetime", "d"), new("Action", "a"), new("URL", "u")]);

        var run = await CloudflareCli.RunAsync(
            env,
            "jobs", "create", "--dataset", "gateway_http", "--all-fields", "--output-type", "csv", "--timestamp-format", "unix",
            "--r2-bucket", "logpush-bucket", "--r2-path", "gateway_http/{DATE}", "--max-upload-bytes", "5000000", "--max-upload-records", "1000", "--enabled");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(2, _api.Requests.Count);
        var fields = _api.Requests[0];
        Assert.Equal(("GET", $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/datasets/gateway_http/fields"), (fields.Method, fields.Path));
        Assert.Equal("Bearer " + _api.ApiToken, fields.Header("authorization"));
        var create = _api.Requests[1];
        Assert.Equal(("POST", $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/jobs"), (create.Method, create.Path));
        var expected = new JsonObject
        {
            ["enabled"] = true,
            ["destination_conf"] = $"r2://logpush-bucket/gateway_http/{{DATE}}?account-id={FakeCloudflareApi.DefaultAccountId}&access-key-id=AKID&secret-access-key={R2Secret}",
            ["output_options"] = new JsonObject { ["field_names"] = new JsonArray("Datetime", "Action", "URL"), ["output_type"] = "csv", ["timestamp_format"] = "unix" },
            ["max_upload_bytes"] = 5000000,
            ["max_upload_records"] = 1000,
            ["dataset"] = "gateway_http",
        };
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(create.Body)), create.Body);
        Assert.DoesNotContain(R2Secret, run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(R2Secret, run.StandardError, StringComparison.Ordinal);
        Assert.Contains("secret-access-key=***", run.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^id\s+\d+$", run.StandardOutput);
        Assert.Contains("3: Datetime,Action,URL", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsCreate_Json_PrintsMaskedJob()
    {
        var run = await CloudflareCli.RunAsync(
            Env(),
            "jobs", "create", "--dataset", "gateway_http", "--fields", "Datetime,Action", "--r2-bucket", "b",
            "--r2-access-key-id", "AK", "--r2-secret-access-key", R2Secret, "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var job = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal("gateway_http", job["dataset"]!.GetValue<string>());
        Assert.EndsWith("secret-access-key=***", job["destination_conf"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(R2Secret, run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(R2Secret, _api.Requests.Single().Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsCreate_EuJurisdiction_UsesS3CompatibleDestination()
    {
        var run = await CloudflareCli.RunAsync(
            Env(),
            "jobs", "create", "--dataset", "gateway_http", "--r2-bucket", "eu-logs", "--r2-jurisdiction", "eu",
            "--r2-access-key-id", "AK", "--r2-secret-access-key", "S");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(
            $"s3://eu-logs?region=auto&access-key-id=AK&secret-access-key=S&endpoint={FakeCloudflareApi.DefaultAccountId}.eu.r2.cloudflarestorage.com",
            JsonNode.Parse(_api.Requests.Single().Body)!["destination_conf"]!.GetValue<string>());
    }

    [Fact]
    public async Task JobsCreate_R2BucketWithoutR2Credentials_ExitsUsageNamingVariables()
    {
        var run = await CloudflareCli.RunAsync(Env(), "jobs", "create", "--dataset", "gateway_http", "--r2-bucket", "b");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("R2_ACCESS_KEY_ID", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("R2_SECRET_ACCESS_KEY", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task JobsList_Table_MasksSecretAndShowsColumns()
    {
        var id = AddJob();

        var run = await CloudflareCli.RunAsync(Env(), "jobs", "list");

        Assert.Equal(0, run.ExitCode);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", lines[0], StringComparison.Ordinal);
        Assert.Contains("DESTINATION", lines[0], StringComparison.Ordinal);
        Assert.StartsWith(id.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[1], StringComparison.Ordinal);
        Assert.Contains("gateway_http", lines[1], StringComparison.Ordinal);
        Assert.Contains("2025-06-01T10:16:00Z", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain(R2Secret, run.StandardOutput, StringComparison.Ordinal);
        var request = Assert.Single(_api.Requests);
        Assert.Equal(("GET", $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/jobs", ""), (request.Method, request.Path, request.Query));
    }

    [Fact]
    public async Task JobsList_Json_IsArrayWithMaskedSecrets()
    {
        AddJob();
        AddJob();

        var run = await CloudflareCli.RunAsync(Env(), "jobs", "list", "--json");

        Assert.Equal(0, run.ExitCode);
        var jobs = JsonNode.Parse(run.StandardOutput)!.AsArray();
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.EndsWith("secret-access-key=***", j!["destination_conf"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.DoesNotContain(R2Secret, run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsList_ZoneIdFlag_UsesZonePath()
    {
        var run = await CloudflareCli.RunAsync(Env(withAccount: false), "jobs", "list", "--zone-id", FakeCloudflareApi.DefaultZoneId);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("No Logpush jobs", run.StandardOutput, StringComparison.Ordinal);
        Assert.Equal($"/client/v4/zones/{FakeCloudflareApi.DefaultZoneId}/logpush/jobs", Assert.Single(_api.Requests).Path);
    }

    [Fact]
    public async Task JobsList_ApiBaseFlag_OverridesEnvironment()
    {
        var env = Env();
        env["CLOUDFLARE_API_BASE_URL"] = "http://127.0.0.1:9/client/v4/";

        var run = await CloudflareCli.RunAsync(env, "jobs", "list", "--api-base", _api.BaseAddress.AbsoluteUri);

        Assert.Equal(0, run.ExitCode);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task JobsGet_UpdateDelete_RoundTrip()
    {
        var id = AddJob().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var get = await CloudflareCli.RunAsync(Env(), "jobs", "get", id, "--json");
        var update = await CloudflareCli.RunAsync(Env(), "jobs", "update", id, "--enabled", "false", "--timestamp-format", "rfc3339");
        var delete = await CloudflareCli.RunAsync(Env(), "jobs", "delete", id);

        Assert.Equal(0, get.ExitCode);
        Assert.Equal("gw", JsonNode.Parse(get.StandardOutput)!["name"]!.GetValue<string>());
        Assert.True(update.ExitCode == 0, update.StandardError);
        Assert.Matches(@"(?m)^enabled\s+no$", update.StandardOutput);
        Assert.Matches(@"(?m)^timestamp format\s+rfc3339$", update.StandardOutput);
        var put = _api.Requests.Single(r => r.Method == "PUT");
        var body = JsonNode.Parse(put.Body)!;
        Assert.False(body["enabled"]!.GetValue<bool>());
        Assert.Equal("rfc3339", body["output_options"]!["timestamp_format"]!.GetValue<string>());
        Assert.Equal("csv", body["output_options"]!["output_type"]!.GetValue<string>());
        Assert.Equal("""["Datetime","Action"]""", body["output_options"]!["field_names"]!.ToJsonString());
        Assert.Null(body["destination_conf"]);
        Assert.Equal(0, delete.ExitCode);
        Assert.Contains($"Deleted Logpush job {id}", delete.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(_api.JobsOf(Account));
    }

    [Fact]
    public async Task JobsUpdate_NoChange_ExitsUsage()
    {
        var run = await CloudflareCli.RunAsync(Env(), "jobs", "update", "5");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("at least one change", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsGet_Unknown_ExitsOneWithStatusCodeAndRay()
    {
        var run = await CloudflareCli.RunAsync(Env(), "jobs", "get", "999");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("HTTP 404", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("[1003]", run.StandardError, StringComparison.Ordinal);
        Assert.Matches("cf-ray: [0-9a-f]{16}-LHR", run.StandardError);
        Assert.DoesNotContain(_api.ApiToken, run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsList_RateLimitedOnce_RetriesAndSucceeds()
    {
        _api.FailNext(FakeFailure.TooManyRequests("0"));

        var run = await CloudflareCli.RunAsync(Env(), "jobs", "list");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(2, _api.Requests.Count);
    }

    [Fact]
    public async Task Jobs_NoToken_ExitsUsageNamingVariable()
    {
        var env = Env();
        env["CLOUDFLARE_API_TOKEN"] = null;

        var run = await CloudflareCli.RunAsync(env, "jobs", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("CLOUDFLARE_API_TOKEN", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Jobs_GlobalKeyFromEnvironment_SendsLegacyHeaders()
    {
        var env = Env();
        env["CLOUDFLARE_API_TOKEN"] = null;
        env["CLOUDFLARE_EMAIL"] = _api.Email;
        env["CLOUDFLARE_API_KEY"] = _api.GlobalApiKey;

        var run = await CloudflareCli.RunAsync(env, "jobs", "list");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(_api.GlobalApiKey, Assert.Single(_api.Requests).Header("x-auth-key"));
    }

    [Fact]
    public async Task Jobs_NoAccountOrZone_ExitsUsageNamingFlagsAndVariables()
    {
        var run = await CloudflareCli.RunAsync(Env(withAccount: false), "jobs", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--account-id", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("CLOUDFLARE_ACCOUNT_ID", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("CLOUDFLARE_ZONE_ID", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jobs", "get", "abc")]
    [InlineData("jobs", "create", "--dataset", "gateway_http", "--output-type", "xml")]
    [InlineData("jobs", "create", "--dataset", "gateway_http", "--max-upload-bytes", "100")]
    [InlineData("jobs", "create", "--dataset", "gateway_http", "--all-fields", "--fields", "A")]
    [InlineData("jobs", "create", "--dataset", "gateway_http", "--r2-path", "p")]
    public async Task Jobs_BadArguments_ExitUsage(params string[] args)
    {
        var run = await CloudflareCli.RunAsync(Env(), args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("logpushkit: ", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }
}
