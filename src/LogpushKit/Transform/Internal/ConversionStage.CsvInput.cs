using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace LogpushKit.Transform;

/// <summary>The csv-input route: RFC 4180 rows checked and passed through byte for byte, or written again when an option asks.</summary>
internal sealed partial class ConversionStage
{
    private const string NotUtf8 = "invalid UTF-8 (csv input must be UTF-8 text)";

    private CsvRowScanner? _csvScanner;
    private Utf8ChunkValidator _csvUtf8;

    /// <summary>The cells every row must have: one per field, else as many as the first row (0 until known).</summary>
    private int _csvCells;

    /// <summary>The bytes of the open row seen in earlier spans; <see cref="_carry"/> holds them, or their first KiB once there are more than MaxLineBytes.</summary>
    private long _csvRowBytes;

    private long _rowStartOffset;
    private long _rowStartLine = 1;

    /// <summary>The only option that changes csv rows is the row ending: a row is copied whole with the new ending.</summary>
    private bool _csvRowEndingOnly;

    /// <summary>Refuses what cannot apply to csv input and sets up the scan.</summary>
    private void BeginCsv()
    {
        if (_plan.Fields is null && _plan.DatasetColumns && _plan.DatasetFields is { } datasetFields)
        {
            // Logpush writes csv without a header: the job's field_names name its columns, as they do its ndjson keys
            _csvFields = datasetFields;
        }

        if (_plan.NeedsCsvFields && _plan.Fields is null && _csvFields is null)
        {
            throw new TransformOptionsException(
                nameof(TransformOptions.TimestampOutput),
                "TimestampOutput on csv input needs Fields: csv has no header naming its columns, so the timestamp fields cannot be found.",
                _sourceName);
        }

        _csvScanner = new CsvRowScanner(TransformPlan.CsvInputDelimiter, _plan.Vector256);
        _csvRowEndingOnly = _delimiter == TransformPlan.CsvInputDelimiter && !_plan.EscapeFormulas && _plan.Timestamps is null
            && _plan.NewlinesInCells == NewlinePolicy.Keep;
        _csvCells = (_plan.Fields ?? _csvFields)?.Length ?? 0;
        _rowStartOffset = _offset;
    }

    private void ProcessCsv(ReadOnlySequence<byte> buffer, bool completed, PipeWriter writer)
    {
        var output = new OutputCursor(writer);
        try
        {
            foreach (var segment in buffer)
            {
                ProcessCsvSpan(segment.Span, ref output);
            }

            if (completed)
            {
                FinishCsv(ref output);
            }
        }
        finally
        {
            output.Commit();
            BytesOut += output.Written;
        }
    }

    /// <summary>
    /// Checks a span (UTF-8, then the csv structure and NUL bytes) and takes the rows that end in it. Whatever breaks the rules
    /// first, in input order, is reported, so the outcome does not depend on how the input was split into spans.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessCsvSpan(ReadOnlySpan<byte> span, ref OutputCursor output)
    {
        var scanner = _csvScanner!;
        var spanOffset = _offset;
        var textError = _csvUtf8.FindInvalid(span, spanOffset, final: false);
        var textReason = textError >= 0 ? NotUtf8 : null;
        var limit = textError >= 0 ? (int)Math.Max(0, textError - spanOffset) : span.Length;
        var scanned = span[..limit];
        scanner.Scan(scanned);
        TakeCsvRows(scanned, scanner.Failed ? Math.Max(scanner.ErrorIndex, 0) : limit, spanOffset, ref output);
        if (scanner.Failed)
        {
            FailCsv(spanOffset + scanner.ErrorIndex, scanner.Lines, scanner.ErrorReason);
        }

        if (textReason is not null)
        {
            // The byte that is not text may also break a csv rule: a CR before it (an earlier offset), or a closing quote
            // before it (the same offset: reported as csv, as it is when the byte arrives after the quote in another span).
            if (textError >= spanOffset && scanner.AfterCr)
            {
                FailCsv(textError - 1, scanner.Lines, CsvRowScanner.BareCr);
            }

            if (textError >= spanOffset && scanner.AfterClose)
            {
                FailCsv(textError, scanner.Lines, CsvRowScanner.TextAfterClose);
            }

            FailCsv(textError, scanner.Lines, textReason);
        }

        _offset += span.Length;
    }

