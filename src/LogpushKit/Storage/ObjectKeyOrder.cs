namespace LogpushKit.Storage;

/// <summary>
/// Orders object keys the way S3 and R2 list them: ordinally by their UTF-8 bytes, which is code-point order.
/// </summary>
/// <remarks>
/// <see cref="string.CompareOrdinal(string, string)"/> compares UTF-16 code units, which differs from UTF-8 byte
/// order only when a surrogate pair (U+10000 and above) meets a code unit in U+E000–U+FFFF; this comparer applies
/// the usual fix-up for that case instead of encoding both strings.
/// </remarks>
public sealed class ObjectKeyOrder : IComparer<string>
{
    /// <summary>The single instance.</summary>
    public static ObjectKeyOrder Instance { get; } = new();

    private ObjectKeyOrder()
    {
    }

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        return Compare(x.AsSpan(), y.AsSpan());
    }

    /// <summary>Compares two keys in UTF-8 byte order.</summary>
    public static int Compare(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        var common = x.CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length.CompareTo(y.Length);
        }

        return Fix(x[common]).CompareTo(Fix(y[common]));
    }

    // Surrogates (D800–DFFF) encode code points above FFFF, so in UTF-8 order they sort after E000–FFFF.
    private static int Fix(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };
}
