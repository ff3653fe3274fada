using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LogpushKit.Transform;

/// <summary>Where a csv row ends in a scanned span, and how many cells it has.</summary>
internal struct CsvRowEnd
{
    /// <summary>The index of the row's LF in the span.</summary>
    public int End;

    /// <summary>The row's cells: its delimiters outside quotes, plus one.</summary>
    public int Cells;

    /// <summary>LF bytes in the input up to and including this row's LF (so the next row starts on line <c>Lines + 1</c>).</summary>
    public long Lines;
}

/// <summary>
/// Finds the rows of RFC 4180 csv and checks its structure, 64 bytes at a time, across spans of any size: a row ends at a
/// LF outside quotes; cells are split by the delimiter outside quotes; a quote opens a quoted cell only at the start of a
/// cell, and a closing quote is followed by the delimiter, a second quote (an escaped quote), CR or LF; a CR outside
/// quotes is followed by LF; no byte is NUL. The first byte that breaks these rules stops the scan (<see cref="ErrorIndex"/>).
/// </summary>
/// <remarks>
/// The block is classified into bit masks (delimiter, LF; quote, CR, NUL when it has any) by vector compares; which bytes
/// are inside quotes is the prefix XOR of the quote mask (each quote flips the state, so an escaped <c>""</c> flips it
/// twice), the way simdjson and nietras/Sep find their structure. A block without quotes, CRs or NULs outside a quoted
/// cell, half the blocks of a gateway_http object, costs a few scalar operations after the compares.
/// </remarks>
internal sealed class CsvRowScanner
{
    public const string QuoteInUnquoted = "a quote inside an unquoted cell (not RFC 4180 csv)";
    public const string TextAfterClose = "text after the closing quote of a cell (not RFC 4180 csv)";
    public const string BareCr = "a CR outside quotes is not followed by LF (not RFC 4180 csv)";
    public const string NulByte = "a NUL byte (csv input must be text, not binary data)";

    private readonly byte _delimiter;
    private readonly bool _vector256;
    private CsvRowEnd[] _rows = new CsvRowEnd[256];

    /// <summary>All ones while the last byte scanned is inside a quoted cell.</summary>
    private ulong _inQuotes;

    /// <summary>The last byte scanned is a closing quote.</summary>
    private bool _afterClose;

    /// <summary>The last byte scanned is a CR outside quotes.</summary>
    private bool _afterCr;

    /// <summary>The next byte starts a cell (the input starts, or the last byte is a delimiter or LF outside quotes).</summary>
    private bool _atCellStart = true;

    /// <summary>Delimiters outside quotes in the row so far.</summary>
    private int _delimiters;

    /// <summary>Non-zero while a block must take the general route: inside quotes, or after a closing quote or a CR.</summary>
    private ulong _pending;

    /// <param name="delimiter">The cell delimiter of the input.</param>
    /// <param name="vector256">Classify 64 bytes as two 256-bit vectors (else four 128-bit ones).</param>
    public CsvRowScanner(byte delimiter, bool vector256)
    {
        _delimiter = delimiter;
        _vector256 = vector256;
    }

    /// <summary>The rows that ended in the last span scanned, in order.</summary>
    public ReadOnlySpan<CsvRowEnd> Rows => _rows.AsSpan(0, RowCount);

    public int RowCount { get; private set; }

    /// <summary>LF bytes scanned so far (inside quotes too).</summary>
    public long Lines { get; private set; }

    /// <summary>The cells of the row not yet ended (its delimiters so far, plus one).</summary>
    public int OpenRowCells => _delimiters + 1;

    /// <summary>The scan is inside a quoted cell.</summary>
    public bool InQuotes => _inQuotes != 0;

    /// <summary>The last byte scanned is a CR outside quotes: the next byte must be LF.</summary>
    public bool AfterCr => _afterCr;

    /// <summary>The last byte scanned closes a quoted cell: the next byte must be the delimiter, a quote, CR or LF.</summary>
    public bool AfterClose => _afterClose;

    /// <summary>A byte of the last span scanned breaks the csv rules.</summary>
    [MemberNotNullWhen(true, nameof(ErrorReason))]
    public bool Failed => ErrorReason is not null;

    /// <summary>
    /// With <see cref="Failed"/>, the index in the last span of the first byte that breaks the rules (-1: the last byte
    /// of the span before, a CR that the span's first byte does not follow with LF).
    /// </summary>
    public int ErrorIndex { get; private set; }

    /// <summary>What the byte at <see cref="ErrorIndex"/> breaks; <see langword="null"/> when nothing does.</summary>
    public string? ErrorReason { get; private set; }

