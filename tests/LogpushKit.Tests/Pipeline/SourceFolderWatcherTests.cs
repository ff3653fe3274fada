using System.Runtime.CompilerServices;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// The folder watcher never ends for an error: it reports, counts and retries. Faults are injected at the bucket seam
/// (a wrapper whose list or head fails as an unreadable folder or file would), since the test process runs as root in
/// CI and cannot be denied a read; the real permission failures are covered by the child-process tests
/// (<see cref="LogpushReconcilerProcessTests"/>, <c>FileSystemBucketTests</c>).
/// </summary>
public sealed class SourceFolderWatcherTests : IDisposable
{
    private readonly TempDirectory _folder = new("watch");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task RunAsync_MissingFolder_ThrowsNamingItAndCreatesNothing()
    {
        var missing = Path.Combine(_folder.Path, "not-there");
        var source = new FileSystemBucket(missing);
        var watcher = new SourceFolderWatcher(missing, new LogpushObjectProcessor(source, new InMemoryBucket()), new InProcessEventQueue());

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => watcher.RunAsync(scanFirst: true));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task ScanAsync_FileWrittenWithinTheDebounce_IsNotEnqueuedUntilItHasSettled()
    {
        // A folder that appears with files still being copied into it is scanned at once (it raises no event per file):
        // a file written less than a debounce period ago may be incomplete, so the scan leaves it to the settle check.
        var path = Path.Combine(_folder.Path, "fresh.log.gz");
        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var queue = new InProcessEventQueue(pollWait: TimeSpan.Zero);
        var watcher = new SourceFolderWatcher(_folder.Path, new LogpushObjectProcessor(new FileSystemBucket(_folder.Path), new InMemoryBucket()), queue, TimeSpan.FromMinutes(1));

        Assert.Equal(0, await watcher.ScanAsync());
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)));

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-2));
        Assert.Equal(1, await watcher.ScanAsync());
        Assert.Equal("fresh.log.gz", Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1))).Notification!.Object.Key);
    }

    [Fact]
    public async Task RunAsync_ScanCannotReadAPart_CountsAndRetriesAndKeepsWatching()
    {
        await File.WriteAllBytesAsync(Path.Combine(_folder.Path, "a.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var source = new FaultySource(new FileSystemBucket(_folder.Path)) { FailingLists = 2 };
        var queue = new InProcessEventQueue(pollWait: TimeSpan.Zero);
        var watcher = new SourceFolderWatcher(_folder.Path, new LogpushObjectProcessor(source, new InMemoryBucket()), queue, TimeSpan.FromMilliseconds(50), retryDelay: TimeSpan.FromMilliseconds(100));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var running = watcher.RunAsync(scanFirst: true, stop.Token);
        await WaitUntilAsync(() => source.Lists >= 3, stop.Token);
        await File.WriteAllBytesAsync(Path.Combine(_folder.Path, "b.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var keys = new List<string>();
        await WaitUntilAsync(
            () =>
            {
                keys.AddRange(queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)).GetAwaiter().GetResult().Select(m => m.Notification!.Object.Key));
                return keys.Contains("b.log.gz");
            },
            stop.Token);
        await stop.CancelAsync();
        await running;

        var summary = watcher.Statistics.Snapshot();
        Assert.Equal(2, summary.Failed);
        Assert.All(summary.Failures, f => Assert.Equal("locked/", f.SourceKey));
        Assert.All(summary.Failures, f => Assert.Contains("Permission denied", f.Reason, StringComparison.Ordinal));
        Assert.Contains("a.log.gz", keys);
    }

    [Fact]
    public async Task RunAsync_AppearingFileCannotBeRead_IsEnqueuedSoItsFailureIsCountedWhereEveryObjectsIs()
    {
        var source = new FaultySource(new FileSystemBucket(_folder.Path)) { FailHead = key => key == "bad.log.gz" };
        var queue = new InProcessEventQueue(pollWait: TimeSpan.Zero);
        var processor = new LogpushObjectProcessor(source, new InMemoryBucket());
        var watcher = new SourceFolderWatcher(_folder.Path, processor, queue, TimeSpan.FromMilliseconds(50));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var running = watcher.RunAsync(scanFirst: false, stop.Token);
        await Task.Delay(200, stop.Token);

        await File.WriteAllBytesAsync(Path.Combine(_folder.Path, "bad.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        ObjectEventMessage? message = null;
        await WaitUntilAsync(() => (message = queue.ReceiveAsync(1, TimeSpan.FromMinutes(1)).GetAwaiter().GetResult().FirstOrDefault()) is not null, stop.Token);
        source.FailGet = key => key == "bad.log.gz";
        var result = await processor.ProcessAsync(message!.Notification!, stop.Token);
        await stop.CancelAsync();
        await running;

        Assert.Equal("bad.log.gz", message.Notification!.Object.Key);
        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Contains("Permission denied", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, watcher.Statistics.Snapshot().Failed);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(25, cancellationToken);
        }
    }

    /// <summary>A folder bucket whose list or head fails the way an unreadable folder or file makes them fail.</summary>
    private sealed class FaultySource(FileSystemBucket inner) : IR2Bucket
    {
        private int _lists;

        public int FailingLists { get; set; }

        public int Lists => Volatile.Read(ref _lists);

        public Func<string, bool>? FailHead { get; set; }

        public Func<string, bool>? FailGet { get; set; }

        public string Name => inner.Name;

        public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) =>
            FailHead?.Invoke(key) == true
                ? throw new R2BucketException($"File-system bucket '{Name}': could not read '{key}': Permission denied", Name, key)
                : inner.HeadAsync(key, cancellationToken);

        public Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default) =>
            FailGet?.Invoke(key) == true
                ? throw new R2BucketException($"File-system bucket '{Name}': could not read '{key}': Permission denied", Name, key)
                : inner.GetAsync(key, range, cancellationToken);

        public Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, options, cancellationToken);

        public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var call = Interlocked.Increment(ref _lists);
            await foreach (var item in inner.ListAsync(options, cancellationToken))
            {
                yield return item;
            }

            if (call <= FailingLists)
            {
                throw new R2ListIncompleteException(Name, [new R2BucketProblem("locked/", "the folder could not be read: Permission denied")]);
            }
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }
}
