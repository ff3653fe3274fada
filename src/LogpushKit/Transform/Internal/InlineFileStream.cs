namespace LogpushKit.Transform;

/// <summary>
/// A synchronous <see cref="FileStream"/> whose asynchronous reads and writes run inline, on the calling thread.
/// </summary>
/// <remarks>
/// A <see cref="FileStream"/> opened without <see cref="FileOptions.Asynchronous"/> (and on Unix any file stream) serves
/// <c>ReadAsync</c> and <c>WriteAsync</c> by queueing the synchronous call to another thread-pool thread: one thread
/// hand-off per call. The transformer reads and writes hundreds of large blocks per object, each served from or to the page
/// cache at memory speed, so the hand-offs cost more than the I/O: on a 2-core machine they made a gzip'd csv passthrough
/// ~15% slower than inflating alone. The stages call the file inline instead; the caller's thread is blocked only for
/// the duration of each local read or write, as it would be with <see cref="Stream.Read(Span{byte})"/>.
/// </remarks>
internal sealed class InlineFileStream : ForwardOnlyStream
{
    private readonly FileStream _inner;

    private InlineFileStream(FileStream inner) => _inner = inner;

    public override bool CanRead => _inner.CanRead;

    public override bool CanWrite => _inner.CanWrite;

    /// <summary>Wraps a synchronous file stream; returns any other stream unchanged.</summary>
    public static Stream Wrap(Stream stream) => stream is FileStream { IsAsync: false } file ? new InlineFileStream(file) : stream;

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_inner.Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _inner.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _inner.Flush();
        return Task.CompletedTask;
    }

}
