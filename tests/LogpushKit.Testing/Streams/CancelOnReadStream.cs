namespace LogpushKit.Testing.Streams;

/// <summary>
/// Serves a byte array in <c>chunk</c>-byte reads and cancels <see cref="Source"/> during read number
/// <c>cancelOnRead</c>; that read still copies its bytes, and an async read then observes the cancellation of its token.
/// (<see cref="CancelAfterStream"/> cancels by byte count instead, before the read.)
/// </summary>
public sealed class CancelOnReadStream(byte[] data, int cancelOnRead, int chunk = 64) : ReadOnlyStream
{
    private int _position;
    private int _reads;

    public CancellationTokenSource Source { get; } = new();

    public override int Read(Span<byte> buffer)
    {
        if (++_reads == cancelOnRead)
        {
            Source.Cancel();
        }

        var n = Math.Min(Math.Min(buffer.Length, chunk), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = Read(buffer.Span);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(n);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Source.Dispose();
        }

        base.Dispose(disposing);
    }
}
