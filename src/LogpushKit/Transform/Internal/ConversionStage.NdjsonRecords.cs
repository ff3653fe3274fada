using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace LogpushKit.Transform;

/// <summary>An ndjson record to a row: columns from the first record, keys mapped to columns, the three routes' row writing.</summary>
internal sealed partial class ConversionStage
{
    private const int MaxUnknownKeyNames = 100;

    private readonly NdjsonLineParser _parser;
    private readonly RecordLayout _layout;
    private readonly List<byte[]> _unknownKeyBytes = [];
    private readonly List<string> _unknownKeyNames = [];
    private byte[] _keyScratch = [];
    private byte[] _newlineScratch = [];

    /// <summary>For each entry index, the column its key had in the last record (checked first).</summary>
    private int[] _hint = [];

    /// <summary>For each column, the entry that fills it in the record being converted, or -1.</summary>
    private int[] _cellEntry = [];
    private RecordEntry _value;

    /// <summary>One line: blank, bad, or a row by the first of the three routes that applies (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessLine(ReadOnlySpan<byte> line, ref OutputCursor output, bool validUtf8, bool lastLine = false)
    {
        var lineOffset = _offset;
        _offset += line.Length + (lastLine ? 0 : 1);
        _lineNumber++;
        if (IsBlank(line))
        {
            return;
        }

        Records++;
        if (line.Length > _plan.MaxLineBytes)
        {
            OverlongLine(line[..OverlongKeep], _lineNumber, lineOffset, line.Length, "line");
            return;
        }

        if (!validUtf8 && !Utf8.IsValid(line))
        {
            BadLine(line, lineOffset, "invalid UTF-8");
            return;
        }

        if (_layout.InColumnOrder)
        {
            var room = output.Reserve(RowBound(line.Length) + CsvCellWriter.VectorCopy);
            var fused = _vector256 ? ConvertInColumnOrder<Vector256Width>(line, room) : ConvertInColumnOrder<Vector128Width>(line, room);
            if (fused >= 0)
            {
                output.Advance(fused);
                Rows++;
                return;
            }
        }

        int[] cellEntry;
        int unknown;
        string? error;
        if (_parser.TryParseLayout(line, _layout))
        {
            cellEntry = _layout.CellEntry;
            unknown = _layout.UnknownKeys;
        }
        else
        {
            error = _parser.Parse(line);
            if (error is not null)
            {
                BadLine(line, lineOffset, error);
                return;
            }

            if (_columns is null)
            {
                error = TakeColumnsFromRecord(line, ref output);
                if (error is not null)
                {
                    BadLine(line, lineOffset, error);
                    return;
                }
            }

            error = MapEntries(line, out unknown);
            if (error is not null)
            {
                BadLine(line, lineOffset, error);
                return;
            }

            _layout.Learn(line, _parser.Entries.AsSpan(0, _parser.Count), _cellEntry, unknown);
            cellEntry = _cellEntry;
        }

        var dst = output.Reserve(RowBound(line.Length));
        var written = EmitRow(line, dst, cellEntry, out error);
        if (error is not null)
        {
            BadLine(line, lineOffset, error);
            return;
        }

        output.Advance(written);
        UnknownKeys += unknown;
        Rows++;
    }

    /// <summary>The most bytes a row from a line of <paramref name="lineLength"/> bytes can take (every byte a doubled quote).</summary>
    private int RowBound(int lineLength)
        => (2 * lineLength) + (_columns!.Length * 4) + (_timestampColumns * ((_timestampBuffer.Length * 2) + 4)) + 8;

    private string? TakeColumnsFromRecord(ReadOnlySpan<byte> line, ref OutputCursor output)
    {
        var entries = _parser.Entries;
        var names = new string[_parser.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var key = KeyBytes(line, in entries[i]);
            names[i] = Encoding.UTF8.GetString(key);
            if (!seen.Add(names[i]))
            {
                return $"duplicate key '{names[i]}'";
            }
        }

        if (names.Length == 0)
        {
            return "the first record has no keys to take the columns from";
        }

        SetColumns(DatasetColumnsFor(names), ref output);
        return null;
    }

