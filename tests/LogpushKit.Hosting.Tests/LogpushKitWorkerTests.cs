using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LogpushKit.Pipeline;
using LogpushKit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LogpushKit.Hosting.Tests;

public sealed class LogpushKitWorkerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Worker_LocalFolders_ConvertsExistingThenNewObjectsAndRecordsMetrics()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(source.Path, "gw", "20240821"));
        await File.WriteAllBytesAsync(Path.Combine(source.Path, "gw", "20240821", "20240821T000000Z_20240821T000100Z_a.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(3, 1)));
        var measurements = new ConcurrentBag<(string Instrument, long Value, string? Status)>();
        using var host = ServiceCollectionExtensionsTests.BuildHost(o =>
        {
            (o.Source, o.Target) = (source.Path, target.Path);
            o.WatchDebounceMilliseconds = 100;
        });

        // only this host's meter: other tests in the process convert objects on meters of the same name
        using var listener = Listen(measurements, host.Services.GetRequiredService<IMeterFactory>());

        await host.StartAsync();
        var first = Path.Combine(target.Path, "gw", "20240821", "20240821T000000Z_20240821T000100Z_a.csv");
        await WaitForFileAsync(first);

        // a plain file write (not an atomic put), as s3fs or a copy would do it: taken once it stops changing
        var secondSource = Path.Combine(source.Path, "gw", "20240821", "20240821T000100Z_20240821T000200Z_ü b.log.gz");
        await File.WriteAllBytesAsync(secondSource, PipelineTestData.Gzip(PipelineTestData.Ndjson(4, 2)));
        var second = Path.Combine(target.Path, "gw", "20240821", "20240821T000100Z_20240821T000200Z_ü b.csv");
        await WaitForFileAsync(second);
        await host.StopAsync();

        Assert.Equal(PipelineTestData.ExpectedCsv(3, 1), await File.ReadAllTextAsync(first));
        Assert.Equal(PipelineTestData.ExpectedCsv(4, 2), await File.ReadAllTextAsync(second));
        Assert.Equal(2, measurements.Where(m => m.Instrument == "logpushkit.objects" && m.Status == "converted").Sum(m => m.Value));
        Assert.Equal(7, measurements.Where(m => m.Instrument == "logpushkit.rows").Sum(m => m.Value));
        Assert.Contains(measurements, m => m.Instrument == "logpushkit.object.lag");
        Assert.DoesNotContain(Directory.EnumerateFiles(target.Path, "*", SearchOption.AllDirectories), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_StopWhileIdle_StopsPromptly()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var host = ServiceCollectionExtensionsTests.BuildHost(o => (o.Source, o.Target) = (source.Path, target.Path));

        await host.StartAsync();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await host.StopAsync();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Worker_SourceFolderRemovedAfterTheStartCheck_FailsWithOneLineNamingTheKeyAndStopsTheHost()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        using var host = ServiceCollectionExtensionsTests.BuildHost(o => (o.Source, o.Target) = (source.Path, target.Path));
        _ = host.Services.GetRequiredService<LogpushPipeline>(); // opened (checked) as RunLogpushKitAsync does before the start
        Directory.Delete(source.Path);
        var state = host.Services.GetRequiredService<LogpushKitWorkerState>();
        var lifetime = host.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();

        await host.StartAsync();
        using var cts = new CancellationTokenSource(Timeout);
        while (state.Status != LogpushKitWorkerStatus.Failed)
        {
            await Task.Delay(25, cts.Token);
        }

        Assert.Equal($"LogpushKit:Source: the folder '{source.Path}' does not exist.", state.Failure?.Message);
        Assert.True(lifetime.ApplicationStopping.IsCancellationRequested, "the worker did not stop the host");
        Assert.False(state.IsHealthy);
        Assert.False(Directory.Exists(source.Path));
        await host.StopAsync();
    }

    private static MeterListener Listen(ConcurrentBag<(string, long, string?)> measurements, IMeterFactory scope)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == LogpushKitMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Add((instrument.Name, value, Status(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Add((instrument.Name, (long)value, Status(tags))));
        listener.Start();
        return listener;
    }

    private static string? Status(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "status")
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private static async Task WaitForFileAsync(string path)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!File.Exists(path))
        {
            await Task.Delay(50, cts.Token);
        }
    }
}
