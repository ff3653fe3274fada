using System.Collections.Concurrent;
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
/// <para><b>Connections.</b> The store keeps its connections open (as many as operations ran at once, up to twice the
/// cores kept idle), each with its PRAGMAs run once and each statement prepared once, on first use: an operation is one
/// execution of a prepared statement (a conversion's record and the clearing of its failure are one transaction). A
/// connection an operation failed on is closed, not kept. <see cref="DisposeAsync"/> closes them all.</para>
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
    private readonly ConcurrentStack<Session> _idle = new(); // last in, first out: the warmest page cache next
    private readonly int _maxIdle = Math.Clamp(Environment.ProcessorCount * 2, 4, 32);
    private int _idleCount;
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
            Pooling = false, // the store keeps its own open connections, each with its statements prepared (Session)
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

    /// <summary>The statements every connection prepares once, on first use.</summary>
    private enum Statement
    {
        FindByTarget,
        FindBySource,
        FindBySourceAndTarget,
        Save,
        RecordFailure,
        MarkQuarantined,
        ListConversions,
        ListFailures,
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>Open connections kept for the next operation (for tests: each holds its prepared statements).</summary>
    internal int IdleConnections => Volatile.Read(ref _idleCount);

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
        SqliteConnection? connection = null;
        try
        {
            if (Directory.Exists(full))
            {
                throw new IOException("it is a folder; give the path of a database file");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            connection = store.Connect();
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
            store.Return(new Session(connection), broken: false);
            return store;
        }
        catch (ConversionStateException)
        {
            connection?.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            connection?.Dispose();
            throw store.Failure(ex is SqliteException { SqliteErrorCode: 26 } ? "it is not a LogpushKit state database (not an SQLite file, or a damaged one)" : "cannot open it", ex);
        }
    }

    /// <inheritdoc />
    public ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetKey);
        return Run(
            "read a conversion",
            (target, targetKey),
            static (session, a) =>
            {
                var command = session.Command(Statement.FindByTarget);
                command.Parameters[0].Value = a.target;
                command.Parameters[1].Value = a.targetKey;
                using var reader = command.ExecuteReader();
                return reader.Read() ? ReadRecord(reader) : null;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        return Run(
            "read a conversion",
            (source, sourceKey, target),
            static (session, a) =>
            {
                var command = session.Command(Statement.FindBySource);
                command.Parameters[0].Value = a.source;
                command.Parameters[1].Value = a.sourceKey;
                command.Parameters[2].Value = a.target;
                using var reader = command.ExecuteReader();
                return reader.Read() ? ReadRecord(reader) : null;
            },
            cancellationToken);
    }

    /// <summary>
    /// What <see cref="FindBySourceAsync"/> and <see cref="FindByTargetAsync"/> give, in one statement (one read of one
    /// snapshot): the newest conversion of the source key into <paramref name="target"/>, and the conversion recorded for
    /// <paramref name="targetKey"/>.
    /// </summary>
    internal ValueTask<(ConversionRecord? BySource, ConversionRecord? ByTarget)> FindBySourceAndTargetAsync(string source, string sourceKey, string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetKey);
        return Run(
            "read a conversion",
            (source, sourceKey, target, targetKey),
            static (session, a) =>
            {
                var command = session.Command(Statement.FindBySourceAndTarget);
                command.Parameters[0].Value = a.source;
                command.Parameters[1].Value = a.sourceKey;
                command.Parameters[2].Value = a.target;
                command.Parameters[3].Value = a.targetKey;
                ConversionRecord? bySource = null, byTarget = null;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (reader.GetInt64(0) == 0)
                    {
                        bySource = ReadRecord(reader, 1);
                    }
                    else
                    {
                        byTarget = ReadRecord(reader, 1);
                    }
                }

                return (bySource, byTarget);
            },
            cancellationToken);
    }

    /// <summary>
    /// The newest conversion recorded for each of <paramref name="sourceKeys"/> of the store <paramref name="source"/> into
    /// <paramref name="target"/> (what <see cref="FindBySourceAsync"/> gives for each), in one query: a pass over an
    /// unchanged folder asks once per batch of listed files instead of once per file. Keys with no record are absent.
    /// </summary>
    internal ValueTask<Dictionary<string, ConversionRecord>> FindBySourcesAsync(string source, IReadOnlyList<string> sourceKeys, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKeys);
        ArgumentNullException.ThrowIfNull(target);
        if (sourceKeys.Count == 0)
        {
            return ValueTask.FromResult(new Dictionary<string, ConversionRecord>(StringComparer.Ordinal));
        }

        return Run(
            "read conversions",
            (source, sourceKeys, target),
            static (session, a) =>
            {
                var found = new Dictionary<string, ConversionRecord>(a.sourceKeys.Count, StringComparer.Ordinal);
                using var command = session.Connection.CreateCommand();
                var sql = new System.Text.StringBuilder($"SELECT {Columns} FROM conversions INDEXED BY conversions_by_source WHERE source_store = $s AND target_store = $t AND source_key IN (", 400 + (a.sourceKeys.Count * 7));
                command.Parameters.AddWithValue("$s", a.source);
                command.Parameters.AddWithValue("$t", a.target);
                for (var i = 0; i < a.sourceKeys.Count; i++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"$k{i}");
                    sql.Append(i == 0 ? string.Empty : ",").Append(name);
                    command.Parameters.AddWithValue(name, a.sourceKeys[i]);
                }

                command.CommandText = sql.Append(");").ToString();
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var record = ReadRecord(reader);
                    if (!found.TryGetValue(record.SourceKey, out var other) || record.ConvertedAt > other.ConvertedAt)
                    {
                        found[record.SourceKey] = record;
                    }
                }

                return found;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(ConversionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(record.OptionsFingerprint, nameof(record));
        var done = Run(
            "record a conversion",
            record,
            static (session, record) =>
            {
                // one prepared command: BEGIN IMMEDIATE; INSERT OR REPLACE the record; DELETE the source's failure; COMMIT.
                // A failure part-way leaves the transaction open: Run then closes the connection, which rolls it back.
                var command = session.Command(Statement.Save);
                var p = command.Parameters;
                p[0].Value = record.Source;
                p[1].Value = record.SourceKey;
                p[2].Value = record.Target;
                p[3].Value = record.TargetKey;
                p[4].Value = (object?)record.SourceETag ?? DBNull.Value;
                p[5].Value = record.SourceSize;
                p[6].Value = (object?)TimeText(record.SourceLastModified) ?? DBNull.Value;
                p[7].Value = (object?)record.SourceFileId ?? DBNull.Value;
                p[8].Value = record.OptionsFingerprint;
                p[9].Value = (object?)record.Dataset ?? DBNull.Value;
                p[10].Value = record.Rows;
                p[11].Value = record.Bytes;
                p[12].Value = (object?)record.Sha256 ?? DBNull.Value;
                p[13].Value = record.BadLines;
                p[14].Value = (object?)record.QuarantineKey ?? DBNull.Value;
                p[15].Value = TimeText(record.ConvertedAt);
                return command.ExecuteNonQuery();
            },
            cancellationToken);
        return done.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(done.AsTask());
    }

    /// <inheritdoc />
    public ValueTask<ConversionFailure> RecordFailureAsync(string source, string sourceKey, string target, string? sourceETag, string reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        return Run(
            "record a failure",
            (source, sourceKey, target, sourceETag, reason, at),
            static (session, a) =>
            {
                var command = session.Command(Statement.RecordFailure);
                var p = command.Parameters;
                p[0].Value = a.source;
                p[1].Value = a.sourceKey;
                p[2].Value = a.target;
                p[3].Value = (object?)a.sourceETag ?? DBNull.Value;
                p[4].Value = a.reason;
                p[5].Value = TimeText(a.at);
                using var reader = command.ExecuteReader();
                reader.Read();
                return ReadFailure(reader);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask MarkQuarantinedAsync(string source, string sourceKey, string target, string? quarantineKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        var done = Run(
            "mark a failure quarantined",
            (source, sourceKey, target, quarantineKey),
            static (session, a) =>
            {
                var command = session.Command(Statement.MarkQuarantined);
                var p = command.Parameters;
                p[0].Value = a.source;
                p[1].Value = a.sourceKey;
                p[2].Value = a.target;
                p[3].Value = (object?)a.quarantineKey ?? DBNull.Value;
                return command.ExecuteNonQuery();
            },
            cancellationToken);
        return done.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(done.AsTask());
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ConversionRecord> ListAsync(string source, string target, CancellationToken cancellationToken = default) =>
        ListAllAsync(Statement.ListConversions, source, target, static r => ReadRecord(r), "list conversions", cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ConversionFailure> ListFailuresAsync(string source, string target, CancellationToken cancellationToken = default) =>
        ListAllAsync(Statement.ListFailures, source, target, ReadFailure, "list failures", cancellationToken);

    /// <inheritdoc />
    /// <remarks>An operating-system lock on one of <see cref="LockStripes"/> files in <c>&lt;database&gt;.locks/</c>; waits, polling, while another process holds it.</remarks>
    public ValueTask<IAsyncDisposable> LockAsync(string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetKey);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _locks.LockAsync(target + "\n" + targetKey, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> ForgetEarlierTargetsAsync(string family, string current, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(family);
        ArgumentNullException.ThrowIfNull(current);
        return Run(
            "forget the records of earlier versions of a target",
            (family, current),
            static (session, a) =>
            {
                // once per run, so not prepared; the range on target_store (the primary key's first column) spares a scan of every record
                const string Earlier = "target_store > $f AND target_store < $end AND substr(target_store, 1, length($f)) = $f "
                    + "AND instr(substr(target_store, length($f) + 1), '/') = 0 AND target_store <> $c";
                using var command = session.Connection.CreateCommand();
                command.CommandText = $"DELETE FROM conversions WHERE {Earlier}; DELETE FROM failures WHERE {Earlier};";
                command.Parameters.AddWithValue("$f", a.family);
                command.Parameters.AddWithValue("$end", a.family + "\uFFFF");
                command.Parameters.AddWithValue("$c", a.current);
                return command.ExecuteNonQuery();
            },
            cancellationToken);
    }

    /// <summary>
    /// Closes the database's connections (its file can then be moved or deleted): the idle ones now, one still in use by
    /// an operation when that operation ends.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CloseIdle();
        }

        return ValueTask.CompletedTask;
    }

    private static string TimeText(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string? TimeText(DateTimeOffset? value) => value is { } v ? TimeText(v) : null;

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>The record in the columns <see cref="Columns"/> from column <paramref name="o"/> on.</summary>
    private static ConversionRecord ReadRecord(SqliteDataReader r, int o = 0) => new(r.GetString(o), r.GetString(o + 1), r.GetString(o + 2), r.GetString(o + 3))
    {
        SourceETag = r.IsDBNull(o + 4) ? null : r.GetString(o + 4),
        SourceSize = r.GetInt64(o + 5),
        SourceLastModified = r.IsDBNull(o + 6) ? null : ParseTime(r.GetString(o + 6)),
        SourceFileId = r.IsDBNull(o + 7) ? null : r.GetString(o + 7),
        OptionsFingerprint = r.GetString(o + 8),
        Dataset = r.IsDBNull(o + 9) ? null : r.GetString(o + 9),
        Rows = r.GetInt64(o + 10),
        Bytes = r.GetInt64(o + 11),
        Sha256 = r.IsDBNull(o + 12) ? null : r.GetString(o + 12),
        BadLines = r.GetInt64(o + 13),
        QuarantineKey = r.IsDBNull(o + 14) ? null : r.GetString(o + 14),
        ConvertedAt = ParseTime(r.GetString(o + 15)),
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

    /// <summary>In a failure's upsert: the failed source is another version than the recorded failure's (both ETags known).</summary>
    private const string AnotherVersion = "(excluded.source_etag IS NOT NULL AND source_etag IS NOT NULL AND excluded.source_etag <> source_etag)";

    /// <summary>The text and parameter names of <paramref name="statement"/> (parameters are set by position).</summary>
    private static (string Sql, string[] Parameters) Text(Statement statement) => statement switch
    {
        Statement.FindByTarget => ($"SELECT {Columns} FROM conversions WHERE target_store = $t AND target_key = $tk;", ["$t", "$tk"]),

        // INDEXED BY: without statistics the planner takes the primary key's target_store prefix, a scan of every row of the target (quadratic over a pass)
        Statement.FindBySource => ($"SELECT {Columns} FROM conversions INDEXED BY conversions_by_source WHERE source_store = $s AND source_key = $sk AND target_store = $t ORDER BY converted_at DESC LIMIT 1;", ["$s", "$sk", "$t"]),
        Statement.FindBySourceAndTarget => (
            $"SELECT 0, * FROM (SELECT {Columns} FROM conversions INDEXED BY conversions_by_source WHERE source_store = $s AND source_key = $sk AND target_store = $t ORDER BY converted_at DESC LIMIT 1) "
            + $"UNION ALL SELECT 1, {Columns} FROM conversions WHERE target_store = $t AND target_key = $tk;",
            ["$s", "$sk", "$t", "$tk"]),
        Statement.Save => (
            $"BEGIN IMMEDIATE; INSERT OR REPLACE INTO conversions ({Columns}) VALUES ($s, $sk, $t, $tk, $etag, $size, $mtime, $fid, $fp, $ds, $rows, $bytes, $sha, $bad, $qk, $at); "
            + "DELETE FROM failures WHERE source_store = $s AND source_key = $sk AND target_store = $t; COMMIT;",
            ["$s", "$sk", "$t", "$tk", "$etag", "$size", "$mtime", "$fid", "$fp", "$ds", "$rows", "$bytes", "$sha", "$bad", "$qk", "$at"]),
        Statement.RecordFailure => (
            $"""
            INSERT INTO failures ({FailureColumns}) VALUES ($s, $sk, $t, $etag, $reason, 1, $at, $at, 0, NULL)
            ON CONFLICT (source_store, source_key, target_store) DO UPDATE SET
                attempts = CASE WHEN {AnotherVersion} THEN 1 ELSE attempts + 1 END,
                first_failed_at = CASE WHEN {AnotherVersion} THEN excluded.first_failed_at ELSE first_failed_at END,
                quarantined = CASE WHEN {AnotherVersion} THEN 0 ELSE quarantined END,
                quarantine_key = CASE WHEN {AnotherVersion} THEN NULL ELSE quarantine_key END,
                source_etag = excluded.source_etag, reason = excluded.reason, last_failed_at = excluded.last_failed_at
            RETURNING {FailureColumns};
            """,
            ["$s", "$sk", "$t", "$etag", "$reason", "$at"]),
        Statement.MarkQuarantined => ("UPDATE failures SET quarantined = 1, quarantine_key = $qk WHERE source_store = $s AND source_key = $sk AND target_store = $t;", ["$s", "$sk", "$t", "$qk"]),
        Statement.ListConversions => ($"SELECT {Columns} FROM conversions WHERE source_store = $s AND target_store = $t ORDER BY source_key, target_key;", ["$s", "$t"]),
        Statement.ListFailures => ($"SELECT {FailureColumns} FROM failures WHERE source_store = $s AND target_store = $t ORDER BY source_key;", ["$s", "$t"]),
        _ => throw new ArgumentOutOfRangeException(nameof(statement)),
    };

    /// <summary>Every row <paramref name="statement"/> selects for the stores <c>$s</c> and <c>$t</c>, read by <paramref name="read"/>.</summary>
    private async IAsyncEnumerable<T> ListAllAsync<T>(Statement statement, string source, string target, Func<SqliteDataReader, T> read, string what, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var session = Rent();
        var broken = false;
        try
        {
            SqliteDataReader reader;
            try
            {
                var command = session.Command(statement);
                command.Parameters[0].Value = source;
                command.Parameters[1].Value = target;
                reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                broken = true;
                throw Failure($"cannot {what}", ex);
            }

            // a listing left part-way disposes its reader (the statement is reset): the connection stays sound
            using (reader)
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (SqliteException ex)
                    {
                        broken = true;
                        throw Failure($"cannot {what}", ex);
                    }

                    if (!more)
                    {
                        break;
                    }

                    yield return read(reader);
                }
            }
        }
        finally
        {
            Return(session, broken);
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

    /// <summary>A new connection with this store's settings (the PRAGMAs are per connection: run once, here).</summary>
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

    /// <summary>An idle connection, or a new one.</summary>
    private Session Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_idle.TryPop(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            return session;
        }

        try
        {
            return new Session(Connect());
        }
        catch (SqliteException ex)
        {
            throw Failure("cannot open it", ex);
        }
    }

    /// <summary>
    /// Gives a connection back: kept for the next operation, or closed when it may be unsound (<paramref name="broken"/>:
    /// an operation failed on it, perhaps inside a transaction), when enough are idle, or when the store is disposed.
    /// </summary>
    private void Return(Session session, bool broken)
    {
        if (broken || Volatile.Read(ref _disposed) != 0)
        {
            session.Dispose();
            return;
        }

        if (Interlocked.Increment(ref _idleCount) > _maxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            session.Dispose();
            return;
        }

        _idle.Push(session);
        if (Volatile.Read(ref _disposed) != 0)
        {
            CloseIdle(); // disposed meanwhile
        }
    }

    private void CloseIdle()
    {
        while (_idle.TryPop(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            session.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on a connection of this store, synchronously (SQLite's calls block; the wait for
    /// another writer is its busy timeout). A <see cref="SqliteException"/> becomes a <see cref="ConversionStateException"/>
    /// saying what could not be done, and the connection is closed, not kept.
    /// </summary>
    private ValueTask<TResult> Run<TArgument, TResult>(string what, TArgument argument, Func<Session, TArgument, TResult> operation, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TResult>(cancellationToken);
        }

        Session session;
        try
        {
            session = Rent();
        }
        catch (Exception ex) when (ex is ConversionStateException or ObjectDisposedException)
        {
            return ValueTask.FromException<TResult>(ex);
        }

        var broken = true;
        try
        {
            var result = operation(session, argument);
            broken = false;
            return ValueTask.FromResult(result);
        }
        catch (SqliteException ex)
        {
            return ValueTask.FromException<TResult>(Failure($"cannot {what}", ex));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<TResult>(ex);
        }
        finally
        {
            Return(session, broken);
        }
    }

    private ConversionStateException Failure(string problem, Exception? inner, bool hint = true) =>
        new($"{_setting}: the state database '{Location}': {problem}{(inner is null ? string.Empty : ": " + (inner is SqliteException sqlite ? sqlite.Message.Replace("SQLite Error ", "SQLite error ", StringComparison.Ordinal) : inner.Message).TrimEnd('.'))}."
            + (hint ? $" Give a writable database path with {_setting}." : string.Empty), Location, _setting, inner);

    /// <summary>One open connection and the statements it prepared; used by one operation at a time.</summary>
    private sealed class Session(SqliteConnection connection) : IDisposable
    {
        private readonly SqliteCommand?[] _commands = new SqliteCommand?[(int)Statement.ListFailures + 1];

        public SqliteConnection Connection => connection;

        /// <summary>The prepared command of <paramref name="statement"/>, its parameters to be set by position.</summary>
        public SqliteCommand Command(Statement statement)
        {
            if (_commands[(int)statement] is { } command)
            {
                return command;
            }

            var (sql, parameters) = Text(statement);
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
            }

            command.Prepare();
            return _commands[(int)statement] = command;
        }

        public void Dispose()
        {
            foreach (var command in _commands)
            {
                command?.Dispose();
            }

            connection.Dispose();
        }
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
