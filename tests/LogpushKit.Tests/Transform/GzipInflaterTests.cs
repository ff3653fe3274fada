using System.IO.Compression;
using System.Text;
using LogpushKit.Transform;
using static LogpushKit.Tests.Transform.TransformRunner;

namespace LogpushKit.Tests.Transform;

/// <summary>Gzip framing through the whole transformer: members, trailers, truncation, limits.</summary>
public sealed class GzipInflaterTests
{
    private static readonly byte[] Ndjson = Utf8(string.Concat(Enumerable.Range(0, 400).Select(i => $"{{\"n\":{i},\"s\":\"value {i} é\"}}\n")));

    private static string ExpectedCsv => "n,s\n" + string.Concat(Enumerable.Range(0, 400).Select(i => $"{i},value {i} é\n"));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(50)]
    public async Task RunAsync_ConcatenatedMembers_AreAllInflated(int members)
    {
        var o = await RunRawAsync(Gzip(Ndjson, members));
        Assert.Equal(ExpectedCsv, o.Csv);
        Assert.Equal(Ndjson.Length, o.Result.BytesDecompressed);
    }

    [Fact]
    public async Task RunAsync_EmptyMembersBetweenData_AreAccepted()
    {
        var empty = EmptyMember();
        var input = empty.Concat(Gzip(Ndjson[..100])).Concat(empty).Concat(empty).Concat(Gzip(Ndjson[100..])).Concat(empty).ToArray();
        var o = await RunRawAsync(input);
        Assert.Equal(ExpectedCsv, o.Csv);
    }

    [Fact]
    public async Task RunAsync_MoreThanAChunkOfEmptyBlocks_IsNotTakenForTheMemberEnd()
    {
        // Empty stored blocks (BFINAL 0, BTYPE 00, LEN 0, NLEN FFFF) give no output: a whole served chunk of them looks
        // like the end of the member's deflate data until no trailer is found there.
        var emptyBlocks = Enumerable.Repeat<byte[]>([0x00, 0x00, 0x00, 0xFF, 0xFF], (LogpushCsvTransformer.DefaultBufferSize / 5) + 1000).SelectMany(b => b);
        var member = new List<byte> { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
        member.AddRange(emptyBlocks);
        member.AddRange(Deflate(Ndjson));
        member.AddRange(Trailer(Ndjson));
        var o = await RunRawAsync([.. member, .. Gzip(Ndjson)]);
        Assert.Equal(ExpectedCsv + string.Concat(ExpectedCsv.Split('\n', 2)[1]), o.Csv);
    }

    [Fact]
    public async Task RunAsync_HeaderWithNameCommentExtraAndHeaderCrc_IsParsed()
    {
        var o = await RunRawAsync(MemberWithFullHeader(Ndjson, corruptHeaderByte: null));
        Assert.Equal(ExpectedCsv, o.Csv);
    }

    [Theory]
    [InlineData(4)] // MTIME
    [InlineData(13)] // inside the extra field
    [InlineData(20)] // inside the file name
    [InlineData(-1)] // the stored CRC-16 itself
    public async Task RunAsync_HeaderCrcMismatch_FailsNamingTheOffset(int corruptHeaderByte)
    {
        var ex = await FailRawAsync(MemberWithFullHeader(Ndjson, corruptHeaderByte));
        Assert.Contains("gzip member 1 fails its header CRC-16 check (header at compressed byte offset 0", ex.Reason, StringComparison.Ordinal);
        Assert.Equal("x.log.gz", ex.SourceName);
    }

    [Fact]
    public async Task RunAsync_HeaderCrcMismatchInSecondMember_NamesItsOffset()
    {
        var first = Gzip(Ndjson[..200]);
        var ex = await FailRawAsync([.. first, .. MemberWithFullHeader(Ndjson[200..], corruptHeaderByte: 30)]);
        Assert.Contains(FormattableString.Invariant($"gzip member 2 fails its header CRC-16 check (header at compressed byte offset {first.Length},"), ex.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// One member whose header has every optional part (extra field, a long name, a comment) and a CRC-16 (FHCRC) over
    /// them; <paramref name="corruptHeaderByte"/> flips a header byte (-1: the stored CRC-16) after the CRC is computed.
    /// </summary>
    private static byte[] MemberWithFullHeader(byte[] data, int? corruptHeaderByte)
    {
        var header = new List<byte> { 0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 1, 2, 3, 4, 0, 3 };
        header.AddRange([5, 0, 1, 2, 3, 4, 5]);
        header.AddRange(Encoding.ASCII.GetBytes(new string('n', 300) + ".log\0"));
        header.AddRange(Encoding.ASCII.GetBytes("a comment\0"));
        var crc = (ushort)System.IO.Hashing.Crc32.HashToUInt32([.. header]);
        header.AddRange([(byte)crc, (byte)(crc >> 8)]);
        if (corruptHeaderByte is { } i)
        {
            header[i < 0 ? header.Count + i : i] ^= 0x20;
        }

        return [.. header, .. Deflate(data), .. Trailer(data)];
    }

    public static TheoryData<int> TruncationPoints() => [3, 10, 11, 20, 100, 500, -9, -8, -5, -1];

    [Theory]
    [MemberData(nameof(TruncationPoints))]
    public async Task RunAsync_TruncatedGzip_Fails(int cut)
    {
        var gz = Gzip(Ndjson);
        var truncated = gz[..(cut > 0 ? cut : gz.Length + cut)];
        var ex = await FailRawAsync(truncated);
        Assert.Contains("truncated", ex.Reason, StringComparison.Ordinal);
        Assert.Equal("x.log.gz", ex.SourceName);
    }

    [Fact]
    public async Task RunAsync_TruncatedSecondMember_Fails()
    {
        var first = Gzip(Ndjson[..200]);
        var second = Gzip(Ndjson[200..]);
        var ex = await FailRawAsync([.. first, .. second[..(second.Length / 2)]]);
        Assert.Contains("member 2", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BadCrc_Fails()
    {
        var gz = Gzip(Ndjson);
        gz[^8] ^= 0x01;
        var ex = await FailRawAsync(gz);
        Assert.Contains("CRC-32", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WrongLength_Fails()
    {
        var gz = Gzip(Ndjson);
        gz[^3] ^= 0x40;
        var ex = await FailRawAsync(gz);
        Assert.Contains("wrong length", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BadCrcInFirstOfTwoMembers_Fails()
    {
        var first = Gzip(Ndjson[..200]);
        first[^8] ^= 0x10;
        var ex = await FailRawAsync([.. first, .. Gzip(Ndjson[200..])]);
        Assert.Contains("member 1", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CorruptDeflateData_Fails()
    {
        var gz = Gzip(Ndjson);
        for (var i = 12; i < 40; i++)
        {
            gz[i] = 0xFF;
        }

        var ex = await FailRawAsync(gz);
        Assert.Contains("member 1", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TrailingGarbage_Fails()
    {
        var ex = await FailRawAsync([.. Gzip(Ndjson), 0, 0, 0, 0]);
        Assert.Contains("unexpected data after gzip member 1", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnsupportedMethodOrReservedFlags_Fail()
    {
        var gz = Gzip(Ndjson);
        gz[2] = 7;
        Assert.Contains("compression method 7", (await FailRawAsync(gz)).Reason, StringComparison.Ordinal);
        gz = Gzip(Ndjson);
        gz[3] = 0x80;
        Assert.Contains("reserved", (await FailRawAsync(gz)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MagicBytesOnly_FailsAsTruncated()
    {
        var ex = await FailRawAsync([0x1f, 0x8b]);
        Assert.Contains("truncated", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NotGzip_IsReadAsPlainText()
    {
        var o = await RunRawAsync(Ndjson);
        Assert.False(o.Result.Gzip);
        Assert.Equal(ExpectedCsv, o.Csv);
        var single = await RunRawAsync([0x1f]);
        Assert.False(single.Result.Gzip);
    }

    [Fact]
    public async Task RunAsync_DecompressedBytesOverLimit_Fails()
    {
        var bomb = Gzip(Utf8(string.Concat(Enumerable.Repeat("0\n", 1 << 19))));
        var ex = await FailRawAsync(bomb, TransformOptions.Default with { MaxDecompressedBytes = 64 * 1024 });
        Assert.Contains("MaxDecompressedBytes", ex.Reason, StringComparison.Ordinal);
        var ok = await RunRawAsync(Gzip(Ndjson), TransformOptions.Default with { MaxDecompressedBytes = Ndjson.Length });
        Assert.Equal(ExpectedCsv, ok.Csv);
        await FailRawAsync(Gzip(Ndjson), TransformOptions.Default with { MaxDecompressedBytes = Ndjson.Length - 1 });
    }

    [Fact]
    public async Task RunAsync_HighlyCompressibleData_TrailerFoundAcrossBoundaries()
    {
        // Long runs compress to very little, so member ends land at every position of the tiny feed buffers.
        var text = string.Concat(Enumerable.Range(0, 60).Select(i => "{\"a\":\"" + new string('x', i * 37) + "\"}\n"));
        for (var members = 1; members <= 12; members++)
        {
            var o = await RunRawAsync(Gzip(Utf8(text), members));
            Assert.Equal(61, o.Csv.Count(c => c == '\n'));
        }
    }

    [Fact]
    public async Task RunAsync_SixHundredMembersWithEmptyOnes_AreAllInflatedInOrder()
    {
        // 600 members: every fifth one empty, the others a line or two each, so most chunks hold many member ends.
        var members = new List<byte[]>();
        var expected = new StringBuilder("n,s\n");
        var line = 0;
        for (var m = 0; m < 600; m++)
        {
            if (m % 5 == 4)
            {
                members.Add(EmptyMember());
                continue;
            }

            var lines = 1 + (m % 2);
            var text = string.Concat(Enumerable.Range(line, lines).Select(i => $"{{\"n\":{i},\"s\":\"v{i}\"}}\n"));
            expected.Append(string.Concat(Enumerable.Range(line, lines).Select(i => $"{i},v{i}\n")));
            line += lines;
            members.Add(Gzip(Utf8(text)));
        }

        var o = await RunRawAsync([.. members.SelectMany(b => b)]);
        Assert.Equal(expected.ToString(), o.Csv);
        Assert.Equal(line, o.Result.Rows);
    }

    [Fact]
    public async Task RunAsync_MemberBoundaryAtEveryBufferPosition_IsFound()
    {
        // The first member's header carries a file name of 0 to 140 bytes, which shifts every later byte: the end of its
        // deflate data, its trailer, the next member's header and the end of an empty member fall at every position of the
        // feeds' buffers (1, 2, 3, 7, 61 bytes, and 256 KiB at the start of the input).
        var first = Utf8(string.Concat(Enumerable.Range(0, 30).Select(i => $"{{\"n\":{i},\"s\":\"x{i}\"}}\n")));
        var second = Utf8(string.Concat(Enumerable.Range(30, 10).Select(i => $"{{\"n\":{i},\"s\":\"x{i}\"}}\n")));
        var expected = "n,s\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i},x{i}\n"));
        for (var nameLength = 0; nameLength <= 140; nameLength++)
        {
            var named = new List<byte> { 0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3 };
            named.AddRange(Enumerable.Repeat((byte)'n', nameLength));
            named.Add(0);
            named.AddRange(Deflate(first));
            named.AddRange(Trailer(first));
            var o = await RunRawAsync([.. named, .. EmptyMember(), .. Gzip(second), .. EmptyMember()]);
            Assert.True(expected == o.Csv, $"file name of {nameLength} bytes: wrong CSV");
        }
    }

    [Fact]
    public async Task RunAsync_BadCrcInMember317_NamesTheMemberAndItsTrailerOffsets()
    {
        var (members, start317) = SixHundredMembers();
        var trailer = start317 + members[316].Length - 8;
        members[316][^8] ^= 0x01;
        var ex = await FailRawAsync([.. members.SelectMany(b => b)]);
        Assert.Contains(
            FormattableString.Invariant($"gzip member 317 fails its CRC-32 check (corrupt data; the member starts at compressed byte offset {start317}, its trailer at {trailer}: stored 0x"),
            ex.Reason,
            StringComparison.Ordinal);
        Assert.Equal("x.log.gz", ex.SourceName);
    }

    [Fact]
    public async Task RunAsync_WrongLengthInMember317_NamesTheMemberAndItsTrailerOffsets()
    {
        var (members, start317) = SixHundredMembers();
        var trailer = start317 + members[316].Length - 8;
        var length = BitConverter.ToUInt32(members[316], members[316].Length - 4);
        members[316][^4] ^= 0x01;
        var ex = await FailRawAsync([.. members.SelectMany(b => b)]);
        Assert.Contains(
            FormattableString.Invariant($"gzip member 317 has a wrong length in its trailer (corrupt data; the member starts at compressed byte offset {start317}, its trailer at {trailer}: stored {length ^ 1}, inflated {length} modulo 2^32)"),
            ex.Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_InputEndingInsideMember317_NamesTheMemberAndWhereTheInputEnds()
    {
        var (members, start317) = SixHundredMembers();
        var cut = (int)start317 + members[316].Length - 3;
        var ex = await FailRawAsync([.. members.SelectMany(b => b).Take(cut)]);
        Assert.Contains(
            FormattableString.Invariant($"truncated gzip data: member 317 (at compressed byte offset {start317}) ends without its CRC-32/length trailer (the input ends early, at compressed byte offset {cut})"),
            ex.Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_GarbageAfterMember317_NamesItsOffset()
    {
        var (members, start317) = SixHundredMembers();
        var garbage = start317 + members[316].Length;
        var input = members.Take(317).SelectMany(b => b).Concat(Utf8("not gzip")).Concat(members.Skip(317).SelectMany(b => b)).ToArray();
        var ex = await FailRawAsync(input);
        Assert.Contains(FormattableString.Invariant($"unexpected data after gzip member 317 (compressed offset {garbage}"), ex.Reason, StringComparison.Ordinal);
    }

    /// <summary>600 small members of the test records, each a separate array, and the compressed offset of member 317.</summary>
    private static (List<byte[]> Members, long Start317) SixHundredMembers()
    {
        var members = Enumerable.Range(0, 600).Select(m => Gzip(Ndjson[(m * 18)..((m * 18) + 18)])).ToList();
        return (members, members.Take(316).Sum(b => (long)b.Length));
    }

    private static byte[] EmptyMember()
    {
        var ms = new MemoryStream();
        ms.Write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0]);
        ms.Write(new byte[8]);
        return ms.ToArray();
    }

    private static byte[] Deflate(byte[] data)
    {
        var deflated = new MemoryStream();
        using (var d = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
        {
            d.Write(data);
        }

        return deflated.ToArray();
    }

    private static byte[] Trailer(byte[] data)
    {
        var t = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(t, System.IO.Hashing.Crc32.HashToUInt32(data));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(t.AsSpan(4), (uint)data.Length);
        return t;
    }
}
