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
/// truncated (mid-member, or in the trailer) and ignores data after the last member. Each member's trailer (CRC-32 and
/// length) is checked against the data, and its header CRC-16 when the header has one (FHCRC).
/// </summary>
/// <remarks>
/// <para>A member is inflated with <see cref="DeflateStream.CopyToAsync(Stream, int, CancellationToken)"/>, which hands
/// zlib one whole chunk of input at a time and lets it fill a whole chunk of output per call; a <c>Read</c> loop feeds
/// zlib 8 KiB of input per call, and every call ends with zlib copying its output into its window: measured ~17% slower.
/// The deflate stream pulls its input from <see cref="FeedStream"/>, which serves this stage's buffer a chunk at a time.</para>
/// <para><b>A runtime detail, not a documented contract.</b> This stage relies on how the runtime's
/// <see cref="DeflateStream"/> (.NET 10) implements <c>CopyToAsync</c>: it pulls its source only by calling the source's own
/// <c>CopyToAsync</c>, once per call, handing it a writable stream; each write to that stream inflates the bytes given and
/// writes all the output they produce to the copy's destination before the write completes; once the deflate data has
/// ended, writes are taken without output or error; the source's copy ending before the deflate data does is no error,
/// and the next <c>CopyToAsync</c> goes on from there (so the <c>System.IO.Compression.UseStrictValidation</c> switch of
/// later runtimes must stay off). <c>DeflateStreamRuntimeTests</c> checks each point on the runtime the tests run on and
/// fails loudly, naming this stage, when a runtime changes one; <see cref="FeedStream"/> throws, naming it too, if the
/// deflate stream ever reads its source another way.</para>
/// <para>The deflate stream does not say where a member's deflate data ended, so the trailer is looked for by its value
/// (the CRC-32 and length of the output so far) followed by the next member's magic bytes or the end of the input. First
/// in each chunk that gives output, right after it is inflated: that is where a member of a many-member object ends, found
/// by a search of one chunk, without serving the deflate stream another chunk or compacting the buffer for it. Once the
/// deflate data has ended the deflate stream takes input without giving output, so a served chunk that gives no output
/// also marks the likely end (the trailer lies beyond the chunk that ended the data, or the member is empty): then the
/// trailer is looked for in that chunk and the one before. When it is not there (a valid but unusual stream: a whole
/// chunk of empty blocks), inflating simply goes on. Either search takes a member to end early only where its deflate
/// data holds the CRC-32 and length of the output so far followed by gzip magic bytes: an input made for it (read then as
/// one more member, itself checked against its trailer), or one chance in about 2^80 per position for any other.</para>
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
    private int _previousServedStart;
    private int _lastServedStart;
    private int _lastServedEnd;
    private bool _eof;
    private bool _sourceExhausted;
    private string? _diagnosis;
    private int _member;
    private long _memberOffset;
    private int _nextMemberStart = -1;
    private InflatedSink? _sink;

    public GzipInflater(Stream source, int bufferSize, string? sourceName)
    {
        _source = source;
        _maxServe = Math.Max(bufferSize, 1);
        _sourceName = sourceName;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_maxServe * 3, 64));
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
        var sink = new InflatedSink(this, writer, maxDecompressedBytes, chunkSize);
        _sink = sink;
        var feeder = new FeedStream(this);
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
            _memberOffset = compressedOffset;
            await SkipHeaderAsync(cancellationToken).ConfigureAwait(false);
            sink.BeginMember();
            _diagnosis = null;
            _nextMemberStart = -1;
            _previousServedStart = _lastServedStart = _lastServedEnd = _start;
            var deflate = new DeflateStream(feeder, CompressionMode.Decompress, leaveOpen: true);
            await using (deflate.ConfigureAwait(false))
            {
                do
                {
                    await InflateAsync(deflate, sink, cancellationToken).ConfigureAwait(false);
                    if (sink.ReaderCompleted)
                    {
                        return;
                    }
                }
                while (!await ConsumeTrailerAsync(sink.Crc, (uint)sink.MemberBytes, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    private async Task InflateAsync(DeflateStream deflate, Stream sink, CancellationToken cancellationToken)
    {
        try
        {
            await deflate.CopyToAsync(sink, _maxServe, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw Fail(FormattableString.Invariant($"gzip member {_member} (at compressed byte offset {_memberOffset}) holds corrupt deflate data"), ex);
        }
    }

    /// <summary>
    /// Hands the deflate stream one chunk at a time until a chunk gives no output (the member has likely ended), the
    /// reader stops, or the source ends.
    /// </summary>
    private async Task FeedAsync(Stream inflater, CancellationToken cancellationToken)
    {
        _sourceExhausted = false;
        while (true)
        {
            if (_start == _end)
            {
                // Keep the last chunk served: the trailer may begin in it.
                Compact(_lastServedStart);
                if (!_eof)
                {
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                }

                if (_start == _end)
                {
                    _sourceExhausted = true;
                    return;
                }
            }

            var n = Math.Min(_end - _start, _maxServe);
            _previousServedStart = _lastServedStart;
            _lastServedStart = _start;
            _lastServedEnd = _start + n;
            _start += n;
            var before = BytesOut;
            await inflater.WriteAsync(_buffer.AsMemory(_lastServedStart, n), cancellationToken).ConfigureAwait(false);
            if (BytesOut == before)
            {
                return;
            }

            _diagnosis = null;

            // The chunk gave output; when the member's trailer (the CRC-32 and length of all its output so far) is in it,
            // followed by the next member or the end of the input, the deflate data ended in this chunk: stop here rather
            // than serve another chunk only to see it give no output (a copy of the buffer and a window twice as long to
            // search, per member).
            var sink = _sink!;
            var next = FindTrailer(_lastServedStart, _lastServedEnd, sink.Crc, (uint)sink.MemberBytes);
            if (next >= 0)
            {
                _nextMemberStart = next;
                return;
            }
        }
    }

    private LogpushDataException Fail(string reason, Exception? inner = null)
        => new(reason, _sourceName, null, null, inner);

    /// <summary>
    /// Looks for the member's trailer where its deflate data likely ended and moves past it. Returns
    /// <see langword="false"/> when it is not there and the source has more: the member goes on.
    /// </summary>
    private async Task<bool> ConsumeTrailerAsync(uint crc, uint size, CancellationToken cancellationToken)
    {
        if (_nextMemberStart >= 0)
        {
            // Found right after the chunk that ended the member (FeedAsync).
            _start = _nextMemberStart;
            _nextMemberStart = -1;
            return true;
        }

        // The deflate data ended inside the last two chunks served; the trailer follows it directly and the next member
        // (or the end of input) follows the trailer. Keep that window plus 10 bytes in the buffer.
        var windowStart = _previousServedStart;
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

        var found = FindTrailer(windowStart, windowEnd, crc, size);
        if (found >= 0)
        {
            _start = found;
            return true;
        }

        // Not there: the same window again, byte by byte, to tell what is wrong if the member never ends.
        var data = _buffer.AsSpan(0, _end);
        // The first half match followed by the next member or the end wins: later ones are other members' trailers.
        int garbageAfter = -1, halfMatch = -1;
        var crcOfHalfMatch = false;
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
                    return true;
                }

                garbageAfter = garbageAfter < 0 ? next : garbageAfter;
            }
            else if ((atEnd || followedByMember) && halfMatch < 0)
            {
                halfMatch = p;
                crcOfHalfMatch = crcMatches;
            }
        }

        // Until the source is exhausted the member may go on (the chunk that gave no output came before its end), so what
        // was found is kept as the diagnosis of this stretch without output and reported only if the member never ends.
        _diagnosis ??= garbageAfter >= 0 ? FormattableString.Invariant($"unexpected data after gzip member {_member} (compressed offset {OffsetOf(garbageAfter)}: not a gzip member)")
            : halfMatch < 0 ? null
            : crcOfHalfMatch ? FormattableString.Invariant(
                $"gzip member {_member} has a wrong length in its trailer (corrupt data; the member starts at compressed byte offset {_memberOffset}, its trailer at {OffsetOf(halfMatch)}: stored {BinaryPrimitives.ReadUInt32LittleEndian(data[(halfMatch + 4)..])}, inflated {size} modulo 2^32)")
            : FormattableString.Invariant(
                $"gzip member {_member} fails its CRC-32 check (corrupt data; the member starts at compressed byte offset {_memberOffset}, its trailer at {OffsetOf(halfMatch)}: stored 0x{BinaryPrimitives.ReadUInt32LittleEndian(data[halfMatch..]):x8}, computed 0x{crc:x8})");
        if (!_sourceExhausted)
        {
            return false;
        }

        throw Fail(_diagnosis ?? (_eof && _end < windowEnd + 8
            ? FormattableString.Invariant($"truncated gzip data: member {_member} (at compressed byte offset {_memberOffset}) ends without its CRC-32/length trailer (the input ends early, at compressed byte offset {BytesIn})")
            : FormattableString.Invariant($"gzip member {_member} (at compressed byte offset {_memberOffset}) is corrupt: no CRC-32/length trailer matches its data")));
    }

    /// <summary>The compressed byte offset in the source of a position in the buffer.</summary>
    private long OffsetOf(int position) => BytesIn - (_end - position);

    /// <summary>
    /// Where the member's next part starts (just past its trailer) when its trailer, the CRC-32 and length given, begins at
    /// a position from <paramref name="windowStart"/> to <paramref name="windowEnd"/> and is followed by the next member's
    /// magic bytes or by the end of the input; else -1. The first such position wins. A vectorised search for the trailer's
    /// eight bytes: a scan of the window byte by byte cost about a fifth of the inflate thread's time on an object of 600
    /// members (the window is up to two chunks per member).
    /// </summary>
    private int FindTrailer(int windowStart, int windowEnd, uint crc, uint size)
    {
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], size);
        var data = _buffer.AsSpan(0, _end);
        var last = Math.Min(windowEnd, _end - 8);
        for (var p = windowStart; p <= last; p++)
        {
            var found = data.Slice(p, last - p + 8).IndexOf(trailer);
            if (found < 0)
            {
                return -1;
            }

            p += found;
            var next = p + 8;
            if ((next + 1 < _end && data[next] == 0x1f && data[next + 1] == 0x8b) || (next == _end && _eof))
            {
                return next;
            }
        }

        return -1;
    }

    /// <summary>
    /// Moves past a member's header. With FHCRC set, the header's CRC-16 (the low two bytes of the CRC-32 of every header
    /// byte before it, RFC 1952 2.3.1) is checked.
    /// </summary>
    private async Task SkipHeaderAsync(CancellationToken cancellationToken)
    {
        await EnsureAvailableAsync(10, cancellationToken).ConfigureAwait(false);
        if (_end - _start < 10)
        {
            throw Fail(FormattableString.Invariant($"truncated gzip data: header of member {_member} is incomplete"));
        }

        var headerOffset = BytesIn - (_end - _start);
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

        var headerCrc = (flags & HeaderFlagCrc) != 0 ? new Crc32() : null;
        await SkipAsync(10, headerCrc, cancellationToken).ConfigureAwait(false);
        if ((flags & HeaderFlagExtra) != 0)
        {
            await EnsureAvailableAsync(2, cancellationToken).ConfigureAwait(false);
            RequireHeaderBytes(2);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_start));
            await SkipAsync(2 + extraLength, headerCrc, cancellationToken).ConfigureAwait(false);
        }

        if ((flags & HeaderFlagName) != 0)
        {
            await SkipZeroTerminatedAsync(headerCrc, cancellationToken).ConfigureAwait(false);
        }

        if ((flags & HeaderFlagComment) != 0)
        {
            await SkipZeroTerminatedAsync(headerCrc, cancellationToken).ConfigureAwait(false);
        }

        if (headerCrc is not null)
        {
            await EnsureAvailableAsync(2, cancellationToken).ConfigureAwait(false);
            RequireHeaderBytes(2);
            var stored = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_start));
            var computed = (ushort)headerCrc.GetCurrentHashAsUInt32();
            if (stored != computed)
            {
                throw Fail(FormattableString.Invariant(
                    $"gzip member {_member} fails its header CRC-16 check (header at compressed byte offset {headerOffset}, CRC-16 at {BytesIn - (_end - _start)}: stored 0x{stored:x4}, computed 0x{computed:x4})"));
            }

            _start += 2;
        }
    }

    private void RequireHeaderBytes(int count)
    {
        if (_end - _start < count)
        {
            throw Fail(FormattableString.Invariant($"truncated gzip data: header of member {_member} is incomplete"));
        }
    }

    /// <summary>Moves past <paramref name="count"/> header bytes, adding them to <paramref name="crc"/> when given.</summary>
    private async Task SkipAsync(int count, Crc32? crc, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            await EnsureAvailableAsync(1, cancellationToken).ConfigureAwait(false);
            RequireHeaderBytes(1);
            var n = Math.Min(count, _end - _start);
            crc?.Append(_buffer.AsSpan(_start, n));
            _start += n;
            count -= n;
        }
    }

    /// <summary>Moves past a zero-terminated header field (its zero included), adding it to <paramref name="crc"/> when given.</summary>
    private async Task SkipZeroTerminatedAsync(Crc32? crc, CancellationToken cancellationToken)
    {
        while (true)
        {
            await EnsureAvailableAsync(1, cancellationToken).ConfigureAwait(false);
            RequireHeaderBytes(1);
            var available = _buffer.AsSpan(_start, _end - _start);
            var zero = available.IndexOf((byte)0);
            var n = zero >= 0 ? zero + 1 : available.Length;
            crc?.Append(available[..n]);
            _start += n;
            if (zero >= 0)
            {
                return;
            }
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
        _previousServedStart = Math.Max(0, _previousServedStart - from);
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

    /// <summary>The read-only stream a member's <see cref="DeflateStream"/> copies its input from: the buffered source.</summary>
    /// <remarks>The deflate stream pulls input only through <see cref="CopyToAsync"/>, which <see cref="FeedAsync"/> serves
    /// (a runtime detail: see the class remarks).</remarks>
    private sealed class FeedStream(GzipInflater owner) : ForwardOnlyStream
    {
        private const string NotCopyTo =
            "DeflateStream read its source other than through CopyToAsync: this runtime changed a detail the inflate stage relies on (see GzipInflater's remarks and DeflateStreamRuntimeTests).";

        public override bool CanRead => true;

        public override bool CanWrite => false;

        public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
            => owner.FeedAsync(destination, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException(NotCopyTo);

        public override int Read(Span<byte> buffer) => throw new NotSupportedException(NotCopyTo);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw new NotSupportedException(NotCopyTo);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => throw new NotSupportedException(NotCopyTo);

        public override void CopyTo(Stream destination, int bufferSize) => throw new NotSupportedException(NotCopyTo);

        public override void Flush()
        {
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// Where the deflate stream copies a member's output: counts it, checks the limit, computes the CRC-32 and moves it
    /// into the pipe, a flush per chunk.
    /// </summary>
    private sealed class InflatedSink(GzipInflater owner, PipeWriter writer, long maxDecompressedBytes, int chunkSize) : ForwardOnlyStream
    {
        private readonly Crc32 _crc = new();

        /// <summary>The reader completed the pipe: output is dropped and the stage stops.</summary>
        public bool ReaderCompleted { get; private set; }

        public long MemberBytes { get; private set; }

        public uint Crc => _crc.GetCurrentHashAsUInt32();

        public override bool CanRead => false;

        public override bool CanWrite => true;

        public void BeginMember()
        {
            _crc.Reset();
            MemberBytes = 0;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (ReaderCompleted || buffer.IsEmpty)
            {
                return;
            }

            owner.BytesOut += buffer.Length;
            if (owner.BytesOut > maxDecompressedBytes)
            {
                throw owner.Fail(FormattableString.Invariant(
                    $"the decompressed data exceeds the limit of {maxDecompressedBytes} bytes (MaxDecompressedBytes); a decompression bomb or a wrong limit"));
            }

            MemberBytes += buffer.Length;
            _crc.Append(buffer.Span);
            for (var offset = 0; offset < buffer.Length && !ReaderCompleted; offset += chunkSize)
            {
                var piece = buffer.Span.Slice(offset, Math.Min(chunkSize, buffer.Length - offset));
                piece.CopyTo(writer.GetSpan(piece.Length));
                writer.Advance(piece.Length);
                var flush = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                ReaderCompleted = flush.IsCompleted || flush.IsCanceled;
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }
    }
}
