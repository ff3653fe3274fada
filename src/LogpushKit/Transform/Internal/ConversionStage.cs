using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace LogpushKit.Transform;

/// <summary>
/// The conversion stage: reads decompressed ndjson or csv from a <see cref="PipeReader"/> and writes CSV to a
/// <see cref="PipeWriter"/>, one chunk at a time, as <see cref="LogpushCsvTransformer"/>'s remarks specify. Single use;
/// not thread-safe. Partial by concern: this file runs the stage (format, header, columns); <c>.NdjsonLines</c> splits
/// ndjson into lines (carry, overlong lines); <c>.NdjsonRecords</c> turns a record into a row; <c>.CsvInput</c> checks
/// and passes or rewrites csv rows; <c>.BadLines</c> counts, fails or quarantines bad lines. Cell writing is
/// <see cref="CsvCellWriter"/>, JSON text <see cref="JsonText"/>, the learned key layout <see cref="RecordLayout"/>.
/// </summary>
/// <remarks>
/// <para><b>The three ndjson routes.</b> Each line takes the first route that applies; all three give the same row, so
/// a route is only ever a faster way to the general route's result:</para>
/// <list type="number">
/// <item><term>fused</term><description><see cref="ConvertInColumnOrder{TWidth}"/>: the record's keys are the learned layout's
/// and the columns, in that order, without whitespace between tokens (how Logpush writes every record): each value is
/// scanned and written in one pass. Any difference, or anything bad, returns -1 having counted nothing.</description></item>
/// <item><term>layout</term><description><see cref="NdjsonLineParser.TryParseLayout"/> + <see cref="EmitRow"/>: the
/// keys are the layout's in its order, but not the columns in theirs (a field list, unknown keys, timestamps): the
/// entries get their columns from the layout.</description></item>
/// <item><term>general</term><description><see cref="NdjsonLineParser.Parse"/> + <see cref="MapEntries"/> +
/// <see cref="EmitRow"/>: any record; its keys become the learned layout.</description></item>
/// </list>
/// <para>The tests that keep them equal: <c>RecordLayoutTests</c> (a layout, then one record differing from it in each
/// way, then the layout again), <c>DifferentialFuzzTests</c> (random records that repeat or nearly repeat a layout,
/// against an independent converter on <see cref="System.Text.Json.JsonDocument"/>), and every
/// <c>TransformRunner</c> case (each feed splits lines differently, and two feeds use the other vector width).</para>
/// </remarks>
internal sealed partial class ConversionStage : IDisposable
{
    private readonly TransformPlan _plan;
    private readonly string? _sourceName;
    private readonly IProgress<long>? _progress;
    private readonly byte _delimiter;
    private readonly bool _vector256;

    /// <summary>The bytes of a line or row that began in an earlier span (ndjson and csv alike).</summary>
    private byte[] _carry = [];
    private int _carryLength;
    private byte[] _scratch = [];
    private byte[] _timestampBuffer = [];

    private string[]? _columns;
    private byte[][] _columnKeys = [];

    /// <summary>The column of each key in <see cref="_columnKeys"/>, built when a key is first looked up.</summary>
    private ColumnIndex? _columnIndex;
    private bool[] _isTimestamp = [];
    private int _timestampColumns;

    /// <summary>The fields whose timestamps are converted: the plan's, or those of the dataset the first record tells.</summary>
    private HashSet<string>? _timestampFields;
    private bool _failOnUnknownKeys;
    private string[]? _csvFields;

    /// <summary>Decompressed bytes consumed (the offset of the next byte).</summary>
    private long _offset;

    public ConversionStage(TransformPlan plan, TransformContext? context)
    {
        _plan = plan;
        _sourceName = context?.SourceName;
        _quarantine = plan.OnBadLine == BadLinePolicy.Quarantine ? context?.Quarantine : null;
        _progress = context?.Progress;
        _delimiter = plan.Delimiter;
        _vector256 = plan.Vector256;
        _parser = new NdjsonLineParser(plan.Delimiter, plan.Vector256);
        _layout = new RecordLayout();
        _timestampFields = plan.TimestampFields;
        _failOnUnknownKeys = plan.FailOnUnknownKeys;
        Dataset = plan.DatasetName;
    }

    /// <summary>The dataset named, or detected from the first record; <see langword="null"/> when none.</summary>
    public string? Dataset { get; private set; }

    public IReadOnlyList<string> NewKeyNames { get; private set; } = [];

    public int TimestampColumns => _timestampColumns;

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
        Return(ref _newlineScratch);
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

    /// <summary>Converts everything <paramref name="reader"/> yields.</summary>
    public async Task RunAsync(PipeReader reader, PipeWriter writer, CancellationToken cancellationToken)
    {
        var format = await SniffAsync(reader, cancellationToken).ConfigureAwait(false);
        InputFormat = format;
        if (format == LogpushInputFormat.Csv)
        {
            await CsvHeaderByCellCountAsync(reader, cancellationToken).ConfigureAwait(false);
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

        if ((_plan.Fields ?? _csvFields) is { } fields)
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
        _columnIndex = null;
        _cellEntry = new int[columns.Length];
        _hint = new int[Math.Max(columns.Length, 16)];
        Array.Fill(_hint, -1);
        var timestampFields = _plan.Timestamps is null ? null : _timestampFields;
        _isTimestamp = [.. columns.Select(c => timestampFields?.Contains(c) == true)];
        _timestampColumns = _isTimestamp.Count(t => t);
        if (_plan.Timestamps is not null && _timestampColumns == 0 && !_plan.PerObjectTimestamps)
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
            WriteText(dst, ref w, key, formula: false);
        }

        _plan.RowEnding.CopyTo(dst[w..]);
        w += _plan.RowEnding.Length;
        output.Advance(w);
    }

    /// <summary>Writes a cell (see <see cref="CsvCellWriter.WriteField"/>) at this stage's vector width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteField(Span<byte> dst, ref int w, ReadOnlySpan<byte> text, bool quote, bool formula)
        => CsvCellWriter.WriteField(dst, ref w, text, quote, formula, _vector256);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteRowEnding(Span<byte> dst, ref int w) => CsvCellWriter.WriteRowEnding(dst, ref w, _plan.RowEnding);

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
}
