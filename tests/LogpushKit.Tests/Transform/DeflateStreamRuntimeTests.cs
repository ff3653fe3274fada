using System.IO.Compression;
using System.Text;
using LogpushKit.Testing.Streams;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// The runtime details of <see cref="DeflateStream.CopyToAsync(Stream, int, CancellationToken)"/> that the inflate stage
/// (GzipInflater) relies on, checked on the runtime the tests run on. None is a documented contract: a failure here
/// means this runtime changed one, and the inflate stage must be re-checked before it ships on it.
/// </summary>
public sealed class DeflateStreamRuntimeTests
{
    private const string Relied = "GzipInflater relies on this runtime detail of DeflateStream.CopyToAsync (see its remarks); this runtime changed it: ";

    private static readonly byte[] Text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{{\"n\":{i},\"s\":\"value {i}\"}}\n")));

    private static readonly byte[] Deflated = Deflate(Text);

    [Fact]
    public async Task CopyToAsync_PullsItsSourceOnlyThroughTheSourcesCopyToAsync()
    {
        var source = new RecordingSource([Deflated]);
        var sink = new MemoryStream();
        using var deflate = new DeflateStream(source, CompressionMode.Decompress, leaveOpen: true);

        await deflate.CopyToAsync(sink, 256 * 1024);

        Assert.True(source.CopyToCalls == 1, Relied + $"it called the source's CopyToAsync {source.CopyToCalls} times (expected once)");
        Assert.True(source.OtherReads == 0, Relied + $"it read its source {source.OtherReads} times another way ({source.LastOtherRead})");
        Assert.True(sink.ToArray().AsSpan().SequenceEqual(Text), Relied + "the output is not the inflated data");
    }

    [Fact]
    public async Task CopyToAsync_WritesAllTheOutputOfAWriteBeforeTheWriteCompletes()
    {
        var sink = new MemoryStream();
        var chunks = Split(Deflated, 4096);
        long[] outputAfter = new long[chunks.Count];
        var source = new RecordingSource(chunks, afterWrite: k => outputAfter[k] = sink.Length);
        using var deflate = new DeflateStream(source, CompressionMode.Decompress, leaveOpen: true);

        await deflate.CopyToAsync(sink, 256 * 1024);

        // Inflating the whole of the deflate data must have written the whole text by the time the last write completed.
        var last = chunks.Count - 1;
        Assert.True(outputAfter[last] == Text.Length, Relied + $"after the write holding the end of the deflate data, {outputAfter[last]} of {Text.Length} bytes were out");
        Assert.True(outputAfter.Zip(outputAfter.Skip(1)).All(p => p.First <= p.Second), Relied + "output went backwards");
        Assert.True(outputAfter[0] > 0, Relied + "the first write gave no output: output is held back until later writes");
    }

    [Fact]
    public async Task CopyToAsync_TakesBytesAfterTheEndWithoutOutputOrError()
    {
        var sink = new MemoryStream();
        long afterEnd = -1;
        var source = new RecordingSource([Deflated, [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]], afterWrite: k => afterEnd = k == 1 ? sink.Length : afterEnd);
        using var deflate = new DeflateStream(source, CompressionMode.Decompress, leaveOpen: true);

        var error = await Record.ExceptionAsync(() => deflate.CopyToAsync(sink, 256 * 1024));

        Assert.True(error is null, Relied + $"bytes after the end of the deflate data raised {error?.GetType().Name}: {error?.Message}");
        Assert.True(afterEnd == Text.Length, Relied + $"bytes after the end of the deflate data gave output ({afterEnd - Text.Length} bytes)");
    }

    [Fact]
    public async Task CopyToAsync_SourceEndingEarly_IsNoErrorAndTheNextCopyGoesOn()
    {
        var sink = new MemoryStream();
        var half = Deflated.Length / 2;
        using var deflate = new DeflateStream(new RecordingSource([Deflated[..half]]), CompressionMode.Decompress, leaveOpen: true);
        var feed = (RecordingSource)GetSource(deflate);

        var error = await Record.ExceptionAsync(() => deflate.CopyToAsync(sink, 256 * 1024));
        Assert.True(error is null, Relied + $"a source copy that ended inside the deflate data raised {error?.GetType().Name}: {error?.Message} (is System.IO.Compression.UseStrictValidation on?)");
        var firstPart = sink.Length;
        feed.Serve([Deflated[half..]]);
        await deflate.CopyToAsync(sink, 256 * 1024);

        Assert.True(firstPart > 0 && firstPart < Text.Length, Relied + $"the first copy gave {firstPart} bytes");
        Assert.True(sink.ToArray().AsSpan().SequenceEqual(Text), Relied + "the second CopyToAsync did not go on where the first stopped");
    }

    private static Stream GetSource(DeflateStream deflate) => deflate.BaseStream;

    private static byte[] Deflate(byte[] data)
    {
        var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return output.ToArray();
    }

    private static List<byte[]> Split(byte[] data, int size)
        => [.. Enumerable.Range(0, (data.Length + size - 1) / size).Select(i => data[(i * size)..Math.Min(data.Length, (i + 1) * size)])];

    /// <summary>A source that serves chunks only through <see cref="CopyToAsync(Stream, int, CancellationToken)"/> and counts any other read.</summary>
    private sealed class RecordingSource(List<byte[]> chunks, Action<int>? afterWrite = null) : ReadOnlyStream
    {
        private List<byte[]> _chunks = chunks;

        public int CopyToCalls { get; private set; }

        public int OtherReads { get; private set; }

        public string? LastOtherRead { get; private set; }

        public void Serve(List<byte[]> chunks) => _chunks = chunks;

        public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
        {
            CopyToCalls++;
            var served = _chunks;
            _chunks = [];
            for (var k = 0; k < served.Count; k++)
            {
                await destination.WriteAsync(served[k], cancellationToken);
                afterWrite?.Invoke(k);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Other(nameof(Read));

        public override int Read(Span<byte> buffer) => Other(nameof(Read));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Other(nameof(ReadAsync)));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Other(nameof(ReadAsync)));

        public override int ReadByte() => Other(nameof(ReadByte)) - 1;

        public override void CopyTo(Stream destination, int bufferSize) => Other(nameof(CopyTo));

        private int Other(string name)
        {
            OtherReads++;
            LastOtherRead = name;
            return 0;
        }
    }
}
