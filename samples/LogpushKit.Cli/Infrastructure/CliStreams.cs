using Microsoft.Win32.SafeHandles;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// The one place where a command-line location becomes a stream: <c>-</c> is stdin/stdout, <c>r2://bucket/key</c> and
/// <c>s3://bucket/key</c> are bucket objects (<see cref="CliBuckets"/>), anything else a local file. Messages name the
/// location as the user gave it (never a temporary name) and the flag it came from.
/// </summary>
internal static class CliStreams
{
    /// <summary>The name that stands for stdin or stdout.</summary>
    public const string StandardStream = "-";

    /// <summary>The name of <c>convert</c>'s input argument, as help shows it.</summary>
    public const string InputSetting = "input";

    private const int FileBufferSize = 0; // the transformer reads and writes in large blocks: no FileStream buffer

    /// <summary>Opens an input location (a bucket object, stdin or a file) for reading.</summary>
    public static async Task<CliInput> OpenInputAsync(string location, string? endpoint, CancellationToken cancellationToken) =>
        IsBucketUri(location) ? await CliBuckets.OpenInputAsync(location, InputSetting, endpoint, cancellationToken) : OpenInput(location);

    /// <summary>
    /// Creates an output location given by <paramref name="setting"/>: a bucket object stored with
    /// <paramref name="contentType"/>, or as <see cref="CreateOutput(string?, CancellationToken)"/>.
    /// </summary>
    public static CliOutput CreateOutput(string? location, string setting, string? endpoint, string contentType, CancellationToken cancellationToken) =>
        location is not null && IsBucketUri(location) ? CliBuckets.CreateOutput(location, setting, endpoint, contentType, cancellationToken) : CreateOutput(location, setting, cancellationToken);

    /// <summary>Whether <paramref name="location"/> is a bucket URI rather than a path.</summary>
    public static bool IsBucketUri(string location) =>
        location.StartsWith("r2://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens an input location for reading; a folder is a usage error that says so.</summary>
    public static CliInput OpenInput(string location)
    {
        if (location == StandardStream)
        {
            return new CliInput(Console.OpenStandardInput(), "stdin", null);
        }

        if (Directory.Exists(location))
        {
            throw new UsageException($"{InputSetting}: '{location}' is a folder, not a file; convert takes one object (run --source converts a folder).");
        }

        var stream = new FileStream(location, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize, FileOptions.SequentialScan);
        return new CliInput(stream, location, stream.CanSeek ? stream.Length : null);
    }

    /// <summary>As <see cref="CreateOutput(string?, string, CancellationToken)"/> for <c>--output</c>.</summary>
    public static CliOutput CreateOutput(string? location, CancellationToken cancellationToken) => CreateOutput(location, "--output", cancellationToken);

    /// <summary>
    /// Creates an output location. A regular file is written atomically (temporary name beside it, renamed on
    /// <see cref="CliOutput.CommitAsync"/>, deleted otherwise, and deleted at once when <paramref name="cancellationToken"/>
    /// fires, so even a process that is stopped before it can clean up leaves nothing); <c>-</c> or <see langword="null"/>
    /// is stdout, where a reader that has gone (a closed pipe) fails the next write (<see cref="IsBrokenPipe"/>).
    /// </summary>
    public static CliOutput CreateOutput(string? location, string setting, CancellationToken cancellationToken)
    {
        if (location is null or StandardStream)
        {
            return CliOutput.Direct(OpenStandardOutput(), "stdout");
        }

        if (IsDevice(location))
        {
            // /dev/null, /dev/stdout, a FIFO...: cannot be replaced by a rename, so write straight to it.
            return CliOutput.Direct(new FileStream(location, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, FileBufferSize), location);
        }

        if (Directory.Exists(location))
        {
            throw new UsageException($"{setting}: '{location}' is a folder; give a file name.");
        }

        return CliOutput.AtomicFile(location, FileBufferSize, cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is a write to a pipe or socket whose reader has gone (EPIPE), as when
    /// <c>| head</c> stops reading.
    /// </summary>
    public static bool IsBrokenPipe(Exception exception)
    {
        const int EPipe = 32; // Linux and macOS
        const int ErrorBrokenPipe = unchecked((int)0x8007006D); // Windows ERROR_BROKEN_PIPE as an HRESULT
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException { HResult: EPipe or ErrorBrokenPipe })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Standard output as a plain file stream on POSIX: the console stream .NET hands out ignores EPIPE (a reader that has
    /// gone), so <c>convert big.log.gz | head</c> would convert everything into nothing and succeed. A file stream on
    /// descriptor 1 fails the first write after the reader has gone.
    /// </summary>
    private static Stream OpenStandardOutput()
        => OperatingSystem.IsWindows()
            ? Console.OpenStandardOutput()
            : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    private static bool IsDevice(string location)
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.GetFileNameWithoutExtension(location).ToUpperInvariant() is "NUL" or "CON";
        }

        var full = Path.GetFullPath(location);
        if (File.Exists(full) && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } target)
        {
            full = target.FullName;
        }

        return full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal);
    }
}

/// <summary>An opened input: the stream, the name used in messages, and its length when known.</summary>
internal sealed record CliInput(Stream Stream, string Name, long? Length, IDisposable? Owner = null) : IAsyncDisposable
{
    /// <summary>Disposes the stream, then what it came from (e.g. the bucket client of an object body).</summary>
    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        Owner?.Dispose();
    }
}

