using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LogpushKit.Transform;

/// <summary>The JSON type of a value in an ndjson record (named apart from <see cref="System.Text.Json.JsonValueKind"/>).</summary>
internal enum RecordValueKind : byte
{
    String,
    Number,
    True,
    False,
    Null,
    Nested,
}

/// <summary>One key/value pair of a parsed record, as offsets into the line.</summary>
internal struct RecordEntry
{
    public int KeyStart;
    public int KeyLength;
    public int ValueStart;
    public int ValueLength;
    public RecordValueKind Kind;
    public bool KeyEscaped;

    /// <summary>The column of the key (set by the conversion stage, or from the learned layout); -1 for a key that is not a column.</summary>
    public int Column;

    /// <summary>String: holds a backslash escape. Nested: holds whitespace between tokens.</summary>
    public bool Escaped;

    /// <summary>String without escapes: holds the delimiter byte.</summary>
    public bool HasDelimiter;
}

/// <summary>
/// A strict, allocation-free parser of one ndjson line (one JSON object) into <see cref="RecordEntry"/> offsets. Strings
/// keep their escaped form (decoded later, straight into the output); numbers keep their token text.
/// </summary>
internal sealed class NdjsonLineParser
{
    private const int MaxDepth = 64;

    private readonly byte _delimiter;
    private readonly bool _vector256;
    private RecordEntry[] _entries = new RecordEntry[64];
    private int _maskBlock = -1;
    private ulong _mask;

    /// <param name="delimiter">The output delimiter: strings holding it are flagged (<see cref="RecordEntry.HasDelimiter"/>).</param>
    /// <param name="vector256">Classify a line 64 bytes at a time as two 256-bit vectors (else four 128-bit ones).</param>
    public NdjsonLineParser(byte delimiter, bool vector256)
    {
        _delimiter = delimiter;
        _vector256 = vector256;
    }

    public RecordEntry[] Entries => _entries;

    public int Count { get; private set; }

    /// <summary>Parses <paramref name="line"/>; returns <see langword="null"/> on success, else the reason it is not a JSON object.</summary>
    public string? Parse(ReadOnlySpan<byte> line) => _vector256 ? Parse<Vector256Width>(line) : Parse<Vector128Width>(line);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? Parse<TWidth>(ReadOnlySpan<byte> line)
        where TWidth : struct, IVectorWidth
    {
        Count = 0;
        _maskBlock = -1;
        var p = SkipWhitespace(line, 0);
        if (p >= line.Length || line[p] != '{')
        {
            return "not a JSON object";
        }

        p = SkipWhitespace(line, p + 1);
        if (p < line.Length && line[p] == '}')
        {
            return Trailing(line, p + 1);
        }

        while (true)
        {
            if (p >= line.Length)
            {
                return "truncated JSON object";
            }

            if (line[p] != '"')
            {
                return "expected a quoted key";
            }

            if (Count == _entries.Length)
            {
                Array.Resize(ref _entries, _entries.Length * 2);
            }

            ref var entry = ref _entries[Count];
            var keyQuote = p;
            var error = ScanString<TWidth>(line, ref p, out var keyEscaped, out _);
            if (error is not null)
            {
                return error;
            }

            entry.KeyStart = keyQuote + 1;
            entry.KeyLength = p - keyQuote - 2;
            entry.KeyEscaped = keyEscaped;
            entry.Column = -1;
            p = SkipWhitespace(line, p);
            if (p >= line.Length)
            {
                return "truncated JSON object";
            }

            if (line[p] != ':')
            {
                return "expected ':' after a key";
            }

            p++;
            p = SkipWhitespace(line, p);
            if (p >= line.Length)
            {
                return "truncated JSON object";
            }

            error = ScanValue<TWidth>(line, ref p, ref entry);
            if (error is not null)
            {
                return error;
            }

            Count++;
            p = SkipWhitespace(line, p);
            if (p >= line.Length)
            {
                return "truncated JSON object";
            }

            if (line[p] == ',')
            {
                p = SkipWhitespace(line, p + 1);
                continue;
            }

            if (line[p] == '}')
            {
                return Trailing(line, p + 1);
            }

            return "expected ',' or '}' after a value";
        }
    }

