using LogpushKit.Pipeline;
using LogpushKit.State;
using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

/// <summary>The folder watcher writes its give-ups into the state store, and a later watcher keeps them while the file is unchanged.</summary>
public sealed class SourceFolderWatcherQuarantineTests : IDisposable
{
    private readonly TempDirectory _folder = new("watch-quarantine");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task GiveUp_WithAState_MarksTheFailureQuarantinedAndALaterWatcherSkipsItUntilTheFileChanges()
    {
        var path = Path.Combine(_folder.Path, "bad.log.gz");
        await File.WriteAllTextAsync(path, "not gzip");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        await using var state = new InMemoryConversionStateStore();
        var source = new FileSystemBucket(_folder.Path);
        var processor = new LogpushObjectProcessor(source, new InMemoryBucket(), new LogpushObjectProcessorOptions { State = state });
        var (sourceStore, targetStore) = processor.StateStores;
        var etag = (await source.HeadAsync("bad.log.gz"))!.ETag;
        var queue = new InProcessEventQueue(maxAttempts: 1, pollWait: TimeSpan.Zero);
        var watcher = new SourceFolderWatcher(_folder.Path, processor, queue, TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, await watcher.ScanAsync());
        var message = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)));

        // the processor records the failed attempt, then the watcher gives the object up
        await state.RecordFailureAsync(sourceStore, "bad.log.gz", targetStore, etag, "not gzip", DateTimeOffset.UtcNow);
        watcher.OnProcessed(message, new ObjectProcessingResult(ObjectProcessingStatus.Failed, "bad.log.gz") { Reason = "not gzip" });
        await watcher.FlushAsync();

        var failure = Assert.Single(await ToListAsync(state.ListFailuresAsync(sourceStore, targetStore)));
        Assert.True(failure.Quarantined);
        Assert.Null(failure.QuarantineKey);

        // a later watch: unchanged, so not enqueued; reported once
        var later = new InProcessEventQueue(maxAttempts: 1, pollWait: TimeSpan.Zero);
        var kept = new List<ConversionFailure>();
        var restarted = new SourceFolderWatcher(_folder.Path, processor, later, TimeSpan.FromMilliseconds(50)) { StillQuarantined = kept.Add };
        Assert.Equal(1, await restarted.RestoreQuarantinedAsync());
        Assert.Equal("bad.log.gz", Assert.Single(kept).SourceKey);
        Assert.True(restarted.Owns("bad.log.gz"));
        Assert.Equal(0, await restarted.ScanAsync());
        Assert.Equal(0, restarted.GivenUpNowCount); // given up by an earlier watch, not this one

        // changed: tried again
        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-4));
        Assert.False(restarted.Owns("bad.log.gz"));
        Assert.Equal(1, await restarted.ScanAsync());
    }

    [Fact]
    public async Task RestoreQuarantined_FileRewrittenWithItsOldTime_IsTriedAgain()
    {
        // a good copy put back with the original's time (cp -p, rsync -t): the content, not the time, tells it changed
        var path = Path.Combine(_folder.Path, "bad.log.gz");
        await File.WriteAllTextAsync(path, "not gzip");
        var then = DateTime.UtcNow.AddMinutes(-5);
        File.SetLastWriteTimeUtc(path, then);
        await using var state = new InMemoryConversionStateStore();
        var source = new FileSystemBucket(_folder.Path);
        var processor = new LogpushObjectProcessor(source, new InMemoryBucket(), new LogpushObjectProcessorOptions { State = state });
        var (sourceStore, targetStore) = processor.StateStores;
        await state.RecordFailureAsync(sourceStore, "bad.log.gz", targetStore, (await source.HeadAsync("bad.log.gz"))!.ETag, "not gzip", DateTimeOffset.UtcNow);
        await state.MarkQuarantinedAsync(sourceStore, "bad.log.gz", targetStore, null);

        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        File.SetLastWriteTimeUtc(path, then);
        var watcher = new SourceFolderWatcher(_folder.Path, processor, new InProcessEventQueue(maxAttempts: 1, pollWait: TimeSpan.Zero), TimeSpan.FromMilliseconds(50));

        Assert.Equal(0, await watcher.RestoreQuarantinedAsync());
        Assert.Equal(1, await watcher.ScanAsync());
    }

    [Fact]
    public async Task GiveUp_StateWriteFails_LoggedNotSwallowed()
    {
        var path = Path.Combine(_folder.Path, "bad.log.gz");
        await File.WriteAllTextAsync(path, "not gzip");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        await using var state = new FailingQuarantineStore();
        var processor = new LogpushObjectProcessor(new FileSystemBucket(_folder.Path), new InMemoryBucket(), new LogpushObjectProcessorOptions { State = state });
        var queue = new InProcessEventQueue(maxAttempts: 1, pollWait: TimeSpan.Zero);
        var logger = new ListLogger<SourceFolderWatcher>();
        var watcher = new SourceFolderWatcher(_folder.Path, processor, queue, TimeSpan.FromMilliseconds(50), logger);
        Assert.Equal(1, await watcher.ScanAsync());
        var message = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromMinutes(1)));

        watcher.OnProcessed(message, new ObjectProcessingResult(ObjectProcessingStatus.Failed, "bad.log.gz") { Reason = "not gzip" });
        await watcher.FlushAsync();

        var line = Assert.Single(logger.Entries, e => e.Id.Name == "WatcherQuarantineNotRecorded");
        Assert.Contains("bad.log.gz", line.Message, StringComparison.Ordinal);
        Assert.Contains("disk full", line.Message, StringComparison.Ordinal);
        Assert.Equal(1, watcher.GivenUpCount); // still given up in this watch
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>An in-memory store whose quarantine writes fail.</summary>
    private sealed class FailingQuarantineStore : IConversionStateStore
    {
        private readonly InMemoryConversionStateStore _inner = new();

        public string Location => "failing-store";

        public ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey, CancellationToken cancellationToken = default) => _inner.FindByTargetAsync(target, targetKey, cancellationToken);

        public ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target, CancellationToken cancellationToken = default) => _inner.FindBySourceAsync(source, sourceKey, target, cancellationToken);

        public ValueTask SaveAsync(ConversionRecord record, CancellationToken cancellationToken = default) => _inner.SaveAsync(record, cancellationToken);

        public ValueTask<ConversionFailure> RecordFailureAsync(string source, string sourceKey, string target, string? sourceETag, string reason, DateTimeOffset at, CancellationToken cancellationToken = default)
            => _inner.RecordFailureAsync(source, sourceKey, target, sourceETag, reason, at, cancellationToken);

        public ValueTask MarkQuarantinedAsync(string source, string sourceKey, string target, string? quarantineKey, CancellationToken cancellationToken = default)
            => ValueTask.FromException(new IOException("cannot write the state: disk full"));

        public IAsyncEnumerable<ConversionRecord> ListAsync(string source, string target, CancellationToken cancellationToken = default) => _inner.ListAsync(source, target, cancellationToken);

        public IAsyncEnumerable<ConversionFailure> ListFailuresAsync(string source, string target, CancellationToken cancellationToken = default) => _inner.ListFailuresAsync(source, target, cancellationToken);

        public ValueTask<IAsyncDisposable> LockAsync(string target, string targetKey, CancellationToken cancellationToken = default) => _inner.LockAsync(target, targetKey, cancellationToken);

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }
}
