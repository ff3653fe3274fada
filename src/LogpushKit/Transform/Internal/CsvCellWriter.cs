using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LogpushKit.Transform;

/// <summary>
/// Writes CSV cells into a span the caller has sized (a cell takes at most twice its text plus three bytes): quoting with
/// doubled quotes, the formula prefix, short copies in one vector move. Stateless; the conversion stage's cell writing,
/// tested on its own by <c>CsvCellWriterTests</c> at both vector widths.
/// </summary>
internal static class CsvCellWriter
{
    /// <summary>
    /// Bytes one vector copy of a short cell moves: <see cref="CopyCell"/> may write the output (and read the source) that
    /// far past the cell, so callers reserve that much slack.
    /// </summary>
    public const int VectorCopy = 32;

    /// <summary>A cell starting with this byte runs as a formula in a spreadsheet: <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsFormulaStart(byte b) => b is (byte)'=' or (byte)'+' or (byte)'-' or (byte)'@';

    /// <summary>Writes a cell: quoted (quotes doubled) when <paramref name="quote"/>, prefixed with <c>'</c> when <paramref name="formula"/>.</summary>
    public static void WriteField(Span<byte> dst, ref int w, ReadOnlySpan<byte> text, bool quote, bool formula, bool vector256)
    {
        if (!quote)
        {
            if (formula)
            {
                dst[w++] = (byte)'\'';
            }

            text.CopyTo(dst[w..]);
            w += text.Length;
            return;
        }

        dst[w++] = (byte)'"';
        if (formula)
        {
            dst[w++] = (byte)'\'';
        }

        CopyDoublingQuotes(text, dst, ref w, vector256);
        dst[w++] = (byte)'"';
    }

    /// <summary>Copies <paramref name="text"/> with each <c>"</c> doubled, a vector at a time while the output has room.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CopyDoublingQuotes(ReadOnlySpan<byte> text, Span<byte> dst, ref int w, bool vector256)
    {
        ref var source = ref MemoryMarshal.GetReference(text);
        ref var target = ref MemoryMarshal.GetReference(dst);
        var i = 0;
        if (vector256)
        {
            var quote = Vector256.Create((byte)'"');
            while (i + 32 <= text.Length && (uint)w + 32 <= (uint)dst.Length)
            {
                var block = Vector256.LoadUnsafe(ref source, (nuint)i);
                block.StoreUnsafe(ref target, (nuint)w);
                var quotes = Vector256.Equals(block, quote).ExtractMostSignificantBits();
                if (quotes == 0)
                {
                    i += 32;
                    w += 32;
                    continue;
                }

                // Keep the bytes up to the first quote, then write the quote again and go on after it.
                var through = BitOperations.TrailingZeroCount(quotes) + 1;
                i += through;
                w += through;
                dst[w++] = (byte)'"';
            }
        }
        else
        {
            var quote = Vector128.Create((byte)'"');
            while (i + 16 <= text.Length && (uint)w + 16 <= (uint)dst.Length)
            {
                var block = Vector128.LoadUnsafe(ref source, (nuint)i);
                block.StoreUnsafe(ref target, (nuint)w);
                var quotes = Vector128.Equals(block, quote).ExtractMostSignificantBits();
                if (quotes == 0)
                {
                    i += 16;
                    w += 16;
                    continue;
                }

                var through = BitOperations.TrailingZeroCount(quotes) + 1;
                i += through;
                w += through;
                dst[w++] = (byte)'"';
            }
        }

        for (; i < text.Length; i++)
        {
            var b = text[i];
            dst[w++] = b;
            if (b == '"')
            {
                dst[w++] = b;
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes of <paramref name="source"/> from <paramref name="start"/>: a cell of at most
    /// <see cref="VectorCopy"/> bytes in one 32-byte move (two 16-byte ones at the narrow width) when both spans have the
    /// room, so the bytes after it may be overwritten. Returns the position after the cell (a value, not a <see langword="ref"/>,
    /// so the callers' positions stay in registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CopyCell<TWidth>(ReadOnlySpan<byte> source, int start, int length, Span<byte> dst, int w)
        where TWidth : struct, IVectorWidth
    {
        if (length <= VectorCopy && (uint)start + VectorCopy <= (uint)source.Length && (uint)w + VectorCopy <= (uint)dst.Length)
        {
            ref var from = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), start);
            ref var to = ref Unsafe.Add(ref MemoryMarshal.GetReference(dst), w);
            if (TWidth.Is256)
            {
                Vector256.LoadUnsafe(ref from).StoreUnsafe(ref to);
            }
            else
            {
                Vector128.LoadUnsafe(ref from).StoreUnsafe(ref to);
                Vector128.LoadUnsafe(ref from, 16).StoreUnsafe(ref to, 16);
            }
        }
        else
        {
            source.Slice(start, length).CopyTo(dst[w..]);
        }

        return w + length;
    }

    /// <summary>Writes a row ending (one or two bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteRowEnding(Span<byte> dst, ref int w, byte[] ending)
    {
        dst[w++] = ending[0];
        if (ending.Length == 2)
        {
            dst[w++] = ending[1];
        }
    }
}
