using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LogpushKit.Datasets;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>run --config FILE</c>: per-dataset columns, timestamps and target templates (with <c>{dataset}</c>) over a folder of
/// several datasets under neutral paths, through the real process (issue 13, item 4); and <c>consume --force</c>.
/// </summary>
public sealed partial class RunDatasetConfigTests
{
    private const string GatewayKey = "batches/a/20240821T054839Z_20240821T054841Z_00000001.log.gz";
    private const string FirewallKey = "batches/b/20240821T054839Z_20240821T054841Z_00000002.log.gz";
    private const string UnknownKey = "batches/c/20240821T054839Z_20240821T054841Z_00000003.log.gz";
    private static readonly LogpushDatasetCatalog Catalog = LogpushDatasetCatalog.Default;

    [Fact]
    public async Task Run_ConfigPerDataset_TimestampsColumnsAndDatasetTemplateThenOnlyTheChangedDatasetReconverts()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var config = new TempDirectory();
        Write(source, GatewayKey, Records("gateway_http", LogpushDatasetScope.Account, unixNano: true));
        Write(source, FirewallKey, Records("firewall_events", LogpushDatasetScope.Zone, unixNano: false));
        Write(source, UnknownKey, "{\"Alpha\":1,\"When\":1724219319}\n");
        var file = WriteConfig(config, """
            { "LogpushKit": { "Datasets": {
                "gateway_http": { "Timestamps": "rfc3339" },
                "firewall_events": { "Fields": [ "RayName", "Action", "Datetime" ], "TargetKeyTemplate": "fw/{dataset}/{name}.csv" }
            } } }
            """);

        var first = await RunAsync(source, target, "--config", file, "--target-template", "{dataset}/{path}.csv", "--timestamps", "unix", "--verbose");

        Assert.True(first.ExitCode == 0, first.StandardError);
        Assert.Contains("run: 3 converted (3 new", first.StandardError, StringComparison.Ordinal);
        // gateway_http: its own timestamps (rfc3339), the run's template
        var gateway = Lines(target, "gateway_http/batches/a/20240821T054839Z_20240821T054841Z_00000001.csv");
        Assert.Equal(string.Join(",", Catalog.Get("gateway_http", LogpushDatasetScope.Account).FieldNames), gateway[0]);
        AssertTimestamps(gateway, "gateway_http", LogpushDatasetScope.Account, Rfc3339());
        // firewall_events: its own columns first and its own template, the run's timestamps (unix)
        var firewall = Lines(target, "fw/firewall_events/20240821T054839Z_20240821T054841Z_00000002.csv");
        Assert.StartsWith("RayName,Action,Datetime,", firewall[0], StringComparison.Ordinal);
        AssertTimestamps(firewall, "firewall_events", LogpushDatasetScope.Zone, Unix());
        // no dataset: {dataset} is "unknown", the run's settings
        Assert.Equal("Alpha,When\n1,1724219319\n", await File.ReadAllTextAsync(Path.Combine(target.Path, "unknown", "batches", "c", "20240821T054839Z_20240821T054841Z_00000003.csv")));

        // the same again rewrites nothing
        var again = await RunAsync(source, target, "--config", file, "--target-template", "{dataset}/{path}.csv", "--timestamps", "unix");
        Assert.True(again.ExitCode == 0, again.StandardError);
        Assert.Contains("run: 0 converted, 3 skipped (3 up to date", again.StandardError, StringComparison.Ordinal);