    /// <summary>
    /// Scans <paramref name="span"/>, the input after everything scanned before. <see cref="Rows"/> then holds the rows that
    /// ended in it; when a byte breaks the rules, the scan stops there and <see cref="Rows"/> holds the rows that ended
    /// before it.
    /// </summary>
    public void Scan(ReadOnlySpan<byte> span)
    {
        if (_vector256)
        {
            Scan<Vector256Width>(span);
        }
        else
        {
            Scan<Vector128Width>(span);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scan<TWidth>(ReadOnlySpan<byte> span)
        where TWidth : struct, IVectorWidth
    {
        RowCount = 0;
        ErrorReason = null;
        ref var start = ref MemoryMarshal.GetReference(span);
        var i = 0;
        for (; i + 64 <= span.Length; i += 64)
        {
            ref var block = ref Unsafe.Add(ref start, i);
            ulong delimiters, lfs, rare;
            if (TWidth.Is256)
            {
                var a = Vector256.LoadUnsafe(ref block);
                var b = Vector256.LoadUnsafe(ref block, 32);
                delimiters = Mask(Vector256.Equals(a, Vector256.Create(_delimiter)), Vector256.Equals(b, Vector256.Create(_delimiter)));
                lfs = Mask(Vector256.Equals(a, Vector256.Create((byte)'\n')), Vector256.Equals(b, Vector256.Create((byte)'\n')));
                rare = Rare(a) | Rare(b) ? 1UL : 0;
            }
            else
            {
                var a = Vector128.LoadUnsafe(ref block);
                var b = Vector128.LoadUnsafe(ref block, 16);
                var c = Vector128.LoadUnsafe(ref block, 32);
                var d = Vector128.LoadUnsafe(ref block, 48);
                delimiters = Mask(a, b, c, d, _delimiter);
                lfs = Mask(a, b, c, d, (byte)'\n');
                rare = Rare(a) | Rare(b) | Rare(c) | Rare(d) ? 1UL : 0;
            }

            if ((rare | _pending) == 0)
            {
                // The usual block: no quote, CR or NUL, and outside quotes with nothing owed by the block before.
                _atCellStart = ((delimiters | lfs) >> 63) != 0;
                AddRows(lfs, delimiters, lfs, i);
                Lines += BitOperations.PopCount(lfs);
                continue;
            }

            Classify<TWidth>(ref block, out var quotes, out var crs, out var nuls);
            if (!Block(quotes, delimiters, lfs, crs, nuls, i, 64))
            {
                return;
            }
        }

        if (i < span.Length)
        {
            // The last, partial block: padded with a byte that is none of the five (the padding's bits are clear).
            Span<byte> padded = stackalloc byte[64];
            padded.Fill((byte)'a');
            span[i..].CopyTo(padded);
            ref var block = ref MemoryMarshal.GetReference(padded);
            Classify<TWidth>(ref block, out var quotes, out var crs, out var nuls);
            var delimiters = MaskOf<TWidth>(ref block, _delimiter);
            var lfs = MaskOf<TWidth>(ref block, (byte)'\n');
            Block(quotes, delimiters, lfs, crs, nuls, i, span.Length - i);
        }
    }

    /// <summary>The input has ended: the reason it is not complete csv, or <see langword="null"/>.</summary>
    public string? Finish()
        => _inQuotes != 0 ? "unterminated quoted field at the end of the csv input"
            : _afterCr ? BareCr
            : null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Rare(Vector256<byte> v)
        => (Vector256.Equals(v, Vector256.Create((byte)'"')) | Vector256.Equals(v, Vector256.Create((byte)'\r')) | Vector256.Equals(v, Vector256<byte>.Zero)) != Vector256<byte>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Rare(Vector128<byte> v)
        => (Vector128.Equals(v, Vector128.Create((byte)'"')) | Vector128.Equals(v, Vector128.Create((byte)'\r')) | Vector128.Equals(v, Vector128<byte>.Zero)) != Vector128<byte>.Zero;

    /// <summary>The quote, CR and NUL masks of a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Classify<TWidth>(ref byte block, out ulong quotes, out ulong crs, out ulong nuls)
        where TWidth : struct, IVectorWidth
    {
        quotes = MaskOf<TWidth>(ref block, (byte)'"');
        crs = MaskOf<TWidth>(ref block, (byte)'\r');
        nuls = MaskOf<TWidth>(ref block, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MaskOf<TWidth>(ref byte block, byte value)
        where TWidth : struct, IVectorWidth
    {
        if (TWidth.Is256)
        {
            var v = Vector256.Create(value);
            return Mask(Vector256.Equals(Vector256.LoadUnsafe(ref block), v), Vector256.Equals(Vector256.LoadUnsafe(ref block, 32), v));
        }

        return Mask(Vector128.LoadUnsafe(ref block), Vector128.LoadUnsafe(ref block, 16), Vector128.LoadUnsafe(ref block, 32), Vector128.LoadUnsafe(ref block, 48), value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(Vector256<byte> low, Vector256<byte> high)
        => low.ExtractMostSignificantBits() | ((ulong)high.ExtractMostSignificantBits() << 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c, Vector128<byte> d, byte value)
    {
        var v = Vector128.Create(value);
        return Vector128.Equals(a, v).ExtractMostSignificantBits()
            | ((ulong)Vector128.Equals(b, v).ExtractMostSignificantBits() << 16)
            | ((ulong)Vector128.Equals(c, v).ExtractMostSignificantBits() << 32)
            | ((ulong)Vector128.Equals(d, v).ExtractMostSignificantBits() << 48);
    }

    /// <summary>Bit k: an odd number of quotes at positions 0..k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PrefixXor(ulong x)
    {
        if (Pclmulqdq.IsSupported)
        {
            // One carry-less multiply by all ones (simdjson's way).
            return Pclmulqdq.CarrylessMultiply(Vector128.CreateScalar(x), Vector128.Create(ulong.MaxValue), 0).ToScalar();
        }

        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        return x;
    }

    /// <summary>Processes one block of <paramref name="count"/> bytes (bits past it are clear); false when a byte breaks the rules.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Block(ulong quotes, ulong delimiters, ulong lfs, ulong crs, ulong nuls, int index, int count)
    {
        var inside = quotes == 0 ? _inQuotes : PrefixXor(quotes) ^ _inQuotes;
        var valid = count == 64 ? ulong.MaxValue : (1UL << count) - 1;
        var outside = ~inside & valid;
        var cellDelimiters = delimiters & outside;
        var rowEnds = lfs & outside;
        var last = count - 1;
        var closing = quotes & outside;
        var crOutside = crs & outside;
        if ((quotes | crs | nuls) != 0 || _afterClose || _afterCr)
        {
            var cellStarts = ((cellDelimiters | rowEnds) << 1) | (_atCellStart ? 1UL : 0);
            var afterClose = (closing << 1) | (_afterClose ? 1UL : 0);
            var afterCr = (crOutside << 1) | (_afterCr ? 1UL : 0);
            var badQuote = quotes & inside & ~(cellStarts | afterClose);
            var badAfterClose = afterClose & valid & ~(delimiters | quotes | crs | lfs);
            var badCr = afterCr & valid & ~lfs;
            var bad = badQuote | badAfterClose | badCr | nuls;
            if (bad != 0)
            {
                var at = BitOperations.TrailingZeroCount(bad);
                var before = (1UL << at) - 1;
                AddRows(rowEnds & before, cellDelimiters, lfs, index);

                // A CR's fault is found at the byte after it, so it comes first; a byte that breaks a csv rule and is
                // NUL breaks the csv rule.
                var bit = 1UL << at;
                (ErrorIndex, ErrorReason) = (badCr & bit) != 0 ? (index + at - 1, BareCr)
                    : (badAfterClose & bit) != 0 ? (index + at, TextAfterClose)
                    : (badQuote & bit) != 0 ? (index + at, QuoteInUnquoted)
                    : (index + at, NulByte);
                Lines += BitOperations.PopCount(lfs & before);
                return false;
            }
        }

        _afterClose = ((closing >> last) & 1) != 0;
        _afterCr = ((crOutside >> last) & 1) != 0;
        _atCellStart = (((cellDelimiters | rowEnds) >> last) & 1) != 0;
        _inQuotes = ((inside >> last) & 1) != 0 ? ulong.MaxValue : 0;
        _pending = _inQuotes | (_afterClose || _afterCr ? 1UL : 0);
        AddRows(rowEnds, cellDelimiters, lfs, index);
        Lines += BitOperations.PopCount(lfs);
        return true;
    }

    /// <summary>Records the rows ending at <paramref name="rowEnds"/> in the block at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddRows(ulong rowEnds, ulong cellDelimiters, ulong lfs, int index)
    {
        while (rowEnds != 0)
        {
            var at = BitOperations.TrailingZeroCount(rowEnds);
            var before = (1UL << at) - 1;
            if (RowCount == _rows.Length)
            {
                Array.Resize(ref _rows, _rows.Length * 2);
            }

            ref var row = ref _rows[RowCount++];
            row.End = index + at;
            row.Cells = _delimiters + BitOperations.PopCount(cellDelimiters & before) + 1;
            row.Lines = Lines + BitOperations.PopCount(lfs & before) + 1;
            _delimiters = 0;
            cellDelimiters &= ~before;
            rowEnds &= rowEnds - 1;
        }

        _delimiters += BitOperations.PopCount(cellDelimiters);
    }
}