    /// <summary>
    /// Parses <paramref name="line"/> when it holds exactly the keys of <paramref name="layout"/>, in its order, with no
    /// whitespace between tokens (how Logpush writes every record); fills <see cref="Entries"/> as <see cref="Parse"/>
    /// would, with <see cref="RecordEntry.Column"/> taken from the layout. Returns <see langword="false"/> on any difference
    /// (or any error), and then <see cref="Parse"/> decides: this is only a faster route to the same result.
    /// </summary>
    public bool TryParseLayout(ReadOnlySpan<byte> line, RecordLayout layout)
        => _vector256 ? TryParseLayout<Vector256Width>(line, layout) : TryParseLayout<Vector128Width>(line, layout);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryParseLayout<TWidth>(ReadOnlySpan<byte> line, RecordLayout layout)
        where TWidth : struct, IVectorWidth
    {
        var count = layout.Count;
        if (count < 0 || line.IsEmpty || line[0] != '{')
        {
            return false;
        }

        _maskBlock = -1;
        var entries = _entries;
        var p = 1;
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                if ((uint)p >= (uint)line.Length || line[p] != ',')
                {
                    return false;
                }

                p++;
            }

            var tokenLength = layout.MatchKey<TWidth>(line, p, i);
            if (tokenLength == 0)
            {
                return false;
            }

