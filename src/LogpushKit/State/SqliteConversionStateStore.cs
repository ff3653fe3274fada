using System.Globalization;
using System.Runtime.CompilerServices;
using LogpushKit.Storage;
using Microsoft.Data.Sqlite;

namespace LogpushKit.State;

/// <summary>
/// The conversion state in an embedded SQLite database file (the local default, one file for any number of pipelines:
/// rows carry the store identities). Safe for many threads and many processes at once.
/// </summary>
/// <remarks>
/// <para><b>Schema</b> (version <see cref="SchemaVersion"/>, kept in <c>PRAGMA user_version</c>): table
/// <c>conversions</c> keyed by (<c>target_store</c>, <c>target_key</c>) with an index on (<c>source_store</c>,
/// <c>source_key</c>, <c>target_store</c>), and table <c>failures</c> keyed by (<c>source_store</c>, <c>source_key</c>,
/// <c>target_store</c>); times are ISO 8601 UTC text with 100 ns digits. A database written by a newer LogpushKit (a
/// higher version) is refused with <see cref="ConversionStateException"/>, never changed.</para>
/// <para><b>Concurrency.</b> Write-ahead logging (<c>journal_mode=WAL</c>: readers never wait for the writer), a busy
/// timeout of <see cref="BusyTimeout"/> for writers, <c>synchronous=NORMAL</c> (a power loss may forget the last
/// records: those objects are converted once more, nothing is lost). <see cref="LockAsync"/> is an operating-system lock
/// on one of 64 files in the folder <c>&lt;database&gt;.locks/</c> beside the database, released when the process dies.</para>
/// <para><b>Errors.</b> A path that cannot be created or written, or a file that is not such a database, fails
/// <see cref="Open"/> with <see cref="ConversionStateException"/> naming the path and the setting that gave it.</para>
/// </remarks>
public sealed class SqliteConversionStateStore : IConversionStateStore
{
    /// <summary>The schema version this LogpushKit writes and reads.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The number of lock files <see cref="LockAsync"/> spreads keys over.</summary>
    public const int LockStripes = 64;

    /// <summary>How long a writer waits for another writer before failing: 30 s.</summary>
    public static TimeSpan BusyTimeout { get; } = TimeSpan.FromSeconds(30);

