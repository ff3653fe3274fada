using System.Runtime.CompilerServices;
using System.Text;

namespace LogpushKit.Transform;

/// <summary>
/// Cells of the fused route that the general route writes in several passes (scan, decode or search, copy): a string
/// with escapes or the delimiter, and a nested value (object or array), each checked and written as its cell in one pass.
/// </summary>
internal sealed partial class ConversionStage
{
    /// <summary>The deepest nesting the one-pass writer follows (as <see cref="NdjsonLineParser"/> allows).</summary>
    private const int MaxNestedDepth = 64;

    /// <summary>
    /// Writes the nested value at <paramref name="p"/> (its <c>{</c> or <c>[</c>) as a cell while checking it: the cell
    /// <see cref="EmitValue"/> writes for it (its JSON text, quoted with its quotes doubled when it holds a quote or the
    /// delimiter), without scanning it, searching it and copying it as three passes. Takes only compact JSON (no
    /// whitespace between tokens, how Logpush writes it). Returns the position after the cell in <paramref name="dst"/>
    /// and the value's end in the line (<paramref name="end"/>); on anything else, or anything bad, -1, and the caller
    /// takes the general scan, which decides. <paramref name="dst"/> has the row's room (twice the line) and
    /// <see cref="CsvCellWriter.VectorCopy"/> spare bytes. Positions go in and out as values so they stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TryWriteNested<TWidth>(ReadOnlySpan<byte> line, int p, Span<byte> dst, int w, out int end)
        where TWidth : struct, IVectorWidth
    {
        const int Value = 0, Key = 1, After = 2;
        end = -1;
        var parser = _parser;
        var i = p;
        var o = w + 1; // after the cell's opening quote
        var from = i; // line[from..i) is copied as it is when the next string (or the end) comes
        var sawString = false;
        ulong objects = 0; // bit 0: the innermost open value is an object; one bit per level
        var depth = 0;
        var state = Value;
        while (true)
        {
            if ((uint)i >= (uint)line.Length)
            {
                return -1;
            }

            var b = line[i];
            if (state == After)
            {
                var isObject = (objects & 1) != 0;
                if (b == ',')
                {
                    i++;
                    state = isObject ? Key : Value;
                    continue;
                }

                if (b != (isObject ? (byte)'}' : (byte)']'))
                {
                    return -1;
                }

                i++;
                objects >>= 1;
                if (--depth == 0)
                {
                    break;
                }

                continue;
            }

            if (b == '"')
            {
                // A key or a string value: "text" becomes ""text"" (an escaped \" inside becomes \"").
                o = CsvCellWriter.CopyCell<TWidth>(line, from, i - from, dst, o);
                dst[o++] = (byte)'"';
                dst[o++] = (byte)'"';
                var stop = parser.FindStringStop<TWidth>(line, i + 1);
                if (stop >= 0 && line[stop] == '"')
                {
                    o = CsvCellWriter.CopyCell<TWidth>(line, i + 1, stop - i - 1, dst, o);
                    i = stop + 1;
                }
                else
                {
                    var closed = i; // locals of their own for the calls by ref: i and o stay in registers
                    if (parser.ScanString<TWidth>(line, ref closed, out _, out _) is not null)
                    {
                        return -1;
                    }

                    var doubled = o;
                    CsvCellWriter.CopyDoublingQuotes(line[(i + 1)..(closed - 1)], dst, ref doubled, TWidth.Is256);
                    o = doubled;
                    i = closed;
                }

                dst[o++] = (byte)'"';
                dst[o++] = (byte)'"';
                from = i;
                sawString = true;
                if (state == Key)
                {
                    if ((uint)i >= (uint)line.Length || line[i] != ':')
                    {
                        return -1;
                    }

                    i++;
                    state = Value;
                }
                else
                {
                    state = After;
                }

                continue;
            }

            if (state == Key)
            {
                return -1;
            }

            if (b is (byte)'{' or (byte)'[')
            {
                if (depth == MaxNestedDepth)
                {
                    return -1;
                }

                depth++;
                var isObject = b == '{';
                objects = (objects << 1) | (isObject ? 1UL : 0);
                i++;
                if ((uint)i < (uint)line.Length && line[i] == (isObject ? (byte)'}' : (byte)']'))
                {
                    // Empty: the closing bracket is handled as after a value.
                    state = After;
                    continue;
                }

                state = isObject ? Key : Value;
                continue;
            }

            i = NdjsonLineParser.SkipScalar(line, i);
            if (i < 0)
            {
                return -1;
            }

            state = After;
        }

        o = CsvCellWriter.CopyCell<TWidth>(line, from, i - from, dst, o);
        // Of the bytes that make a cell quoted (see TransformPlan.CellSpecials), only strings hold quotes, CR or LF (CR and
        // LF escaped) in compact JSON: without a string, the delimiter alone decides. The strings' quotes were doubled as
        // written.
        end = i;
        return EndCell(dst, w, o, quote: sawString || line[p..i].Contains(_delimiter));
    }

