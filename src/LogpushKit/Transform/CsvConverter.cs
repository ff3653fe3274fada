using System.Buffers;
using System.IO.Pipelines;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace LogpushKit.Transform;

/// <summary>
/// The conversion stage: reads decompressed ndjson or csv from a <see cref="PipeReader"/> and writes CSV to a
/// <see cref="PipeWriter"/>, one chunk at a time. Single use; not thread-safe.
/// </summary>
internal sealed partial class CsvConverter : IDisposable
{
    private const int MaxUnknownKeyNames = 100;
    private const int MinOutputChunk = 16 * 1024;
    private const int OverlongPrefix = 1024;

    /// <summary>Bytes moved by one vector copy of a short cell (the output may be written that far past the cell).</summary>
    private const int VectorCopy = 32;

    private readonly TransformPlan _plan;
    private readonly string? _sourceName;
    private readonly Stream? _quarantine;
    private readonly IProgress<long>? _progress;
    private readonly NdjsonLineParser _parser;
    private readonly byte _delimiter;
    private readonly List<byte[]> _unknownKeyBytes = [];
    private readonly List<string> _unknownKeyNames = [];
    private ArrayBufferWriter<byte>? _quarantineBuffer;
    private Utf8JsonWriter? _quarantineWriter;

    private byte[] _carry = [];
    private int _carryLength;
    private bool _overlong;
    private long _overlongLength;
    private bool _overlongHasContent;
    private byte[] _scratch = [];
    private byte[] _keyScratch = [];
    private byte[] _timestampBuffer = [];

    private string[]? _columns;
    private byte[][] _columnKeys = [];
    private bool[] _isTimestamp = [];
    private int _timestampColumns;
    private int[] _hint = [];
    private int[] _cellEntry = [];
    private int[] _layoutCellEntry = [];
    private int _layoutUnknownKeys;
    private bool _layoutInColumnOrder;
    private JsonEntry _value;

    private long _offset;
    private long _lineNumber;

    public CsvConverter(TransformPlan plan, TransformContext? context)
    {
        _plan = plan;
        _sourceName = context?.SourceName;
        _quarantine = plan.OnBadLine == BadLinePolicy.Quarantine ? context?.Quarantine : null;
        _progress = context?.Progress;
        _delimiter = plan.Delimiter;
        _parser = new NdjsonLineParser(plan.Delimiter);
    }

    public long Records { get; private set; }

    public long Rows { get; private set; }

    public long BadLines { get; private set; }

    public long UnknownKeys { get; private set; }

    public IReadOnlyList<string> UnknownKeyNames => _unknownKeyNames;

    public IReadOnlyList<string> Columns => _columns ?? [];

    public LogpushInputFormat InputFormat { get; private set; }

    public long BytesIn => _offset;

    public long BytesOut { get; private set; }

    public void Dispose()
    {
        Return(ref _carry);
        Return(ref _scratch);
        Return(ref _keyScratch);
        _quarantineWriter?.Dispose();

        static void Return(ref byte[] array)
        {
            if (array.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(array);
                array = [];
            }
        }
    }

    /// <summary>Converts everything <paramref name="reader"/> yields; <paramref name="onFormatDetected"/> learns the input format first.</summary>
    public async Task RunAsync(PipeReader reader, PipeWriter writer, Action<LogpushInputFormat>? onFormatDetected, CancellationToken cancellationToken)
    {
        var format = await SniffAsync(reader, cancellationToken).ConfigureAwait(false);
        InputFormat = format;
        onFormatDetected?.Invoke(format);
        if (format == LogpushInputFormat.Csv)
        {
            BeginCsv();
        }

        if (_plan.Timestamps is { } codec)
        {
            _timestampBuffer = new byte[codec.MaxOutputBytes];
        }

        WritePreamble(writer);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (format == LogpushInputFormat.Csv)
            {
                ProcessCsv(buffer, result.IsCompleted, writer);
            }
            else
            {
                ProcessNdjson(buffer, result.IsCompleted, writer);
            }

            reader.AdvanceTo(buffer.End);
            if (_quarantineBuffer is { WrittenCount: > 0 } pending)
            {
                await _quarantine!.WriteAsync(pending.WrittenMemory, cancellationToken).ConfigureAwait(false);
                pending.ResetWrittenCount();
            }

            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            _progress?.Report(_offset);
            if (result.IsCompleted)
            {
                break;
            }
        }

