namespace LogpushKit.Testing.Streams;

/// <summary>
/// Serves bytes (pattern bytes, or those of an array), then throws <see cref="IOException"/> with
/// <see cref="FailureMessage"/> once <c>failAfter</c> bytes have been read.
/// </summary>
public sealed class ThrowingAfterStream : ReadOnlyStream
{
    /// <summary>The message of the exception thrown.</summary>
    public const string FailureMessage = "Injected source failure.";

    private readonly ReadOnlyStream _inner;
    private readonly long _failAfter;
    private long _read;

    /// <summary>Serves <see cref="PatternStream"/> bytes, then fails.</summary>
    public ThrowingAfterStream(long failAfter, int seed = 0)
    {
        _inner = new PatternStream(long.MaxValue, seed);
        _failAfter = failAfter;
    }

    /// <summary>Serves the first <paramref name="failAfter"/> bytes of <paramref name="data"/>, then fails (an array shorter than that ends first).</summary>
    public ThrowingAfterStream(byte[] data, long failAfter)
    {
        _inner = new ChunkedStream(data, int.MaxValue);
        _failAfter = failAfter;
    }

    public override int Read(Span<byte> buffer)
    {
        var remaining = _failAfter - _read;
        if (remaining <= 0)
        {
            throw new IOException(FailureMessage);
        }

        var n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
        _read += n;
        return n;
    }
}
