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

    [Fact]
    public async Task RunAsync_FolderMovedIn_ScansOnlyThatFolder()
    {
        var old = Path.Combine(_folder.Path, "src", "old");
        Directory.CreateDirectory(old);
        await File.WriteAllBytesAsync(Path.Combine(old, "a.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var staging = Path.Combine(_folder.Path, "staging");
        Directory.CreateDirectory(staging);
        await File.WriteAllBytesAsync(Path.Combine(staging, "b.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        File.SetLastWriteTimeUtc(Path.Combine(staging, "b.log.gz"), DateTime.UtcNow.AddMinutes(-5));
        var root = Path.Combine(_folder.Path, "src");
        var source = new FaultySource(new FileSystemBucket(root));
        var queue = new InProcessEventQueue(pollWait: TimeSpan.Zero);
        var watcher = new SourceFolderWatcher(root, new LogpushObjectProcessor(source, new InMemoryBucket()), queue, TimeSpan.FromMilliseconds(50));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var running = watcher.RunAsync(scanFirst: false, stop.Token);
        Directory.Move(staging, Path.Combine(root, "new"));
        var keys = new List<string>();
        await WaitUntilAsync(
            () =>
            {
                keys.AddRange(queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)).GetAwaiter().GetResult().Select(m => m.Notification!.Object.Key));
                return keys.Contains("new/b.log.gz");
            },
            stop.Token);
        await stop.CancelAsync();
        await running;

        Assert.Equal(["new/b.log.gz"], keys);
        Assert.Equal(["new/"], source.ListPrefixes); // not the whole tree
    }

    [Fact]
    public async Task OnProcessed_EveryAttemptFails_GivenUpOnceAndNotEnqueuedAgainUntilTheFileChanges()
    {
        var path = Path.Combine(_folder.Path, "bad.log.gz");
        await File.WriteAllTextAsync(path, "not gzip");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        var queue = new InProcessEventQueue(maxAttempts: 2, pollWait: TimeSpan.Zero);
        var reported = new List<(string Key, int Attempts)>();
        var watcher = new SourceFolderWatcher(_folder.Path, new LogpushObjectProcessor(new FileSystemBucket(_folder.Path), new InMemoryBucket()), queue, TimeSpan.FromMilliseconds(50))
        {
            GaveUp = (result, attempts) => reported.Add((result.SourceKey, attempts)),
        };
        var failed = new ObjectProcessingResult(ObjectProcessingStatus.Failed, "bad.log.gz") { Reason = "not gzip" };

        Assert.Equal(1, await watcher.ScanAsync());
        var first = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)));
        watcher.OnProcessed(first, failed);
        await queue.SettleAsync([], [new ObjectEventRetry(first, TimeSpan.Zero)]);
        Assert.Equal(0, await watcher.ScanAsync()); // its message is still out: not a second one
        var second = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)));
        Assert.Equal(2, second.Attempts);
        watcher.OnProcessed(second, failed);
        await queue.SettleAsync([], [new ObjectEventRetry(second, TimeSpan.Zero)]);

        Assert.Equal([("bad.log.gz", 2)], reported);
        Assert.Equal(1, watcher.GivenUpCount);
        Assert.Equal(1, watcher.Statistics.Snapshot().GivenUp);
        Assert.Equal(0, await watcher.ScanAsync()); // unchanged: not tried again
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)));

        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-4));
        Assert.Equal(1, await watcher.ScanAsync()); // changed: taken again
        var third = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)));
        watcher.OnProcessed(third, new ObjectProcessingResult(ObjectProcessingStatus.Converted, "bad.log.gz"));
        Assert.Equal(0, watcher.GivenUpCount);
        Assert.Single(reported);
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
        private readonly System.Collections.Concurrent.ConcurrentQueue<string?> _prefixes = new();
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

        public IReadOnlyList<string?> ListPrefixes => [.. _prefixes];

        public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            _prefixes.Enqueue(options?.Prefix);
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
