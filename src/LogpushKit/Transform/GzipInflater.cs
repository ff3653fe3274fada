using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.IO.Pipelines;

namespace LogpushKit.Transform;

/// <summary>
/// The inflate stage: reads every gzip member of a source stream and writes the decompressed bytes into a
/// <see cref="PipeWriter"/>. It parses the gzip framing itself and inflates each member with a raw
/// <see cref="DeflateStream"/>, because <see cref="GZipStream"/> returns a silent end of data when the input is
/// truncated (mid-member, or in the trailer). Each member's trailer (CRC-32 and length) is checked against the data.
/// </summary>
/// <remarks>
/// The raw deflate stream reads ahead, so the position where a member's deflate data ended is not known exactly; it is
/// inside the last chunk handed to the deflate stream. The trailer is found there by its value (the CRC-32 and length
/// this stage computed), and the next member must start right after it (magic bytes) or the input must end.
/// </remarks>
internal sealed class GzipInflater : IDisposable
{
    private const int HeaderFlagCrc = 0x02;
    private const int HeaderFlagExtra = 0x04;
    private const int HeaderFlagName = 0x08;
    private const int HeaderFlagComment = 0x10;

    private readonly Stream _source;
    private readonly int _maxServe;
    private readonly string? _sourceName;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _lastServedStart;
    private int _lastServedEnd;
    private bool _eof;
    private int _member;

