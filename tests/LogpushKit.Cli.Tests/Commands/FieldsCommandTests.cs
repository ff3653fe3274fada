using System.Text.Json.Nodes;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>logpushkit fields</c> and <c>logpushkit datasets</c> through the real process.</summary>
public sealed class FieldsCommandTests : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Fields_Live_ListsApiFieldsInOrderWithDocumentedTypes()
    {
        _api.SetDatasetFields("gateway_http", [new("Datetime", "When."), new("Action", "What."), new("Brand\nNew", "Line1\nLine2")]);

        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "gateway_http");

        Assert.True(run.ExitCode == 0, run.StandardError);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^FIELD\s+TYPE\s+TIMESTAMP\s+DESCRIPTION$", lines[0]);
        Assert.Matches(@"^Datetime\s+int or string\s+yes\s+When\.$", lines[1]);
        Assert.Matches(@"^Action\s+string\s+no\s+What\.$", lines[2]);
        Assert.Matches(@"^Brand New\s+-\s+no\s+Line1 Line2$", lines[3]);
        Assert.Equal($"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/datasets/gateway_http/fields", Assert.Single(_api.Requests).Path);
    }

    [Fact]
    public async Task Fields_LiveTypedValues_ApiTypesShownAndNewTimestampMarked()
    {
        _api.SetDatasetFields("gateway_http", [new("Datetime", "int or string; When."), new("BrandNewAt", "int or string; A timestamp the docs do not know yet."), new("Action", "string; What; and why.")]);

        var table = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "gateway_http");
        var json = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "gateway_http", "--json");

        Assert.True(table.ExitCode == 0, table.StandardError);
        var lines = table.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^BrandNewAt\s+int or string\s+yes\s+A timestamp the docs do not know yet\.$", lines[2]);
        Assert.Matches(@"^Action\s+string\s+no\s+What; and why\.$", lines[3]);
        var fields = JsonNode.Parse(json.StandardOutput)!["fields"]!.AsArray();
        Assert.Equal(("BrandNewAt", "int or string", true), (fields[1]!["name"]!.GetValue<string>(), fields[1]!["type"]!.GetValue<string>(), fields[1]!["timestamp"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Fields_ZoneDatasetWithBothIds_UsesZoneScope()
    {
        _api.SetDatasetFields("http_requests", [new("ClientIP", "ip")]);
        var env = CloudflareCli.Environment(_api);
        env["CLOUDFLARE_ZONE_ID"] = FakeCloudflareApi.DefaultZoneId;

        var run = await CloudflareCli.RunAsync(env, "fields", "http_requests", "--json");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal($"/client/v4/zones/{FakeCloudflareApi.DefaultZoneId}/logpush/datasets/http_requests/fields", Assert.Single(_api.Requests).Path);
        var json = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal("zone", json["scope"]!.GetValue<string>());
        Assert.Equal("ClientIP", json["fields"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("string", json["fields"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fields_UnknownDataset_ExitsOneWithApiError()
    {
        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "fields", "no_such_dataset");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("HTTP 404", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_Offline_NeedsNoCredentials()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), "fields", "gateway_http", "--offline");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"(?m)^Datetime\s+int or string\s+", run.StandardOutput);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Fields_NoCredentials_ExitsUsageMentioningOffline()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?> { ["CLOUDFLARE_ACCOUNT_ID"] = "a" }, "fields", "gateway_http");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("CLOUDFLARE_API_TOKEN", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Datasets_ListsCatalogOffline()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), "datasets");

        Assert.Equal(0, run.ExitCode);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^DATASET\s+SCOPE\s+FIELDS\s+TIMESTAMP FIELDS$", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^gateway_http\s+account\s+\d+\s+Datetime$"));
        Assert.Contains(lines, l => l.StartsWith("firewall_events ", StringComparison.Ordinal) && l.Contains(" zone ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("firewall_events ", StringComparison.Ordinal) && l.Contains(" account ", StringComparison.Ordinal));
        Assert.Equal(39, lines.Length);
    }

    [Fact]
    public async Task Datasets_JsonZoneScope_OnlyZoneDatasets()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?>(), "datasets", "--scope", "zone", "--json");

        Assert.Equal(0, run.ExitCode);
        var datasets = JsonNode.Parse(run.StandardOutput)!.AsArray();
        Assert.NotEmpty(datasets);
        Assert.All(datasets, d => Assert.Equal("zone", d!["scope"]!.GetValue<string>()));
        Assert.Contains(datasets, d => d!["dataset"]!.GetValue<string>() == "http_requests");
    }
}
