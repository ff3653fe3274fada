using System.Diagnostics.Metrics;
using LogpushKit.Pipeline;
using LogpushKit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The worker's feed health (<c>AddLogpushKitFeed</c>): the check reports the library's FeedHealth over the worker's own
/// pipeline, and each report feeds the <c>logpushkit.feed.*</c> gauges.
/// </summary>
public sealed class FeedHealthCheckTests
{
    private const string Key = "gateway_http/20240601/20240601T000000Z_20240601T000004Z_85e346d9.log.gz";

    [Fact]
    public async Task FeedCheck_OldUnconvertedObject_IsUnhealthyThenHealthyAfterConversion_AndGaugesFollow()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var path = Path.Combine(source.Path, Key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-3));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LogpushKit:Source"] = source.Path,
            ["LogpushKit:Target"] = target.Path,
            ["LogpushKit:FeedHealth:MaxLagSeconds"] = "3600",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddMetrics();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogpushKit(configuration.GetSection("LogpushKit"));
        services.AddHealthChecks().AddLogpushKitFeed();
        await using var provider = services.BuildServiceProvider();
        var checks = provider.GetRequiredService<HealthCheckService>();
        var monitor = provider.GetServices<IHostedService>().OfType<LogpushKitFeedMonitor>().Single();
        var meters = provider.GetRequiredService<IMeterFactory>();
        var unconverted = new Dictionary<bool, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == "logpushkit.feed.unconverted")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => unconverted[(bool)tags[0].Value!] = value);
        listener.Start();

        Assert.Equal(HealthStatus.Degraded, (await checks.CheckHealthAsync()).Entries["logpushkit-feed"].Status);

        await monitor.CheckOnceAsync(CancellationToken.None);
        var before = (await checks.CheckHealthAsync()).Entries["logpushkit-feed"];
        listener.RecordObservableInstruments();

        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Contains(Key, before.Description, StringComparison.Ordinal);
        Assert.Equal(1L, before.Data["overdue"]);
        Assert.Equal(1L, unconverted[true]);

        var pipeline = provider.GetRequiredService<LogpushPipeline>();
        Assert.Equal(ObjectProcessingStatus.Converted, (await pipeline.Processor.ProcessAsync(Key)).Status);
        await monitor.CheckOnceAsync(CancellationToken.None);
        var after = (await checks.CheckHealthAsync()).Entries["logpushkit-feed"];
        listener.RecordObservableInstruments();

        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal(0L, unconverted[true]);
        Assert.Equal(0L, unconverted[false]);
        Assert.True(after.Data.ContainsKey("lagSeconds.gateway_http"));
    }

    [Fact]
    public async Task FeedCheck_SourceGone_IsUnhealthyNamingWhy()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var services = new ServiceCollection().AddLogging();
        services.AddLogpushKit(o =>
        {
            o.Source = source.Path;
            o.Target = target.Path;
        });
        services.AddHealthChecks().AddLogpushKitFeed();
        await using var provider = services.BuildServiceProvider();
        var monitor = provider.GetServices<IHostedService>().OfType<LogpushKitFeedMonitor>().Single();
        Directory.Delete(source.Path, recursive: true);

        await monitor.CheckOnceAsync(CancellationToken.None);
        var entry = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["logpushkit-feed"];

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("The feed could not be checked", entry.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LogpushKit:FeedHealth:IntervalSeconds", "1", "LogpushKit:FeedHealth:IntervalSeconds must be at least 5")]
    [InlineData("LogpushKit:FeedHealth:MaxLagSeconds", "0", "LogpushKit:FeedHealth:MaxLagSeconds must be at least 1")]
    [InlineData("LogpushKit:FeedHealth:IntervalSecond", "60", "LogpushKit:FeedHealth:IntervalSecond is not a setting")]
    public void FeedSettings_OutOfRangeOrMisspelt_AreRefusedByKey(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LogpushKit:Source"] = "/a",
            ["LogpushKit:Target"] = "/b",
            [key] = value,
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddLogpushKit(configuration.GetSection("LogpushKit"));
        services.AddHealthChecks().AddLogpushKitFeed();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<LogpushKitOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }
}
