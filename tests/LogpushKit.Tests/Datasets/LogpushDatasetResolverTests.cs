using LogpushKit.Cloudflare;
using LogpushKit.Datasets;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Datasets;

public sealed class LogpushDatasetResolverTests
{
    private static readonly LogpushDatasetCatalog Catalog = LogpushDatasetCatalog.Default;

    [Fact]
    public void ResolveByKey_SegmentNamesDataset_IsKeyPathAndNearestSegmentWins()
    {
        var resolver = new LogpushDatasetResolver();

        var nested = resolver.ResolveByKey("b", "logs/http_requests/gateway_http/20240821/x.log.gz");
        var file = resolver.ResolveByKey("b", "logs/20240821/gateway_http.log.gz");

        Assert.Equal(DatasetSource.KeyPath, nested.Source);
        Assert.Equal("gateway_http", nested.Dataset!.Name);
        Assert.Equal(DatasetSource.Unknown, file.Source); // the file name itself is not a folder naming a dataset
    }

    [Fact]
    public void ResolveByKey_UnderJobDestination_IsTheJobWithItsFieldsAndTimestampFormat()
    {
        var job = new LogpushJob
        {
            Id = 7,
            Dataset = "gateway_dns",
            DestinationConf = "r2://logs/siem/dns/{DATE}?account-id=a&access-key-id=k&secret-access-key=s",
            OutputOptions = new LogpushOutputOptions { FieldNames = ["Datetime", "QueryName"], TimestampFormat = "rfc3339" },
        };
        Assert.True(LogpushJobRoute.TryFrom(job, out var route));
        Assert.Equal("siem/dns/", route.PathPrefix);
        var resolver = new LogpushDatasetResolver(jobs: [route, new LogpushJobRoute("logs", "siem/", "gateway_http")]);

        var dns = resolver.ResolveByKey("logs", "siem/dns/20240821/20240821T054839Z_20240821T054841Z_a.log.gz");
        var other = resolver.ResolveByKey("logs", "siem/other/20240821/x.log.gz");
        var otherBucket = resolver.ResolveByKey("elsewhere", "siem/dns/20240821/x.log.gz");

        Assert.Equal(DatasetSource.Job, dns.Source);
        Assert.Equal("gateway_dns", dns.Dataset!.Name);
        Assert.Equal(["Datetime", "QueryName"], dns.Job!.FieldNames);
        Assert.Equal(LogpushTimestampFormat.Rfc3339, dns.Job.TimestampFormat);
        Assert.Equal("gateway_http", other.Dataset!.Name); // the longest matching path wins; the shorter one still covers the rest
        Assert.Equal(DatasetSource.Unknown, otherBucket.Source);
    }

    [Fact]
    public void ResolveByKey_TwoJobsOnOnePath_TellNothing()
    {
        var resolver = new LogpushDatasetResolver(jobs: [new LogpushJobRoute("b", "p/", "gateway_dns"), new LogpushJobRoute("b", "p/", "gateway_http")]);

        Assert.Equal(DatasetSource.Unknown, resolver.ResolveByKey("b", "p/20240821/x.log.gz").Source);
    }

    [Fact]
    public void LogpushJobRoute_TryFrom_NonR2DestinationOrNoDataset_IsFalse()
    {
        Assert.False(LogpushJobRoute.TryFrom(new LogpushJob { Dataset = "http_requests", DestinationConf = "https://example.com/logs" }, out _));
        Assert.False(LogpushJobRoute.TryFrom(new LogpushJob { DestinationConf = "r2://b/p?account-id=a&access-key-id=k&secret-access-key=s" }, out _));
        Assert.True(LogpushJobRoute.TryFrom(new LogpushJob { Dataset = "http_requests", DestinationConf = "r2://b?account-id=a&access-key-id=k&secret-access-key=s" }, out var root));
        Assert.Equal(string.Empty, root.PathPrefix);
        Assert.Equal(LogpushTimestampFormat.UnixNano, root.TimestampFormat); // the API's default
    }

    [Fact]
    public void MatchRecordKeys_AllFieldsOfEachDataset_FindsThatDataset()
    {
        foreach (var dataset in Catalog.Datasets)
        {
            var match = LogpushDatasetResolver.MatchRecordKeys(Catalog, [.. dataset.FieldNames.Reverse()]);

            Assert.True(match is not null, dataset.Name);
            Assert.Equal(dataset.Name, match.Name);
            Assert.Equal(dataset.Fields.Count, match.Fields.Count); // the variant whose fields are exactly the keys
        }
    }