    private const string Columns = "source_store, source_key, target_store, target_key, source_etag, source_size, source_mtime, source_file_id, fingerprint, dataset, rows, bytes, sha256, bad_lines, quarantine_key, converted_at";
    private const string FailureColumns = "source_store, source_key, target_store, source_etag, reason, attempts, first_failed_at, last_failed_at, quarantined, quarantine_key";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS conversions (
            target_store   TEXT    NOT NULL,
            target_key     TEXT    NOT NULL,
            source_store   TEXT    NOT NULL,
            source_key     TEXT    NOT NULL,
            source_etag    TEXT,
            source_size    INTEGER NOT NULL,
            source_mtime   TEXT,
            source_file_id TEXT,
            fingerprint    TEXT    NOT NULL,
            dataset        TEXT,
            rows           INTEGER NOT NULL,
            bytes          INTEGER NOT NULL,
            sha256         TEXT,
            bad_lines      INTEGER NOT NULL,
            quarantine_key TEXT,
            converted_at   TEXT    NOT NULL,
            PRIMARY KEY (target_store, target_key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS conversions_by_source ON conversions (source_store, source_key, target_store);
        CREATE TABLE IF NOT EXISTS failures (
            source_store    TEXT    NOT NULL,
            source_key      TEXT    NOT NULL,
            target_store    TEXT    NOT NULL,
            source_etag     TEXT,
            reason          TEXT    NOT NULL,
            attempts        INTEGER NOT NULL,
            first_failed_at TEXT    NOT NULL,
            last_failed_at  TEXT    NOT NULL,
            quarantined     INTEGER NOT NULL DEFAULT 0,
            quarantine_key  TEXT,
            PRIMARY KEY (source_store, source_key, target_store)
        ) WITHOUT ROWID;
        """;

    private readonly string _connectionString;
    private readonly string _setting;
    private readonly StripedFileLocks _locks;
    private int _disposed;

    private SqliteConversionStateStore(string path, string setting, TimeProvider timeProvider)
    {
        Location = path;
        _setting = setting;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        _locks = new StripedFileLocks(
            path + ".locks",
            string.Empty,
            ".lock",
            LockStripes,
            ignoreCase: false,
            timeProvider,
            (_, lockPath, ex) => Failure($"cannot take the lock file '{lockPath}'", ex));
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>
    /// The default database path: <c>$XDG_STATE_HOME/logpushkit/state.db</c>, else <c>~/.local/state/logpushkit/state.db</c>;
    /// on Windows <c>%LOCALAPPDATA%\logpushkit\state.db</c>.
    /// </summary>
    public static string DefaultPath()
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "logpushkit", "state.db");
        }

        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(stateHome) || !Path.IsPathRooted(stateHome))
        {
            // the XDG base directory spec: a relative path is invalid and ignored
            stateHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify), ".local", "state");
        }

        return Path.Combine(stateHome, "logpushkit", "state.db");
    }

    /// <summary>
    /// Opens (creating the folder, the file and the schema when missing) the database at <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="setting">The setting that named the path, for messages (e.g. <c>--state</c>, <c>LogpushKit:State</c>).</param>
    /// <param name="timeProvider">The clock lock waits poll with.</param>
    /// <exception cref="ConversionStateException">The path cannot be created or written, the file is not a LogpushKit state
    /// database, or it was written by a newer LogpushKit.</exception>
    public static SqliteConversionStateStore Open(string path, string? setting = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var store = new SqliteConversionStateStore(full, setting ?? "state", timeProvider ?? TimeProvider.System);
        try
        {
            if (Directory.Exists(full))
            {
                throw new IOException("it is a folder; give the path of a database file");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using var connection = store.Connect();
            var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw store.Failure($"it was written by a newer LogpushKit (state schema version {version}; this one knows version {SchemaVersion}). Upgrade LogpushKit, or give another path with {store._setting}", null, hint: false);
            }

            _ = Scalar(connection, "PRAGMA journal_mode=WAL;");
            if (version < SchemaVersion)
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;", transaction), CultureInfo.InvariantCulture);
                if (version > SchemaVersion)
                {
                    throw store.Failure($"it was written by a newer LogpushKit (state schema version {version}; this one knows version {SchemaVersion}). Upgrade LogpushKit, or give another path with {store._setting}", null, hint: false);
                }

                Execute(connection, Schema + $"PRAGMA user_version = {SchemaVersion};", transaction);
                transaction.Commit();
            }

            // a database of another program: refuse it rather than write beside its tables
            _ = Scalar(connection, "SELECT count(*) FROM conversions WHERE 0; SELECT count(*) FROM failures WHERE 0;");
            return store;
        }
        catch (ConversionStateException)
        {
            store.ClearPool();
            throw;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            store.ClearPool();
            throw store.Failure(ex is SqliteException { SqliteErrorCode: 26 } ? "it is not a LogpushKit state database (not an SQLite file, or a damaged one)" : "cannot open it", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetKey);
        return await QueryRecordAsync(
            $"SELECT {Columns} FROM conversions WHERE target_store = $t AND target_key = $tk;",
            c =>
            {
                c.Parameters.AddWithValue("$t", target);
                c.Parameters.AddWithValue("$tk", targetKey);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        return await QueryRecordAsync(
            // INDEXED BY: without statistics the planner takes the primary key's target_store prefix, a scan of every row of the target (quadratic over a pass)
            $"SELECT {Columns} FROM conversions INDEXED BY conversions_by_source WHERE source_store = $s AND source_key = $sk AND target_store = $t ORDER BY converted_at DESC LIMIT 1;",
            c =>
            {
                c.Parameters.AddWithValue("$s", source);
                c.Parameters.AddWithValue("$sk", sourceKey);
                c.Parameters.AddWithValue("$t", target);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The newest conversion recorded for each of <paramref name="sourceKeys"/> of the store <paramref name="source"/> into
    /// <paramref name="target"/> (what <see cref="FindBySourceAsync"/> gives for each), in one query: a pass over an
    /// unchanged folder asks once per batch of listed files instead of once per file. Keys with no record are absent.
    /// </summary>
    internal async ValueTask<Dictionary<string, ConversionRecord>> FindBySourcesAsync(string source, IReadOnlyList<string> sourceKeys, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKeys);
        ArgumentNullException.ThrowIfNull(target);
        var found = new Dictionary<string, ConversionRecord>(sourceKeys.Count, StringComparer.Ordinal);
        if (sourceKeys.Count == 0)
        {
            return found;
        }

        return await RunAsync(
            async connection =>
            {
                using var command = connection.CreateCommand();
                var sql = new System.Text.StringBuilder($"SELECT {Columns} FROM conversions INDEXED BY conversions_by_source WHERE source_store = $s AND target_store = $t AND source_key IN (", 400 + (sourceKeys.Count * 7));
                command.Parameters.AddWithValue("$s", source);
                command.Parameters.AddWithValue("$t", target);
                for (var i = 0; i < sourceKeys.Count; i++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"$k{i}");
                    sql.Append(i == 0 ? string.Empty : ",").Append(name);
                    command.Parameters.AddWithValue(name, sourceKeys[i]);
                }

                command.CommandText = sql.Append(");").ToString();
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var record = ReadRecord(reader);
                    if (!found.TryGetValue(record.SourceKey, out var other) || record.ConvertedAt > other.ConvertedAt)
                    {
                        found[record.SourceKey] = record;
                    }
                }

                return found;
            },
            "read conversions").ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(ConversionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(record.OptionsFingerprint, nameof(record));
        await RunAsync(
            async connection =>
            {
                var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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
                    p.AddWithValue("$mtime", (object?)TimeText(record.SourceLastModified) ?? DBNull.Value);
                    p.AddWithValue("$fid", (object?)record.SourceFileId ?? DBNull.Value);
                    p.AddWithValue("$fp", record.OptionsFingerprint);
                    p.AddWithValue("$ds", (object?)record.Dataset ?? DBNull.Value);
                    p.AddWithValue("$rows", record.Rows);
                    p.AddWithValue("$bytes", record.Bytes);
                    p.AddWithValue("$sha", (object?)record.Sha256 ?? DBNull.Value);
                    p.AddWithValue("$bad", record.BadLines);
                    p.AddWithValue("$qk", (object?)record.QuarantineKey ?? DBNull.Value);
                    p.AddWithValue("$at", TimeText(record.ConvertedAt));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                using (var clear = connection.CreateCommand())
                {
                    clear.Transaction = transaction;
                    clear.CommandText = "DELETE FROM failures WHERE source_store = $s AND source_key = $sk AND target_store = $t;";
                    clear.Parameters.AddWithValue("$s", record.Source);
                    clear.Parameters.AddWithValue("$sk", record.SourceKey);
                    clear.Parameters.AddWithValue("$t", record.Target);
                    await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            },
            "record a conversion").ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<ConversionFailure> RecordFailureAsync(string source, string sourceKey, string target, string? sourceETag, string reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        return await RunAsync(
            async connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"""
                    INSERT INTO failures ({FailureColumns}) VALUES ($s, $sk, $t, $etag, $reason, 1, $at, $at, 0, NULL)
                    ON CONFLICT (source_store, source_key, target_store) DO UPDATE SET
                        source_etag = excluded.source_etag, reason = excluded.reason, attempts = attempts + 1,
                        last_failed_at = excluded.last_failed_at
                    RETURNING {FailureColumns};
                    """;
                command.Parameters.AddWithValue("$s", source);
                command.Parameters.AddWithValue("$sk", sourceKey);
                command.Parameters.AddWithValue("$t", target);
                command.Parameters.AddWithValue("$etag", (object?)sourceETag ?? DBNull.Value);
                command.Parameters.AddWithValue("$reason", reason);
                command.Parameters.AddWithValue("$at", TimeText(at));
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return ReadFailure(reader);
            },
            "record a failure").ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask MarkQuarantinedAsync(string source, string sourceKey, string target, string? quarantineKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        await RunAsync(
            async connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "UPDATE failures SET quarantined = 1, quarantine_key = $qk WHERE source_store = $s AND source_key = $sk AND target_store = $t;";
                command.Parameters.AddWithValue("$s", source);
                command.Parameters.AddWithValue("$sk", sourceKey);
                command.Parameters.AddWithValue("$t", target);
                command.Parameters.AddWithValue("$qk", (object?)quarantineKey ?? DBNull.Value);
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            "mark a failure quarantined").ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ConversionRecord> ListAsync(string source, string target, CancellationToken cancellationToken = default) =>
        ListAllAsync($"SELECT {Columns} FROM conversions WHERE source_store = $s AND target_store = $t ORDER BY source_key, target_key;", source, target, ReadRecord, "list conversions", cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ConversionFailure> ListFailuresAsync(string source, string target, CancellationToken cancellationToken = default) =>
        ListAllAsync($"SELECT {FailureColumns} FROM failures WHERE source_store = $s AND target_store = $t ORDER BY source_key;", source, target, ReadFailure, "list failures", cancellationToken);

    /// <inheritdoc />
    /// <remarks>An operating-system lock on one of <see cref="LockStripes"/> files in <c>&lt;database&gt;.locks/</c>; waits, polling, while another process holds it.</remarks>
    public ValueTask<IAsyncDisposable> LockAsync(string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetKey);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _locks.LockAsync(target + "\n" + targetKey, cancellationToken);
    }

    /// <summary>Closes the pooled connections to the database (its file can then be moved or deleted).</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            ClearPool();
        }

        return ValueTask.CompletedTask;
    }

    private static string TimeText(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string? TimeText(DateTimeOffset? value) => value is { } v ? TimeText(v) : null;

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static ConversionRecord ReadRecord(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3))
    {
        SourceETag = r.IsDBNull(4) ? null : r.GetString(4),
        SourceSize = r.GetInt64(5),
        SourceLastModified = r.IsDBNull(6) ? null : ParseTime(r.GetString(6)),
        SourceFileId = r.IsDBNull(7) ? null : r.GetString(7),
        OptionsFingerprint = r.GetString(8),
        Dataset = r.IsDBNull(9) ? null : r.GetString(9),
        Rows = r.GetInt64(10),
        Bytes = r.GetInt64(11),
        Sha256 = r.IsDBNull(12) ? null : r.GetString(12),
        BadLines = r.GetInt64(13),
        QuarantineKey = r.IsDBNull(14) ? null : r.GetString(14),
        ConvertedAt = ParseTime(r.GetString(15)),
    };

    private static ConversionFailure ReadFailure(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2))
    {
        SourceETag = r.IsDBNull(3) ? null : r.GetString(3),
        Reason = r.GetString(4),
        Attempts = r.GetInt32(5),
        FirstFailedAt = ParseTime(r.GetString(6)),
        LastFailedAt = ParseTime(r.GetString(7)),
        Quarantined = r.GetInt64(8) != 0,
        QuarantineKey = r.IsDBNull(9) ? null : r.GetString(9),
    };

    /// <summary>Every row <paramref name="sql"/> selects for the stores <c>$s</c> and <c>$t</c>, read by <paramref name="read"/>.</summary>
    private async IAsyncEnumerable<T> ListAllAsync<T>(string sql, string source, string target, Func<SqliteDataReader, T> read, string what, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$s", source);
        command.Parameters.AddWithValue("$t", target);
        using var reader = await ExecuteReaderAsync(command, what, cancellationToken).ConfigureAwait(false);
        while (await ReadAsync(reader, what, cancellationToken).ConfigureAwait(false))
        {
            yield return read(reader);
        }
    }

    private static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL;"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private SqliteConnection OpenConnection()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return Connect();
        }
        catch (SqliteException ex)
        {
            throw Failure("cannot open it", ex);
        }
    }

    private async ValueTask<ConversionRecord?> QueryRecordAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken) =>
        await RunAsync(
            async connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                bind(command);
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRecord(reader) : null;
            },
            "read a conversion").ConfigureAwait(false);

    private async ValueTask<T> RunAsync<T>(Func<SqliteConnection, Task<T>> action, string what)
    {
        using var connection = OpenConnection();
        try
        {
            return await action(connection).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Failure($"cannot {what}", ex);
        }
    }

    private async Task<SqliteDataReader> ExecuteReaderAsync(SqliteCommand command, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Failure($"cannot {what}", ex);
        }
    }

    private async Task<bool> ReadAsync(SqliteDataReader reader, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Failure($"cannot {what}", ex);
        }
    }

    private ConversionStateException Failure(string problem, Exception? inner, bool hint = true) =>
        new($"{_setting}: the state database '{Location}': {problem}{(inner is null ? string.Empty : ": " + (inner is SqliteException sqlite ? sqlite.Message.Replace("SQLite Error ", "SQLite error ", StringComparison.Ordinal) : inner.Message))}."
            + (hint ? $" Give a writable database path with {_setting}." : string.Empty), Location, _setting, inner);

    private void ClearPool()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}

/// <summary>
/// The conversion state cannot be opened, read or written: the message starts with the setting that named the state
/// (e.g. <c>--state</c>, <c>LogpushKit:State</c>) and names the database's path.
/// </summary>
public sealed class ConversionStateException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    public ConversionStateException(string message, string location, string setting, Exception? innerException = null)
        : base(message, innerException)
    {
        Location = location;
        Setting = setting;
    }

    /// <summary>Where the state is kept (the database's path).</summary>
    public string Location { get; }

    /// <summary>The setting that named it, as the user knows it.</summary>
    public string Setting { get; }
}
