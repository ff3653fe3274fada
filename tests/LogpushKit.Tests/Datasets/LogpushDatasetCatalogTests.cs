using LogpushKit.Datasets;

namespace LogpushKit.Tests.Datasets;

public sealed class LogpushDatasetCatalogTests
{
    [Fact]
    public void Default_ListsEveryDocumentedDataset()
    {
        var catalog = LogpushDatasetCatalog.Default;
        Assert.Equal(38, catalog.Datasets.Count);
        Assert.Equal(37, catalog.Datasets.Select(d => d.Name).Distinct().Count());
        Assert.All(catalog.Datasets, d => Assert.NotEmpty(d.Fields));
    }

    [Fact]
    public void TryGet_IsCaseInsensitiveAndScopeAware()
    {
        var catalog = LogpushDatasetCatalog.Default;
        Assert.True(catalog.TryGet("GATEWAY_HTTP", null, out var gateway));
        Assert.Equal(LogpushDatasetScope.Account, gateway.Scope);
        Assert.Equal(["Datetime"], gateway.TimestampFields);
        Assert.Contains(gateway.Fields, f => f.Name == "ProxyEndpoint" && f.Type is null);

        var zone = catalog.Get("firewall_events", LogpushDatasetScope.Zone);
        var account = catalog.Get("firewall_events", LogpushDatasetScope.Account);
        Assert.Contains(account.Fields, f => f.Name == "ZoneName");
        Assert.DoesNotContain(zone.Fields, f => f.Name == "ZoneName");
        Assert.Same(zone, catalog.Get("firewall_events"));
        Assert.Equal(2, catalog.FindAll("Firewall_Events").Count);

        Assert.False(catalog.TryGet("gateway_http", LogpushDatasetScope.Zone, out _));
        Assert.False(catalog.TryGet("nope", null, out _));
        Assert.Throws<KeyNotFoundException>(() => catalog.Get("nope"));
        Assert.Empty(catalog.FindAll("nope"));
    }

    [Fact]
    public void HttpRequests_HasItsTimestampFields()
    {
        var http = LogpushDatasetCatalog.Default.Get("http_requests");
        Assert.Equal(LogpushDatasetScope.Zone, http.Scope);
        Assert.Contains("EdgeStartTimestamp", http.TimestampFields);
        Assert.Contains("EdgeEndTimestamp", http.TimestampFields);
        Assert.All(http.TimestampFields, name => Assert.True(http.Fields.Single(f => f.Name == name).IsTimestamp));
    }

    [Fact]
    public void FromFields_BuildsARefreshedEntry_ThatWithReplaces()
    {
        var refreshed = LogpushDataset.FromFields("gateway_http", LogpushDatasetScope.Account, [new("Datetime", "int or string"), new("NewField", "string")]);
        Assert.Equal(["Datetime"], refreshed.TimestampFields);
        var catalog = LogpushDatasetCatalog.Default.With(refreshed);
        Assert.Equal(38, catalog.Datasets.Count);
        Assert.Same(refreshed, catalog.Get("gateway_http"));
        Assert.Same(refreshed, catalog.With(LogpushDataset.FromFields("brand_new", LogpushDatasetScope.Zone, [])).Get("gateway_http"));
    }

    [Fact]
    public void Constructor_DuplicateNameInScope_Throws()
    {
        var a = new LogpushDataset("x", LogpushDatasetScope.Zone, []);
        var b = new LogpushDataset("X", LogpushDatasetScope.Zone, []);
        Assert.Throws<ArgumentException>(() => new LogpushDatasetCatalog([a, b]));
        Assert.Equal(2, new LogpushDatasetCatalog([a, new LogpushDataset("x", LogpushDatasetScope.Account, [])]).Datasets.Count);
    }

    [Fact]
    public void TransformOptions_DatasetCatalog_IsUsedForTimestampFields()
    {
        var catalog = new LogpushDatasetCatalog([LogpushDataset.FromFields("custom", LogpushDatasetScope.Zone, [new("When", "int or string")])]);
        var options = LogpushKit.Transform.TransformOptions.Default with
        {
            Dataset = "custom",
            DatasetCatalog = catalog,
            TimestampOutput = LogpushKit.Transform.TimestampOutputFormat.Unix,
        };
        _ = new LogpushKit.Transform.LogpushCsvTransformer(options);
        Assert.Throws<ArgumentException>(() => new LogpushKit.Transform.LogpushCsvTransformer(options with { DatasetCatalog = null }));
    }

    [Theory]
    [InlineData("int or string; Timestamp at which the edge received the request", "int or string", "Timestamp at which the edge received the request", true)]
    [InlineData("string or int; Time", "string or int", "Time", true)]
    [InlineData("Timestamp;when", "timestamp", "when", true)]
    [InlineData("array[string]; Values; several", "array[string]", "Values; several", false)]
    [InlineData("Array [ Int ] ; codes", "array[int]", "codes", false)]
    [InlineData("bool", "bool", null, false)]
    [InlineData("The action taken; see docs", null, "The action taken; see docs", false)]
    [InlineData("string value of the header", null, "string value of the header", false)]
    [InlineData("", null, null, false)]
    [InlineData(null, null, null, false)]
    public void TryParseApiValue_TypedOrPlain_SplitsOnlyARealType(string? value, string? type, string? description, bool timestamp)
    {
        var typed = LogpushDatasetField.TryParseApiValue(value, out var parsedType, out var parsedDescription);

        Assert.Equal(type is not null, typed);
        Assert.Equal(type, parsedType);
        Assert.Equal(description, parsedDescription);
        Assert.Equal(timestamp, new LogpushDatasetField("f", parsedType).IsTimestamp);
    }

    [Fact]
    public void FromFields_LiveTypeWins_DocumentedTypeFillsTheGaps()
    {
        var documented = LogpushDatasetCatalog.Default.Get("gateway_http");

        var live = LogpushDataset.FromFields("gateway_http", LogpushDatasetScope.Account, [new("Datetime", "Docs say a timestamp"), new("Action", "int; now a number"), new("NewTime", "int or string; new")], documented);

        Assert.Equal([("Datetime", "int or string"), ("Action", "int"), ("NewTime", "int or string")], live.Fields.Select(f => (f.Name, f.Type)));
        Assert.Equal(["Datetime", "NewTime"], live.TimestampFields);
    }
}
