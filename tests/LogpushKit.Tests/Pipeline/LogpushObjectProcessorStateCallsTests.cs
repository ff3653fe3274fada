using System.Collections.Concurrent;
using LogpushKit.Pipeline;
using LogpushKit.State;
using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// How often the processor asks the state per object (issue 14: the state's per-object cost): a new object reads it once
/// before its lock and once after (the source's and the target key's records together), and records once; an up-to-date
/// one reads it once.
/// </summary>
public sealed class LogpushObjectProcessorStateCallsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private LogpushObjectProcessor Processor(IConversionStateStore state, string template = "{dir}/{name}.csv")
    {
        Directory.CreateDirectory(_temp.File("src"));
        return new LogpushObjectProcessor(new FileSystemBucket(_temp.File("src")), new FileSystemBucket(_temp.File("dst")), new LogpushObjectProcessorOptions { State = state, TargetKeyTemplate = new TargetKeyTemplate(template) });
    }

    private void WriteSource(string key, int records, int seed)
    {
        var path = Path.Combine(_temp.File("src"), key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(records, seed)));
    }

    [Fact]
    public async Task Process_NewObject_ReadsTheStateOnceBeforeItsLockAndOnceAfter_AndRecordsOnce_AnUpToDateOneReadsOnce()
    {
        WriteSource("gw/a.log.gz", 3, 1);
        await using var state = new CountingStateStore(new InMemoryConversionStateStore());
        var processor = Processor(state);

        Assert.Equal(ObjectProcessingStatus.Converted, (await processor.ProcessAsync("gw/a.log.gz")).Status);
        Assert.Equal("FindBySource=2 FindByTarget=1 Lock=1 Save=1", state.TakeCalls());

        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, (await processor.ProcessAsync("gw/a.log.gz")).Status);
        Assert.Equal("FindBySource=1", state.TakeCalls());
    }

    [Fact]
    public async Task Process_TwoSourcesOneTarget_SecondIsRefusedFromTheSqliteState_AfterItsLock()
    {
        WriteSource("a/x.log.gz", 1, 1);
        WriteSource("b/x.log.gz", 1, 2);
        await using var sqlite = SqliteConversionStateStore.Open(_temp.File("state/state.db"));
        var processor = Processor(sqlite, "{name}.csv");

        Assert.Equal(ObjectProcessingStatus.Converted, (await processor.ProcessAsync("a/x.log.gz")).Status);
        var second = await processor.ProcessAsync("b/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, second.Status);
        Assert.IsType<TargetConflictException>(second.Exception);
        Assert.Contains("a/x.log.gz", second.Reason, StringComparison.Ordinal);
        Assert.Equal(PipelineTestData.ExpectedCsv(1, 1), await File.ReadAllTextAsync(Path.Combine(_temp.File("dst"), "x.csv")));
        var failure = Assert.Single(await sqlite.ListFailuresAsync(LogpushObjectProcessor.StoreOf(new FileSystemBucket(_temp.File("src"))), LogpushObjectProcessor.StoreOf(new FileSystemBucket(_temp.File("dst")))).ToListAsync());
        Assert.Equal("b/x.log.gz", failure.SourceKey);
    }

    /// <summary>A store that counts the calls made of it and passes them on.</summary>
    private sealed class CountingStateStore(IConversionStateStore inner) : IConversionStateStore
    {
        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

        public string Location => inner.Location;

        /// <summary>The calls counted since the last time, as <c>Name=count</c> in name order.</summary>
        public string TakeCalls()
        {
            var calls = string.Join(' ', _calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));
            _calls.Clear();
            return calls;
        }

        public ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey, CancellationToken cancellationToken = default) =>
            Count("FindByTarget", inner.FindByTargetAsync(target, targetKey, cancellationToken));

        public ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target, CancellationToken cancellationToken = default) =>
            Count("FindBySource", inner.FindBySourceAsync(source, sourceKey, target, cancellationToken));

        public ValueTask SaveAsync(ConversionRecord record, CancellationToken cancellationToken = default)
        {
            _calls.AddOrUpdate("Save", 1, static (_, n) => n + 1);
            return inner.SaveAsync(record, cancellationToken);
        }

        public ValueTask<ConversionFailure> RecordFailureAsync(string source, string sourceKey, string target, string? sourceETag, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) =>
            Count("RecordFailure", inner.RecordFailureAsync(source, sourceKey, target, sourceETag, reason, at, cancellationToken));

        public ValueTask MarkQuarantinedAsync(string source, string sourceKey, string target, string? quarantineKey, CancellationToken cancellationToken = default)
        {
            _calls.AddOrUpdate("MarkQuarantined", 1, static (_, n) => n + 1);
            return inner.MarkQuarantinedAsync(source, sourceKey, target, quarantineKey, cancellationToken);
        }

        public IAsyncEnumerable<ConversionRecord> ListAsync(string source, string target, CancellationToken cancellationToken = default) => inner.ListAsync(source, target, cancellationToken);

        public IAsyncEnumerable<ConversionFailure> ListFailuresAsync(string source, string target, CancellationToken cancellationToken = default) => inner.ListFailuresAsync(source, target, cancellationToken);

        public ValueTask<IAsyncDisposable> LockAsync(string target, string targetKey, CancellationToken cancellationToken = default) =>
            Count("Lock", inner.LockAsync(target, targetKey, cancellationToken));

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private ValueTask<T> Count<T>(string name, ValueTask<T> call)
        {
            _calls.AddOrUpdate(name, 1, static (_, n) => n + 1);
            return call;
        }
    }
}
