namespace LogpushKit.Testing.Streams;

/// <summary>
/// Serves pattern bytes and cancels <see cref="Token"/> once <c>cancelAfter</c> bytes have been read; later reads
/// observe the cancellation (as a well-behaved source would).
/// </summary>
public sealed class CancelAfterStream(long cancelAfter, long length = long.MaxValue, int seed = 0) : ReadOnlyStream
{
    private readonly PatternStream _inner = new(length, seed);
    private readonly CancellationTokenSource _cancellation = new();

    public CancellationToken Token => _cancellation.Token;

    public override int Read(Span<byte> buffer)
    {
        if (_inner.BytesRead >= cancelAfter)
        {
            _cancellation.Cancel();
            _cancellation.Token.ThrowIfCancellationRequested();
        }

        return _inner.Read(buffer[..(int)Math.Min(buffer.Length, Math.Max(1, cancelAfter - _inner.BytesRead))]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _cancellation.Dispose();
        }

        base.Dispose(disposing);
    }
}