/// <summary>
/// An output being written. Nothing becomes visible at the target until <see cref="CommitAsync"/>; disposing an
/// uncommitted file output deletes its temporary file, so a failed or cancelled command leaves no file behind.
/// </summary>
internal sealed class CliOutput : IAsyncDisposable
{
    private readonly string? _temporaryPath;
    private readonly string? _targetPath;
    private readonly CancellationTokenRegistration _deleteOnCancel;
    private readonly Func<CancellationToken, Task>? _deferredCommit;
    private readonly Func<CancellationToken, Task>? _deferredRevoke;
    private readonly Func<bool, ValueTask>? _deferredDispose;
    private bool _committed;

    private CliOutput(Stream stream, string name, string? temporaryPath, string? targetPath, CancellationToken cancellationToken)
    {
        Stream = stream;
        Name = name;
        _temporaryPath = temporaryPath;
        _targetPath = targetPath;
        if (temporaryPath is not null)
        {
            _deleteOnCancel = cancellationToken.Register(static path => TryDelete((string)path!), temporaryPath);
        }
    }

    /// <summary>Where to write.</summary>
    public Stream Stream { get; }

    /// <summary>The name used in messages (the target path, or <c>stdout</c>).</summary>
    public string Name { get; }

    private CliOutput(Stream stream, string name, Func<CancellationToken, Task> commit, Func<CancellationToken, Task> revoke, Func<bool, ValueTask> dispose)
        : this(stream, name, null, null, CancellationToken.None)
    {
        _deferredCommit = commit;
        _deferredRevoke = revoke;
        _deferredDispose = dispose;
    }

    /// <summary>
    /// Writes to <paramref name="stream"/>; <paramref name="commit"/> makes the result visible (e.g. completes a bucket
    /// put), <paramref name="revoke"/> removes a committed result again, and <paramref name="dispose"/> (told whether it
    /// was committed) cleans up or abandons it.
    /// </summary>
    public static CliOutput Deferred(Stream stream, string name, Func<CancellationToken, Task> commit, Func<CancellationToken, Task> revoke, Func<bool, ValueTask> dispose) =>
        new(stream, name, commit, revoke, dispose);

    /// <summary>Writes straight to <paramref name="stream"/> (stdout, a device).</summary>
    public static CliOutput Direct(Stream stream, string name) => new(stream, name, null, null, CancellationToken.None);

    /// <summary>
    /// Writes to <c>.&lt;name&gt;.&lt;random&gt;.tmp</c> beside <paramref name="path"/> (a name no <c>*.csv</c> glob
    /// matches), renamed over <paramref name="path"/> on commit.
    /// </summary>
    public static CliOutput AtomicFile(string path, int bufferSize, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal)}.tmp");
        FileStream stream;
        try
        {
            stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize);
        }
        catch (DirectoryNotFoundException)
        {
            throw new DirectoryNotFoundException($"{path}: the folder '{directory}' does not exist.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw NameTarget(ex, temporary, path);
        }

        return new CliOutput(stream, path, temporary, full, cancellationToken);
    }

    /// <summary>
    /// The same failure, its message naming <paramref name="target"/> where it named the temporary file (which the user
    /// never asked for and which is gone by the time they read it).
    /// </summary>
    private static Exception NameTarget(Exception exception, string temporary, string target)
    {
        var message = exception.Message.Contains(temporary, StringComparison.Ordinal)
            ? exception.Message.Replace(temporary, target, StringComparison.Ordinal)
            : $"{target}: {exception.Message}";
        return exception is UnauthorizedAccessException ? new UnauthorizedAccessException(message, exception) : new IOException(message, exception);
    }

    /// <summary>Flushes the data (to disk, for files) and makes the output visible at its target.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_deferredCommit is not null)
        {
            await _deferredCommit(cancellationToken);
            _committed = true;
            return;
        }

        await Stream.FlushAsync(cancellationToken);
        if (_temporaryPath is not null && _targetPath is not null)
        {
#pragma warning disable CA1849 // there is no async fsync; the data must be on disk before the rename makes it visible
            ((FileStream)Stream).Flush(flushToDisk: true);
#pragma warning restore CA1849
            await Stream.DisposeAsync();
            await _deleteOnCancel.DisposeAsync();
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                File.Move(_temporaryPath, _targetPath, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw NameTarget(ex, _temporaryPath, Name);
            }
        }

        _committed = true;
    }

    /// <summary>
    /// Removes a committed output again (when a later step of the command failed, so that a failed command leaves
    /// nothing); stdout and devices cannot be taken back. Best effort: a failure to remove is not thrown.
    /// </summary>
    public async Task RevokeAsync(CancellationToken cancellationToken)
    {
        if (!_committed)
        {
            return;
        }

        try
        {
            if (_deferredRevoke is not null)
            {
                await _deferredRevoke(cancellationToken);
            }
            else if (_targetPath is not null)
            {
                File.Delete(_targetPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LogpushKitException or OperationCanceledException)
        {
            // the command reports its own failure; this one would only hide it
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_deferredDispose is not null)
        {
            await _deferredDispose(_committed);
            return;
        }

        if (_temporaryPath is null)
        {
            // stdout and devices: flush what was written; never close the process's stdout twice.
            try
            {
                await Stream.FlushAsync();
            }
            catch (IOException)
            {
                // a closed pipe (e.g. `| head`) is not worth a second error
            }

            await Stream.DisposeAsync();
            return;
        }

        await Stream.DisposeAsync();
        await _deleteOnCancel.DisposeAsync();
        if (!_committed)
        {
            TryDelete(_temporaryPath);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // best effort: the hidden .tmp name never matches the target's pattern
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
