using LogpushKit.State;
using LogpushKit.Testing;
using Microsoft.Data.Sqlite;

namespace LogpushKit.Tests.State;

public sealed class SqliteConversionStateStoreTests : IDisposable
{
    private static readonly DateTimeOffset Time = new DateTimeOffset(2024, 8, 21, 5, 6, 7, TimeSpan.Zero).AddTicks(1234567);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Stores => ["sqlite", "memory"];

    private async Task<IConversionStateStore> OpenAsync(string kind) =>
        kind == "sqlite" ? SqliteConversionStateStore.Open(_temp.File("state.db"), "--state") : await Task.FromResult<IConversionStateStore>(new InMemoryConversionStateStore());

    private static ConversionRecord Record(string sourceKey, string targetKey, string etag = "e1", DateTimeOffset? at = null) => new("file:///src/", sourceKey, "file:///dst/", targetKey)
    {
        SourceETag = etag,
        SourceSize = 42,
        SourceLastModified = Time,
        SourceFileId = "8,1:1234",
        OptionsFingerprint = "0123456789ab",
        Dataset = "gateway_http",
        Rows = 7,
        Bytes = 99,
        Sha256 = new string('a', 64),
        BadLines = 1,
        QuarantineKey = targetKey + ".quarantine",
        ConvertedAt = at ?? Time,
    };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SaveAsync_ThenFind_RoundTripsEveryField(string kind)
    {
        await using var store = await OpenAsync(kind);
        var record = Record("a.log.gz", "a.csv");

        await store.SaveAsync(record);

        Assert.Equal(record, await store.FindByTargetAsync("file:///dst/", "a.csv"));
        Assert.Equal(record, await store.FindBySourceAsync("file:///src/", "a.log.gz", "file:///dst/"));
        Assert.Null(await store.FindBySourceAsync("file:///src/", "a.log.gz", "file:///other/"));
        Assert.Null(await store.FindByTargetAsync("file:///dst/", "b.csv"));
    }

    [Fact]
    public async Task FindBySourcesAsync_ABatch_GivesWhatFindBySourceGivesForEachKey()
    {
        await using var store = SqliteConversionStateStore.Open(_temp.File("state.db"), "--state");
        await store.SaveAsync(Record("a.log.gz", "old/a.csv", at: Time));
        await store.SaveAsync(Record("a.log.gz", "new/a.csv", at: Time.AddMinutes(1)));
        await store.SaveAsync(Record("b.log.gz", "b.csv"));
        await store.SaveAsync(Record("c.log.gz", "c.csv") with { Target = "file:///other/" });
        string[] keys = ["a.log.gz", "b.log.gz", "c.log.gz", "missing.log.gz", .. Enumerable.Range(0, 300).Select(i => $"x{i}.log.gz")];

        var found = await store.FindBySourcesAsync("file:///src/", keys, "file:///dst/");

        Assert.Equal(["a.log.gz", "b.log.gz"], found.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, record) in found)
        {
            Assert.Equal(await store.FindBySourceAsync("file:///src/", key, "file:///dst/"), record);
        }

