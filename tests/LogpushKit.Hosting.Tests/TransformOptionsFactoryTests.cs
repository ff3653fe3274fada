using LogpushKit.Transform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The worker's transform settings: configuration text parsed by <see cref="TransformOptionsText"/>, the CLI's text
/// form, every option reachable, every failure naming its configuration key.
/// </summary>
public sealed class TransformOptionsFactoryTests
{
    private static LogpushKitTransformOptions Bind(Dictionary<string, string?> transform)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(transform.ToDictionary(kv => "LogpushKit:Transform:" + kv.Key, kv => kv.Value))
            .Build();
        var options = new LogpushKitOptions();
        configuration.GetSection(LogpushKitOptions.SectionName).Bind(options);
        return options.Transform;
    }

    [Fact]
    public void Create_EveryKey_MapsToTransformOptions()
    {
        var transform = Bind(new()
        {
            ["Fields:0"] = "ClientIP, Datetime",
            ["Fields:1"] = "RayID",
            ["WriteHeader"] = "false",
            ["InputFormat"] = "NDJSON",
            ["Dataset"] = "gateway_http",
            ["Delimiter"] = "tab",
            ["CrLf"] = "true",
            ["Bom"] = "true",
            ["Timestamps"] = "custom:yyyy-MM-dd HH:mm:ss",
            ["TimestampFields:0"] = "Datetime",
            ["TimestampInput"] = "rfc3339ms",
            ["TimeZone"] = "Europe/Berlin",
            ["OnBadLine"] = "quarantine",
            ["EscapeFormulas"] = "true",
            ["FailOnUnknownKeys"] = "true",
            ["MaxLineBytes"] = "64K",
            ["MaxDecompressedBytes"] = "512M",
        });

        var options = TransformOptionsFactory.Create(transform);

        Assert.Equal(["ClientIP", "Datetime", "RayID"], options.Fields);
        Assert.False(options.WriteHeader);
        Assert.Equal(LogpushInputFormat.Ndjson, options.InputFormat);
        Assert.Equal("gateway_http", options.Dataset);
        Assert.Equal('\t', options.Delimiter);
        Assert.Equal(CsvRowEnding.CrLf, options.RowEnding);
        Assert.True(options.WriteBom);
        Assert.Equal((TimestampOutputFormat.Custom, "yyyy-MM-dd HH:mm:ss"), (options.TimestampOutput!.Value, options.TimestampCustomFormat));
        Assert.Equal(["Datetime"], options.TimestampFields);
        Assert.Equal(LogpushTimestampFormat.Rfc3339, options.TimestampInput);
        Assert.Equal("Europe/Berlin", options.TimeZone.Id);
        Assert.Equal(BadLinePolicy.Quarantine, options.OnBadLine);
        Assert.True(options.EscapeFormulas);
        Assert.True(options.FailOnUnknownKeys);
        Assert.Equal(64 << 10, options.MaxLineBytes);
        Assert.Equal(512L << 20, options.MaxDecompressedBytes);
    }

    [Fact]
    public void Create_NoKeys_GivesTheDefaults()
        => Assert.Equal(
            TransformOptions.Default with { TimeZone = TimeZoneInfo.Utc, Dataset = TransformOptions.AutoDataset, DatasetColumns = true }, // the worker tells each object's dataset (issue 13)
            TransformOptionsFactory.Create(Bind([])));

    [Fact]
    public void Create_NumbersAsConfigurationWritesThem_AreSizes()
    {
        var options = TransformOptionsFactory.Create(Bind(new() { ["MaxDecompressedBytes"] = "1073741824", ["MaxLineBytes"] = "1000" }));
        Assert.Equal((1L << 30, 1000), (options.MaxDecompressedBytes, options.MaxLineBytes));
    }

    [Theory]
    [InlineData("unix_ms", "LogpushKit:Transform:Timestamps: 'unix_ms' is not a timestamp format (did you mean unixms?)")]
    [InlineData("iso8601", "LogpushKit:Transform:Timestamps: 'iso8601' is not a timestamp format (did you mean rfc3339?)")]
    [InlineData("yyyy-MM-dd", "LogpushKit:Transform:Timestamps: 'yyyy-MM-dd' is not a timestamp format (a .NET date/time pattern is written custom:yyyy-MM-dd)")]
    [InlineData("custom:%", "LogpushKit:Transform:Timestamps: '%' is not a valid .NET custom date/time pattern")]
    public void TryCreate_UnknownTimestampFormat_NamesTheKeyAndIsNeverAPattern(string timestamps, string expected)
    {
        var failures = new List<string>();

        var options = TransformOptionsFactory.TryCreate(Bind(new() { ["Timestamps"] = timestamps, ["Dataset"] = "gateway_http" }), TransformOptionsFactory.Section, failures);

        Assert.Null(options);
        Assert.StartsWith(expected, Assert.Single(failures), StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_EveryBadValue_IsReportedUnderItsKey()
    {
        var failures = new List<string>();

        _ = TransformOptionsFactory.TryCreate(
            Bind(new()
            {
                ["Fields:0"] = "a,a",
                ["InputFormat"] = "xml",
                ["Delimiter"] = "ab",
                ["TimestampInput"] = "unix_ms",
                ["TimeZone"] = "Mars/Olympus_Mons",
                ["OnBadLine"] = "ignore",
                ["MaxLineBytes"] = "3G",
                ["MaxDecompressedBytes"] = "lots",
            }),
            TransformOptionsFactory.Section,
            failures);

        Assert.Equal(
            [
                "LogpushKit:Transform:Fields: 'a' is given twice.",
                "LogpushKit:Transform:InputFormat: 'xml' is not an input format; give auto, ndjson, csv.",
                "LogpushKit:Transform:Delimiter: 'ab' is not a usable delimiter; give one ASCII character other than a quote, CR or LF, or tab.",
                "LogpushKit:Transform:TimestampInput: 'unix_ms' is not a Logpush timestamp format; give auto, unix, unixnano, rfc3339, rfc3339ms, rfc3339ns.",
                "LogpushKit:Transform:TimeZone: 'Mars/Olympus_Mons' is not a known time zone; give an IANA id such as Europe/Berlin, or utc or local.",
                "LogpushKit:Transform:OnBadLine: 'ignore' is not a bad-line policy; give fail, skip, quarantine.",
                "LogpushKit:Transform:MaxLineBytes: '3G' is more than the largest line size, 536870912 bytes.",
                "LogpushKit:Transform:MaxDecompressedBytes: 'lots' is not a positive size; give e.g. 1048576, 512K, 64M or 8G.",
            ],
            failures);
    }

    [Fact]
    public void TryCreate_OptionsThatDoNotFitTogether_NameTheirKeys()
    {
        var failures = new List<string>();

        _ = TransformOptionsFactory.TryCreate(Bind(new() { ["Timestamps"] = "rfc3339", ["InputFormat"] = "csv", ["TimestampFields:0"] = "When" }), "LogpushKit:Datasets:gw:Transform", failures);

        Assert.Equal(
            "LogpushKit:Datasets:gw:Transform:Timestamps on csv input needs LogpushKit:Datasets:gw:Transform:Fields: csv has no header naming its columns, so the timestamp fields cannot be found.",
            Assert.Single(failures));
    }

    [Fact]
    public async Task StartAsync_TimestampsUnixMs_FailsStartUpNamingTheKey()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LogpushKit:Source"] = "/s",
            ["LogpushKit:Target"] = "/t",
            ["LogpushKit:Transform:Timestamps"] = "unix_ms",
            ["LogpushKit:Transform:Dataset"] = "gateway_http",
        });
        builder.Services.AddLogpushKit();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("LogpushKit:Transform:Timestamps: 'unix_ms' is not a timestamp format (did you mean unixms?)", ex.Message, StringComparison.Ordinal);
    }
}
