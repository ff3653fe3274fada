namespace LogpushKit.Testing.Streams;

/// <summary>
/// Passes reads through to <c>inner</c> and reports the size of each to <c>onRead</c> (after the read; it may throw, to
/// fail the stream at a chosen point). Disposes <c>inner</c> unless <c>leaveOpen</c>.
/// </summary>
public sealed class ObservingStream(Stream inner, Action<int> onRead, bool leaveOpen = false) : ReadOnlyStream
{
    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        onRead(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        onRead(n);
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