    /// <summary>The input has ended: checks that it ends complete and takes its last row when that has no LF.</summary>
    private void FinishCsv(ref OutputCursor output)
    {
        var scanner = _csvScanner!;
        var textError = _csvUtf8.FindInvalid([], _offset, final: true);
        if (textError >= 0)
        {
            FailCsv(textError, scanner.Lines, NotUtf8);
        }

        if (scanner.InQuotes)
        {
            throw new LogpushDataException(scanner.Finish()!, _sourceName, _rowStartLine, _rowStartOffset);
        }

        if (scanner.Finish() is { } reason)
        {
            FailCsv(_offset - 1, scanner.Lines, reason);
        }

        if (_csvRowBytes > 0)
        {
            var emitFrom = 0;
            TakeCsvRow([], 0, 0, scanner.OpenRowCells, ref emitFrom, ref output);
        }
    }

    /// <summary>
    /// Takes the rows that ended in <paramref name="span"/>: counts them, checks their cells, writes the good ones (the
    /// span's bytes in one copy, around any bad row, when they pass through), and keeps the open row's bytes up to
    /// <paramref name="openEnd"/> for the next span.
    /// </summary>
    private void TakeCsvRows(ReadOnlySpan<byte> span, int openEnd, long spanOffset, ref OutputCursor output)
    {
        var emitFrom = 0;
        var rowStart = 0;
        foreach (ref readonly var row in _csvScanner!.Rows)
        {
            TakeCsvRow(span, rowStart, row.End, row.Cells, ref emitFrom, ref output);
            rowStart = row.End + 1;
            _rowStartOffset = spanOffset + rowStart;
            _rowStartLine = row.Lines + 1;
        }

        if (!_plan.CsvReemit)
        {
            output.Write(span[emitFrom..rowStart]);
        }

        if (rowStart < openEnd)
        {
            KeepOpenRow(span[rowStart..openEnd]);
        }
    }

    /// <summary>One row: <c>span[rowStart..end]</c> after the open row's bytes from earlier spans, if any.</summary>
    private void TakeCsvRow(ReadOnlySpan<byte> span, int rowStart, int end, int cells, ref int emitFrom, ref OutputCursor output)
    {
        var continued = _csvRowBytes > 0;
        var length = _csvRowBytes + (end - rowStart);
        var reemit = _plan.CsvReemit;
        if (length == 0 || (length == 1 && (continued ? _carry[0] : span[rowStart]) == '\r'))
        {
            // A blank line is not a row; it passes through with the rows around it.
            if (continued && !reemit)
            {
                output.Write(_carry.AsSpan(0, _carryLength));
            }

            EndOpenRow();
            return;
        }

        Records++;
        if (_csvCells == 0)
        {
            _csvCells = cells;
        }

        string? reason = null;
        ReadOnlySpan<byte> bytes = default;
        var overlong = length > _plan.MaxLineBytes;
        if (overlong)
        {
            reason = OverlongReason("row");
            if (continued && _carryLength < OverlongKeep)
            {
                JoinOpenRow(span[..Math.Min(end, OverlongKeep - _carryLength)]);
            }

            bytes = continued ? _carry.AsSpan(0, Math.Min(_carryLength, OverlongKeep)) : span.Slice(rowStart, OverlongKeep);
        }
        else
        {
            if (cells != _csvCells)
            {
                reason = FormattableString.Invariant($"{cells} cells, expected {_csvCells} ({(_plan.Fields is null ? "as many as the first row" : "one per Fields name")})");
            }

            if (reemit || reason is not null)
            {
                // The whole row, in one piece: a row that began in an earlier span is joined in the carry.
                bytes = continued ? JoinOpenRow(span[..end]) : span[rowStart..end];
            }

            if (reason is null && reemit)
            {
                reason = ReemitRow(bytes, ref output);
            }
        }

        if (reason is null)
        {
            Rows++;
            if (continued && !reemit)
            {
                output.Write(_carry.AsSpan(0, _carryLength));
            }
        }
        else
        {
            if (!reemit)
            {
                if (!continued)
                {
                    output.Write(span[emitFrom..rowStart]);
                }

                emitFrom = end + 1;
            }

            if (overlong)
            {
                OverlongLine(bytes, _rowStartLine, _rowStartOffset, length, "row");
            }
            else
            {
                BadLine(bytes, _rowStartLine, _rowStartOffset, reason);
            }
        }

        EndOpenRow();
    }

