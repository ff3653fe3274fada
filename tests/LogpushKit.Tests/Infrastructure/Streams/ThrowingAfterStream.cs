namespace LogpushKit.Tests.Infrastructure.Streams;

/// <summary>Serves pattern bytes, then throws <see cref="IOException"/> once <c>failAfter</c> bytes have been read.</summary>
public sealed class ThrowingAfterStream(long failAfter, int seed = 0) : ReadOnlyStream
{
    private readonly PatternStream _inner = new(long.MaxValue, seed);

    /// <summary>The message of the exception thrown.</summary>
    public const string FailureMessage = "Injected source failure.";

    public override int Read(Span<byte> buffer)
    {
        var remaining = failAfter - _inner.BytesRead;
        if (remaining <= 0)
        {
            throw new IOException(FailureMessage);
        }

        return _inner.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
    }
}