            ref var entry = ref entries[i];
            entry.KeyStart = p + 1;
            entry.KeyLength = tokenLength - 3;
            entry.KeyEscaped = false;
            entry.Column = layout.Column(i);
            p += tokenLength;
            if (p >= line.Length || ScanValue<TWidth>(line, ref p, ref entry) is not null)
            {
                return false;
            }
        }

        if (!IsRecordEnd(line, p))
        {
            return false;
        }

        Count = count;
        return true;
    }

    /// <summary>Starts a line for <see cref="FindStringStop{TWidth}"/> outside <see cref="Parse"/>.</summary>
    public void BeginLine() => _maskBlock = -1;

    /// <summary>Whether the object closes at <paramref name="p"/> with nothing but whitespace after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsRecordEnd(ReadOnlySpan<byte> line, int p)
        => (uint)p < (uint)line.Length && line[p] == '}' && (p + 1 == line.Length || Trailing(line, p + 1) is null);

    private static string? Trailing(ReadOnlySpan<byte> line, int p)
        => SkipWhitespace(line, p) == line.Length ? null : "unexpected data after the JSON object";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> line, int p)
    {
        if ((uint)p < (uint)line.Length && line[p] > (byte)' ')
        {
            return p;
        }

        while (p < line.Length && line[p] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            p++;
        }

        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal string? ScanValue<TWidth>(ReadOnlySpan<byte> line, ref int p, ref RecordEntry entry)
        where TWidth : struct, IVectorWidth
    {
        var start = p;
        var b = line[p];
        string? error;
        switch (b)
        {
            case (byte)'"':
                entry.Kind = RecordValueKind.String;
                var stop = FindStringStop<TWidth>(line, p + 1);
                if (stop >= 0 && line[stop] == '"')
                {
                    // The common case: no escape, no delimiter, no control character.
                    p = stop + 1;
                    entry.Escaped = false;
                    entry.HasDelimiter = false;
                    entry.ValueStart = start + 1;
                    entry.ValueLength = stop - start - 1;
                    return null;
                }

                error = ScanString<TWidth>(line, ref p, out entry.Escaped, out entry.HasDelimiter);
                entry.ValueStart = start + 1;
                entry.ValueLength = p - start - 2;
                return error;
            case (byte)'{' or (byte)'[':
                var whitespace = false;
                error = ScanNested<TWidth>(line, ref p, 1, ref whitespace);
                entry.Kind = RecordValueKind.Nested;
                entry.Escaped = whitespace;
                entry.HasDelimiter = false;
                break;
            case (byte)'t':
                error = ScanLiteral(line, ref p, "true"u8);
                entry.Kind = RecordValueKind.True;
                break;
            case (byte)'f':
                error = ScanLiteral(line, ref p, "false"u8);
                entry.Kind = RecordValueKind.False;
                break;
            case (byte)'n':
                error = ScanLiteral(line, ref p, "null"u8);
                entry.Kind = RecordValueKind.Null;
                break;
            default:
                error = ScanNumber(line, ref p);
                entry.Kind = RecordValueKind.Number;
                break;
        }

        entry.ValueStart = start;
        entry.ValueLength = p - start;
        return error;
    }

    /// <summary>
    /// The end of the number, <c>true</c>, <c>false</c> or <c>null</c> at <paramref name="p"/> (what <see cref="ScanValue"/>
    /// accepts for them, without filling an entry); -1 when there is none (<see cref="ScanValue"/> then tells why).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int SkipScalar(ReadOnlySpan<byte> line, int p)
    {
        var b = line[p];
        if (IsDigit(b) || b == '-')
        {
            return NumberEnd(line, p);
        }

        var literal = b switch
        {
            (byte)'t' => "true"u8,
            (byte)'f' => "false"u8,
            (byte)'n' => "null"u8,
            _ => default,
        };
        return !literal.IsEmpty && line[p..].StartsWith(literal) ? p + literal.Length : -1;
    }

    private static string? ScanLiteral(ReadOnlySpan<byte> line, ref int p, ReadOnlySpan<byte> literal)
    {
        if (!line[p..].StartsWith(literal))
        {
            return "invalid JSON value";
        }

        p += literal.Length;
        return null;
    }

    /// <summary>Whether <paramref name="text"/> is exactly one JSON number.</summary>
    internal static bool IsNumber(ReadOnlySpan<byte> text)
    {
        var p = 0;
        return ScanNumber(text, ref p) is null && p == text.Length;
    }

    /// <summary>JSON number grammar: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>.</summary>
    private static string? ScanNumber(ReadOnlySpan<byte> line, ref int p)
    {
        var end = NumberEnd(line, p);
        if (end < 0)
        {
            return "invalid JSON value";
        }

        p = end;
        return null;
    }

    /// <summary>The end of the JSON number at <paramref name="p"/> (see <see cref="ScanNumber"/>), or -1 when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NumberEnd(ReadOnlySpan<byte> line, int p)
    {
        if ((uint)p < (uint)line.Length && line[p] == '-')
        {
            p++;
        }

        if ((uint)p >= (uint)line.Length || !IsDigit(line[p]))
        {
            return -1;
        }

        p = line[p] == '0' ? p + 1 : SkipDigits(line, p + 1);
        if ((uint)p < (uint)line.Length && line[p] == '.')
        {
            p++;
            if ((uint)p >= (uint)line.Length || !IsDigit(line[p]))
            {
                return -1;
            }

            p = SkipDigits(line, p + 1);
        }

        if ((uint)p < (uint)line.Length && (line[p] | 0x20) == 'e')
        {
            p++;
            if ((uint)p < (uint)line.Length && line[p] is (byte)'+' or (byte)'-')
            {
                p++;
            }

            if ((uint)p >= (uint)line.Length || !IsDigit(line[p]))
            {
                return -1;
            }

            p = SkipDigits(line, p + 1);
        }

        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipDigits(ReadOnlySpan<byte> line, int p)
    {
        while ((uint)p < (uint)line.Length && IsDigit(line[p]))
        {
            p++;
        }

        return p;
    }

    /// <summary>Skips a string inside a nested value (its content is kept verbatim).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private string? SkipString<TWidth>(ReadOnlySpan<byte> line, ref int p)
        where TWidth : struct, IVectorWidth
    {
        var stop = FindStringStop<TWidth>(line, p + 1);
        if (stop >= 0 && line[stop] == '"')
        {
            p = stop + 1;
            return null;
        }

        return ScanString<TWidth>(line, ref p, out _, out _);
    }

    /// <summary>Scans a string starting at its opening quote; leaves <paramref name="p"/> after the closing quote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal string? ScanString<TWidth>(ReadOnlySpan<byte> line, ref int p, out bool escaped, out bool hasDelimiter)
        where TWidth : struct, IVectorWidth
    {
        escaped = false;
        hasDelimiter = false;
        var i = p + 1;
        while (true)
        {
            i = FindStringStop<TWidth>(line, i);
            if (i < 0)
            {
                return "unterminated string";
            }

            var b = line[i];
            if (b == '"')
            {
                p = i + 1;
                return null;
            }

            if (b == '\\')
            {
                escaped = true;
                var error = ScanEscape(line, ref i);
                if (error is not null)
                {
                    return error;
                }

                continue;
            }

            if (b == _delimiter && b >= 0x20)
            {
                hasDelimiter = true;
                i++;
                continue;
            }

            return "control character in a JSON string";
        }
    }

    private static string? ScanEscape(ReadOnlySpan<byte> line, ref int i)
    {
        if (i + 1 >= line.Length)
        {
            return "unterminated string";
        }

        switch (line[i + 1])
        {
            case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                i += 2;
                return null;
            case (byte)'u':
                if (!JsonText.TryHex4(line, i + 2, out var unit))
                {
                    return "invalid \\u escape in a JSON string";
                }

                i += 6;
                if (char.IsHighSurrogate((char)unit))
                {
                    if (i + 1 < line.Length && line[i] == '\\' && line[i + 1] == 'u' && JsonText.TryHex4(line, i + 2, out var low) && char.IsLowSurrogate((char)low))
                    {
                        i += 6;
                        return null;
                    }

                    return "unpaired surrogate in a \\u escape";
                }

                return char.IsLowSurrogate((char)unit) ? "unpaired surrogate in a \\u escape" : null;
            default:
                return "invalid escape in a JSON string";
        }
    }

    /// <summary>
    /// The index of the first byte at or after <paramref name="i"/> that ends a plain run inside a JSON string:
    /// <c>"</c>, <c>\\</c>, a control character or the delimiter; -1 when there is none. The line is classified 64 bytes
    /// at a time into a bit mask (two 32-byte vector compares), so finding the end of a short string costs a few scalar
    /// operations instead of a search call per string.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int FindStringStop<TWidth>(ReadOnlySpan<byte> s, int i)
        where TWidth : struct, IVectorWidth
    {
        while (true)
        {
            var block = i & ~63;
            if (block != _maskBlock)
            {
                if (block >= s.Length)
                {
                    return -1;
                }

                _mask = ClassifyBlock<TWidth>(s, block);
                _maskBlock = block;
            }

            var hits = _mask & (ulong.MaxValue << (i & 63));
            if (hits != 0)
            {
                return block + BitOperations.TrailingZeroCount(hits);
            }

            i = block + 64;
        }
    }

    /// <summary>Bit k set when byte <c>block + k</c> is a string stop (bits past the end of the line are clear).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ClassifyBlock<TWidth>(ReadOnlySpan<byte> s, int block)
        where TWidth : struct, IVectorWidth
    {
        if (s.Length - block >= 64)
        {
            ref var start = ref Unsafe.Add(ref MemoryMarshal.GetReference(s), block);
            return TWidth.Is256 ? Stops256(ref start) : Stops128(ref start);
        }

        return ClassifyLastBlock<TWidth>(s, block);
    }

    /// <summary><see cref="ClassifyBlock"/> for the last, partial block of a line.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong ClassifyLastBlock<TWidth>(ReadOnlySpan<byte> s, int block)
        where TWidth : struct, IVectorWidth
    {
        var remaining = s.Length - block;
        Span<byte> padded = stackalloc byte[64];
        padded.Fill((byte)'a');
        s[block..].CopyTo(padded);
        ref var p = ref MemoryMarshal.GetReference(padded);
        return (TWidth.Is256 ? Stops256(ref p) : Stops128(ref p)) & ((1UL << remaining) - 1);
    }

    /// <summary>The string stops of 64 bytes as two 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Stops256(ref byte block)
        => Stops(Vector256.LoadUnsafe(ref block)) | ((ulong)Stops(Vector256.LoadUnsafe(ref block, 32)) << 32);

    /// <summary>The string stops of 64 bytes as four 128-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Stops128(ref byte block)
        => Stops(Vector128.LoadUnsafe(ref block)) | ((ulong)Stops(Vector128.LoadUnsafe(ref block, 16)) << 16)
            | ((ulong)Stops(Vector128.LoadUnsafe(ref block, 32)) << 32) | ((ulong)Stops(Vector128.LoadUnsafe(ref block, 48)) << 48);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Stops(Vector256<byte> v)
    {
        var hits = Vector256.Equals(v, Vector256.Create((byte)'"'))
            | Vector256.Equals(v, Vector256.Create((byte)'\\'))
            | Vector256.LessThan(v, Vector256.Create((byte)0x20))
            | Vector256.Equals(v, Vector256.Create(_delimiter));
        return hits.ExtractMostSignificantBits();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Stops(Vector128<byte> v)
    {
        var hits = Vector128.Equals(v, Vector128.Create((byte)'"'))
            | Vector128.Equals(v, Vector128.Create((byte)'\\'))
            | Vector128.LessThan(v, Vector128.Create((byte)0x20))
            | Vector128.Equals(v, Vector128.Create(_delimiter));
        return hits.ExtractMostSignificantBits();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? ScanNested<TWidth>(ReadOnlySpan<byte> line, ref int p, int depth, ref bool whitespace)
        where TWidth : struct, IVectorWidth
    {
        if (depth > MaxDepth)
        {
            return "JSON nesting deeper than 64 levels";
        }

        var isObject = line[p] == '{';
        var close = isObject ? (byte)'}' : (byte)']';
        p++;
        var q = SkipWhitespace(line, p);
        whitespace |= q != p;
        p = q;
        if (p < line.Length && line[p] == close)
        {
            p++;
            return null;
        }

        while (true)
        {
            if (p >= line.Length)
            {
                return "truncated JSON value";
            }

            string? error;
            if (isObject)
            {
                if (line[p] != '"')
                {
                    return "expected a quoted key";
                }

                error = SkipString<TWidth>(line, ref p);
                if (error is not null)
                {
                    return error;
                }

                q = SkipWhitespace(line, p);
                whitespace |= q != p;
                p = q;
                if (p >= line.Length || line[p] != ':')
                {
                    return "expected ':' after a key";
                }

                p++;
                q = SkipWhitespace(line, p);
                whitespace |= q != p;
                p = q;
                if (p >= line.Length)
                {
                    return "truncated JSON value";
                }
            }

            error = line[p] switch
            {
                (byte)'"' => SkipString<TWidth>(line, ref p),
                (byte)'{' or (byte)'[' => ScanNested<TWidth>(line, ref p, depth + 1, ref whitespace),
                (byte)'t' => ScanLiteral(line, ref p, "true"u8),
                (byte)'f' => ScanLiteral(line, ref p, "false"u8),
                (byte)'n' => ScanLiteral(line, ref p, "null"u8),
                _ => ScanNumber(line, ref p),
            };
            if (error is not null)
            {
                return error;
            }

            q = SkipWhitespace(line, p);
            whitespace |= q != p;
            p = q;
            if (p >= line.Length)
            {
                return "truncated JSON value";
            }

            if (line[p] == ',')
            {
                p++;
                q = SkipWhitespace(line, p);
                whitespace |= q != p;
                p = q;
                continue;
            }

            if (line[p] == close)
            {
                p++;
                return null;
            }

            return "expected ',' or a closing bracket";
        }
    }
}
