namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// The one place where a command-line location becomes a stream: <c>-</c> is stdin/stdout, <c>r2://bucket/key</c> and
/// <c>s3://bucket/key</c> are bucket objects (<see cref="CliBuckets"/>), anything else a local file.
/// </summary>
internal static class CliStreams
{
    /// <summary>The name that stands for stdin or stdout.</summary>
    public const string StandardStream = "-";

    private const int FileBufferSize = 0; // the transformer reads and writes in large blocks: no FileStream buffer

    /// <summary>Opens an input location (a bucket object, stdin or a file) for reading.</summary>
    public static async Task<CliInput> OpenInputAsync(string location, string? endpoint, CancellationToken cancellationToken) =>
        CliBuckets.IsBucketUri(location) ? await CliBuckets.OpenInputAsync(location, endpoint, cancellationToken) : OpenInput(location);

    /// <summary>Creates an output location: a bucket object, or as <see cref="CreateOutput(string?, CancellationToken)"/>.</summary>
    public static CliOutput CreateOutput(string? location, string? endpoint, CancellationToken cancellationToken) =>
        location is not null && CliBuckets.IsBucketUri(location) ? CliBuckets.CreateOutput(location, endpoint, cancellationToken) : CreateOutput(location, cancellationToken);

    /// <summary>Opens an input location for reading.</summary>
    public static CliInput OpenInput(string location)
    {
        if (location == StandardStream)
        {
            return new CliInput(Console.OpenStandardInput(), "stdin", null);
        }

        var stream = new FileStream(location, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize, FileOptions.SequentialScan);
        return new CliInput(stream, location, stream.CanSeek ? stream.Length : null);
    }

    /// <summary>
    /// Creates an output location. A regular file is written atomically (temporary name beside it, renamed on
    /// <see cref="CliOutput.CommitAsync"/>, deleted otherwise, and deleted at once when <paramref name="cancellationToken"/>
    /// fires, so even a process that is stopped before it can clean up leaves nothing); <c>-</c> or <see langword="null"/> is stdout.
    /// </summary>
    public static CliOutput CreateOutput(string? location, CancellationToken cancellationToken)
    {
        if (location is null or StandardStream)
        {
            return CliOutput.Direct(Console.OpenStandardOutput(), "stdout");
        }

        if (IsDevice(location))
        {
            // /dev/null, /dev/stdout, a FIFO...: cannot be replaced by a rename, so write straight to it.
            return CliOutput.Direct(new FileStream(location, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, FileBufferSize), location);
        }

        return CliOutput.AtomicFile(location, FileBufferSize, cancellationToken);
    }

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

    private CliOutput(Stream stream, string name, Func<CancellationToken, Task> commit, Func<bool, ValueTask> dispose)
        : this(stream, name, null, null, CancellationToken.None)
    {
        _deferredCommit = commit;
        _deferredDispose = dispose;
    }

    /// <summary>
    /// Writes to <paramref name="stream"/>; <paramref name="commit"/> makes the result visible (e.g. completes a bucket
    /// put) and <paramref name="dispose"/> (told whether it was committed) cleans up or abandons it.
    /// </summary>
    public static CliOutput Deferred(Stream stream, string name, Func<CancellationToken, Task> commit, Func<bool, ValueTask> dispose) =>
        new(stream, name, commit, dispose);

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
        var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize);
        return new CliOutput(stream, path, temporary, full, cancellationToken);
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
            File.Move(_temporaryPath, _targetPath, overwrite: true);
        }

        _committed = true;
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
