using LogpushKit.Storage;

// Usage: LogpushKit.Tests.Child <bucket-folder> <key>
// Puts <key> from a source that never ends (64 KiB every 20 ms) and prints "writing" once the first bytes are
// read, so the parent test can kill this process in the middle of the put.
if (args.Length != 2)
{
    await Console.Error.WriteLineAsync("usage: LogpushKit.Tests.Child <bucket-folder> <key>");
    return 2;
}

var bucket = new FileSystemBucket(args[0]);
await bucket.PutAsync(args[1], new EndlessSlowStream());
return 0;

internal sealed class EndlessSlowStream : Stream
{
    private bool _announced;

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
        Thread.Sleep(20);
        var count = Math.Min(buffer.Length, 64 * 1024);
        buffer[..count].Fill((byte)'x');
        if (!_announced)
        {
            _announced = true;
            Console.Out.WriteLine("writing");
            Console.Out.Flush();
        }

        return count;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
