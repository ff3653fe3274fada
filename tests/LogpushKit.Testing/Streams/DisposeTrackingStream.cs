namespace LogpushKit.Testing.Streams;

/// <summary>A <see cref="MemoryStream"/> that records whether it was disposed and how often it was flushed.</summary>
public sealed class DisposeTrackingStream : MemoryStream
{
    public DisposeTrackingStream()
    {
    }

    public DisposeTrackingStream(byte[] data)
        : base(data, writable: false)
    {
    }

    public bool Disposed { get; private set; }

    public int Flushes { get; private set; }

    public override void Flush()
    {
        Flushes++;
        base.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flushes++;
        return base.FlushAsync(cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