    private void EndOpenRow()
    {
        _csvRowBytes = 0;
        _carryLength = 0;
    }

    /// <summary>Keeps the bytes of the row still open at the end of a span; a row past MaxLineBytes keeps its first KiB only.</summary>
    private void KeepOpenRow(ReadOnlySpan<byte> piece)
    {
        var total = _csvRowBytes + piece.Length;
        var keep = total <= _plan.MaxLineBytes ? piece.Length : (int)Math.Clamp(OverlongKeep - _carryLength, 0, piece.Length);
        if (keep > 0)
        {
            GrowCarry(_carryLength + keep);
            piece[..keep].CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += keep;
        }

        _csvRowBytes = total;
        if (total > _plan.MaxLineBytes && _plan.OnBadLine == BadLinePolicy.Fail)
        {
            // The row is bad whatever follows: fail now rather than read up to its end.
            BadLine(_carry.AsSpan(0, _carryLength), _rowStartLine, _rowStartOffset, OverlongReason("row"));
        }
    }

    /// <summary>The open row's bytes followed by <paramref name="rest"/>, in the carry (the row is at most MaxLineBytes long).</summary>
    private ReadOnlySpan<byte> JoinOpenRow(ReadOnlySpan<byte> rest)
    {
        GrowCarry(_carryLength + rest.Length);
        rest.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength += rest.Length;
        return _carry.AsSpan(0, _carryLength);
    }

    /// <summary>
    /// A byte at <paramref name="offset"/> breaks the text or csv rules. An open row that is past MaxLineBytes there is
    /// reported first under <see cref="BadLinePolicy.Fail"/>, as it is when the input arrives in smaller pieces.
    /// </summary>
    [DoesNotReturn]
    private void FailCsv(long offset, long linesBefore, string reason)
    {
        if (_plan.OnBadLine == BadLinePolicy.Fail && offset - _rowStartOffset >= _plan.MaxLineBytes)
        {
            BadLine([], _rowStartLine, _rowStartOffset, OverlongReason("row"));
        }

        throw new LogpushDataException(reason, _sourceName, linesBefore + 1, offset);
    }