    /// <summary>
    /// The columns for a first record with keys <paramref name="names"/>: tells the dataset (named, or detected from the
    /// keys) and its timestamp fields; with stable dataset columns, the dataset's list and the new keys as the policy says.
    /// </summary>
    private string[] DatasetColumnsFor(string[] names)
    {
        IReadOnlyList<Datasets.LogpushDataset> variants = _plan.DatasetVariants;
        if (_plan.DetectDataset && Datasets.LogpushDatasetResolver.MatchRecordKeys(_plan.Catalog, names) is { } detected)
        {
            variants = [detected, .. _plan.Catalog.FindAll(detected.Name).Where(v => !ReferenceEquals(v, detected))];
            Dataset = detected.Name;
            _timestampFields ??= new HashSet<string>(variants.SelectMany(v => v.TimestampFields), StringComparer.Ordinal);
        }

        if (!_plan.DatasetColumns || Dataset is null)
        {
            return names;
        }

        var list = _plan.DatasetFields ?? ChooseVariant(variants, names)?.FieldNames.ToArray();
        if (list is null || list.Length == 0)
        {
            return names;
        }

        var known = new HashSet<string>(list, StringComparer.Ordinal);
        var fresh = names.Where(n => !known.Contains(n)).ToArray();
        NewKeyNames = fresh;
        _failOnUnknownKeys |= _plan.OnNewKeys == NewKeyPolicy.Fail;
        return _plan.OnNewKeys == NewKeyPolicy.Append && fresh.Length > 0 ? [.. list, .. fresh] : list;
    }

    /// <summary>The smallest scope variant holding every key, else the largest.</summary>
    private static Datasets.LogpushDataset? ChooseVariant(IReadOnlyList<Datasets.LogpushDataset> variants, string[] names)
        => variants.Where(v => names.All(n => v.Fields.Any(f => string.Equals(f.Name, n, StringComparison.Ordinal)))).MinBy(v => v.Fields.Count)
            ?? variants.MaxBy(v => v.Fields.Count);