    public GzipInflater(Stream source, int bufferSize, string? sourceName)
    {
        _source = source;
        _maxServe = bufferSize;
        _sourceName = sourceName;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize * 2, 64));
    }

    /// <summary>Compressed bytes read from the source so far.</summary>
    public long BytesIn { get; private set; }

    /// <summary>Decompressed bytes produced so far.</summary>
    public long BytesOut { get; private set; }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Inflates all members into <paramref name="writer"/>; does not complete it.</summary>
    public async Task RunAsync(PipeWriter writer, long maxDecompressedBytes, int chunkSize, CancellationToken cancellationToken)
    {
        var feeder = new FeedStream(this);
        var crc = new Crc32();
        while (true)
        {
            await EnsureAvailableAsync(10, cancellationToken).ConfigureAwait(false);
            if (_end == _start && _eof)
            {
                if (_member == 0)
                {
                    throw Fail("the input holds no gzip member");
                }

                return;
            }

            var compressedOffset = BytesIn - (_end - _start);
            if (_end - _start < 2 || _buffer[_start] != 0x1f || _buffer[_start + 1] != 0x8b)
            {
                throw Fail(_member == 0
                    ? "the input is not gzip"
                    : FormattableString.Invariant($"unexpected data after gzip member {_member} (compressed offset {compressedOffset})"));
            }

            _member++;
            await SkipHeaderAsync(cancellationToken).ConfigureAwait(false);
            crc.Reset();
            long memberBytes = 0;
            var deflate = new DeflateStream(feeder, CompressionMode.Decompress, leaveOpen: true);
            await using (deflate.ConfigureAwait(false))
            {
                var memberEnded = false;
                while (!memberEnded)
                {
                    var memory = writer.GetMemory(chunkSize);
                    if (memory.Length > chunkSize)
                    {
                        memory = memory[..chunkSize];
                    }

                    // One deflate read yields only what one small compressed block inflates to; filling the whole chunk
                    // before flushing keeps pipe hand-offs (and the wake-ups of the converter thread) few and large.
                    var filled = 0;
                    while (filled < memory.Length)
                    {
                        var read = await InflateAsync(deflate, memory[filled..], cancellationToken).ConfigureAwait(false);
                        if (read == 0)
                        {
                            memberEnded = true;
                            break;
                        }

                        filled += read;
                    }

                    if (filled == 0)
                    {
                        continue;
                    }

                    crc.Append(memory.Span[..filled]);
                    writer.Advance(filled);
                    memberBytes += filled;
                    BytesOut += filled;
                    if (BytesOut > maxDecompressedBytes)
                    {
                        throw Fail(FormattableString.Invariant(
                            $"the decompressed data exceeds the limit of {maxDecompressedBytes} bytes (MaxDecompressedBytes); a decompression bomb or a wrong limit"));
                    }

                    var flush = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        return;
                    }
                }
            }

            await ConsumeTrailerAsync(crc.GetCurrentHashAsUInt32(), (uint)memberBytes, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<int> InflateAsync(DeflateStream deflate, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            return await deflate.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw Fail(FormattableString.Invariant($"gzip member {_member} holds corrupt deflate data"), ex);
        }
    }

    private LogpushDataException Fail(string reason, Exception? inner = null)
        => new(reason, _sourceName, null, null, inner);

    private async Task ConsumeTrailerAsync(uint crc, uint size, CancellationToken cancellationToken)
    {
        // The deflate data ended inside [_lastServedStart, _lastServedEnd); the trailer follows it directly and the
        // next member (or the end of input) follows the trailer. Keep that window plus 10 bytes in the buffer.
        var windowStart = _lastServedStart;
        var windowEnd = _lastServedEnd;
        if (windowStart > 0)
        {
            Compact(windowStart);
            windowEnd -= windowStart;
            windowStart = 0;
        }

        while (!_eof && _end < windowEnd + 10)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }

        var data = _buffer.AsSpan(0, _end);
        int garbageAfter = -1, crcOnly = -1, sizeOnly = -1;
        for (var p = windowStart; p <= windowEnd && p + 8 <= _end; p++)
        {
            var crcMatches = BinaryPrimitives.ReadUInt32LittleEndian(data[p..]) == crc;
            var sizeMatches = BinaryPrimitives.ReadUInt32LittleEndian(data[(p + 4)..]) == size;
            if (!crcMatches && !sizeMatches)
            {
                continue;
            }

            var next = p + 8;
            var followedByMember = next + 1 < _end && data[next] == 0x1f && data[next + 1] == 0x8b;
            var atEnd = next == _end && _eof;
            if (crcMatches && sizeMatches)
            {
                if (atEnd || followedByMember)
                {
                    _start = next;
                    return;
                }

                garbageAfter = garbageAfter < 0 ? next : garbageAfter;
            }
            else if (atEnd || followedByMember)
            {
                if (crcMatches)
                {
                    crcOnly = p;
                }
                else
                {
                    sizeOnly = p;
                }
            }
        }

        if (garbageAfter >= 0)
        {
            throw Fail(FormattableString.Invariant($"unexpected data after gzip member {_member} (not a gzip member)"));
        }

        if (sizeOnly >= 0)
        {
            throw Fail(FormattableString.Invariant($"gzip member {_member} fails its CRC-32 check (corrupt data)"));
        }

        if (crcOnly >= 0)
        {
            throw Fail(FormattableString.Invariant($"gzip member {_member} has a wrong length in its trailer (corrupt data)"));
        }

        throw Fail(_eof && _end < windowEnd + 8
            ? FormattableString.Invariant($"truncated gzip data: member {_member} ends without its CRC-32/length trailer (the input ends early)")
            : FormattableString.Invariant($"gzip member {_member} is corrupt: no CRC-32/length trailer matches its data"));
    }

    private async Task SkipHeaderAsync(CancellationToken cancellationToken)
    {
        await EnsureAvailableAsync(10, cancellationToken).ConfigureAwait(false);
        if (_end - _start < 10)
        {
            throw Fail(FormattableString.Invariant($"truncated gzip data: header of member {_member} is incomplete"));
        }

        var method = _buffer[_start + 2];
        var flags = _buffer[_start + 3];
        if (method != 8)
        {
            throw Fail(FormattableString.Invariant($"gzip member {_member} uses compression method {method}, not deflate (8)"));
        }

        if ((flags & 0xE0) != 0)
        {
            throw Fail(FormattableString.Invariant($"gzip member {_member} has reserved header flags set (corrupt header)"));
        }

        _start += 10;
        if ((flags & HeaderFlagExtra) != 0)
        {
            await EnsureAvailableAsync(2, cancellationToken).ConfigureAwait(false);
            RequireHeaderBytes(2);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_start));
            _start += 2;
            await SkipAsync(extraLength, cancellationToken).ConfigureAwait(false);
        }

        if ((flags & HeaderFlagName) != 0)
        {
            await SkipZeroTerminatedAsync(cancellationToken).ConfigureAwait(false);
        }

        if ((flags & HeaderFlagComment) != 0)
        {
            await SkipZeroTerminatedAsync(cancellationToken).ConfigureAwait(false);
        }

        if ((flags & HeaderFlagCrc) != 0)
        {
            await SkipAsync(2, cancellationToken).ConfigureAwait(false);
        }
    }

    private void RequireHeaderBytes(int count)
    {
        if (_end - _start < count)
        {
            throw Fail(FormattableString.Invariant($"truncated gzip data: header of member {_member} is incomplete"));
        }
    }

    private async Task SkipAsync(int count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            await EnsureAvailableAsync(1, cancellationToken).ConfigureAwait(false);
            RequireHeaderBytes(1);
            var n = Math.Min(count, _end - _start);
            _start += n;
            count -= n;
        }
    }

    private async Task SkipZeroTerminatedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await EnsureAvailableAsync(1, cancellationToken).ConfigureAwait(false);
            RequireHeaderBytes(1);
            var zero = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)0);
            if (zero >= 0)
            {
                _start += zero + 1;
                return;
            }

            _start = _end;
        }
    }

    private async ValueTask EnsureAvailableAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count && !_eof)
        {
            if (_start > 0)
            {
                Compact(_start);
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Moves the bytes from <paramref name="from"/> to the buffer start.</summary>
    private void Compact(int from)
    {
        _buffer.AsSpan(from, _end - from).CopyTo(_buffer);
        _end -= from;
        _start -= from;
        _lastServedStart = Math.Max(0, _lastServedStart - from);
        _lastServedEnd = Math.Max(0, _lastServedEnd - from);
    }

    /// <summary>Reads once from the source into the free end of the buffer (growing it when full).</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_end == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        var free = _buffer.AsMemory(_end, Math.Min(_buffer.Length - _end, Math.Max(_maxServe, 16)));
        var read = await _source.ReadAsync(free, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
            return;
        }

        _end += read;
        BytesIn += read;
    }

    private int Serve(Span<byte> destination)
    {
        var n = Math.Min(Math.Min(destination.Length, _end - _start), _maxServe);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _lastServedStart = _start;
        _lastServedEnd = _start + n;
        _start += n;
        return n;
    }

    private int ServeSync(Span<byte> destination)
    {
        if (_start == _end)
        {
            if (_eof)
            {
                return 0;
            }

            _start = 0;
            _end = 0;
            _lastServedStart = 0;
            _lastServedEnd = 0;
            var read = _source.Read(_buffer.AsSpan(0, Math.Min(_buffer.Length, Math.Max(_maxServe, 16))));
            if (read == 0)
            {
                _eof = true;
                return 0;
            }

            _end = read;
            BytesIn += read;
        }

        return Serve(destination);
    }

    private async ValueTask<int> ServeAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        if (_start == _end)
        {
            if (_eof)
            {
                return 0;
            }

            // The deflate stream asks for more only after it consumed everything served so far.
            _start = 0;
            _end = 0;
            _lastServedStart = 0;
            _lastServedEnd = 0;
            await FillAsync(cancellationToken).ConfigureAwait(false);
            if (_start == _end)
            {
                return 0;
            }
        }

        return Serve(destination.Span);
    }

    /// <summary>The read-only stream a member's <see cref="DeflateStream"/> reads from: the buffered source.</summary>
    private sealed class FeedStream(GzipInflater owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => owner.ServeSync(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) => owner.ServeSync(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => owner.ServeAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => owner.ServeAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
