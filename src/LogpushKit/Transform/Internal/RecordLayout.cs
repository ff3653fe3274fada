using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LogpushKit.Transform;

/// <summary>
/// The key layout the conversion stage learned from the last record the general route parsed: its keys as the tokens
/// <c>"name":</c> in order, each key's column, which record entry fills each column, and how many keys are not columns.
/// Logpush writes every record of an object with the same keys in the same order, so the next records are matched
/// against it (<see cref="NdjsonLineParser.TryParseLayout"/>), and when the keys are exactly the columns in their order
/// or some of the columns, in their order (<see cref="InColumnOrder"/>), converted in one pass. A record with an escaped key leaves no layout.
/// </summary>
internal sealed class RecordLayout
{
    /// <summary>Bytes after the last token, so a token can always be compared as one 32-byte load.</summary>
    private const int Slack = 32;

    private byte[] _tokens = new byte[1024];
    private Key[] _keys = new Key[64];

    /// <summary>The number of keys; -1 when there is no layout.</summary>
    public int Count { get; private set; } = -1;

    /// <summary>For each column, the index of the entry that fills it, or -1 (the column stays empty).</summary>
    public int[] CellEntry { get; private set; } = [];

    /// <summary>The keys that are not columns (counted on every record that repeats the layout).</summary>
    public int UnknownKeys { get; private set; }

    /// <summary>
    /// Every key is a column and the keys are in the columns' order: the columns, or some of them with the others left
    /// empty (a record that has fewer keys than the dataset's columns).
    /// </summary>
    public bool InColumnOrder { get; private set; }

    /// <summary>The column of key <paramref name="index"/> (-1: not a column).</summary>
    public int Column(int index) => _keys[index].Column;

    /// <summary>
    /// Learns the layout of the record just parsed from <paramref name="line"/>: <paramref name="entries"/> with their
    /// columns set, <paramref name="cellEntry"/> the entry of each column, <paramref name="unknownKeys"/> the keys that
    /// are not columns.
    /// </summary>
    public void Learn(ReadOnlySpan<byte> line, ReadOnlySpan<RecordEntry> entries, ReadOnlySpan<int> cellEntry, int unknownKeys)
    {
        Count = -1;
        InColumnOrder = false;
        if (CellEntry.Length != cellEntry.Length)
        {
            CellEntry = new int[cellEntry.Length];
        }

        cellEntry.CopyTo(CellEntry);
        UnknownKeys = unknownKeys;
        var count = entries.Length;
        var size = Slack;
        foreach (ref readonly var entry in entries)
        {
            if (entry.KeyEscaped)
            {
                return;
            }

            size += entry.KeyLength + 3;
        }

        if (_tokens.Length < size)
        {
            _tokens = new byte[Math.Max(size, _tokens.Length * 2)];
        }

        if (_keys.Length < count)
        {
            _keys = new Key[Math.Max(count, _keys.Length * 2)];
        }

        var tokens = _tokens.AsSpan();
        var w = 0;
        var inColumnOrder = count > 0;
        var previous = -1;
        for (var i = 0; i < count; i++)
        {
            ref readonly var entry = ref entries[i];
            var length = entry.KeyLength + 3;
            _keys[i] = new Key(w, length, length <= Slack ? (uint)((1UL << length) - 1) : 0, entry.Column);
            inColumnOrder &= entry.Column > previous;
            previous = entry.Column;
            tokens[w++] = (byte)'"';
            line.Slice(entry.KeyStart, entry.KeyLength).CopyTo(tokens[w..]);
            w += entry.KeyLength;
            tokens[w++] = (byte)'"';
            tokens[w++] = (byte)':';
        }

        Count = count;
        InColumnOrder = inColumnOrder;
    }

    /// <summary>When key <paramref name="index"/>'s token <c>"name":</c> is at <paramref name="p"/> in the line, its length; else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int MatchKey<TWidth>(ReadOnlySpan<byte> line, int p, int index)
        where TWidth : struct, IVectorWidth
    {
        ref readonly var key = ref _keys[index];
        if (key.Mask != 0 && (uint)p + Slack <= (uint)line.Length)
        {
            // One 32-byte compare instead of a call: the token buffer has Slack bytes after its last token.
            ref var text = ref Unsafe.Add(ref MemoryMarshal.GetReference(line), p);
            ref var token = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tokens), key.Start);
            uint equal;
            if (TWidth.Is256)
            {
                equal = Vector256.Equals(Vector256.LoadUnsafe(ref text), Vector256.LoadUnsafe(ref token)).ExtractMostSignificantBits();
            }
            else
            {
                equal = Vector128.Equals(Vector128.LoadUnsafe(ref text), Vector128.LoadUnsafe(ref token)).ExtractMostSignificantBits()
                    | (Vector128.Equals(Vector128.LoadUnsafe(ref text, 16), Vector128.LoadUnsafe(ref token, 16)).ExtractMostSignificantBits() << 16);
            }

            return (~equal & key.Mask) == 0 ? key.Length : 0;
        }

        return (uint)p <= (uint)line.Length && line[p..].StartsWith(_tokens.AsSpan(key.Start, key.Length)) ? key.Length : 0;
    }

    /// <summary>A key's token in the token buffer, the mask of its bytes in a 32-byte compare (0: longer), its column.</summary>
    private readonly record struct Key(int Start, int Length, uint Mask, int Column);
}