        Assert.Equal("new/a.csv", found["a.log.gz"].TargetKey);
        Assert.Empty(await store.FindBySourcesAsync("file:///src/", [], "file:///dst/"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task FindBySourceAsync_TwoTargets_ReturnsTheNewest(string kind)
    {
        await using var store = await OpenAsync(kind);
        await store.SaveAsync(Record("a.log.gz", "old/a.csv", at: Time));
        await store.SaveAsync(Record("a.log.gz", "new/a.csv", at: Time.AddMinutes(1)));

        Assert.Equal("new/a.csv", (await store.FindBySourceAsync("file:///src/", "a.log.gz", "file:///dst/"))!.TargetKey);
        Assert.Equal(["new/a.csv", "old/a.csv"], (await store.ListAsync("file:///src/", "file:///dst/").ToListAsync()).Select(r => r.TargetKey).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task RecordFailureAsync_CountsAttempts_QuarantineMarks_AndASuccessClearsIt(string kind)
    {
        await using var store = await OpenAsync(kind);
        var first = await store.RecordFailureAsync("file:///src/", "a.log.gz", "file:///dst/", "e1", "bad gzip", Time);
        var second = await store.RecordFailureAsync("file:///src/", "a.log.gz", "file:///dst/", "e1", "still bad", Time.AddMinutes(1));
        await store.MarkQuarantinedAsync("file:///src/", "a.log.gz", "file:///dst/", "a.log.gz.reason");

        Assert.Equal(1, first.Attempts);
        Assert.Equal(2, second.Attempts);
        Assert.Equal(Time, second.FirstFailedAt);
        Assert.Equal(Time.AddMinutes(1), second.LastFailedAt);
        Assert.Equal("still bad", second.Reason);
        var listed = Assert.Single(await store.ListFailuresAsync("file:///src/", "file:///dst/").ToListAsync());
        Assert.True(listed.Quarantined);
        Assert.Equal("a.log.gz.reason", listed.QuarantineKey);
        Assert.Equal("e1", listed.SourceETag);

        await store.SaveAsync(Record("a.log.gz", "a.csv"));

        Assert.Empty(await store.ListFailuresAsync("file:///src/", "file:///dst/").ToListAsync());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task RecordFailureAsync_AnotherVersionOfTheObject_StartsOverNotQuarantined(string kind)
    {
        await using var store = await OpenAsync(kind);
        await store.RecordFailureAsync("file:///src/", "a.log.gz", "file:///dst/", "e1", "bad gzip", Time);
        await store.RecordFailureAsync("file:///src/", "a.log.gz", "file:///dst/", "e1", "bad gzip", Time.AddMinutes(1));
        await store.MarkQuarantinedAsync("file:///src/", "a.log.gz", "file:///dst/", null);

        // the file changed, and its new version failed once: not given up, its attempts count from 1
        var changed = await store.RecordFailureAsync("file:///src/", "a.log.gz", "file:///dst/", "e2", "bad JSON", Time.AddMinutes(2));
        var unknown = await store.RecordFailureAsync("file:///src/", "a.log.gz", "file:///dst/", null, "bad JSON", Time.AddMinutes(3));

        Assert.Equal(1, changed.Attempts);
        Assert.False(changed.Quarantined);
        Assert.Equal(Time.AddMinutes(2), changed.FirstFailedAt);
        Assert.Equal("e2", changed.SourceETag);
        Assert.Equal(2, unknown.Attempts); // a version not known is not taken for another one
        var listed = Assert.Single(await store.ListFailuresAsync("file:///src/", "file:///dst/").ToListAsync());
        Assert.False(listed.Quarantined);
        Assert.Equal(2, listed.Attempts);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ForgetEarlierTargetsAsync_ForgetsOnlyOtherVersionsOfThatFolder_ConversionsAndFailures(string kind)
    {
        await using var store = await OpenAsync(kind);
        string[] targets = ["file:///dst/#8,1:10@1", "file:///dst/#8,1:10@2", "file:///dst/#x/#8,1:11@1", "file:///dst2/#8,1:12@1", "file:///dst/", "bucket:dst"];
        foreach (var target in targets)
        {
            await store.SaveAsync(Record("a.log.gz", "a.csv") with { Target = target });
            await store.SaveAsync(Record("b.log.gz", "b.csv") with { Target = target });
            await store.RecordFailureAsync("file:///src/", "c.log.gz", target, "e1", "bad gzip", Time);
        }

        var forgotten = await store.ForgetEarlierTargetsAsync("file:///dst/#", "file:///dst/#8,1:10@2");

        Assert.Equal(3, forgotten);
        Assert.Null(await store.FindByTargetAsync("file:///dst/#8,1:10@1", "a.csv"));
        Assert.Empty(await store.ListFailuresAsync("file:///src/", "file:///dst/#8,1:10@1").ToListAsync());
        foreach (var kept in targets.Skip(1))
        {
            Assert.Equal(2, (await store.ListAsync("file:///src/", kept).ToListAsync()).Count);
            Assert.Single(await store.ListFailuresAsync("file:///src/", kept).ToListAsync());
        }

        Assert.Equal(0, await store.ForgetEarlierTargetsAsync("file:///dst/#", "file:///dst/#8,1:10@2"));
    }

    [Fact]
    public async Task Open_Reopened_KeepsTheRecords_AndSchemaVersion()
    {
        var path = _temp.File("state.db");
        await using (var store = SqliteConversionStateStore.Open(path))
        {
            await store.SaveAsync(Record("a.log.gz", "a.csv"));
        }

        await using (var again = SqliteConversionStateStore.Open(path))
        {
            Assert.Equal(Record("a.log.gz", "a.csv"), await again.FindByTargetAsync("file:///dst/", "a.csv"));
        }

        Assert.Equal(SqliteConversionStateStore.SchemaVersion, Pragma(path, "user_version"));
        Assert.Equal("wal", PragmaText(path, "journal_mode"));
    }

    [Fact]
    public async Task Open_NewerSchema_IsRefusedNamingPathAndSetting_AndLeftUnchanged()
    {
        var path = _temp.File("state.db");
        await SqliteConversionStateStore.Open(path).DisposeAsync();
        Execute(path, "PRAGMA user_version = 99;");

        var ex = Assert.Throws<ConversionStateException>(() => SqliteConversionStateStore.Open(path, "LogpushKit:State"));

        Assert.StartsWith("LogpushKit:State: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("newer LogpushKit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
        Assert.Equal(99, Pragma(path, "user_version"));
    }

    [Fact]
    public void Open_NotADatabase_IsRefusedNamingPathAndFlag()
    {
        var path = _temp.File("state.db");
        File.WriteAllText(path, new string('x', 4096));

        var ex = Assert.Throws<ConversionStateException>(() => SqliteConversionStateStore.Open(path, "--state"));

        Assert.StartsWith("--state: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a LogpushKit state database", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PathUnderAFile_IsRefusedNamingPathAndFlag()
    {
        File.WriteAllText(_temp.File("file"), "x");
        var path = Path.Combine(_temp.File("file"), "state.db");

        var ex = Assert.Throws<ConversionStateException>(() => SqliteConversionStateStore.Open(path, "--state"));

        Assert.StartsWith("--state: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LockAsync_StripesLiveBesideTheDatabase_AndSerialiseHolders()
    {
        var path = _temp.File("state.db");
        await using var store = SqliteConversionStateStore.Open(path);
        await using var other = SqliteConversionStateStore.Open(path);

        var held = await store.LockAsync("file:///dst/", "a.csv");
        Assert.Single(Directory.GetFiles(path + ".locks"));

        // another instance (as another process would) waits until the first releases
        var second = other.LockAsync("file:///dst/", "a.csv").AsTask();
        await Task.Delay(200);
        Assert.False(second.IsCompleted);
        await held.DisposeAsync();
        await (await second.WaitAsync(TimeSpan.FromSeconds(10))).DisposeAsync();
    }

    [Fact]
    public async Task SaveAsync_ManyWritersAtOnce_AllRecorded()
    {
        var path = _temp.File("state.db");
        await using var a = SqliteConversionStateStore.Open(path);
        await using var b = SqliteConversionStateStore.Open(path);

        await Parallel.ForEachAsync(Enumerable.Range(0, 200), async (i, ct) =>
            await (i % 2 == 0 ? a : b).SaveAsync(Record($"{i}.log.gz", $"{i}.csv"), ct));

        Assert.Equal(200, await a.ListAsync("file:///src/", "file:///dst/").CountAsync());
    }

    private static long Pragma(string path, string name) => Convert.ToInt64(PragmaText(path, name), System.Globalization.CultureInfo.InvariantCulture);

    private static string PragmaText(string path, string name)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