    /// <summary>
    /// Writes the string at <paramref name="p"/> (its opening quote) as a cell while checking it: its escapes decoded and
    /// the cell quoted, its quotes doubled, when the text holds a quote, CR, LF or the delimiter, as <see cref="WriteString"/>
    /// does with the default <see cref="TransformOptions.NewlinesInCells"/> and no formula escaping (the caller's to
    /// check). Returns the position after the cell and the string's end (<paramref name="end"/>); on anything bad -1, and
    /// the caller takes the general scan, which tells what is wrong. <paramref name="dst"/> as for <see cref="TryWriteNested"/>
    /// (a decoded escape is never longer than the escape, a doubled quote never longer than its <c>\"</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TryWriteString<TWidth>(ReadOnlySpan<byte> line, int p, Span<byte> dst, int w, out int end)
        where TWidth : struct, IVectorWidth
    {
        end = -1;
        var parser = _parser;
        var delimiter = _delimiter;
        var i = p + 1;
        var o = w + 1; // after the cell's opening quote
        var quote = false;
        while (true)
        {
            var stop = parser.FindStringStop<TWidth>(line, i);
            if (stop < 0)
            {
                return -1;
            }

            o = CsvCellWriter.CopyCell<TWidth>(line, i, stop - i, dst, o);
            i = stop;
            var b = line[i];
            if (b == '"')
            {
                i++;
                break;
            }

            if (b != '\\')
            {
                if (b != delimiter || b < 0x20)
                {
                    return -1; // a control character
                }

                dst[o++] = b;
                quote = true;
                i++;
                continue;
            }

            if (i + 1 >= line.Length)
            {
                return -1;
            }

            int scalar;
            switch (line[i + 1])
            {
                case (byte)'"':
                    scalar = '"';
                    break;
                case (byte)'\\':
                    scalar = '\\';
                    break;
                case (byte)'/':
                    scalar = '/';
                    break;
                case (byte)'b':
                    scalar = 8;
                    break;
                case (byte)'f':
                    scalar = 12;
                    break;
                case (byte)'n':
                    scalar = 10;
                    break;
                case (byte)'r':
                    scalar = 13;
                    break;
                case (byte)'t':
                    scalar = 9;
                    break;
                case (byte)'u':
                    if (!JsonText.TryHex4(line, i + 2, out scalar))
                    {
                        return -1;
                    }

                    if (char.IsSurrogate((char)scalar))
                    {
                        if (!char.IsHighSurrogate((char)scalar) || i + 7 >= line.Length || line[i + 6] != '\\' || line[i + 7] != 'u'
                            || !JsonText.TryHex4(line, i + 8, out var low) || !char.IsLowSurrogate((char)low))
                        {
                            return -1;
                        }

                        o += new Rune(char.ConvertToUtf32((char)scalar, (char)low)).EncodeToUtf8(dst[o..]);
                        i += 12;
                        continue;
                    }

                    if (scalar >= 0x80)
                    {
                        o += new Rune(scalar).EncodeToUtf8(dst[o..]);
                        i += 6;
                        continue;
                    }

                    i += 4;
                    break;
                default:
                    return -1;
            }

            // One ASCII character (i is 2 before the escape's end).
            i += 2;
            var d = (byte)scalar;
            dst[o++] = d;
            if (d == '"')
            {
                dst[o++] = d;
                quote = true;
            }
            else if (d is (byte)'\r' or (byte)'\n' || d == delimiter)
            {
                quote = true;
            }
        }

        end = i;
        return EndCell(dst, w, o, quote);
    }

    /// <summary>
    /// Ends a cell written from <c>w + 1</c> to <paramref name="o"/> (<paramref name="w"/> kept for an opening quote): a
    /// quoted cell gets its two quotes, another moves back over the kept byte. Returns the position after the cell.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EndCell(Span<byte> dst, int w, int o, bool quote)
    {
        if (quote)
        {
            dst[w] = (byte)'"';
            dst[o] = (byte)'"';
            return o + 1;
        }

        dst.Slice(w + 1, o - w - 1).CopyTo(dst[w..]);
        return o - 1;
    }
}