    [Fact]
    public void MatchRecordKeys_SubsetOfOneDatasetOnly_FindsIt()
    {
        var match = LogpushDatasetResolver.MatchRecordKeys(Catalog, ["EdgeStartTimestamp", "CacheCacheStatus", "ClientRequestHost"]);

        Assert.Equal("http_requests", match?.Name);
    }

    [Fact]
    public void MatchRecordKeys_AmbiguousOrForeignKeys_IsUnknown()
    {
        // a key every dataset with a Datetime has: several names, none exactly these keys
        Assert.Null(LogpushDatasetResolver.MatchRecordKeys(Catalog, ["Datetime"]));
        Assert.Null(LogpushDatasetResolver.MatchRecordKeys(Catalog, ["EdgeStartTimestamp", "RayID", "ClientRequestHost"])); // http_requests and websocket_analytics
        Assert.Null(LogpushDatasetResolver.MatchRecordKeys(Catalog, ["RayID", "NoSuchField"]));
        Assert.Null(LogpushDatasetResolver.MatchRecordKeys(Catalog, []));
    }

    [Fact]
    public void MatchRecordKeys_ScopeVariants_CountAsOneAndTheSmallerHoldingTheKeysWins()
    {
        var zone = Catalog.Get("firewall_events", LogpushDatasetScope.Zone);
        var account = Catalog.Get("firewall_events", LogpushDatasetScope.Account);
        var accountOnly = account.FieldNames.Except(zone.FieldNames).First();

        Assert.Equal(LogpushDatasetScope.Zone, LogpushDatasetResolver.MatchRecordKeys(Catalog, [.. zone.FieldNames.Take(5)])?.Scope);
        Assert.Equal(LogpushDatasetScope.Account, LogpushDatasetResolver.MatchRecordKeys(Catalog, [.. zone.FieldNames.Take(5), accountOnly])?.Scope);
    }

    [Fact]
    public async Task Transform_AutoDataset_DetectsTakesCatalogColumnsAndConvertsItsTimestamps()
    {
        var fields = Catalog.Get("gateway_http", LogpushDatasetScope.Account).FieldNames.ToArray();
        var record = "{" + string.Join(",", fields.Reverse().Select(f => f == "Datetime" ? "\"Datetime\":1724219319000000000" : $"\"{f}\":\"x\"")) + ",\"BrandNew\":\"n\"}\n";
        var transformer = new LogpushCsvTransformer(new TransformOptions
        {
            Dataset = TransformOptions.AutoDataset,
            DatasetColumns = true,
            TimestampOutput = TimestampOutputFormat.Rfc3339,
        });
        using var output = new MemoryStream();

        var result = await transformer.TransformAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(record)), output);

        Assert.Null(result.Dataset); // BrandNew is no gateway_http field: no dataset holds every key
        var known = record.Replace(",\"BrandNew\":\"n\"", string.Empty, StringComparison.Ordinal);
        using var second = new MemoryStream();
        var detected = await transformer.TransformAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(known)), second);
        Assert.Equal("gateway_http", detected.Dataset);
        Assert.Equal(fields, detected.Columns);
        Assert.Equal(1, detected.TimestampColumns);
        Assert.Contains("2024-08-21T05:48:39Z", System.Text.Encoding.UTF8.GetString(second.ToArray()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NewKeyPolicy.Append, true, 0L)]
    [InlineData(NewKeyPolicy.Ignore, false, 1L)]
    [InlineData(NewKeyPolicy.Fail, false, 1L)]
    public async Task Transform_NamedDatasetColumns_NewKeysFollowThePolicy(NewKeyPolicy policy, bool appended, long badOrUnknown)
    {
        var fields = Catalog.Get("dns_logs").FieldNames.ToArray();
        var record = "{\"" + fields[1] + "\":\"b\",\"Extra\":\"e\",\"" + fields[0] + "\":\"a\"}\n";
        var transformer = new LogpushCsvTransformer(new TransformOptions
        {
            Dataset = "dns_logs",
            DatasetColumns = true,
            OnNewKeys = policy,
            OnBadLine = BadLinePolicy.Skip,
        });
        using var output = new MemoryStream();

        var result = await transformer.TransformAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(record)), output);

        Assert.Equal(["Extra"], result.NewKeyNames);
        Assert.Equal(appended ? [.. fields, "Extra"] : fields, result.Columns);
        Assert.Equal(badOrUnknown, policy == NewKeyPolicy.Fail ? result.BadLines : result.UnknownKeys);
        if (policy != NewKeyPolicy.Fail)
        {
            var row = System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n')[1];
            Assert.StartsWith("a,b,", row, StringComparison.Ordinal);
        }
    }
}
