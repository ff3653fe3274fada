using System.Globalization;
using System.Text;
using LogpushKit.Datasets;
using LogpushKit.Pipeline;
using LogpushKit.Testing;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Pipeline;

/// <summary>Per-dataset settings, the <c>{dataset}</c> template token and the csv header by cell count (issue 13, items 3 and 4).</summary>
public sealed class DatasetSettingsTests
{
    private const string GatewayKey = "batches/a/20240821T054839Z_20240821T054841Z_00000001.log.gz";
    private const string FirewallKey = "batches/b/20240821T054839Z_20240821T054841Z_00000002.log.gz";
    private const string UnknownKey = "batches/c/20240821T054839Z_20240821T054841Z_00000003.log.gz";
    private static readonly LogpushDatasetCatalog Catalog = LogpushDatasetCatalog.Default;
    private static readonly DateTimeOffset Start = new(2024, 8, 21, 5, 48, 39, TimeSpan.Zero);
    private readonly TestBucket _source = new("logpush");
    private readonly TestBucket _target = new("csv");

    [Theory]
    [InlineData("{dataset}/{path}.csv", "Gateway_HTTP", "gateway_http/logs/x/20240821T054839Z_20240821T054841Z_a.csv")]
    [InlineData("{dataset}/{path}.csv", null, "unknown/logs/x/20240821T054839Z_20240821T054841Z_a.csv")]
    [InlineData("out/{dataset}-{name}.csv", "firewall_events", "out/firewall_events-20240821T054839Z_20240821T054841Z_a.csv")]
    public void Apply_DatasetToken_IsTheDatasetOrUnknown(string template, string? dataset, string expected)
    {
        var parsed = new TargetKeyTemplate(template);

        Assert.True(parsed.UsesDataset);
        Assert.Equal(expected, parsed.Apply("logs/x/20240821T054839Z_20240821T054841Z_a.log.gz", null, dataset));
    }

    [Fact]
    public void Apply_WithoutDatasetArgument_UsesUnknownAndTemplatesWithoutTheTokenIgnoreIt()
    {
        Assert.Equal("unknown/a.csv", new TargetKeyTemplate("{dataset}/{name}.csv").Apply("x/a.log.gz"));
        Assert.False(TargetKeyTemplate.Default.UsesDataset);
        Assert.Equal("x/a.csv", TargetKeyTemplate.Default.Apply("x/a.log.gz", null, "gateway_http"));
    }

    [Fact]
    public async Task ProcessAsync_DatasetTemplateUnderNeutralPaths_ReadsTheFirstRecordForTargetAndSettings()
    {
        _source.Add(GatewayKey, PipelineTestData.Gzip(Records("gateway_http", LogpushDatasetScope.Account)));
        _source.Add(FirewallKey, PipelineTestData.Gzip(Records("firewall_events", LogpushDatasetScope.Zone)));
        _source.Add(UnknownKey, PipelineTestData.Gzip("{\"Alpha\":1,\"When\":1724219319}\n"));
        var processor = new LogpushObjectProcessor(_source, _target, Options(gatewayTimestamps: TimestampOutputFormat.Rfc3339));

        var gateway = await processor.ProcessAsync(GatewayKey);
        var firewall = await processor.ProcessAsync(FirewallKey);
        var unknown = await processor.ProcessAsync(UnknownKey);

        Assert.Equal("gateway_http/20240821T054839Z_20240821T054841Z_00000001.csv", gateway.TargetKey);
        Assert.Equal(DatasetSource.RecordKeys, gateway.DatasetSource);
        Assert.Equal("firewall_events/20240821T054839Z_20240821T054841Z_00000002.csv", firewall.TargetKey);
        Assert.Equal("unknown/20240821T054839Z_20240821T054841Z_00000003.csv", unknown.TargetKey);
        Assert.Equal(DatasetSource.Unknown, unknown.DatasetSource);
        Assert.Equal("Alpha,When\n1,1724219319\n", _target.ReadText(unknown.TargetKey!));

        // gateway_http's own setting: rfc3339; firewall_events has none, so the run's (unixms)
        var gatewayCsv = Rows(gateway.TargetKey!);
        Assert.Equal([.. Catalog.Get("gateway_http", LogpushDatasetScope.Account).FieldNames], gatewayCsv[0]);
        Assert.All(TimestampCells(gatewayCsv, "gateway_http", LogpushDatasetScope.Account), c => Assert.Matches(@"^2024-08-21T05:48:(39|40|41)Z$", c));
        var firewallCsv = Rows(firewall.TargetKey!);
        Assert.All(TimestampCells(firewallCsv, "firewall_events", LogpushDatasetScope.Zone), c => Assert.Matches(@"^17242193(19|20|21)123$", c));
    }

