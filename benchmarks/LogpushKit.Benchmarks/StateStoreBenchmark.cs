using System.Globalization;
using BenchmarkDotNet.Attributes;
using LogpushKit.State;
using Microsoft.Data.Sqlite;

namespace LogpushKit.Benchmarks;

/// <summary>
/// The state operations of one object of a folder run (issue 14), on an SQLite state database of its own: a new object
/// (read, lock, read again, record) and an up-to-date one (read). The baseline is the way the store worked before
/// (<see cref="PerCallState"/>: each operation took a pooled connection, ran two PRAGMAs and prepared its statement; the
/// processor made five database calls per new object and made the lock folder on each lock); the other is
/// <see cref="SqliteConversionStateStore"/> as it is (kept connections with prepared statements, three calls).
/// </summary>
[MemoryDiagnoser]
public class StateStoreBenchmark : IDisposable
{
    private const string Source = "file:///src/#1";
    private const string Target = "file:///dst/#2";
    private const string Fingerprint = "0123456789ab";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "logpushkit-state-bench-" + Guid.NewGuid().ToString("N"));
    private SqliteConversionStateStore _store = null!;
    private PerCallState _before = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "state.db");
        _store = SqliteConversionStateStore.Open(path);
        _before = new PerCallState(path);

        // a database of a run under way: 10,000 objects recorded
        for (var i = 0; i < 10_000; i++)
        {
            _store.SaveAsync(Record($"old/{i}.log.gz", $"old/{i}.csv")).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "new object, before: 5 calls, each a connection + PRAGMAs + prepare; lock folder made per lock")]
    public async Task<bool> NewObjectBefore()
    {
        var (key, targetKey) = NextKeys();
        var prior = await _before.FindBySourceAsync(Source, key, Target);
        _ = await _before.FindByTargetAsync(Target, targetKey);
        await using (await _before.LockAsync(Target + "\n" + targetKey))
        {
            prior = await _before.FindBySourceAsync(Source, key, Target);
            _ = await _before.FindByTargetAsync(Target, targetKey);
            await _before.SaveAsync(Record(key, targetKey));
        }

        return prior is null;
    }

    [Benchmark(Description = "new object, now: 3 calls on kept connections with prepared statements")]
    public async Task<bool> NewObjectNow()
    {
        var (key, targetKey) = NextKeys();
        var prior = await _store.FindBySourceAsync(Source, key, Target);
        await using (await _store.LockAsync(Target, targetKey))
        {
            (prior, _) = await _store.FindBySourceAndTargetAsync(Source, key, Target, targetKey);
            await _store.SaveAsync(Record(key, targetKey));
        }

        return prior is null;
    }

    [Benchmark(Description = "up-to-date object, before: 1 call (connection + PRAGMAs + prepare)")]
    public async Task<bool> UpToDateBefore() => await _before.FindBySourceAsync(Source, OldKey(), Target) is not null;

    [Benchmark(Description = "up-to-date object, now: 1 call")]
    public async Task<bool> UpToDateNow() => await _store.FindBySourceAsync(Source, OldKey(), Target) is not null;

    private static ConversionRecord Record(string key, string targetKey) => new(Source, key, Target, targetKey)
    {
        SourceETag = "xxh128:0123456789abcdef0123456789abcdef",
        SourceSize = 123_456,
        SourceLastModified = DateTimeOffset.UnixEpoch,
        SourceFileId = "8,1:1234",
        OptionsFingerprint = Fingerprint,
        Dataset = "gateway_http",
        Rows = 1000,
        Bytes = 1_400_000,
        Sha256 = new string('a', 64),
        ConvertedAt = DateTimeOffset.UnixEpoch,
    };

    private (string Key, string TargetKey) NextKeys()
    {
        var i = Interlocked.Increment(ref _next);
        return (string.Create(CultureInfo.InvariantCulture, $"gateway_http/20240601/{i:D8}.log.gz"), string.Create(CultureInfo.InvariantCulture, $"gateway_http/20240601/{i:D8}.csv"));
    }

    private string OldKey() => string.Create(CultureInfo.InvariantCulture, $"old/{Interlocked.Increment(ref _next) % 10_000}.log.gz");

    /// <summary>The store's per-operation path before issue 14, kept here as the baseline (same statements and settings).</summary>
    private sealed class PerCallState(string path)
    {
        private const string Columns = "source_store, source_key, target_store, target_key, source_etag, source_size, source_mtime, source_file_id, fingerprint, dataset, rows, bytes, sha256, bad_lines, quarantine_key, converted_at";

        private readonly string _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        private readonly string _locks = path + ".locks";

        public async ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey)
        {
            using var connection = Connect();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM conversions WHERE target_store = $t AND target_key = $tk;";
            command.Parameters.AddWithValue("$t", target);
            command.Parameters.AddWithValue("$tk", targetKey);
            return await ReadOneAsync(command).ConfigureAwait(false);
        }

        public async ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target)
        {
            using var connection = Connect();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM conversions INDEXED BY conversions_by_source WHERE source_store = $s AND source_key = $sk AND target_store = $t ORDER BY converted_at DESC LIMIT 1;";
            command.Parameters.AddWithValue("$s", source);
            command.Parameters.AddWithValue("$sk", sourceKey);
            command.Parameters.AddWithValue("$t", target);
            return await ReadOneAsync(command).ConfigureAwait(false);
        }

        public async ValueTask SaveAsync(ConversionRecord record)
        {
            using var connection = Connect();
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync().ConfigureAwait(false);
            await using var disposeTransaction = transaction.ConfigureAwait(false);
            using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = $"INSERT OR REPLACE INTO conversions ({Columns}) VALUES ($s, $sk, $t, $tk, $etag, $size, $mtime, $fid, $fp, $ds, $rows, $bytes, $sha, $bad, $qk, $at);";
                var p = insert.Parameters;
                p.AddWithValue("$s", record.Source);
                p.AddWithValue("$sk", record.SourceKey);
                p.AddWithValue("$t", record.Target);
                p.AddWithValue("$tk", record.TargetKey);
                p.AddWithValue("$etag", (object?)record.SourceETag ?? DBNull.Value);
                p.AddWithValue("$size", record.SourceSize);
                p.AddWithValue("$mtime", record.SourceLastModified?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) ?? (object)DBNull.Value);
                p.AddWithValue("$fid", (object?)record.SourceFileId ?? DBNull.Value);
                p.AddWithValue("$fp", record.OptionsFingerprint);
                p.AddWithValue("$ds", (object?)record.Dataset ?? DBNull.Value);
                p.AddWithValue("$rows", record.Rows);
                p.AddWithValue("$bytes", record.Bytes);
                p.AddWithValue("$sha", (object?)record.Sha256 ?? DBNull.Value);
                p.AddWithValue("$bad", record.BadLines);
                p.AddWithValue("$qk", (object?)record.QuarantineKey ?? DBNull.Value);
                p.AddWithValue("$at", record.ConvertedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
                await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            using (var clear = connection.CreateCommand())
            {
                clear.Transaction = transaction;
                clear.CommandText = "DELETE FROM failures WHERE source_store = $s AND source_key = $sk AND target_store = $t;";
                clear.Parameters.AddWithValue("$s", record.Source);
                clear.Parameters.AddWithValue("$sk", record.SourceKey);
                clear.Parameters.AddWithValue("$t", record.Target);
                await clear.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await transaction.CommitAsync().ConfigureAwait(false);
        }

        /// <summary>The lock as it was taken: the folder made, the stripe's file opened with an exclusive lock, closed on release.</summary>
        public ValueTask<FileStream> LockAsync(string key)
        {
            var hash = 2166136261u;
            foreach (var c in key)
            {
                hash = (hash ^ c) * 16777619u;
            }

            Directory.CreateDirectory(_locks);
            return ValueTask.FromResult(new FileStream(Path.Combine(_locks, string.Create(CultureInfo.InvariantCulture, $"{hash % 64:x2}.lock")), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None));
        }

        private static async ValueTask<ConversionRecord?> ReadOneAsync(SqliteCommand command)
        {
            using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            return await reader.ReadAsync().ConfigureAwait(false) ? ToRecord(reader) : null;
        }

        private static ConversionRecord ToRecord(SqliteDataReader reader) =>
                new ConversionRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3))
                {
                    SourceETag = reader.IsDBNull(4) ? null : reader.GetString(4),
                    SourceSize = reader.GetInt64(5),
                    SourceLastModified = reader.IsDBNull(6) ? null : DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
                    SourceFileId = reader.IsDBNull(7) ? null : reader.GetString(7),
                    OptionsFingerprint = reader.GetString(8),
                    Dataset = reader.IsDBNull(9) ? null : reader.GetString(9),
                    Rows = reader.GetInt64(10),
                    Bytes = reader.GetInt64(11),
                    Sha256 = reader.IsDBNull(12) ? null : reader.GetString(12),
                    BadLines = reader.GetInt64(13),
                    QuarantineKey = reader.IsDBNull(14) ? null : reader.GetString(14),
                    ConvertedAt = DateTimeOffset.Parse(reader.GetString(15), CultureInfo.InvariantCulture),
                };

        private SqliteConnection Connect()
        {
            var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";
            pragmas.ExecuteNonQuery();
            return connection;
        }
    }
}