    /// <summary>Makes room for <paramref name="needed"/> bytes in the carry, keeping what it holds.</summary>
    private void GrowCarry(int needed)
    {
        if (needed <= _carry.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(_carry.Length * 2, 4096)));
        _carry.AsSpan(0, _carryLength).CopyTo(bigger);
        if (_carry.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_carry);
        }

        _carry = bigger;
    }


    /// <summary>
    /// Writes a checked row (its bytes before the LF) again, changing only what the options name: the row ending; the
    /// delimiter between cells (an unquoted cell that holds the new delimiter is quoted); a <c>'</c> before a formula cell
    /// that is not a JSON number; timestamp cells converted (and quoted only when they need it). Every other cell is copied
    /// as written, quoted or not. Returns why the row cannot be written (a timestamp that does not parse), having written
    /// nothing then.
    /// </summary>
    private string? ReemitRow(ReadOnlySpan<byte> row, ref OutputCursor output)
    {
        if (!row.IsEmpty && row[^1] == '\r')
        {
            row = row[..^1];
        }

        var dst = output.Reserve((2 * row.Length) + (_csvCells * 4) + (_timestampColumns * ((_timestampBuffer.Length * 2) + 4)) + 8);
        var w = 0;
        if (_csvRowEndingOnly)
        {
            row.CopyTo(dst);
            w = row.Length;
            WriteRowEnding(dst, ref w);
            output.Advance(w);
            return null;
        }

        var p = 0;
        for (var c = 0; ; c++)
        {
            if (c > 0)
            {
                dst[w++] = _delimiter;
            }

            int end;
            var quoted = p < row.Length && row[p] == '"';
            if (quoted)
            {
                // The closing quote: the first quote not doubled (the row is checked, so there is one).
                end = p + 1;
                while (true)
                {
                    end += row[end..].IndexOf((byte)'"');
                    if (end + 1 < row.Length && row[end + 1] == '"')
                    {
                        end += 2;
                        continue;
                    }

                    end++;
                    break;
                }
            }
            else
            {
                var next = row[p..].IndexOf(TransformPlan.CsvInputDelimiter);
                end = next < 0 ? row.Length : p + next;
            }

            var cell = row[p..end];
            if (_timestampColumns > 0 && _isTimestamp[c])
            {
                if (WriteTimestampText(quoted ? Unquote(cell) : cell, isString: true, c, dst, ref w) is { } error)
                {
                    return error;
                }
            }
            else
            {
                WriteCsvCell(cell, quoted, dst, ref w);
            }

            if (end >= row.Length)
            {
                break;
            }

            p = end + 1;
        }

        WriteRowEnding(dst, ref w);
        output.Advance(w);
        return null;
    }

    /// <summary>A cell as written (<paramref name="cell"/> with its quotes when <paramref name="quoted"/>), changed only by the delimiter and formula options.</summary>
    private void WriteCsvCell(ReadOnlySpan<byte> cell, bool quoted, Span<byte> dst, ref int w)
    {
        var text = quoted ? cell[1..^1] : cell;
        var formula = _plan.EscapeFormulas && text.Length > 0 && CsvCellWriter.IsFormulaStart(text[0])
            && !NdjsonLineParser.IsNumber(quoted ? Unquote(cell) : cell);
        if (quoted)
        {
            // Quoted, so it may hold anything: copied with its quotes (and the formula prefix inside them).
            if (_plan.NewlinesInCells != NewlinePolicy.Keep && text.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
            {
                WriteText(dst, ref w, Unquote(cell), formula);
            }
            else if (formula)
            {
                dst[w++] = (byte)'"';
                dst[w++] = (byte)'\'';
                text.CopyTo(dst[w..]);
                w += text.Length;
                dst[w++] = (byte)'"';
            }
            else
            {
                cell.CopyTo(dst[w..]);
                w += cell.Length;
            }

            return;
        }

        // Unquoted, so it holds no quote, CR or LF: only the new delimiter (or a formula prefix that is the delimiter) needs quotes.
        var quote = (_delimiter != TransformPlan.CsvInputDelimiter && text.IndexOf(_delimiter) >= 0) || (formula && _delimiter == '\'');
        WriteField(dst, ref w, text, quote, formula);
    }

    /// <summary>The text of a quoted cell (its quotes off, doubled quotes made one).</summary>
    private ReadOnlySpan<byte> Unquote(ReadOnlySpan<byte> cell)
    {
        var text = cell[1..^1];
        return text.Contains((byte)'"') ? Undouble(text) : text;
    }

    /// <summary>A quoted cell's text with each doubled quote made one.</summary>
    private ReadOnlySpan<byte> Undouble(ReadOnlySpan<byte> quoted)
    {
        EnsureCapacity(ref _scratch, quoted.Length);
        var w = 0;
        for (var i = 0; i < quoted.Length; i++)
        {
            _scratch[w++] = quoted[i];
            if (quoted[i] == '"')
            {
                i++;
            }
        }

        return _scratch.AsSpan(0, w);
    }
}