    [Fact]
    public async Task ProcessAsync_OneDatasetsSettingChanged_ReconvertsThatDatasetOnly()
    {
        _source.Add(GatewayKey, PipelineTestData.Gzip(Records("gateway_http", LogpushDatasetScope.Account)));
        _source.Add(FirewallKey, PipelineTestData.Gzip(Records("firewall_events", LogpushDatasetScope.Zone)));
        var first = new LogpushObjectProcessor(_source, _target, Options(gatewayTimestamps: TimestampOutputFormat.Rfc3339));
        Assert.Equal(ObjectProcessingStatus.Converted, (await first.ProcessAsync(GatewayKey)).Status);
        Assert.Equal(ObjectProcessingStatus.Converted, (await first.ProcessAsync(FirewallKey)).Status);

        var changed = new LogpushObjectProcessor(_source, _target, Options(gatewayTimestamps: TimestampOutputFormat.UnixNano));
        var gateway = await changed.ProcessAsync(GatewayKey);
        var firewall = await changed.ProcessAsync(FirewallKey);

        Assert.Equal(ObjectProcessingStatus.Converted, gateway.Status);
        Assert.Equal(ConversionReason.OptionsChanged, gateway.ConversionReason);
        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, firewall.Status);
    }

    [Fact]
    public async Task ProcessAsync_DatasetFieldsSetting_GivesThoseColumnsFirstAndWinsOverRunFields()
    {
        _source.Add(FirewallKey, PipelineTestData.Gzip(Records("firewall_events", LogpushDatasetScope.Zone)));
        var options = Options(gatewayTimestamps: null) with
        {
            Transform = TransformOptions.Default with { Dataset = TransformOptions.AutoDataset, DatasetColumns = true, OnNewKeys = NewKeyPolicy.Ignore, Fields = ["NotAField"] },
            Datasets = new Dictionary<string, LogpushDatasetSettings>(StringComparer.OrdinalIgnoreCase)
            {
                ["firewall_events"] = new() { Fields = ["RayName", "Action", "Datetime"] },
            },
        };

        var result = await new LogpushObjectProcessor(_source, _target, options).ProcessAsync(FirewallKey);

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        var rows = Rows(result.TargetKey!);
        Assert.Equal(["RayName", "Action", "Datetime"], rows[0]);
        Assert.Equal(4, rows.Length);
    }

    [Fact]
    public void Constructor_SettingsForAnotherDatasetThanTheForcedOne_AreRefused()
    {
        var options = new LogpushObjectProcessorOptions
        {
            Transform = TransformOptions.Default with { Dataset = "http_requests" },
            Datasets = new Dictionary<string, LogpushDatasetSettings> { ["gateway_http"] = new() { Timestamps = TimestampOutputFormat.Unix } },
        };

        var ex = Assert.Throws<ArgumentException>(() => new LogpushObjectProcessor(_source, _target, options));
        Assert.Contains("gateway_http", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transform_CsvWithoutHeader_GetsTheCatalogHeaderWhenExactlyOneFieldSetHasItsCellCount()
    {
        var unique = Catalog.Datasets.First(d => d.TimestampFields.Count > 0 && Catalog.Datasets.Count(o => o.Fields.Count == d.Fields.Count) == 1);
        var cells = unique.Fields.Select(f => f.IsTimestamp ? "1724219319" : "x").ToArray();
        var csv = string.Join(",", cells) + "\n" + string.Join(",", cells) + "\n";
        var options = TransformOptions.Default with { Dataset = TransformOptions.AutoDataset, DatasetColumns = true, TimestampOutput = TimestampOutputFormat.Rfc3339 };

        var (text, result) = await ConvertAsync(options, csv);

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(",", unique.FieldNames), lines[0]);
        Assert.Equal(unique.Name, result.Dataset);
        Assert.Equal(3, lines.Length);
        Assert.Contains("2024-08-21T05:48:39Z", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("1724219319", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transform_CsvWhoseCellCountNoOrSeveralFieldSetsHave_HasNoHeaderAsBefore()
    {
        var shared = Catalog.Datasets.GroupBy(d => d.Fields.Count).FirstOrDefault(g => g.Count() > 1)?.Key;
        var none = Enumerable.Range(2, 400).First(n => Catalog.Datasets.All(d => d.Fields.Count != n));
        foreach (var count in new[] { none }.Concat(shared is { } s ? [s] : []))
        {
            var row = string.Join(",", Enumerable.Repeat("x", count)) + "\n";
            var (text, result) = await ConvertAsync(TransformOptions.Default with { Dataset = TransformOptions.AutoDataset, DatasetColumns = true }, row);

            Assert.Equal(row, text);
            Assert.Null(result.Dataset);
        }
    }

    [Fact]
    public void MatchCellCount_AmongTheVariantsOfANamedDataset_PicksTheVariantWithThatCount()
    {
        var variants = Catalog.FindAll("firewall_events");
        Assert.True(variants.Count > 1);
        var zone = Catalog.Get("firewall_events", LogpushDatasetScope.Zone);

        Assert.Same(zone, LogpushDatasetResolver.MatchCellCount(Catalog, zone.Fields.Count, variants));
        Assert.Null(LogpushDatasetResolver.MatchCellCount(Catalog, 1, variants));
    }

    private static LogpushObjectProcessorOptions Options(TimestampOutputFormat? gatewayTimestamps) => new()
    {
        TargetKeyTemplate = new TargetKeyTemplate("{dataset}/{name}.csv"),
        Transform = TransformOptions.Default with { Dataset = TransformOptions.AutoDataset, DatasetColumns = true, TimestampOutput = TimestampOutputFormat.UnixMs },
        Datasets = gatewayTimestamps is { } format
            ? new Dictionary<string, LogpushDatasetSettings>(StringComparer.OrdinalIgnoreCase) { ["gateway_http"] = new() { Timestamps = format } }
            : new Dictionary<string, LogpushDatasetSettings>(),
    };

    private static async Task<(string Text, TransformResult Result)> ConvertAsync(TransformOptions options, string input)
    {
        using var output = new MemoryStream();
        var result = await new LogpushCsvTransformer(options).TransformAsync(new MemoryStream(Encoding.UTF8.GetBytes(input)), output);
        return (Encoding.UTF8.GetString(output.ToArray()), result);
    }

    private string[][] Rows(string key) => [.. _target.ReadText(key).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(','))];

    private static List<string> TimestampCells(string[][] rows, string dataset, LogpushDatasetScope scope)
    {
        var entry = Catalog.Get(dataset, scope);
        var columns = rows[0].Select((name, i) => (name, i)).Where(c => entry.TimestampFields.Contains(c.name)).Select(c => c.i).ToList();
        Assert.NotEmpty(columns);
        var cells = rows.Skip(1).SelectMany(r => columns.Select(i => r[i])).ToList();
        Assert.Equal(3 * columns.Count, cells.Count);
        return cells;
    }

    /// <summary>Three records with every field of the dataset (keys in reverse order), timestamps in unixnano.</summary>
    internal static string Records(string dataset, LogpushDatasetScope scope)
    {
        var entry = Catalog.Get(dataset, scope);
        var fields = entry.FieldNames.Reverse().ToArray();
        var text = new StringBuilder();
        for (var r = 0; r < 3; r++)
        {
            var nanos = (Start.AddSeconds(r).ToUnixTimeMilliseconds() + 123) * 1_000_000L + 4567;
            text.Append('{');
            for (var f = 0; f < fields.Length; f++)
            {
                var value = entry.TimestampFields.Contains(fields[f]) ? nanos.ToString(CultureInfo.InvariantCulture) : $"\"v{r}{f}\"";
                text.Append(f > 0 ? "," : string.Empty).Append('"').Append(fields[f]).Append("\":").Append(value);
            }

            text.Append("}\n");
        }

        return text.ToString();
    }
}
