using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LogpushKit.Transform;

/// <summary>The JSON type of a value in an ndjson record.</summary>
internal enum JsonValueKind : byte
{
    String,
    Number,
    True,
    False,
    Null,
    Nested,
}

/// <summary>One key/value pair of a parsed record, as offsets into the line.</summary>
internal struct JsonEntry
{
    public int KeyStart;
    public int KeyLength;
    public int ValueStart;
    public int ValueLength;
    public JsonValueKind Kind;
    public bool KeyEscaped;

    /// <summary>String: holds a backslash escape. Nested: holds whitespace between tokens.</summary>
    public bool Escaped;

    /// <summary>String without escapes: holds the delimiter byte.</summary>
    public bool HasDelimiter;
}

/// <summary>
/// A strict, allocation-free parser of one ndjson line (one JSON object) into <see cref="JsonEntry"/> offsets. Strings
/// keep their escaped form (decoded later, straight into the output); numbers keep their token text.
/// </summary>
internal sealed class NdjsonLineParser
{
    private const int MaxDepth = 64;
    private readonly byte _delimiter;
    private JsonEntry[] _entries = new JsonEntry[64];

    public NdjsonLineParser(byte delimiter)
    {
        _delimiter = delimiter;
    }

    public JsonEntry[] Entries => _entries;

    public int Count { get; private set; }

    /// <summary>Parses <paramref name="line"/>; returns <see langword="null"/> on success, else the reason it is not a JSON object.</summary>
    public string? Parse(ReadOnlySpan<byte> line)
    {
        Count = 0;
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
            var error = ScanString(line, ref p, out var keyEscaped, out _);
            if (error is not null)
            {
                return error;
            }

            entry.KeyStart = keyQuote + 1;
            entry.KeyLength = p - keyQuote - 2;
            p = SkipWhitespace(line, p);
            if (p >= line.Length)
            {
                return "truncated JSON object";
            }

            if (line[p] != ':')
            {
                return "expected ':' after a key";
            }

            p = SkipWhitespace(line, p + 1);
            if (p >= line.Length)
            {
                return "truncated JSON object";
            }

            entry.KeyEscaped = keyEscaped;
            error = ScanValue(line, ref p, ref entry);
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

    private static string? Trailing(ReadOnlySpan<byte> line, int p)
        => SkipWhitespace(line, p) == line.Length ? null : "unexpected data after the JSON object";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> line, int p)
    {
        while (p < line.Length && line[p] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            p++;
        }

        return p;
    }

