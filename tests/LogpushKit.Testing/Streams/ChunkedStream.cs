namespace LogpushKit.Testing.Streams;

/// <summary>
/// Serves a byte array at most a few bytes per read: a fixed chunk size (1 = one byte at a time) or random sizes from a
/// seeded generator. Async reads can be made to yield first, so the code under test sees truly asynchronous completion.
/// </summary>
public sealed class ChunkedStream(byte[] data, int maxChunk, int? seed = null, bool yieldOnAsync = false) : ReadOnlyStream
{
    private readonly Random? _random = seed is { } s ? new Random(s) : null;
    private int _position;

    public int Reads { get; private set; }

    public bool Disposed { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Reads++;
        var chunk = _random is null ? maxChunk : _random.Next(1, maxChunk + 1);
        var n = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (yieldOnAsync)
        {
            await Task.Yield();
        }

        return Read(buffer.Span);
    }

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
