namespace LogpushKit.Testing.Streams;

/// <summary>
/// Serves <c>length</c> pattern bytes in <c>chunk</c>-byte reads, waiting <c>delay</c> before each read;
/// <c>onFirstRead</c> runs once the first bytes are served (a child process announces itself so its parent can kill it
/// mid-put).
/// </summary>
public sealed class SlowStream(long length, int chunk, TimeSpan delay, int seed = 0, Action? onFirstRead = null) : ReadOnlyStream
{
    private readonly PatternStream _inner = new(length, seed, chunk);
    private Action? _onFirstRead = onFirstRead;

    public long BytesRead => _inner.BytesRead;

    public override int Read(Span<byte> buffer)
    {
        Thread.Sleep(delay);
        return Served(_inner.Read(buffer));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delay, cancellationToken);
        return Served(_inner.Read(buffer.Span));
    }

    private int Served(int n)
    {
        if (n > 0 && Interlocked.Exchange(ref _onFirstRead, null) is { } announce)
        {
            announce();
        }

        return n;
    }
}
