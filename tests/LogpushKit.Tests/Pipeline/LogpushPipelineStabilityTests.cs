using LogpushKit.Pipeline;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

/// <summary>A one-shot pass over a local folder never publishes a file that is still being written.</summary>
public sealed class LogpushPipelineStabilityTests : IDisposable
{
    private readonly TempDirectory _folder = new("stability");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task ReconcileAsync_FileStillBeingWritten_SkippedAsUnsettledWhileFreshButCompleteFilesAreConverted()
    {
        var source = Path.Combine(_folder.Path, "src");
        var target = Path.Combine(_folder.Path, "out");
        Directory.CreateDirectory(source);
        await File.WriteAllBytesAsync(Path.Combine(source, "old.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        File.SetLastWriteTimeUtc(Path.Combine(source, "old.log.gz"), DateTime.UtcNow.AddMinutes(-5));
        await File.WriteAllBytesAsync(Path.Combine(source, "fresh.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        var growing = Path.Combine(source, "growing.log.gz");
        await File.WriteAllBytesAsync(growing, PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));

        // a copy in progress: the file grows every 50 ms for the whole pass
        using var stopWriting = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            while (!stopWriting.IsCancellationRequested)
            {
                await File.AppendAllTextAsync(growing, "more", CancellationToken.None);
                await Task.Delay(50, CancellationToken.None);
            }
        });

        PipelineSummary summary;
        await using (var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = source, Target = target, WatchDebounce = TimeSpan.FromMilliseconds(500) }))
        {
            summary = await pipeline.ReconcileAsync();
        }

        await stopWriting.CancelAsync();
        await writing;

        Assert.Equal(2, summary.Converted);
        Assert.Equal(1, summary.SkippedUnsettled);
        Assert.Equal(0, summary.Failed);
        Assert.True(File.Exists(Path.Combine(target, "old.csv")));
        Assert.Equal(PipelineTestData.ExpectedCsv(3), await File.ReadAllTextAsync(Path.Combine(target, "fresh.csv")));
        Assert.False(File.Exists(Path.Combine(target, "growing.csv")));
    }

    [Fact]
    public async Task ReconcileAsync_LastModifiedInTheFuture_ConvertedAfterOneSettlePeriod_NotWaitedForForever()
    {
        // clock skew, or a copy (rsync -t, tar x) that kept the times of a host whose clock is ahead
        var source = Path.Combine(_folder.Path, "src");
        var target = Path.Combine(_folder.Path, "out");
        Directory.CreateDirectory(source);
        for (var i = 0; i < 3; i++)
        {
            var path = Path.Combine(source, $"future{i}.log.gz");
            await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(i + 1)));
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(1));
        }

        // before, the pass waited until an hour after that time: bounded here so that it fails instead of hanging
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        PipelineSummary summary;
        await using (var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = source, Target = target, WatchDebounce = TimeSpan.FromMilliseconds(500) }))
        {
            summary = await pipeline.ReconcileAsync(cancellationToken: bound.Token);
        }

        Assert.Equal(3, summary.Converted);
        Assert.Equal(0, summary.SkippedUnsettled);
        Assert.Equal(PipelineTestData.ExpectedCsv(3), await File.ReadAllTextAsync(Path.Combine(target, "future2.csv")));
    }
}
