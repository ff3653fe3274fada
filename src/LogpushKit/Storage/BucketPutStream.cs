using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;

namespace LogpushKit.Storage;

/// <summary>
/// A write-only stream that is the put of one object: what is written streams into <see cref="IR2Bucket.PutAsync"/>
/// (or, with a condition, <see cref="IR2Bucket.PutIfAsync"/>) as it comes, with bounded memory; the object becomes
/// visible only when <see cref="CommitAsync"/> succeeds. Disposing the stream without a commit aborts the put, so
/// nothing appears (and on S3/R2 no multipart upload is left).
/// </summary>
/// <remarks>
/// <para>
/// The put runs on a task of its own, reading through a <see cref="Pipe"/> that holds at most about 1 MiB: a write
/// waits while the put is behind. When the put fails (the bucket refused a key, the network failed), the next write
/// or the commit throws the bucket's exception as it is (<see cref="R2BucketException"/>,
/// <see cref="ObjectKeyException"/>), not wrapped.
/// </para>
/// <para>
/// With <c>createOnFirstWrite</c>, nothing is sent to the bucket until the first byte is written, so a side output that
/// stays empty (a quarantine of a clean object) creates no object: <see cref="CommitAsync"/> then returns
/// <see langword="null"/>.
/// </para>
/// <para>
/// With a <c>condition</c>, the commit returns <see langword="null"/> when the condition did not hold (another writer
/// got there first) and nothing was written. A bucket without conditional puts (its <see cref="IR2Bucket.PutIfAsync"/>
/// throws <see cref="NotSupportedException"/> before reading) gets an unconditional put instead;
/// <see cref="ConditionApplied"/> says so afterwards, for the caller to report.
/// </para>
/// <para>Not thread-safe: one writer at a time, as for any stream.</para>
/// </remarks>
public sealed class BucketPutStream : Stream
{
    private readonly IR2Bucket _bucket;
    private readonly R2PutOptions? _options;
    private readonly R2Conditional? _condition;
    private readonly CancellationToken _cancellationToken;
    private Pipe? _pipe;
    private Task<R2ObjectInfo?>? _put;
    private bool _committed;
    private bool _disposed;
    private int _conditionApplied = 1;

    /// <summary>Starts a put of <paramref name="key"/> into <paramref name="bucket"/>.</summary>
    /// <param name="bucket">The bucket; not disposed by this stream.</param>
    /// <param name="key">The object key.</param>
    /// <param name="options">Content type and metadata of the object.</param>
    /// <param name="condition">Commit only if this holds (see remarks); <see langword="null"/> for an unconditional put.</param>
    /// <param name="createOnFirstWrite">Start the put only when the first byte is written (see remarks).</param>
    /// <param name="cancellationToken">Cancels the put (the object does not appear).</param>
    public BucketPutStream(IR2Bucket bucket, string key, R2PutOptions? options = null, R2Conditional? condition = null, bool createOnFirstWrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        _bucket = bucket;
        Key = key;
        _options = options;
        _condition = condition;
        _cancellationToken = cancellationToken;
        if (!createOnFirstWrite)
        {
            Start();
        }
    }

    /// <summary>The object key being written.</summary>
    public string Key { get; }

    /// <summary>
    /// <see langword="false"/> when a condition was given but the bucket has no conditional puts, so the object was put
    /// unconditionally; otherwise <see langword="true"/>. Meaningful once <see cref="CommitAsync"/> has returned.
    /// </summary>
    public bool ConditionApplied => Volatile.Read(ref _conditionApplied) == 1;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => !_disposed && !_committed;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Ends the stream and waits for the put: returns the stored object, or <see langword="null"/> when a condition did
    /// not hold, or (with <c>createOnFirstWrite</c>) when nothing was written.
    /// </summary>
    /// <exception cref="R2BucketException">The put failed (the bucket's own exception, not wrapped).</exception>
    /// <exception cref="OperationCanceledException">The put was cancelled.</exception>
    public async Task<R2ObjectInfo?> CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException($"The put of '{ObjectKeyText.Escape(Key)}' was already committed.");
        }

        _committed = true;
        if (_pipe is null || _put is null)
        {
            return null;
        }

        await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        return await _put.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var writer = Start();
        writer.Write(buffer);
#pragma warning disable CA1849, CA2012 // a synchronous Write must block; the put reads concurrently on its own task
        var flush = writer.FlushAsync(_cancellationToken).AsTask().GetAwaiter().GetResult();
        if (flush.IsCompleted)
        {
            ThrowPutStopped().GetAwaiter().GetResult();
        }
#pragma warning restore CA1849, CA2012
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var flush = await Start().WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (flush.IsCompleted)
        {
            await ThrowPutStopped().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Aborts the put unless it was committed, and waits for the bucket to clean up.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_pipe is not null && _put is not null && !_put.IsCompleted)
        {
            await _pipe.Writer.CompleteAsync(new OperationCanceledException($"The put of '{ObjectKeyText.Escape(Key)}' was abandoned before it was committed.")).ConfigureAwait(false);
            try
            {
                await _put.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // aborted on purpose: whoever abandoned the put reports why
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
#pragma warning disable CA2012 // waited for at once
            DisposeAsync().AsTask().GetAwaiter().GetResult();
#pragma warning restore CA2012
        }

        base.Dispose(disposing);
    }

    private PipeWriter Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException($"The put of '{ObjectKeyText.Escape(Key)}' was already committed.");
        }

        if (_pipe is not null)
        {
            return _pipe.Writer;
        }

        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
        var reader = _pipe.Reader;
        _put = Task.Run(() => RunPutAsync(reader), CancellationToken.None);
        return _pipe.Writer;
    }

    private async Task<R2ObjectInfo?> RunPutAsync(PipeReader reader)
    {
        var content = new CountingReadStream(reader.AsStream(leaveOpen: true));
        try
        {
            if (_condition is null)
            {
                return await _bucket.PutAsync(Key, content, _options, _cancellationToken).ConfigureAwait(false);
            }

            try
            {
                var stored = await _bucket.PutIfAsync(Key, content, _condition, _options, _cancellationToken).ConfigureAwait(false);
                if (stored is null)
                {
                    // The condition failed; should the bucket have said so before the end, take the rest so the writer finishes.
                    await content.CopyToAsync(Null, _cancellationToken).ConfigureAwait(false);
                }

                return stored;
            }
            catch (NotSupportedException) when (content.BytesRead == 0)
            {
                // The bucket has no conditional puts and read nothing: put unconditionally, and say so.
                Volatile.Write(ref _conditionApplied, 0);
                return await _bucket.PutAsync(Key, content, _options, _cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // the writer sees this error instead of waiting forever for the put to read
            await reader.CompleteAsync(ex).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task ThrowPutStopped()
    {
        if (_put is not null)
        {
            try
            {
                await _put.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                ExceptionDispatchInfo.Capture(ex).Throw();
            }
        }

        throw new InvalidOperationException($"The put of '{ObjectKeyText.Escape(Key)}' to bucket '{_bucket.Name}' stopped reading before the end of the stream.");
    }

    /// <summary>A read-only pass-through that counts bytes read, to tell whether a failed put consumed anything.</summary>
    private sealed class CountingReadStream(Stream inner) : ForwardOnlyStream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanWrite => false;

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override void Flush()
        {
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            BytesRead += read;
            return read;
        }
    }
}
