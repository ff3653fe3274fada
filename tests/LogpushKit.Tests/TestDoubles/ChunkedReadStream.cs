namespace LogpushKit.Tests.TestDoubles;

/// <summary>
/// A read-only, non-seekable stream over a byte array that hands out at most a few bytes per read: a fixed chunk size
/// (1 = one byte at a time) or random sizes from a seeded generator. Async reads can be made to yield first, so the
/// code under test sees truly asynchronous completion.
/// </summary>
public sealed class ChunkedReadStream : Stream
{
    private readonly byte[] _data;
    private readonly int _maxChunk;
    private readonly Random? _random;
    private readonly bool _yield;
    private int _position;

    public ChunkedReadStream(byte[] data, int maxChunk, int? seed = null, bool yieldOnAsync = false)
    {
        _data = data;
        _maxChunk = maxChunk;
        _random = seed is { } s ? new Random(s) : null;
        _yield = yieldOnAsync;
    }

    public int Reads { get; private set; }

    public bool Disposed { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Reads++;
        var chunk = _random is null ? _maxChunk : _random.Next(1, _maxChunk + 1);
        var n = Math.Min(Math.Min(chunk, buffer.Length), _data.Length - _position);
        _data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_yield)
        {
            await Task.Yield();
        }

        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