        if (_quarantine is not null)
        {
            await _quarantine.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Skips a leading UTF-8 BOM and decides the format by the first non-whitespace byte.</summary>
    private async Task<LogpushInputFormat> SniffAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var bom = StartsWithBom(buffer, out var partialBom);
            if (partialBom && !result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var body = bom ? buffer.Slice(3) : buffer;
            var first = FirstNonWhitespace(body);
            if (first < 0 && !result.IsCompleted && _plan.InputFormat == LogpushInputFormat.Auto)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            reader.AdvanceTo(body.Start);
            _offset = bom ? 3 : 0;
            return _plan.InputFormat switch
            {
                LogpushInputFormat.Auto => first is < 0 or '{' ? LogpushInputFormat.Ndjson : LogpushInputFormat.Csv,
                var forced => forced,
            };
        }

        static bool StartsWithBom(ReadOnlySequence<byte> buffer, out bool partial)
        {
            Span<byte> head = stackalloc byte[3];
            var n = (int)Math.Min(3, buffer.Length);
            buffer.Slice(0, n).CopyTo(head);
            var prefix = head[..n];
            partial = n < 3 && prefix.Length > 0 && "\uFEFF"u8.StartsWith(prefix);
            return n == 3 && prefix.SequenceEqual("\uFEFF"u8);
        }

        static int FirstNonWhitespace(ReadOnlySequence<byte> buffer)
        {
            foreach (var segment in buffer)
            {
                var i = segment.Span.IndexOfAnyExcept(" \t\r\n"u8);
                if (i >= 0)
                {
                    return segment.Span[i];
                }
            }

            return -1;
        }
    }

    private void WritePreamble(PipeWriter writer)
    {
        var output = new OutputCursor(writer);
        if (_plan.WriteBom)
        {
            "\uFEFF"u8.CopyTo(output.Reserve(3));
            output.Advance(3);
        }

        if (_plan.Fields is { } fields)
        {
            SetColumns(fields, ref output);
        }

        output.Commit();
        BytesOut += output.Written;
    }

    private void SetColumns(string[] columns, ref OutputCursor output)
    {
        _columns = columns;
        _columnKeys = [.. columns.Select(TransformPlan.Utf8)];
        _cellEntry = new int[columns.Length];
        _layoutCellEntry = new int[columns.Length];
        _hint = new int[Math.Max(columns.Length, 16)];
        Array.Fill(_hint, -1);
        _isTimestamp = [.. columns.Select(c => _plan.TimestampFields?.Contains(c) == true)];
        _timestampColumns = _isTimestamp.Count(t => t);
        if (_plan.Timestamps is not null && _timestampColumns == 0)
        {
            throw new TransformOptionsException(
                nameof(TransformOptions.TimestampOutput),
                $"TimestampOutput would convert nothing: none of the columns ({TransformPlan.Shorten(columns)}) is a timestamp field ({TransformPlan.Shorten(_plan.TimestampFields!)}).",
                _sourceName);
        }
        if (!_plan.WriteHeader)
        {
            return;
        }

        var size = _columnKeys.Sum(k => (k.Length * 2) + 3) + 2;
        var dst = output.Reserve(size);
        var w = 0;
        for (var c = 0; c < _columnKeys.Length; c++)
        {
            if (c > 0)
            {
                dst[w++] = _delimiter;
            }

            var key = _columnKeys[c];
            WriteField(dst, ref w, key, key.AsSpan().IndexOfAny(_plan.CellSpecials) >= 0, formula: false);
        }

        _plan.RowEnding.CopyTo(dst[w..]);
        w += _plan.RowEnding.Length;
        output.Advance(w);
    }

    // ---------------------------------------------------------------- ndjson

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessNdjson(ReadOnlySequence<byte> buffer, bool completed, PipeWriter writer)
    {
        var output = new OutputCursor(writer);
        try
        {
            foreach (var segment in buffer)
            {
                var span = segment.Span;
                if (_overlong)
                {
                    var end = span.IndexOf((byte)'\n');
                    SkipOverlong(end < 0 ? span : span[..end]);
                    if (end < 0)
                    {
                        continue;
                    }

                    EndOverlongLine(_overlongLength, lastLine: false);
                    span = span[(end + 1)..];
                }

                if (_carryLength > 0)
                {
                    var nl = span.IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        AppendCarry(span);
                        continue;
                    }

                    AppendCarry(span[..nl]);
                    if (_overlong)
                    {
                        EndOverlongLine(_overlongLength, lastLine: false);
                    }
                    else
                    {
                        ProcessLine(_carry.AsSpan(0, _carryLength), ref output, validUtf8: false);
                    }

                    _carryLength = 0;
                    span = span[(nl + 1)..];
                }

                // One validation of all the whole lines here is much cheaper than one call per line; when it fails,
                // each line is checked on its own to find the bad ones.
                var validUtf8 = Utf8.IsValid(span[..(span.LastIndexOf((byte)'\n') + 1)]);
                while (true)
                {
                    var nl = span.IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        break;
                    }

                    ProcessLine(span[..nl], ref output, validUtf8);
                    span = span[(nl + 1)..];
                }

                if (!span.IsEmpty)
                {
                    AppendCarry(span);
                }
            }

