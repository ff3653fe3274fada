using System.Runtime.CompilerServices;
using System.Text;

namespace LogpushKit.Transform;

/// <summary>
/// The JSON text the conversion stage turns into cells, already checked by <see cref="NdjsonLineParser"/>: string
/// escapes decoded to UTF-8, nested values compacted. Stateless; tested on its own by <c>JsonTextTests</c>.
/// </summary>
internal static class JsonText
{
    /// <summary>
    /// Decodes the escapes of a JSON string's content (between its quotes; valid, as the parser checked it) into
    /// <paramref name="dst"/>, which has room for <paramref name="raw"/>'s length; returns the bytes written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int DecodeString(ReadOnlySpan<byte> raw, Span<byte> dst)
    {
        var w = 0;
        while (true)
        {
            var bs = raw.IndexOf((byte)'\\');
            if (bs < 0)
            {
                raw.CopyTo(dst[w..]);
                return w + raw.Length;
            }

            raw[..bs].CopyTo(dst[w..]);
            w += bs;
            var c = raw[bs + 1];
            var consumed = 2;
            switch (c)
            {
                case (byte)'b':
                    dst[w++] = 8;
                    break;
                case (byte)'f':
                    dst[w++] = 12;
                    break;
                case (byte)'n':
                    dst[w++] = 10;
                    break;
                case (byte)'r':
                    dst[w++] = 13;
                    break;
                case (byte)'t':
                    dst[w++] = 9;
                    break;
                case (byte)'u':
                    TryHex4(raw, bs + 2, out var unit);
                    consumed = 6;
                    int scalar = unit;
                    if (char.IsHighSurrogate((char)unit))
                    {
                        TryHex4(raw, bs + 8, out var low);
                        scalar = char.ConvertToUtf32((char)unit, (char)low);
                        consumed = 12;
                    }

                    w += new Rune(scalar).EncodeToUtf8(dst[w..]);
                    break;
                default:
                    dst[w++] = c;
                    break;
            }

            raw = raw[(bs + consumed)..];
        }
    }

    /// <summary>
    /// Writes a nested JSON value (object or array; valid) without the whitespace between its tokens into
    /// <paramref name="dst"/>, which has room for <paramref name="raw"/>'s length; strings keep their escapes as written.
    /// Returns the bytes written.
    /// </summary>
    public static int Compact(ReadOnlySpan<byte> raw, Span<byte> dst)
    {
        var w = 0;
        var inString = false;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (inString)
            {
                dst[w++] = b;
                if (b == '\\')
                {
                    dst[w++] = raw[++i];
                }
                else if (b == '"')
                {
                    inString = false;
                }
            }
            else if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                dst[w++] = b;
                inString = b == '"';
            }
        }

        return w;
    }

    /// <summary>Reads four hex digits at <paramref name="start"/>; false when there are not four.</summary>
    public static bool TryHex4(ReadOnlySpan<byte> s, int start, out int value)
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
}
