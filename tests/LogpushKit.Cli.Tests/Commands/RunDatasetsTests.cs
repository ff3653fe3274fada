using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LogpushKit.Datasets;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>run</c> over one folder holding several datasets, under neutral paths (no dataset name: the first record tells)
/// and dataset-named paths, each with its own timestamp format, through the real process.
/// </summary>
public sealed partial class RunDatasetsTests
{
    private static readonly LogpushDatasetCatalog Catalog = LogpushDatasetCatalog.Default;
    private static readonly DateTimeOffset Start = new(2024, 8, 21, 5, 48, 39, TimeSpan.Zero);

    [Fact]
    public async Task Run_MixedDatasets_NormalisesEveryTimestampReconvertsOnChangeAndCountsUnknown()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        // neutral paths: an all-fields gateway_http job in unixnano, an all-fields zone firewall_events job in rfc3339ns
        Write(source, "batches/a/20240821T054839Z_20240821T054841Z_00000001.log.gz", Records("gateway_http", LogpushDatasetScope.Account, null, "unixnano", reverse: true));
        Write(source, "batches/b/20240821T054839Z_20240821T054841Z_00000002.log.gz", Records("firewall_events", LogpushDatasetScope.Zone, null, "rfc3339", reverse: false));
        // a dataset-named path: a field-subset http_requests job in unix seconds, keys in another order than the catalog's
        var httpFields = new[] { "RayID", "EdgeEndTimestamp", "ClientIP", "EdgeStartTimestamp" };
        Write(source, "http_requests/20240821/20240821T054839Z_20240821T054841Z_00000003.log.gz", Records("http_requests", LogpushDatasetScope.Zone, httpFields, "unix", reverse: false));
        // neither tells the dataset
        Write(source, "batches/c/20240821T054839Z_20240821T054841Z_00000004.log.gz", "{\"Alpha\":1,\"When\":1724219319}\n{\"Alpha\":2,\"When\":1724219320}\n");

        var first = await RunAsync(source, target, "--timestamps", "rfc3339", "--verbose");

        Assert.True(first.ExitCode == 0, first.StandardError);
        Assert.Contains("run: 4 converted (4 new, 0 source changed, 0 options changed, 0 forced)", first.StandardError, StringComparison.Ordinal);
        Assert.Contains("1 dataset unknown", first.StandardError, StringComparison.Ordinal);
        Assert.Contains("gateway_http (record keys)", first.StandardError, StringComparison.Ordinal);
        Assert.Contains("firewall_events (record keys)", first.StandardError, StringComparison.Ordinal);
        Assert.Contains("http_requests (key path)", first.StandardError, StringComparison.Ordinal);
        Assert.Contains("dataset unknown", first.StandardError, StringComparison.Ordinal);
        AssertDataset(target, "batches/a/20240821T054839Z_20240821T054841Z_00000001.csv", "gateway_http", LogpushDatasetScope.Account, Rfc3339());
        AssertDataset(target, "batches/b/20240821T054839Z_20240821T054841Z_00000002.csv", "firewall_events", LogpushDatasetScope.Zone, Rfc3339());
        AssertDataset(target, "http_requests/20240821/20240821T054839Z_20240821T054841Z_00000003.csv", "http_requests", LogpushDatasetScope.Zone, Rfc3339());
        // the unknown object: its own keys, its timestamps as written
        Assert.Equal("Alpha,When\n1,1724219319\n2,1724219320\n", await File.ReadAllTextAsync(Path.Combine(target.Path, "batches", "c", "20240821T054839Z_20240821T054841Z_00000004.csv")));

        // the same options again rewrite nothing
        var before = Snapshot(target.Path);
        var same = await RunAsync(source, target, "--timestamps", "rfc3339");
        Assert.True(same.ExitCode == 0, same.StandardError);
        Assert.Contains("run: 0 converted, 4 skipped (4 up to date", same.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(target.Path));

        // another timestamp format reconverts every object, for its options
        var changed = await RunAsync(source, target, "--timestamps", "unixms", "--verbose");
        Assert.True(changed.ExitCode == 0, changed.StandardError);
        Assert.Contains("run: 4 converted (0 new, 0 source changed, 4 options changed, 0 forced)", changed.StandardError, StringComparison.Ordinal);
        Assert.Equal(4, OptionsChangedLines().Matches(changed.StandardError).Count);
        AssertDataset(target, "batches/a/20240821T054839Z_20240821T054841Z_00000001.csv", "gateway_http", LogpushDatasetScope.Account, UnixMs());
        AssertDataset(target, "batches/b/20240821T054839Z_20240821T054841Z_00000002.csv", "firewall_events", LogpushDatasetScope.Zone, UnixMs());
        AssertDataset(target, "http_requests/20240821/20240821T054839Z_20240821T054841Z_00000003.csv", "http_requests", LogpushDatasetScope.Zone, UnixMs());

        // --force rewrites everything in scope, and says so
        var forced = await RunAsync(source, target, "--timestamps", "unixms", "--force");
        Assert.True(forced.ExitCode == 0, forced.StandardError);
        Assert.Contains("run: 4 converted (0 new, 0 source changed, 0 options changed, 4 forced)", forced.StandardError, StringComparison.Ordinal);