            if (completed && _overlong)
            {
                EndOverlongLine(_overlongLength, lastLine: true);
            }

            if (completed && _carryLength > 0)
            {
                ProcessLine(_carry.AsSpan(0, _carryLength), ref output, validUtf8: false, lastLine: true);
                _carryLength = 0;
            }
        }
        finally
        {
            output.Commit();
            BytesOut += output.Written;
        }
    }

    private void AppendCarry(ReadOnlySpan<byte> span)
    {
        var needed = _carryLength + span.Length;
        if (needed > _plan.MaxLineBytes)
        {
            // Too long to buffer: keep the first KiB for the report and drop the rest up to the next line break. Whether
            // the line has anything but whitespace is noted on the way, as a blank line is skipped however long it is.
            _overlongHasContent = (_overlong ? _overlongHasContent : !IsBlank(_carry.AsSpan(0, _carryLength))) || !IsBlank(span);
            _overlongLength = (_overlong ? _overlongLength : _carryLength) + span.Length;
            _overlong = true;
            var keep = Math.Max(0, Math.Min(OverlongKeep - _carryLength, span.Length));
            span = span[..keep];
            needed = _carryLength + keep;
        }

        if (needed > _carry.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(_carry.Length * 2, 4096)));
            _carry.AsSpan(0, _carryLength).CopyTo(bigger);
            if (_carry.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_carry);
            }

            _carry = bigger;
        }

        span.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength = needed;
        FailOverlongEarly();
    }

    /// <summary>Drops a piece of an overlong line (up to its line break), noting whether the line has any content.</summary>
    private void SkipOverlong(ReadOnlySpan<byte> piece)
    {
        _overlongLength += piece.Length;
        if (!_overlongHasContent && !IsBlank(piece))
        {
            _overlongHasContent = true;
            FailOverlongEarly();
        }
    }

    /// <summary>Under <see cref="BadLinePolicy.Fail"/>, throws as soon as an overlong line is known not to be blank.</summary>
    private void FailOverlongEarly()
    {
        if (_overlong && _overlongHasContent && _plan.OnBadLine == BadLinePolicy.Fail)
        {
            EndOverlongLine(_overlongLength, lastLine: false);
        }
    }

    /// <summary>Ends an overlong line of <paramref name="length"/> bytes: a bad line, or nothing when it is whitespace only.</summary>
    private void EndOverlongLine(long length, bool lastLine)
    {
        var lineOffset = _offset;
        _offset += length + (lastLine ? 0 : 1);
        _lineNumber++;
        var prefix = _carry.AsSpan(0, Math.Min(_carryLength, OverlongKeep));
        _carryLength = 0;
        _overlong = false;
        if (!_overlongHasContent)
        {
            return;
        }

        Records++;
        BadLine(prefix, lineOffset, OverlongReason());
    }

    /// <summary>Whether <paramref name="line"/> (or a piece of one) holds only spaces, tabs and CRs: a blank line is skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r"u8) < 0;

    /// <summary>How much of an overlong line is kept for the quarantine: its first KiB, or MaxLineBytes when smaller.</summary>
    private int OverlongKeep => Math.Min(_plan.MaxLineBytes, OverlongPrefix);

    private string OverlongReason()
        => FormattableString.Invariant($"line longer than MaxLineBytes ({_plan.MaxLineBytes} bytes)");

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
            BadLine(line[..OverlongKeep], lineOffset, OverlongReason());
            return;
        }

        if (!validUtf8 && !Utf8.IsValid(line))
        {
            BadLine(line, lineOffset, "invalid UTF-8");
            return;
        }

        if (_layoutInColumnOrder)
        {
            var fused = ConvertInColumnOrder(line, output.Reserve(RowBound(line.Length) + VectorCopy));
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
        if (_parser.TryParseLayout(line))
        {
            cellEntry = _layoutCellEntry;
            unknown = _layoutUnknownKeys;
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

            LearnLayout(line, unknown);
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

        SetColumns(names, ref output);
        return null;
    }

    private ReadOnlySpan<byte> KeyBytes(ReadOnlySpan<byte> line, in JsonEntry entry)
    {
        var raw = line.Slice(entry.KeyStart, entry.KeyLength);
        if (!entry.KeyEscaped)
        {
            return raw;
        }

        EnsureCapacity(ref _keyScratch, raw.Length);
        return _keyScratch.AsSpan(0, Decode(raw, _keyScratch));
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
                if (_plan.FailOnUnknownKeys)
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
    /// Remembers the keys of a record the general parser mapped, so the next records (Logpush writes every record of an
    /// object with the same keys in the same order) take <see cref="NdjsonLineParser.TryParseLayout"/> instead.
    /// </summary>
    private void LearnLayout(ReadOnlySpan<byte> line, int unknown)
    {
        _parser.LearnLayout(line);
        _cellEntry.CopyTo(_layoutCellEntry, 0);
        _layoutUnknownKeys = unknown;
        var count = _parser.LayoutCount;
        _layoutInColumnOrder = count == _columns!.Length && count > 0;
        for (var i = 0; i < count && _layoutInColumnOrder; i++)
        {
            _layoutInColumnOrder = _parser.LayoutColumn(i) == i;
        }
    }

    /// <summary>
    /// The fast route for the usual record, whose keys are the layout's and the columns, in that order, with no whitespace
    /// between tokens: scans and writes each value in one pass, straight into <paramref name="dst"/> (which has
    /// <see cref="VectorCopy"/> spare bytes). Returns the bytes written, or -1 when the record differs in any way (or is
    /// bad), in which case nothing counts and the general route decides, with the same result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ConvertInColumnOrder(ReadOnlySpan<byte> line, Span<byte> dst)
    {
        if (line.IsEmpty || line[0] != '{')
        {
            return -1;
        }

        var parser = _parser;
        parser.BeginLine();
        var columns = _isTimestamp.Length;
        var delimiter = _delimiter;
        var checkCells = _timestampColumns > 0 || _plan.EscapeFormulas;
        var p = 1;
        var w = 0;
        for (var c = 0; c < columns; c++)
        {
            if (c > 0)
            {
                if ((uint)p >= (uint)line.Length || line[p] != ',')
                {
                    return -1;
                }

                p++;
                dst[w++] = delimiter;
            }

            var tokenLength = parser.MatchLayoutKey(line, p, c);
            if (tokenLength == 0)
            {
                return -1;
            }

            p += tokenLength;
            if ((uint)p >= (uint)line.Length)
            {
                return -1;
            }

            if (line[p] == '"' && !checkCells)
            {
                // A string with no escape, delimiter or control character: its bytes are the cell.
                var stop = parser.FindStringStop(line, p + 1);
                if (stop >= 0 && line[stop] == '"')
                {
                    CopyCell(line, p + 1, stop - p - 1, dst, ref w);
                    p = stop + 1;
                    continue;
                }
            }

            if (parser.ScanValue(line, ref p, ref _value) is not null)
            {
                return -1;
            }

            var raw = line.Slice(_value.ValueStart, _value.ValueLength);
            if (checkCells && _isTimestamp[c])
            {
                if (WriteTimestamp(raw, in _value, c, dst, ref w) is not null)
                {
                    return -1;
                }

                continue;
            }

            EmitValue(raw, in _value, dst, ref w);
        }

        if (!NdjsonLineParser.IsRecordEnd(line, p))
        {
            return -1;
        }

        WriteRowEnding(dst, ref w);
        return w;
    }

    /// <summary>Copies <paramref name="length"/> bytes of the line; a short cell is one 32-byte vector move.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyCell(ReadOnlySpan<byte> line, int start, int length, Span<byte> dst, ref int w)
    {
        if (length <= VectorCopy && (uint)start + VectorCopy <= (uint)line.Length && (uint)w + VectorCopy <= (uint)dst.Length)
        {
            Vector256.LoadUnsafe(ref Unsafe.Add(ref MemoryMarshal.GetReference(line), start))
                .StoreUnsafe(ref Unsafe.Add(ref MemoryMarshal.GetReference(dst), w));
        }
        else
        {
            line.Slice(start, length).CopyTo(dst[w..]);
        }

        w += length;
    }

    private int FindColumn(ReadOnlySpan<byte> key)
    {
        var keys = _columnKeys;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteRowEnding(Span<byte> dst, ref int w)
    {
        var ending = _plan.RowEnding;
        if (ending.Length == 1)
        {
            dst[w++] = ending[0];
        }
        else
        {
            dst[w++] = ending[0];
            dst[w++] = ending[1];
        }
    }

    /// <summary>Writes one value as a cell (timestamps aside).</summary>
    private void EmitValue(ReadOnlySpan<byte> raw, in JsonEntry e, Span<byte> dst, ref int w)
    {
        switch (e.Kind)
        {
            case JsonValueKind.String:
                WriteString(raw, in e, dst, ref w);
                break;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
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
            case JsonValueKind.Nested:
                var text = e.Escaped ? Compact(raw) : raw;
                WriteField(dst, ref w, text, text.IndexOfAny(_plan.CellSpecials) >= 0, formula: false);
                break;
            default:
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteString(ReadOnlySpan<byte> raw, in JsonEntry e, Span<byte> dst, ref int w)
    {
        if (!e.Escaped)
        {
            var formula = _plan.EscapeFormulas && raw.Length > 0 && IsFormulaStart(raw[0]);
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
        var decoded = _scratch.AsSpan(0, Decode(raw, _scratch));
        var isFormula = _plan.EscapeFormulas && decoded.Length > 0 && IsFormulaStart(decoded[0]);
        var quote = decoded.IndexOfAny(_plan.CellSpecials) >= 0 || (isFormula && _delimiter == '\'');
        WriteField(dst, ref w, decoded, quote, isFormula);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsFormulaStart(byte b) => b is (byte)'=' or (byte)'+' or (byte)'-' or (byte)'@';

    private string? WriteTimestamp(ReadOnlySpan<byte> raw, in JsonEntry e, int column, Span<byte> dst, ref int w)
    {
        var codec = _plan.Timestamps!;
        switch (e.Kind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String or JsonValueKind.Number:
                var text = raw;
                if (e.Kind == JsonValueKind.String && e.Escaped)
                {
                    EnsureCapacity(ref _scratch, raw.Length);
                    text = _scratch.AsSpan(0, Decode(raw, _scratch));
                }

                if (text.IsEmpty)
                {
                    return null;
                }

                if (!codec.TryParse(text, e.Kind == JsonValueKind.String, out var nanos, out var reason))
                {
                    return TimestampError(column, text, reason!);
                }

                var n = codec.Format(nanos, _timestampBuffer);
                if (n < 0)
                {
                    return TimestampError(column, text, "out of range for the output format");
                }

                var formatted = _timestampBuffer.AsSpan(0, n);
                WriteField(dst, ref w, formatted, formatted.IndexOfAny(_plan.CellSpecials) >= 0, formula: false);
                return null;
            default:
                return TimestampError(column, raw, "a timestamp must be a number or a string");
        }
    }

    private string TimestampError(int column, ReadOnlySpan<byte> text, string reason)
    {
        var shown = text.Length > 64 ? Encoding.UTF8.GetString(text[..64]) + "…" : Encoding.UTF8.GetString(text);
        return $"field '{_columns![column]}': unparseable timestamp '{shown}' ({reason})";
    }

    /// <summary>Writes a cell: optionally quoted (quotes doubled) and prefixed with <c>'</c>.</summary>
    private static void WriteField(Span<byte> dst, ref int w, ReadOnlySpan<byte> text, bool quote, bool formula)
    {
        if (!quote)
        {
            if (formula)
            {
                dst[w++] = (byte)'\'';
            }

            text.CopyTo(dst[w..]);
            w += text.Length;
            return;
        }

        dst[w++] = (byte)'"';
        if (formula)
        {
            dst[w++] = (byte)'\'';
        }

        CopyDoublingQuotes(text, dst, ref w);
        dst[w++] = (byte)'"';
    }

    /// <summary>Copies <paramref name="text"/> with each <c>"</c> doubled, 32 bytes at a time while the output has room.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyDoublingQuotes(ReadOnlySpan<byte> text, Span<byte> dst, ref int w)
    {
        ref var source = ref MemoryMarshal.GetReference(text);
        ref var target = ref MemoryMarshal.GetReference(dst);
        var quote = Vector256.Create((byte)'"');
        var i = 0;
        while (i + VectorCopy <= text.Length && (uint)w + VectorCopy <= (uint)dst.Length)
        {
            var block = Vector256.LoadUnsafe(ref source, (nuint)i);
            block.StoreUnsafe(ref target, (nuint)w);
            var quotes = Vector256.Equals(block, quote).ExtractMostSignificantBits();
            if (quotes == 0)
            {
                i += VectorCopy;
                w += VectorCopy;
                continue;
            }

            // Keep the bytes up to the first quote, then write the quote again and go on after it.
            var through = BitOperations.TrailingZeroCount(quotes) + 1;
            i += through;
            w += through;
            dst[w++] = (byte)'"';
        }

        for (; i < text.Length; i++)
        {
            var b = text[i];
            dst[w++] = b;
            if (b == '"')
            {
                dst[w++] = b;
            }
        }
    }

    /// <summary>Re-emits a nested JSON value without the whitespace between its tokens; strings keep their escapes.</summary>
    private ReadOnlySpan<byte> Compact(ReadOnlySpan<byte> raw)
    {
        EnsureCapacity(ref _scratch, raw.Length);
        var dst = _scratch.AsSpan();
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

        return dst[..w];
    }

    /// <summary>Decodes the escapes of a JSON string (validated by the parser) into UTF-8; returns the length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Decode(ReadOnlySpan<byte> raw, Span<byte> dst)
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
                    NdjsonLineParser.TryHex4(raw, bs + 2, out var unit);
                    consumed = 6;
                    int scalar = unit;
                    if (char.IsHighSurrogate((char)unit))
                    {
                        NdjsonLineParser.TryHex4(raw, bs + 8, out var low);
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

    private static void EnsureCapacity(ref byte[] array, int length)
    {
        if (array.Length >= length)
        {
            return;
        }

        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        array = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1024));
    }

    private void BadLine(ReadOnlySpan<byte> line, long offset, string reason) => BadLine(line, _lineNumber, offset, reason);

    private void BadLine(ReadOnlySpan<byte> line, long lineNumber, long offset, string reason)
    {
        BadLines++;
        switch (_plan.OnBadLine)
        {
            case BadLinePolicy.Fail:
                throw new LogpushDataException(reason, _sourceName, lineNumber, offset);
            case BadLinePolicy.Quarantine when _quarantine is not null:
                WriteQuarantine(line, lineNumber, offset, reason);
                break;
            default:
                break;
        }
    }

    /// <summary>One ndjson line per bad line: <c>{"line":N,"offset":O,"reason":"…","raw":"…"}</c> (<c>rawBase64</c> when the line is not UTF-8).</summary>
    private void WriteQuarantine(ReadOnlySpan<byte> line, long lineNumber, long offset, string reason)
    {
        _quarantineBuffer ??= new ArrayBufferWriter<byte>(4096);
        if (_quarantineWriter is null)
        {
            _quarantineWriter = new Utf8JsonWriter(_quarantineBuffer);
        }
        else
        {
            _quarantineWriter.Reset(_quarantineBuffer);
        }

        var json = _quarantineWriter;
        json.WriteStartObject();
        json.WriteNumber("line", lineNumber);
        json.WriteNumber("offset", offset);
        json.WriteString("reason", reason);
        if (Utf8.IsValid(line))
        {
            json.WriteString("raw", line);
        }
        else
        {
            json.WriteBase64String("rawBase64", line);
        }

        json.WriteEndObject();
        json.Flush();
        "\n"u8.CopyTo(_quarantineBuffer.GetSpan(1));
        _quarantineBuffer.Advance(1);
    }

    /// <summary>A write position in a <see cref="PipeWriter"/>'s current buffer; advances the writer in large steps.</summary>
    private ref struct OutputCursor(PipeWriter writer)
    {
        private Span<byte> _span;
        private int _position;

        public long Written { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<byte> Reserve(int size)
        {
            if (_span.Length - _position < size)
            {
                Grow(size);
            }

            return _span[_position..];
        }

        public void Advance(int count) => _position += count;

        public void Commit()
        {
            if (_position > 0)
            {
                writer.Advance(_position);
                Written += _position;
            }

            _position = 0;
            _span = default;
        }

        private void Grow(int size)
        {
            Commit();
            _span = writer.GetSpan(Math.Max(size, MinOutputChunk));
        }
    }
}
