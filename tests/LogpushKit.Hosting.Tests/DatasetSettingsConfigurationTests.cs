using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Datasets;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using LogpushKit.Transform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The per-dataset settings (<c>LogpushKit:Datasets</c>) as the worker and the CLI's <c>--config</c> read them, the
/// worker's Logpush job listing, and the worker over several datasets (issue 13, items 1 and 4).
/// </summary>
public sealed class DatasetSettingsConfigurationTests
{
    private static readonly TransformOptions Auto = TransformOptions.Default with { Dataset = TransformOptions.AutoDataset, DatasetColumns = true };

    [Fact]
    public void ReadDatasetSettings_EveryKey_IsParsedAsTheRunWideSettingOfThatName()
    {
        var settings = LogpushKitConfiguration.ReadDatasetSettings(
            Config(
                ("LogpushKit:Datasets:gateway_http:Timestamps", "custom:yyyy-MM-dd HH:mm:ss"),
                ("LogpushKit:Datasets:gateway_http:TargetKeyTemplate", "{dataset}/{path}.csv"),
                ("LogpushKit:Datasets:Firewall_Events:Fields:0", "RayName"),
                ("LogpushKit:Datasets:Firewall_Events:Fields:1", "Datetime")),
            Auto,
            "--dataset");

        var gateway = settings["gateway_http"];
        Assert.Equal(TimestampOutputFormat.Custom, gateway.Timestamps);
        Assert.Equal("yyyy-MM-dd HH:mm:ss", gateway.TimestampCustomFormat);
        Assert.Equal("{dataset}/{path}.csv", gateway.TargetKeyTemplate!.Template);
        Assert.Null(gateway.Fields);
        Assert.Equal(["RayName", "Datetime"], settings["firewall_events"].Fields);
        Assert.Null(settings["firewall_events"].Timestamps);
    }