        // a changed source is told apart from changed options
        Write(source, "batches/c/20240821T054839Z_20240821T054841Z_00000004.log.gz", "{\"Alpha\":3,\"When\":1724219321}\n");
        var sourceChanged = await RunAsync(source, target, "--timestamps", "unixms");
        Assert.True(sourceChanged.ExitCode == 0, sourceChanged.StandardError);
        Assert.Contains("run: 1 converted (0 new, 1 source changed, 0 options changed, 0 forced), 3 skipped", sourceChanged.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ForceWithWatch_IsRefusedAsUsage()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();

        var run = await RunAsync(source, target, "--force", "--watch");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--force", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ForcedDatasetOfOtherRecords_ConvertsTheNamedDatasetOnly()
    {
        // --dataset NAME still forces one dataset: the gateway_http records get gateway_http's columns even under a firewall_events folder
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, "firewall_events/x/20240821T054839Z_20240821T054841Z_00000001.log.gz", Records("gateway_http", LogpushDatasetScope.Account, null, "unixnano", reverse: false));

        var run = await RunAsync(source, target, "--dataset", "gateway_http", "--timestamps", "rfc3339");

        Assert.True(run.ExitCode == 0, run.StandardError);
        AssertDataset(target, "firewall_events/x/20240821T054839Z_20240821T054841Z_00000001.csv", "gateway_http", LogpushDatasetScope.Account, Rfc3339());
    }

    [Fact]
    public async Task Run_NewlinesInCellsSpace_WritesOneLinePerRow()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Write(source, "x/20240821T054839Z_20240821T054841Z_00000001.log.gz", "{\"Note\":\"a\\nb\\r\\nc\",\"N\":1}\n");

        var keep = await RunAsync(source, target);
        Assert.True(keep.ExitCode == 0, keep.StandardError);
        Assert.Equal("Note,N\n\"a\nb\r\nc\",1\n", await File.ReadAllTextAsync(Path.Combine(target.Path, "x", "20240821T054839Z_20240821T054841Z_00000001.csv")));

        var space = await RunAsync(source, target, "--newlines-in-cells", "space");
        Assert.True(space.ExitCode == 0, space.StandardError);
        Assert.Contains("1 options changed", space.StandardError, StringComparison.Ordinal);
        Assert.Equal("Note,N\na b c,1\n", await File.ReadAllTextAsync(Path.Combine(target.Path, "x", "20240821T054839Z_20240821T054841Z_00000001.csv")));

        var escape = await RunAsync(source, target, "--newlines-in-cells", "escape");
        Assert.True(escape.ExitCode == 0, escape.StandardError);
        Assert.Equal("Note,N\na\\nb\\r\\nc,1\n", await File.ReadAllTextAsync(Path.Combine(target.Path, "x", "20240821T054839Z_20240821T054841Z_00000001.csv")));
    }

    private static Task<CliRun> RunAsync(TempDirectory source, TempDirectory target, params string[] more)
        => CliProcess.RunAsync(["run", "--source", source.Path, "--target", target.Path, "--concurrency", "2", .. more], stdin: null);

    private static void Write(TempDirectory root, string key, string text)
    {
        var path = Path.Combine(root.Path, key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PipelineTestData.Gzip(text));
    }

    /// <summary>Three records of a dataset: every field (or <paramref name="only"/>), timestamps written in <paramref name="format"/>.</summary>
    private static string Records(string dataset, LogpushDatasetScope scope, string[]? only, string format, bool reverse)
    {
        var entry = Catalog.Get(dataset, scope);
        var fields = only ?? [.. entry.FieldNames];
        if (reverse)
        {
            Array.Reverse(fields);
        }

        var text = new StringBuilder();
        for (var r = 0; r < 3; r++)
        {
            var time = Start.AddSeconds(r).AddTicks(1234567);
            text.Append('{');
            for (var f = 0; f < fields.Length; f++)
            {
                var value = !entry.TimestampFields.Contains(fields[f]) ? $"\"v{r}{f}\"" : format switch
                {
                    "unixnano" => ((time.ToUnixTimeMilliseconds() * 1_000_000) + 4567).ToString(CultureInfo.InvariantCulture),
                    "unix" => time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                    _ => $"\"{time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fffffff}Z\"",
                };
                text.Append(f > 0 ? "," : string.Empty).Append('"').Append(fields[f]).Append("\":").Append(value);
            }

            text.Append("}\n");
        }

        return text.ToString();
    }

    /// <summary>The CSV has the dataset's catalog columns in catalog order, and every timestamp cell matches <paramref name="timestamp"/>.</summary>
    private static void AssertDataset(TempDirectory target, string key, string dataset, LogpushDatasetScope scope, Regex timestamp)
    {
        var entry = Catalog.Get(dataset, scope);
        var lines = File.ReadAllLines(Path.Combine(target.Path, key.Replace('/', Path.DirectorySeparatorChar)));
        var header = lines[0].Split(',');
        Assert.Equal([.. entry.FieldNames], header);
        Assert.Equal(4, lines.Length);
        var timestampColumns = header.Select((name, i) => (name, i)).Where(c => entry.TimestampFields.Contains(c.name)).ToList();
        Assert.NotEmpty(timestampColumns);
        var checkedCells = 0;
        foreach (var row in lines.Skip(1))
        {
            var cells = row.Split(',');
            Assert.Equal(header.Length, cells.Length);
            foreach (var (name, i) in timestampColumns)
            {
                if (cells[i].Length == 0)
                {
                    continue; // a field the job does not write
                }

                Assert.True(timestamp.IsMatch(cells[i]), $"{key}: {name} = '{cells[i]}'");
                checkedCells++;
            }
        }

        Assert.True(checkedCells >= 3, $"{key}: only {checkedCells} timestamp cells");
    }

    private static Dictionary<string, (DateTime, long)> Snapshot(string root)
        => Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => (File.GetLastWriteTimeUtc(f), new FileInfo(f).Length));

    [GeneratedRegex(@"^2024-08-21T05:48:(39|40|41)Z$")]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^17242193(19|20|21)(123|000)$")]
    private static partial Regex UnixMs();

    [GeneratedRegex(@"options changed; dataset ")]
    private static partial Regex OptionsChangedLines();
}
