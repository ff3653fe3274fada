using System.IO.Hashing;

namespace LogpushKit.Transform;

/// <summary>
/// The column of a key given as UTF-8 bytes, in constant time: a first record with hundreds of thousands of keys maps them
/// in time linear in the keys (a scan per key was quadratic). When a name is given twice, the first column wins. Built
/// only for more than <see cref="ScanLimit"/> columns: a dataset's hundred or so columns are scanned (and mostly not even
/// that: each key's column in the last record is tried first), so a usual object allocates no index.
/// </summary>
internal sealed class ColumnIndex
{
    /// <summary>Up to this many columns, a scan finds a key's column.</summary>
    public const int ScanLimit = 256;

    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public ColumnIndex(byte[][] keys)
    {
        var map = new Dictionary<byte[], int>(keys.Length, Utf8KeyComparer.Instance);
        for (var c = 0; c < keys.Length; c++)
        {
            map.TryAdd(keys[c], c);
        }

        _lookup = map.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The column named <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key) => _lookup.TryGetValue(key, out var column) ? column : -1;

    private sealed class Utf8KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly Utf8KeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key);
    }
}