        // one dataset's timestamps change: that dataset's object only is converted again
        var firewallBefore = File.GetLastWriteTimeUtc(Path.Combine(target.Path, "fw", "firewall_events", "20240821T054839Z_20240821T054841Z_00000002.csv"));
        file = WriteConfig(config, """
            { "LogpushKit": { "Datasets": {
                "gateway_http": { "Timestamps": "unixms" },
                "firewall_events": { "Fields": [ "RayName", "Action", "Datetime" ], "TargetKeyTemplate": "fw/{dataset}/{name}.csv" }
            } } }
            """);
        var changed = await RunAsync(source, target, "--config", file, "--target-template", "{dataset}/{path}.csv", "--timestamps", "unix", "--verbose");
        Assert.True(changed.ExitCode == 0, changed.StandardError);
        Assert.Contains("run: 1 converted (0 new, 0 source changed, 1 options changed, 0 forced), 2 skipped", changed.StandardError, StringComparison.Ordinal);
        AssertTimestamps(Lines(target, "gateway_http/batches/a/20240821T054839Z_20240821T054841Z_00000001.csv"), "gateway_http", LogpushDatasetScope.Account, UnixMs());
        Assert.Equal(firewallBefore, File.GetLastWriteTimeUtc(Path.Combine(target.Path, "fw", "firewall_events", "20240821T054839Z_20240821T054841Z_00000002.csv")));
    }

    [Theory]
    [InlineData("""{ "LogpushKit": { "Datasets": { "gateway_htp": { "Timestamps": "rfc3339" } } } }""", "LogpushKit:Datasets:gateway_htp: 'gateway_htp' is not a Logpush dataset (did you mean gateway_http?)")]
    [InlineData("""{ "LogpushKit": { "Datasets": { "gateway_http": { "Timestamp": "rfc3339" } } } }""", "LogpushKit:Datasets:gateway_http:Timestamp: not a setting (did you mean LogpushKit:Datasets:gateway_http:Timestamps?)")]
    [InlineData("""{ "LogpushKit": { "Datasets": { "gateway_http": { "Timestamps": "rfc3399" } } } }""", "LogpushKit:Datasets:gateway_http:Timestamps: ")]
    [InlineData("""{ "LogpushKit": { "Datasets": { "gateway_http": { "Timestamps": """, "--config ")]
    public async Task Run_BadConfigFile_ExitsTwoNamingTheKeyPath(string json, string expected)
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var config = new TempDirectory();
        Write(source, GatewayKey, Records("gateway_http", LogpushDatasetScope.Account, unixNano: true));

        var run = await RunAsync(source, target, "--config", WriteConfig(config, json));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(target.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Run_ConfigForAnotherDatasetThanDatasetFlag_ExitsTwoNamingFlagAndKey()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var config = new TempDirectory();
        var file = WriteConfig(config, """{ "LogpushKit": { "Datasets": { "firewall_events": { "Timestamps": "unix" } } } }""");

        var run = await RunAsync(source, target, "--config", file, "--dataset", "gateway_http");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("LogpushKit:Datasets:firewall_events: cannot apply: --dataset gateway_http makes every object gateway_http", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consume_Force_IsRefusedAsUsageWithTheReason()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();

        var run = await CliProcess.RunAsync(["consume", "--queue-id", "q", "--account-id", "023e105f4ecef8ad9ca31a8372d0c353", "--source", source.Path, "--target", target.Path, "--force"], stdin: null);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--force does not apply to consume", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("run --force", run.StandardError, StringComparison.Ordinal);
    }

    private static Task<CliRun> RunAsync(TempDirectory source, TempDirectory target, params string[] more)
        => CliProcess.RunAsync(["run", "--source", source.Path, "--target", target.Path, "--concurrency", "2", "--no-jobs", .. more], stdin: null);

    private static string WriteConfig(TempDirectory root, string json)
    {
        var path = Path.Combine(root.Path, "logpushkit.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static void Write(TempDirectory root, string key, string text)
    {
        var path = Path.Combine(root.Path, key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PipelineTestData.Gzip(text));
    }

    private static string[] Lines(TempDirectory target, string key) => File.ReadAllLines(Path.Combine(target.Path, key.Replace('/', Path.DirectorySeparatorChar)));

    private static void AssertTimestamps(string[] lines, string dataset, LogpushDatasetScope scope, Regex pattern)
    {
        var entry = Catalog.Get(dataset, scope);
        var header = lines[0].Split(',');
        var columns = header.Select((n, i) => (n, i)).Where(c => entry.TimestampFields.Contains(c.n)).Select(c => c.i).ToList();
        Assert.NotEmpty(columns);
        Assert.Equal(4, lines.Length);
        Assert.All(lines.Skip(1).SelectMany(l => columns.Select(i => l.Split(',')[i])), c => Assert.Matches(pattern, c));
    }

    /// <summary>Three records with every field of the dataset (keys in reverse order), timestamps in unixnano or rfc3339 with a fraction.</summary>
    private static string Records(string dataset, LogpushDatasetScope scope, bool unixNano)
    {
        var entry = Catalog.Get(dataset, scope);
        var start = new DateTimeOffset(2024, 8, 21, 5, 48, 39, TimeSpan.Zero);
        var text = new StringBuilder();
        for (var r = 0; r < 3; r++)
        {
            var time = start.AddSeconds(r).AddMilliseconds(123);
            var stamp = unixNano
                ? ((time.ToUnixTimeMilliseconds() * 1_000_000L) + 4567).ToString(CultureInfo.InvariantCulture)
                : $"\"{time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff}Z\"";
            text.Append('{').AppendJoin(',', entry.FieldNames.Reverse().Select((f, i) => $"\"{f}\":{(entry.TimestampFields.Contains(f) ? stamp : $"\"v{r}{i}\"")}")).Append("}\n");
        }

        return text.ToString();
    }

    [GeneratedRegex(@"^2024-08-21T05:48:(39|40|41)Z$")]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^17242193(19|20|21)$")]
    private static partial Regex Unix();

    [GeneratedRegex(@"^17242193(19|20|21)123$")]
    private static partial Regex UnixMs();
}
