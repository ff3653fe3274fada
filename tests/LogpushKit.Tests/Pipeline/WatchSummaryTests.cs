using System.Diagnostics;
using LogpushKit.Pipeline;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

/// <summary>The summary a whole watch returns: its wall time, and counts per object.</summary>
public sealed class WatchSummaryTests : IDisposable
{
    private readonly TempDirectory _dir = new("logpushkit-watch-summary");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WatchAsync_FirstPassAndWatcherRunAtOnce_ElapsedIsTheWatchsWallTime()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(source);
        var good = Path.Combine(source, "good.log.gz");
        await File.WriteAllBytesAsync(good, PipelineTestData.Gzip(PipelineTestData.Ndjson(20)));
        File.SetLastWriteTimeUtc(good, DateTime.UtcNow.AddMinutes(-5));
        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions
        {
            Source = source,
            Target = Path.Combine(_dir.Path, "csv"),
            WatchDebounce = TimeSpan.FromMilliseconds(50),
        });
        using var stop = new CancellationTokenSource();
        var wall = Stopwatch.StartNew();
        var watching = pipeline.WatchAsync(progress: null, stop.Token);
        var running = Stopwatch.StartNew(); // the watch surely ran from before this until after the cancel below
        await Task.Delay(TimeSpan.FromSeconds(2));
        running.Stop();
        await stop.CancelAsync();
        var summary = await watching;
        wall.Stop();

        Assert.Equal(1, summary.Converted);

        // the first pass, the queue consumer and the watcher each had a clock; added up they made about twice the time
        Assert.InRange(summary.Elapsed, running.Elapsed, wall.Elapsed);
        Assert.Equal(summary.BytesDecompressed / 1e6 / summary.Elapsed.TotalSeconds, summary.MegabytesPerSecond, 6);
    }

    [Fact]
    public async Task ConsumeAsync_FirstPassBesideTheConsumer_ElapsedIsTheConsumesWallTime()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        var target = Path.Combine(_dir.Path, "csv");
        Directory.CreateDirectory(source);
        for (var i = 0; i < 40; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(source, $"{i}.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(200, i)));
        }

        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = source, Target = target, WatchDebounce = TimeSpan.Zero });
        var queue = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(50));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var wall = Stopwatch.StartNew();
        var consuming = pipeline.ConsumeAsync(queue, new LogpushQueueConsumerOptions { IdleDelay = TimeSpan.Zero }, progress: null, stop.Token);
        while ((!Directory.Exists(target) || Directory.GetFiles(target, "*.csv").Length < 40) && wall.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        await Task.Delay(200);
        await stop.CancelAsync();
        var summary = await consuming;
        wall.Stop();

        Assert.Equal(40, summary.Converted);

        // the first pass ran beside the consumer: its time is inside the consume's, not after it
        Assert.InRange(summary.Elapsed, TimeSpan.Zero, wall.Elapsed);
    }
}
