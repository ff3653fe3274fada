using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// The CLI's manners through the real process against the fake Cloudflare API: a retried call says so on stderr,
/// <c>setup --dry-run</c> plans without credentials, and <c>fields --scope</c> picks a dataset's scope.
/// </summary>
public sealed class CliMannersTests : IAsyncLifetime
{
    private static readonly string[] Setup = ["setup", "--source-bucket", "logpush-src", "--target-bucket", "logpush-csv", "--queue", "logpush-events"];
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task JobsList_503Then200_OneRetryLineOnStderrAndSucceeds()
    {
        _api.FailNext(FakeFailure.ServerError(HttpStatusCode.ServiceUnavailable).For("GET", "/logpush/jobs"));

        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "jobs", "list", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var line = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(
            $@"^logpushkit: retrying GET /accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/jobs in \d+(\.\d)? s \(HTTP 503, attempt 2 of 5\)$",
            line);
        Assert.DoesNotContain(_api.ApiToken, run.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, _api.Requests.Count);
        Assert.NotNull(JsonNode.Parse(run.StandardOutput));
    }

    [Fact]
    public async Task Fields_TwoRetries_TwoLinesCountingTheAttempts()
    {
        _api.SetDatasetFields("gateway_http", [new("Datetime", "When.")]);
        _api.FailNext(FakeFailure.TooManyRequests("0"), times: 2);

        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "gateway_http");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var lines = run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("in 0 s (HTTP 429, attempt 2 of 5)", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("in 0 s (HTTP 429, attempt 3 of 5)", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetupDryRun_NoCredentials_PrintsThePlanWithPlaceholdersAndExitsZero()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), [.. Setup, "--dry-run"]);

        Assert.True(run.ExitCode == 0, run.StandardError);
        foreach (var line in new[]
        {
            "? R2 bucket: logpush-src — create unless it exists",
            "? R2 bucket: logpush-csv — create unless it exists",
            "? lifecycle rule: logpush-csv: abort incomplete multipart uploads after 1 day(s)",
            "? dead-letter queue: logpush-events-dlq — create unless it exists; keeps poison messages 14 days",
            "? queue: logpush-events — create unless it exists",
            "? HTTP pull consumer: logpush-events — create, or change to: dead-letter queue logpush-events-dlq, max retries 3",
            "? notification rule: logpush-src → logpush-events (object-create, prefix 'gateway_http/', suffix '.log.gz')",
            "? Logpush job: gateway_http → r2://logpush-src/gateway_http/{DATE} — create unless it exists, in account <account id>",
        })
        {
            Assert.Contains(line, run.StandardOutput, StringComparison.Ordinal);
        }

        // what a real run still needs, all of it named
        var last = run.StandardOutput.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("Dry run without the API: nothing was read or changed.", last, StringComparison.Ordinal);
        foreach (var name in new[] { "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "--account-id", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY" })
        {
            Assert.Contains(name, last, StringComparison.Ordinal);
        }

        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task SetupDryRun_ZoneDatasetAccountIdOnly_PlansTheJobInThePlaceholderZone()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?> { ["CLOUDFLARE_ACCOUNT_ID"] = FakeCloudflareApi.DefaultAccountId }, [.. Setup, "--dataset", "http_requests", "--dry-run"]);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("? Logpush job: http_requests → r2://logpush-src/http_requests/{DATE} — create unless it exists, in zone <zone id>", run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("CLOUDFLARE_ACCOUNT_ID", run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_NoCredentialsWithoutDryRun_ExitsTwoNamingEveryMissingSetting()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), Setup);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("CLOUDFLARE_API_TOKEN", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("--account-id or CLOUDFLARE_ACCOUNT_ID", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(run.StandardOutput);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task SetupDryRun_MalformedSetting_StillAUsageError()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?> { ["CLOUDFLARE_API_BASE_URL"] = "not a url" }, [.. Setup, "--dry-run"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("CLOUDFLARE_API_BASE_URL", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FieldsOffline_DatasetInBothScopes_UsageErrorNamingScope()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), "fields", "firewall_events", "--offline");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("exists in both scopes (zone: 39 fields, account: 44 fields)", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("--scope zone or --scope account", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zone", 39)]
    [InlineData("account", 44)]
    public async Task FieldsOffline_Scope_PrintsThatVariant(string scope, int fields)
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), "fields", "firewall_events", "--offline", "--scope", scope, "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var json = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal(scope, json["scope"]!.GetValue<string>());
        Assert.Equal(fields, json["fields"]!.AsArray().Count);
    }

    [Fact]
    public async Task FieldsOffline_ZoneIdFlag_TellsTheScope()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), "fields", "firewall_events", "--offline", "--zone-id", FakeCloudflareApi.DefaultZoneId, "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal("zone", JsonNode.Parse(run.StandardOutput)!["scope"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("zone", "zones/" + FakeCloudflareApi.DefaultZoneId)]
    [InlineData("account", "accounts/" + FakeCloudflareApi.DefaultAccountId)]
    public async Task FieldsLive_ScopeWithBothIdsSet_CallsThatScopesEndpoint(string scope, string prefix)
    {
        _api.SetDatasetFields("firewall_events", [new("Action", "What.")]);
        var env = CloudflareCli.Environment(_api);
        env["CLOUDFLARE_ZONE_ID"] = FakeCloudflareApi.DefaultZoneId;

        var run = await CloudflareCli.RunAsync(env, "fields", "firewall_events", "--scope", scope, "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal($"/client/v4/{prefix}/logpush/datasets/firewall_events/fields", Assert.Single(_api.Requests).Path);
        Assert.Equal(scope, JsonNode.Parse(run.StandardOutput)!["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task FieldsLive_BothScopesAndBothIdsWithoutScope_UsageErrorBeforeAnyCall()
    {
        var env = CloudflareCli.Environment(_api);
        env["CLOUDFLARE_ZONE_ID"] = FakeCloudflareApi.DefaultZoneId;

        var run = await CloudflareCli.RunAsync(env, "fields", "firewall_events");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("add --scope zone or --scope account", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("--offline", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task FieldsLive_BothScopesOnlyAccountId_UsesTheAccount()
    {
        _api.SetDatasetFields("firewall_events", [new("Action", "What.")]);

        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "firewall_events", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal($"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/datasets/firewall_events/fields", Assert.Single(_api.Requests).Path);
    }

    [Fact]
    public async Task Fields_ScopeZoneWithoutZoneId_UsageErrorNamingTheZoneSettings()
    {
        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "firewall_events", "--scope", "zone");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--zone-id or CLOUDFLARE_ZONE_ID", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Theory]
    [InlineData("http_requests", "account", "zone-scoped only; drop --scope account")]
    [InlineData("gateway_http", "zone", "account-scoped only; drop --scope zone")]
    public async Task Fields_ScopeTheDatasetLacks_UsageError(string dataset, string scope, string message)
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), "fields", dataset, "--offline", "--scope", scope);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_ScopeZoneWithAccountIdFlag_UsageError()
    {
        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "firewall_events", "--scope", "zone", "--account-id", FakeCloudflareApi.DefaultAccountId);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--scope zone takes the zone id", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }
}
