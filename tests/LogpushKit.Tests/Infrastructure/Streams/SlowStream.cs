namespace LogpushKit.Tests.Infrastructure.Streams;

/// <summary>Serves <c>length</c> pattern bytes in <c>chunk</c>-byte reads, waiting <c>delay</c> before each read.</summary>
public sealed class SlowStream(long length, int chunk, TimeSpan delay, int seed = 0) : ReadOnlyStream
{
    private readonly PatternStream _inner = new(length, seed, chunk);

    public long BytesRead => _inner.BytesRead;

    public override int Read(Span<byte> buffer)
    {
        Thread.Sleep(delay);
        return _inner.Read(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delay, cancellationToken);
        return _inner.Read(buffer.Span);
    }
}
