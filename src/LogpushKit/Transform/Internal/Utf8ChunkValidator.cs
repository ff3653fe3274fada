using System.Text;
using System.Text.Unicode;

namespace LogpushKit.Transform;

/// <summary>
/// Validates UTF-8 that arrives in chunks split anywhere, a character included: the incomplete character at the end of
/// a chunk (at most three bytes) is kept and checked with the start of the next. Where the data is invalid does not
/// depend on how it was split: the offset of the first byte of the first invalid sequence.
/// </summary>
internal struct Utf8ChunkValidator
{
    private uint _pending;
    private int _pendingCount;

    /// <summary>
    /// Checks <paramref name="chunk"/>, which starts at <paramref name="offset"/> in the data; <paramref name="final"/>:
    /// no data follows. Returns the offset of the first invalid sequence (it may start in an earlier chunk), or -1.
    /// </summary>
    public long FindInvalid(ReadOnlySpan<byte> chunk, long offset, bool final)
    {
        var start = 0;
        if (_pendingCount > 0)
        {
            Span<byte> joined = stackalloc byte[4];
            for (var k = 0; k < _pendingCount; k++)
            {
                joined[k] = (byte)(_pending >> (8 * k));
            }

            var needed = SequenceLength(joined[0]);
            var take = Math.Min(needed - _pendingCount, chunk.Length);
            chunk[..take].CopyTo(joined[_pendingCount..]);
            var have = _pendingCount + take;
            var sequenceStart = offset - _pendingCount;
            if (have < needed)
            {
                if (final || !IsValidPrefix(joined[..have]))
                {
                    return sequenceStart;
                }

                Keep(joined[..have]);
                return -1;
            }

            if (Rune.DecodeFromUtf8(joined[..needed], out _, out var consumed) != System.Buffers.OperationStatus.Done || consumed != needed)
            {
                return sequenceStart;
            }

            _pendingCount = 0;
            start = take;
        }

        var body = chunk[start..];
        var tail = final ? 0 : IncompleteTail(body);
        var whole = body[..^tail];
        if (!Utf8.IsValid(whole))
        {
            return offset + start + FirstInvalid(whole);
        }

        Keep(body[^tail..]);
        return -1;
    }

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        _pending = 0;
        for (var k = 0; k < bytes.Length; k++)
        {
            _pending |= (uint)bytes[k] << (8 * k);
        }

        _pendingCount = bytes.Length;
    }

    /// <summary>The bytes at the end of <paramref name="data"/> that begin a character it does not complete (0–3).</summary>
    private static int IncompleteTail(ReadOnlySpan<byte> data)
    {
        for (var k = 1; k <= 3 && k <= data.Length; k++)
        {
            var b = data[^k];
            if (b < 0x80)
            {
                return 0;
            }

            if (b >= 0xC0)
            {
                return SequenceLength(b) > k ? k : 0;
            }
        }

        return 0;
    }

    /// <summary>The length a sequence starting with lead byte <paramref name="lead"/> claims (invalid leads claim 1).</summary>
    private static int SequenceLength(byte lead) => lead switch
    {
        >= 0xF0 and <= 0xF4 => 4,
        >= 0xE0 and <= 0xEF => 3,
        >= 0xC2 and <= 0xDF => 2,
        _ => 1,
    };

    /// <summary>Whether <paramref name="prefix"/> can still become a valid character.</summary>
    private static bool IsValidPrefix(ReadOnlySpan<byte> prefix)
        => Rune.DecodeFromUtf8(prefix, out _, out _) == System.Buffers.OperationStatus.NeedMoreData;

    private static int FirstInvalid(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (Rune.DecodeFromUtf8(data[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return data.Length;
    }
}
