using LogpushKit.State;
using LogpushKit.Testing;

namespace LogpushKit.Tests.State;

/// <summary>
/// The SQLite store's kept connections (issue 14: prepared statements, PRAGMAs once per connection): what keeping them
/// open must not change (a failed write holds no lock, a listing left part-way pins no old snapshot, dispose closes
/// them all), and the one-statement read of a source's and a target key's records.
/// </summary>
public sealed class SqliteConversionStateStoreConnectionTests : IDisposable
{
    private static readonly DateTimeOffset Time = new(2024, 8, 21, 5, 6, 7, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Stores => ["sqlite", "memory"];

    private static ConversionRecord Record(string sourceKey, string targetKey, int minutes = 0) => new("file:///src/", sourceKey, "file:///dst/", targetKey)
    {
        SourceETag = "e-" + sourceKey,
        SourceSize = 42,
        OptionsFingerprint = "0123456789ab",
        Rows = 7,
        ConvertedAt = Time.AddMinutes(minutes),
    };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task FindBySourceAndTargetAsync_GivesWhatFindBySourceAndFindByTargetGive(string kind)
    {
        await using IConversionStateStore store = kind == "sqlite" ? SqliteConversionStateStore.Open(_temp.File("state.db")) : new InMemoryConversionStateStore();
        await store.SaveAsync(Record("a.log.gz", "a.csv"));
        await store.SaveAsync(Record("a.log.gz", "a2.csv", minutes: 5));
        await store.SaveAsync(Record("b.log.gz", "b.csv"));

        foreach (var (sourceKey, targetKey) in new[] { ("a.log.gz", "b.csv"), ("a.log.gz", "a.csv"), ("b.log.gz", "none.csv"), ("none.log.gz", "a2.csv"), ("none.log.gz", "none.csv") })
        {
            var (bySource, byTarget) = await store.FindBySourceAndTargetAsync("file:///src/", sourceKey, "file:///dst/", targetKey);

            Assert.Equal(await store.FindBySourceAsync("file:///src/", sourceKey, "file:///dst/"), bySource);
            Assert.Equal(await store.FindByTargetAsync("file:///dst/", targetKey), byTarget);
        }

        var (newest, holder) = await store.FindBySourceAndTargetAsync("file:///src/", "a.log.gz", "file:///dst/", "b.csv");
        Assert.Equal("a2.csv", newest!.TargetKey);
        Assert.Equal("b.log.gz", holder!.SourceKey);
    }

    [Fact]
    public async Task Operations_ManyAtOnce_AllDone_OnABoundedNumberOfKeptConnections()
    {
        await using var store = SqliteConversionStateStore.Open(_temp.File("state.db"));
        Assert.Equal(1, store.IdleConnections); // the one Open made the schema with

        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var key = $"{i}.log.gz";
            Assert.Null(await store.FindBySourceAsync("file:///src/", key, "file:///dst/", ct));
            await store.RecordFailureAsync("file:///src/", key, "file:///dst/", null, "first try failed", Time, ct);
            await store.SaveAsync(Record(key, $"{i}.csv"), ct);
            var (bySource, byTarget) = await store.FindBySourceAndTargetAsync("file:///src/", key, "file:///dst/", $"{i}.csv", ct);
            Assert.Equal(bySource, byTarget);
            Assert.Equal($"{i}.csv", bySource!.TargetKey);
        });

        Assert.Equal(300, await store.ListAsync("file:///src/", "file:///dst/").CountAsync());
        Assert.Empty(await store.ListFailuresAsync("file:///src/", "file:///dst/").ToListAsync()); // each success cleared its failure
        Assert.InRange(store.IdleConnections, 1, Math.Clamp(Environment.ProcessorCount * 2, 4, 32));
    }

    [Fact]
    public async Task SaveAsync_FailingInsideItsTransaction_KeepsNothing_AndHoldsNoLockOnTheDatabase()
    {
        var path = _temp.File("state.db");
        await using var store = SqliteConversionStateStore.Open(path);
        await using var other = SqliteConversionStateStore.Open(path); // as another process would
        await store.SaveAsync(Record("a.log.gz", "a.csv"));

        // the transaction has begun when the insert cannot be bound (a null source key): the write fails part-way
        await Assert.ThrowsAnyAsync<Exception>(async () => await store.SaveAsync(Record(null!, "b.csv")));

        // a connection left inside its transaction would hold the write lock: the other writer would wait out the busy timeout (30 s)
        await other.SaveAsync(Record("c.log.gz", "c.csv")).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await store.SaveAsync(Record("d.log.gz", "d.csv")).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(await store.FindByTargetAsync("file:///dst/", "b.csv"));
        Assert.Equal(["a.csv", "c.csv", "d.csv"], await other.ListAsync("file:///src/", "file:///dst/").Select(r => r.TargetKey).ToListAsync());
    }

    [Fact]
    public async Task ListAsync_LeftPartWay_PinsNoOldSnapshot_LaterReadsSeeOtherWriters()
    {
        var path = _temp.File("state.db");
        await using var store = SqliteConversionStateStore.Open(path);
        await using var other = SqliteConversionStateStore.Open(path);
        for (var i = 0; i < 3; i++)
        {
            await store.SaveAsync(Record($"{i}.log.gz", $"{i}.csv"));
        }

        await foreach (var record in store.ListAsync("file:///src/", "file:///dst/"))
        {
            break; // the listing's connection goes back to the store with its statement reset
        }

        await other.SaveAsync(Record("3.log.gz", "3.csv"));

        Assert.NotNull(await store.FindBySourceAsync("file:///src/", "3.log.gz", "file:///dst/"));
        Assert.Equal(4, await store.ListAsync("file:///src/", "file:///dst/").CountAsync());
    }

    [Fact]
    public async Task DisposeAsync_ClosesEveryConnection_TheWriteAheadLogIsFoldedIn_AndLaterCallsAreRefused()
    {
        var path = _temp.File("state.db");
        var store = SqliteConversionStateStore.Open(path);
        await Parallel.ForEachAsync(Enumerable.Range(0, 50), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            await store.SaveAsync(Record($"{i}.log.gz", $"{i}.csv"), ct);
            _ = await store.FindBySourceAsync("file:///src/", $"{i}.log.gz", "file:///dst/", ct);
        });
        Assert.True(File.Exists(path + "-wal"));

        await store.DisposeAsync();

        // SQLite folds the log into the database and removes it when the last connection to the file closes
        Assert.False(File.Exists(path + "-wal"));
        Assert.Equal(0, store.IdleConnections);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.FindByTargetAsync("file:///dst/", "0.csv"));
        await using var reopened = SqliteConversionStateStore.Open(path);
        Assert.Equal(50, await reopened.ListAsync("file:///src/", "file:///dst/").CountAsync());
    }

    [Fact]
    public async Task LockAsync_LockFolderRemovedWhileOpen_IsMadeAgain()
    {
        var path = _temp.File("state.db");
        await using var store = SqliteConversionStateStore.Open(path);
        await (await store.LockAsync("file:///dst/", "a.csv")).DisposeAsync();
        Directory.Delete(path + ".locks", recursive: true);

        await (await store.LockAsync("file:///dst/", "a.csv")).DisposeAsync();

        Assert.Single(Directory.GetFiles(path + ".locks"));
    }
}