    private ReadOnlySpan<byte> KeyBytes(ReadOnlySpan<byte> line, in RecordEntry entry)
    {
        var raw = line.Slice(entry.KeyStart, entry.KeyLength);
        if (!entry.KeyEscaped)
        {
            return raw;
        }

        EnsureCapacity(ref _keyScratch, raw.Length);
        return _keyScratch.AsSpan(0, JsonText.DecodeString(raw, _keyScratch));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? MapEntries(ReadOnlySpan<byte> line, out int unknown)
    {
        unknown = 0;
        var entries = _parser.Entries;
        var count = _parser.Count;
        if (count > _hint.Length)
        {
            var old = _hint.Length;
            Array.Resize(ref _hint, Math.Max(count, old * 2));
            _hint.AsSpan(old).Fill(-1);
        }

        _cellEntry.AsSpan().Fill(-1);
        for (var i = 0; i < count; i++)
        {
            var key = KeyBytes(line, in entries[i]);
            var column = _hint[i];
            if (column < 0 || !key.SequenceEqual(_columnKeys[column]))
            {
                column = FindColumn(key);
                _hint[i] = column;
            }

            entries[i].Column = column;
            if (column < 0)
            {
                unknown++;
                NoteUnknownKey(key);
                if (_failOnUnknownKeys)
                {
                    return $"unknown key '{Encoding.UTF8.GetString(key)}' (not one of the columns)";
                }

                continue;
            }

            if (_cellEntry[column] >= 0)
            {
                return $"duplicate key '{_columns![column]}'";
            }

            _cellEntry[column] = i;
        }

        return null;
    }

    /// <summary>
    /// The fast route for the usual record, whose keys are the layout's, in that order, each a column and in the columns'
    /// order (columns it lacks stay empty), with no whitespace between tokens: scans and writes each value in one pass,
    /// straight into <paramref name="dst"/> (which has <see cref="CsvCellWriter.VectorCopy"/> spare bytes). Returns the
    /// bytes written, or -1 when the record differs in any way (or is bad), in which case nothing counts and the general
    /// route decides, with the same result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ConvertInColumnOrder<TWidth>(ReadOnlySpan<byte> line, Span<byte> dst)
        where TWidth : struct, IVectorWidth
    {
        if (line.IsEmpty || line[0] != '{')
        {
            return -1;
        }

        var parser = _parser;
        var layout = _layout;
        parser.BeginLine();
        var keys = layout.Count;
        var delimiter = _delimiter;
        var hasTimestamps = _timestampColumns > 0;
        var escapeFormulas = _plan.EscapeFormulas;
        var newlinesKept = _plan.NewlinesInCells == NewlinePolicy.Keep;
        var literalsPlain = !_plan.DelimiterInLiterals;
        var p = 1;
        var w = 0;
        var column = 0;
        for (var i = 0; i < keys; i++)
        {
            if (i > 0)
            {
                if ((uint)p >= (uint)line.Length || line[p] != ',')
                {
                    return -1;
                }

                p++;
            }

            // The delimiters up to this key's column: one, or more where the record lacks columns.
            var next = layout.Column(i);
            while (column < next)
            {
                dst[w++] = delimiter;
                column++;
            }

            var tokenLength = layout.MatchKey<TWidth>(line, p, i);
            if (tokenLength == 0)
            {
                return -1;
            }

            p += tokenLength;
            if ((uint)p >= (uint)line.Length)
            {
                return -1;
            }

            if (!hasTimestamps || !_isTimestamp[next])
            {
                var b = line[p];
                if (b == '"')
                {
                    // A string with no escape, delimiter or control character: its bytes are the cell.
                    var stop = escapeFormulas ? -1 : parser.FindStringStop<TWidth>(line, p + 1);
                    if (stop >= 0 && line[stop] == '"')
                    {
                        w = CsvCellWriter.CopyCell<TWidth>(line, p + 1, stop - p - 1, dst, w);
                        p = stop + 1;
                        continue;
                    }

                    // With an escape or the delimiter: decoded and quoted as it is written.
                    if (stop >= 0 && newlinesKept && TryWriteString<TWidth>(line, p, dst, w, out var stringEnd) is var afterString and >= 0)
                    {
                        (p, w) = (stringEnd, afterString);
                        continue;
                    }
                }
                else if (b is (byte)'{' or (byte)'[')
                {
                    var afterNested = TryWriteNested<TWidth>(line, p, dst, w, out var nestedEnd);
                    if (afterNested >= 0)
                    {
                        (p, w) = (nestedEnd, afterNested);
                        continue;
                    }
                }
                else if (literalsPlain)
                {
                    // A number, true, false or null: its text is the cell (null's is empty).
                    var scalarEnd = NdjsonLineParser.SkipScalar(line, p);
                    if (scalarEnd < 0)
                    {
                        return -1;
                    }

                    if (b != 'n')
                    {
                        w = CsvCellWriter.CopyCell<TWidth>(line, p, scalarEnd - p, dst, w);
                    }

                    p = scalarEnd;
                    continue;
                }
            }

            // The general scan and cell writing, through locals of their own (p and w stay in registers).
            var valueEnd = p;
            if (parser.ScanValue<TWidth>(line, ref valueEnd, ref _value) is not null)
            {
                return -1;
            }

            p = valueEnd;
            var raw = line.Slice(_value.ValueStart, _value.ValueLength);
            var cellEnd = w;
            if (hasTimestamps && _isTimestamp[next])
            {
                if (WriteTimestamp(raw, in _value, next, dst, ref cellEnd) is not null)
                {
                    return -1;
                }
            }
            else
            {
                EmitValue(raw, in _value, dst, ref cellEnd);
            }

            w = cellEnd;
        }

        if (!NdjsonLineParser.IsRecordEnd(line, p))
        {
            return -1;
        }

        while (++column < _isTimestamp.Length)
        {
            dst[w++] = delimiter;
        }

        WriteRowEnding(dst, ref w);
        return w;
    }

    /// <summary>The column named <paramref name="key"/>, or -1: a scan of a few columns, a hash lookup of many.</summary>
    private int FindColumn(ReadOnlySpan<byte> key)
    {
        var keys = _columnKeys;
        if (keys.Length > ColumnIndex.ScanLimit)
        {
            return (_columnIndex ??= new ColumnIndex(keys)).Find(key);
        }

        for (var c = 0; c < keys.Length; c++)
        {
            if (key.SequenceEqual(keys[c]))
            {
                return c;
            }
        }

        return -1;
    }

    private void NoteUnknownKey(ReadOnlySpan<byte> key)
    {
        if (_unknownKeyBytes.Count >= MaxUnknownKeyNames)
        {
            return;
        }

        foreach (var known in _unknownKeyBytes)
        {
            if (key.SequenceEqual(known))
            {
                return;
            }
        }

        _unknownKeyBytes.Add(key.ToArray());
        _unknownKeyNames.Add(Encoding.UTF8.GetString(key));
    }

    /// <summary>Writes one row into <paramref name="dst"/> (sized by the caller's bound); returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int EmitRow(ReadOnlySpan<byte> line, Span<byte> dst, int[] cellEntry, out string? error)
    {
        error = null;
        var entries = _parser.Entries;
        var isTimestamp = _isTimestamp;
        var delimiter = _delimiter;
        var columns = Math.Min(cellEntry.Length, isTimestamp.Length);
        var w = 0;
        for (var c = 0; c < columns; c++)
        {
            if (c > 0)
            {
                dst[w++] = delimiter;
            }

            var entry = cellEntry[c];
            if (entry < 0)
            {
                continue;
            }

            ref readonly var e = ref entries[entry];
            var raw = line.Slice(e.ValueStart, e.ValueLength);
            if (isTimestamp[c])
            {
                error = WriteTimestamp(raw, in e, c, dst, ref w);
                if (error is not null)
                {
                    return 0;
                }

                continue;
            }

            EmitValue(raw, in e, dst, ref w);
        }

        WriteRowEnding(dst, ref w);
        return w;
    }

    /// <summary>Writes one value as a cell (timestamps aside).</summary>
    private void EmitValue(ReadOnlySpan<byte> raw, in RecordEntry e, Span<byte> dst, ref int w)
    {
        switch (e.Kind)
        {
            case RecordValueKind.String:
                WriteString(raw, in e, dst, ref w);
                break;
            case RecordValueKind.Number or RecordValueKind.True or RecordValueKind.False:
                if (_plan.DelimiterInLiterals && raw.Contains(_delimiter))
                {
                    WriteField(dst, ref w, raw, quote: true, formula: false);
                }
                else
                {
                    raw.CopyTo(dst[w..]);
                    w += raw.Length;
                }

                break;
            case RecordValueKind.Nested:
                var text = e.Escaped ? Compact(raw) : raw;
                WriteField(dst, ref w, text, text.IndexOfAny(_plan.CellSpecials) >= 0, formula: false);
                break;
            default:
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteString(ReadOnlySpan<byte> raw, in RecordEntry e, Span<byte> dst, ref int w)
    {
        if (!e.Escaped)
        {
            var formula = _plan.EscapeFormulas && raw.Length > 0 && CsvCellWriter.IsFormulaStart(raw[0]);
            if (e.HasDelimiter || (formula && _delimiter == '\''))
            {
                // Without escapes the text holds no '"', CR or LF; only the delimiter forces quotes.
                dst[w++] = (byte)'"';
                if (formula)
                {
                    dst[w++] = (byte)'\'';
                }

                raw.CopyTo(dst[w..]);
                w += raw.Length;
                dst[w++] = (byte)'"';
                return;
            }

            if (formula)
            {
                dst[w++] = (byte)'\'';
            }

            raw.CopyTo(dst[w..]);
            w += raw.Length;
            return;
        }

        EnsureCapacity(ref _scratch, raw.Length);
        var decoded = _scratch.AsSpan(0, JsonText.DecodeString(raw, _scratch));
        var isFormula = _plan.EscapeFormulas && decoded.Length > 0 && CsvCellWriter.IsFormulaStart(decoded[0]);
        WriteText(dst, ref w, decoded, isFormula);
    }

    /// <summary>
    /// Writes decoded text as a cell: quoted when it needs it, its CR and LF changed as <see cref="TransformOptions.NewlinesInCells"/>
    /// says (only text with an escape or a quoted csv cell can hold them, so the default pays nothing elsewhere). The
    /// output room of a row bounds a cell at twice its text plus three bytes, which an escaped newline (two bytes for one) keeps.
    /// </summary>
    private void WriteText(Span<byte> dst, ref int w, ReadOnlySpan<byte> text, bool formula)
    {
        if (_plan.NewlinesInCells != NewlinePolicy.Keep && text.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            text = ReplaceNewlines(text);
        }

        var quote = text.IndexOfAny(_plan.CellSpecials) >= 0 || (formula && _delimiter == '\'');
        WriteField(dst, ref w, text, quote, formula);
    }

    /// <summary>The text with CR and LF escaped or made spaces, in a buffer of its own (the text may be in <see cref="_scratch"/>).</summary>
    private ReadOnlySpan<byte> ReplaceNewlines(ReadOnlySpan<byte> text)
    {
        EnsureCapacity(ref _newlineScratch, text.Length * 2);
        var buffer = _newlineScratch;
        var w = 0;
        var escape = _plan.NewlinesInCells == NewlinePolicy.Escape;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b is not ((byte)'\r' or (byte)'\n'))
            {
                buffer[w++] = b;
            }
            else if (escape)
            {
                buffer[w++] = (byte)'\\';
                buffer[w++] = b == '\r' ? (byte)'r' : (byte)'n';
            }
            else
            {
                buffer[w++] = (byte)' ';
                if (b == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }
            }
        }

        return buffer.AsSpan(0, w);
    }

    private string? WriteTimestamp(ReadOnlySpan<byte> raw, in RecordEntry e, int column, Span<byte> dst, ref int w)
    {
        switch (e.Kind)
        {
            case RecordValueKind.Null:
                return null;
            case RecordValueKind.String or RecordValueKind.Number:
                var text = raw;
                if (e.Kind == RecordValueKind.String && e.Escaped)
                {
                    EnsureCapacity(ref _scratch, raw.Length);
                    text = _scratch.AsSpan(0, JsonText.DecodeString(raw, _scratch));
                }

                return WriteTimestampText(text, e.Kind == RecordValueKind.String, column, dst, ref w);
            default:
                return TimestampError(column, raw, "a timestamp must be a number or a string");
        }
    }

    /// <summary>
    /// A timestamp's text (a JSON string's decoded content or a JSON number, or a csv cell) parsed and written in the
    /// output format; empty text stays an empty field. Returns the error for a value that does not parse or format.
    /// </summary>
    private string? WriteTimestampText(ReadOnlySpan<byte> text, bool isString, int column, Span<byte> dst, ref int w)
    {
        if (text.IsEmpty)
        {
            return null;
        }

        if (!_plan.Timestamps!.TryParse(text, isString, out var nanos, out var reason))
        {
            return TimestampError(column, text, reason!);
        }

        var n = _plan.Timestamps.Format(nanos, _timestampBuffer);
        if (n < 0)
        {
            return TimestampError(column, text, "out of range for the output format");
        }

        var formatted = _timestampBuffer.AsSpan(0, n);
        WriteField(dst, ref w, formatted, formatted.IndexOfAny(_plan.CellSpecials) >= 0, formula: false);
        return null;
    }

    private string TimestampError(int column, ReadOnlySpan<byte> text, string reason)
    {
        var shown = text.Length > 64 ? Encoding.UTF8.GetString(text[..64]) + "…" : Encoding.UTF8.GetString(text);
        return $"field '{_columns![column]}': unparseable timestamp '{shown}' ({reason})";
    }

    /// <summary>A nested JSON value without the whitespace between its tokens (see <see cref="JsonText.Compact"/>).</summary>
    private ReadOnlySpan<byte> Compact(ReadOnlySpan<byte> raw)
    {
        EnsureCapacity(ref _scratch, raw.Length);
        return _scratch.AsSpan(0, JsonText.Compact(raw, _scratch));
    }
}