    private string? ScanValue(ReadOnlySpan<byte> line, ref int p, ref JsonEntry entry)
    {
        var start = p;
        var b = line[p];
        string? error;
        switch (b)
        {
            case (byte)'"':
                error = ScanString(line, ref p, out entry.Escaped, out entry.HasDelimiter);
                entry.Kind = JsonValueKind.String;
                entry.ValueStart = start + 1;
                entry.ValueLength = p - start - 2;
                return error;
            case (byte)'{' or (byte)'[':
                var whitespace = false;
                error = ScanNested(line, ref p, 1, ref whitespace);
                entry.Kind = JsonValueKind.Nested;
                entry.Escaped = whitespace;
                entry.HasDelimiter = false;
                break;
            case (byte)'t':
                error = ScanLiteral(line, ref p, "true"u8);
                entry.Kind = JsonValueKind.True;
                break;
            case (byte)'f':
                error = ScanLiteral(line, ref p, "false"u8);
                entry.Kind = JsonValueKind.False;
                break;
            case (byte)'n':
                error = ScanLiteral(line, ref p, "null"u8);
                entry.Kind = JsonValueKind.Null;
                break;
            default:
                error = ScanNumber(line, ref p);
                entry.Kind = JsonValueKind.Number;
                break;
        }

        entry.ValueStart = start;
        entry.ValueLength = p - start;
        return error;
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

    /// <summary>JSON number grammar: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>.</summary>
    private static string? ScanNumber(ReadOnlySpan<byte> line, ref int p)
    {
        const string Invalid = "invalid JSON value";
        if (p < line.Length && line[p] == '-')
        {
            p++;
        }

        if (p >= line.Length || !IsDigit(line[p]))
        {
            return Invalid;
        }

        if (line[p] == '0')
        {
            p++;
        }
        else
        {
            p = SkipDigits(line, p);
        }

        if (p < line.Length && line[p] == '.')
        {
            p++;
            if (p >= line.Length || !IsDigit(line[p]))
            {
                return Invalid;
            }

            p = SkipDigits(line, p);
        }

        if (p < line.Length && (line[p] | 0x20) == 'e')
        {
            p++;
            if (p < line.Length && line[p] is (byte)'+' or (byte)'-')
            {
                p++;
            }

            if (p >= line.Length || !IsDigit(line[p]))
            {
                return Invalid;
            }

            p = SkipDigits(line, p);
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static int SkipDigits(ReadOnlySpan<byte> line, int p)
    {
        while (p < line.Length && IsDigit(line[p]))
        {
            p++;
        }

        return p;
    }

    /// <summary>Scans a string starting at its opening quote; leaves <paramref name="p"/> after the closing quote.</summary>
    private string? ScanString(ReadOnlySpan<byte> line, ref int p, out bool escaped, out bool hasDelimiter)
    {
        escaped = false;
        hasDelimiter = false;
        var i = p + 1;
        while (true)
        {
            i = FindStringStop(line, i);
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
                if (!TryHex4(line, i + 2, out var unit))
                {
                    return "invalid \\u escape in a JSON string";
                }

                i += 6;
                if (char.IsHighSurrogate((char)unit))
                {
                    if (i + 1 < line.Length && line[i] == '\\' && line[i + 1] == 'u' && TryHex4(line, i + 2, out var low) && char.IsLowSurrogate((char)low))
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
    /// <c>"</c>, <c>\</c>, a control character or the delimiter; -1 when there is none. Vectorized: strings are short,
    /// so an inline compare of 32 or 16 bytes beats a general search call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindStringStop(ReadOnlySpan<byte> s, int i)
    {
        ref var start = ref MemoryMarshal.GetReference(s);
        var length = s.Length;
        if (Vector256.IsHardwareAccelerated && i + 32 <= length)
        {
            var quote = Vector256.Create((byte)'"');
            var backslash = Vector256.Create((byte)'\\');
            var control = Vector256.Create((byte)0x20);
            var delimiter = Vector256.Create(_delimiter);
            do
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var hits = Vector256.Equals(v, quote) | Vector256.Equals(v, backslash) | Vector256.LessThan(v, control) | Vector256.Equals(v, delimiter);
                if (hits != Vector256<byte>.Zero)
                {
                    return i + BitOperations.TrailingZeroCount(hits.ExtractMostSignificantBits());
                }

                i += 32;
            }
            while (i + 32 <= length);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var quote = Vector128.Create((byte)'"');
            var backslash = Vector128.Create((byte)'\\');
            var control = Vector128.Create((byte)0x20);
            var delimiter = Vector128.Create(_delimiter);
            while (i + 16 <= length)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                var hits = Vector128.Equals(v, quote) | Vector128.Equals(v, backslash) | Vector128.LessThan(v, control) | Vector128.Equals(v, delimiter);
                if (hits != Vector128<byte>.Zero)
                {
                    return i + BitOperations.TrailingZeroCount(hits.ExtractMostSignificantBits());
                }

                i += 16;
            }
        }

        for (; i < length; i++)
        {
            var b = s[i];
            if (b == '"' || b == '\\' || b < 0x20 || b == _delimiter)
            {
                return i;
            }
        }

        return -1;
    }

    internal static bool TryHex4(ReadOnlySpan<byte> s, int start, out int value)
    {
        value = 0;
        if (start + 4 > s.Length)
        {
            return false;
        }

        for (var k = start; k < start + 4; k++)
        {
            var c = s[k];
            int d = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (d < 0)
            {
                return false;
            }

            value = (value << 4) | d;
        }

        return true;
    }

    private string? ScanNested(ReadOnlySpan<byte> line, ref int p, int depth, ref bool whitespace)
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

                error = ScanString(line, ref p, out _, out _);
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
                (byte)'"' => ScanString(line, ref p, out _, out _),
                (byte)'{' or (byte)'[' => ScanNested(line, ref p, depth + 1, ref whitespace),
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