    [Theory]
    [InlineData("LogpushKit:Datasets:gateway_htp:Timestamps", "rfc3339", "LogpushKit:Datasets:gateway_htp: 'gateway_htp' is not a Logpush dataset (did you mean gateway_http?)")]
    [InlineData("LogpushKit:Datasets:gateway_http:Timestamp", "rfc3339", "LogpushKit:Datasets:gateway_http:Timestamp: not a setting (did you mean LogpushKit:Datasets:gateway_http:Timestamps?)")]
    [InlineData("LogpushKit:Datasets:gateway_http:Timestamps", "rfc3399", "LogpushKit:Datasets:gateway_http:Timestamps: ")]
    [InlineData("LogpushKit:Datasets:gateway_http:TargetKeyTemplate", "{dataset}.csv", "LogpushKit:Datasets:gateway_http:TargetKeyTemplate: ")]
    [InlineData("LogpushKit:Datasets:gateway_http", "rfc3339", "LogpushKit:Datasets:gateway_http: not a setting")]
    [InlineData("LogpushKit:Transform:Timestamps", "rfc3339", "LogpushKit:Transform: not read here")]
    [InlineData("Logging:LogLevel:Default", "Debug", "Logging: not a setting")]
    public void ReadDatasetSettings_BadKeyOrValue_IsRefusedNamingTheKeyPath(string key, string value, string expected)
    {
        var ex = Assert.Throws<LogpushSettingException>(() => LogpushKitConfiguration.ReadDatasetSettings(Config((key, value)), Auto, "--dataset"));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadDatasetSettings_OtherDatasetThanTheForcedOne_IsRefusedNamingTheFlagAndTheKey()
    {
        var ex = Assert.Throws<LogpushSettingException>(() => LogpushKitConfiguration.ReadDatasetSettings(
            Config(("LogpushKit:Datasets:http_requests:Timestamps", "unix")),
            Auto with { Dataset = "gateway_http" },
            "--dataset"));

        Assert.Equal("LogpushKit:Datasets:http_requests: cannot apply: --dataset gateway_http makes every object gateway_http. Drop one of them.", ex.Message);
    }

    [Fact]
    public async Task StartAsync_MisspeltDatasetOrKey_FailsNamingEachKeyPath()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var host = ServiceCollectionExtensionsTests.BuildHost(
            o => (o.Source, o.Target) = (source.Path, target.Path),
            services => services.AddSingleton<IValidateOptions<LogpushKitOptions>>(new UnknownConfigurationKeysValidator(
                Config(("LogpushKit:Datasets:gateway_http:Timestamp", "unix")).GetSection(LogpushKitOptions.SectionName))));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(ex.Failures, f => f.StartsWith("LogpushKit:Datasets:gateway_http:Timestamp is not a setting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_UnknownDatasetName_FailsWithTheNearestName()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var host = ServiceCollectionExtensionsTests.BuildHost(o =>
        {
            (o.Source, o.Target) = (source.Path, target.Path);
            o.Datasets["firewall_event"] = new LogpushKitDatasetOptions { Timestamps = "unix" };
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("LogpushKit:Datasets:firewall_event: 'firewall_event' is not a Logpush dataset (did you mean firewall_events?).", ex.Failures);
    }

    [Fact]
    public async Task ListJobs_CredentialsAndAccount_ListsOnceAndObjectsUnderTheJobGetItsColumns()
    {
        await using var api = await FakeCloudflareApi.StartAsync();
        AddJob(api);
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, "neutral/20240821/20240821T054839Z_20240821T054841Z_00000001.log.gz", "{\"RayID\":\"r1\",\"ClientIP\":\"192.0.2.1\"}\n");
        using var host = ServiceCollectionExtensionsTests.BuildHost(o =>
        {
            (o.Source, o.Target) = (source.Path, target.Path);
            (o.Queue.AccountId, o.Queue.ApiToken, o.Queue.ApiBaseUrl) = (FakeCloudflareApi.DefaultAccountId, api.ApiToken, api.BaseAddress.ToString());
            o.WatchDebounceMilliseconds = 50;
        });

        await host.StartAsync();
        var csv = Path.Combine(target.Path, "neutral", "20240821", "20240821T054839Z_20240821T054841Z_00000001.csv");
        await WaitForFileAsync(csv);
        await host.StopAsync();

        Assert.Single(api.Requests, r => r.Method == "GET" && r.Path == $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/jobs");
        Assert.Equal("EdgeStartTimestamp,ClientIP,RayID\n,192.0.2.1,r1\n", await File.ReadAllTextAsync(csv));
    }

    [Fact]
    public async Task ListJobs_FailedListing_LogsOneMaskedWarningAndGoesOn()
    {
        await using var api = await FakeCloudflareApi.StartAsync();
        AddJob(api);
        api.FailNext(new FakeFailure { Status = HttpStatusCode.Forbidden, Errors = [(10000, "Authentication error for token " + api.ApiToken)], PathContains = "/logpush/jobs" }, times: 5);
        using var source = new TempDirectory();
        var options = new LogpushKitOptions { Source = source.Path, Target = source.Path + "-out" };
        (options.Queue.AccountId, options.Queue.ApiToken, options.Queue.ApiBaseUrl) = (FakeCloudflareApi.DefaultAccountId, api.ApiToken, api.BaseAddress.ToString());
        var logger = new ListLogger<LogpushKitOptions>();

        var routes = LogpushKitPipelineFactory.ListJobs(options, Auto, new OneLoggerFactory(logger));

        Assert.Empty(routes);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains($"could not list the Logpush jobs of account {FakeCloudflareApi.DefaultAccountId}", warning.Message, StringComparison.Ordinal);
        Assert.Contains("10000", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(api.ApiToken, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListJobs_ForcedDatasetOrNoCredentials_ListsNothing()
    {
        await using var api = await FakeCloudflareApi.StartAsync();
        AddJob(api);
        using var source = new TempDirectory();
        var options = new LogpushKitOptions { Source = source.Path, Target = source.Path + "-out" };
        (options.Queue.AccountId, options.Queue.ApiToken, options.Queue.ApiBaseUrl) = (FakeCloudflareApi.DefaultAccountId, api.ApiToken, api.BaseAddress.ToString());
        var logger = new ListLogger<LogpushKitOptions>();

        Assert.Empty(LogpushKitPipelineFactory.ListJobs(options, Auto with { Dataset = "http_requests" }, new OneLoggerFactory(logger)));
        Assert.Empty(api.Requests);
        Assert.Single(LogpushKitPipelineFactory.ListJobs(options, Auto, new OneLoggerFactory(logger)));
        Assert.Single(api.Requests);
    }

    [Fact]
    public async Task Worker_MixedDatasetsUnderNeutralPaths_NormalisesTimestampsPerDataset()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, "batches/a/20240821T054839Z_20240821T054841Z_00000001.log.gz", Records("gateway_http", LogpushDatasetScope.Account, unixNano: true));
        Write(source, "batches/b/20240821T054839Z_20240821T054841Z_00000002.log.gz", Records("firewall_events", LogpushDatasetScope.Zone, unixNano: false));
        Write(source, "batches/c/20240821T054839Z_20240821T054841Z_00000003.log.gz", Records("http_requests", LogpushDatasetScope.Zone, unixNano: true));
        using var host = ServiceCollectionExtensionsTests.BuildHost(o =>
        {
            (o.Source, o.Target) = (source.Path, target.Path);
            o.TargetKeyTemplate = "{dataset}/{name}.csv";
            o.Transform.Timestamps = "rfc3339";
            o.Datasets["firewall_events"] = new LogpushKitDatasetOptions { Timestamps = "unixms" };
        });

        await host.StartAsync();
        var gateway = Path.Combine(target.Path, "gateway_http", "20240821T054839Z_20240821T054841Z_00000001.csv");
        var firewall = Path.Combine(target.Path, "firewall_events", "20240821T054839Z_20240821T054841Z_00000002.csv");
        var http = Path.Combine(target.Path, "http_requests", "20240821T054839Z_20240821T054841Z_00000003.csv");
        await WaitForFileAsync(gateway);
        await WaitForFileAsync(firewall);
        await WaitForFileAsync(http);
        await host.StopAsync();

        AssertTimestamps(gateway, "gateway_http", LogpushDatasetScope.Account, @"^2024-08-21T05:48:(39|40|41)Z$");
        AssertTimestamps(http, "http_requests", LogpushDatasetScope.Zone, @"^2024-08-21T05:48:(39|40|41)Z$");
        AssertTimestamps(firewall, "firewall_events", LogpushDatasetScope.Zone, @"^17242193(19|20|21)123$");
    }

    private static void AssertTimestamps(string path, string dataset, LogpushDatasetScope scope, string pattern)
    {
        var entry = LogpushDatasetCatalog.Default.Get(dataset, scope);
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        Assert.Equal([.. entry.FieldNames], header);
        var columns = header.Select((n, i) => (n, i)).Where(c => entry.TimestampFields.Contains(c.n)).Select(c => c.i).ToList();
        Assert.NotEmpty(columns);
        Assert.Equal(4, lines.Length);
        Assert.All(lines.Skip(1).SelectMany(l => columns.Select(i => l.Split(',')[i])), c => Assert.Matches(pattern, c));
    }

    private static string Records(string dataset, LogpushDatasetScope scope, bool unixNano)
    {
        var entry = LogpushDatasetCatalog.Default.Get(dataset, scope);
        var start = new DateTimeOffset(2024, 8, 21, 5, 48, 39, TimeSpan.Zero);
        var text = new System.Text.StringBuilder();
        for (var r = 0; r < 3; r++)
        {
            var time = start.AddSeconds(r).AddMilliseconds(123);
            var stamp = unixNano
                ? ((time.ToUnixTimeMilliseconds() * 1_000_000L) + 4567).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : $"\"{time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff}Z\"";
            text.Append('{').AppendJoin(',', entry.FieldNames.Reverse().Select((f, i) => $"\"{f}\":{(entry.TimestampFields.Contains(f) ? stamp : $"\"v{r}{i}\"")}")).Append("}\n");
        }

        return text.ToString();
    }

    private static void AddJob(FakeCloudflareApi api) => api.AddJob(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId), new JsonObject
    {
        ["dataset"] = "http_requests",
        ["name"] = "http",
        ["enabled"] = true,
        ["destination_conf"] = $"r2://logs/neutral/{{DATE}}?account-id={FakeCloudflareApi.DefaultAccountId}&access-key-id=AK&secret-access-key=SK",
        ["output_options"] = new JsonObject { ["output_type"] = "ndjson", ["timestamp_format"] = "unixnano", ["field_names"] = new JsonArray("EdgeStartTimestamp", "ClientIP", "RayID") },
    });

    private static IConfiguration Config(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static void Write(TempDirectory root, string key, string text)
    {
        var path = Path.Combine(root.Path, key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PipelineTestData.Gzip(text));
    }

    private static async Task WaitForFileAsync(string path)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!File.Exists(path))
        {
            await Task.Delay(25, cts.Token);
        }
    }

    private sealed class OneLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
