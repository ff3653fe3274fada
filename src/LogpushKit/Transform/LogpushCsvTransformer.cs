using System.Buffers;
using System.IO.Pipelines;

namespace LogpushKit.Transform;

/// <summary>
/// Converts one Logpush object (gzip'd or plain; ndjson or csv) into RFC 4180 CSV, streaming, in memory bounded by the longest line
/// (about five times it, see <see cref="TransformOptions.MaxLineBytes"/>), not by the input's size.
/// </summary>
/// <remarks>
/// <para><b>Input.</b> Gzip is recognised by its magic bytes (<c>1f 8b</c>), never by name; every concatenated member is
/// inflated and each member's CRC-32 and length (and header CRC-16, when the header has one) are checked, so truncated or
/// corrupt gzip, and bytes after the last member that are not a gzip member, raise <see cref="LogpushDataException"/>. Anything else is read as plain text. A leading
/// UTF-8 byte-order mark is skipped. The format is ndjson when the first non-whitespace byte is <c>{</c>, else csv
/// (overridable with <see cref="TransformOptions.InputFormat"/>; empty input counts as ndjson).</para>
/// <para><b>ndjson rules.</b> Lines end in LF or CRLF; the last may lack one; whitespace-only lines are skipped (they still
/// count in line numbers). Columns are <see cref="TransformOptions.Fields"/>, else the keys of the first valid record in
/// their order; a missing key gives an empty cell; other keys are counted in <see cref="TransformResult.UnknownKeys"/>.
/// Strings are decoded (all JSON escapes, surrogate pairs); numbers are copied as their token text; <c>true</c>/<c>false</c>
/// as written; <c>null</c> is an empty cell; objects and arrays become their compact JSON text (whitespace between tokens
/// removed, string escapes kept exactly as written). A cell is quoted when it holds the delimiter, <c>"</c>, CR or LF,
/// with quotes doubled.</para>
/// <para><b>Bad lines.</b> A line is bad when it is not valid UTF-8, not exactly one JSON object (truncated, trailing data,
/// invalid escapes, unpaired <c>\u</c> surrogates, raw control characters in strings, invalid numbers, values nested more
/// than 64 levels inside the record), repeats a key that is one of the columns, holds an unknown key under
/// <see cref="TransformOptions.FailOnUnknownKeys"/>, holds an unparseable timestamp, or is longer than
/// <see cref="TransformOptions.MaxLineBytes"/>; a record with no keys is bad when the columns would be taken from it. Under
/// <see cref="BadLinePolicy.Quarantine"/> each bad line becomes one ndjson line in <see cref="TransformContext.Quarantine"/>:
/// <c>{"line":N,"offset":O,"reason":"…","bytes":B,"truncated":false,"raw":"…"}</c> (<c>rawBase64</c> instead of <c>raw</c>
/// when the kept bytes are not UTF-8); <c>line</c> is 1-based, <c>offset</c> is the byte offset of the line start in the
/// decompressed data, <c>bytes</c> the whole line's length before its LF. A line (or csv row) longer than
/// <see cref="TransformOptions.MaxLineBytes"/> is never held whole: its record keeps only its first KiB (or MaxLineBytes
/// bytes when that is less; a character cut at the end is left out), says <c>"truncated":true</c>, and its reason names the
/// limit in bytes (<c>line longer than the line limit (N bytes)</c>), not an option name, which differs per host. Always
/// <c>Records == Rows + BadLines</c>.</para>
/// <para><b>csv input</b> (Logpush <c>output_type: csv</c>) is read by RFC 4180 with Logpush's default field delimiter
/// <c>,</c>: a row ends at a LF outside quotes (a CR before it belongs to the row ending); a quoted cell may hold the
/// delimiter, doubled quotes, CR and LF; blank lines are not rows. The input must be UTF-8 text without NUL bytes in which
/// a quote opens a cell only at the cell's start, a closing quote is followed by the delimiter, a second quote, CR or LF,
/// and a CR outside quotes by LF: the first byte that breaks this (random bytes, a binary, a zlib stream, a JSON array)
/// raises <see cref="LogpushDataException"/> naming its line and byte offset, whatever the bad-line policy, as does a
/// quoted cell still open at the end of the input (at its row's start). Every row must have as many cells as
/// <see cref="TransformOptions.Fields"/> names, else as many as the first row; a row with another count, or longer than
/// <see cref="TransformOptions.MaxLineBytes"/>, is a bad line (its line and offset are those of the row's start; under
/// <see cref="BadLinePolicy.Fail"/> a row is reported as too long once it passes the limit, before anything wrong later in
/// it). When no option changes the output, the rows (blank lines included) pass through byte for byte, after a header row
/// from <see cref="TransformOptions.Fields"/> when given. An option that changes rows changes only what it names, the
/// rest of each row copied as written (blank lines dropped): <see cref="CsvRowEnding.CrLf"/> the row endings; a
/// <see cref="TransformOptions.Delimiter"/> other than <c>,</c> the delimiters between cells (an unquoted cell that holds
/// the new one is quoted); <see cref="TransformOptions.EscapeFormulas"/> a <c>'</c> before cells that start as formulas
/// and are not JSON numbers (inside their quotes); <see cref="TransformOptions.TimestampOutput"/> the cells of the columns
/// that <see cref="TransformOptions.Fields"/> names and that are timestamp fields (quoted only when they need it; an
/// unparseable one makes the row bad). <see cref="TransformOptions.TimestampOutput"/> on csv input
/// without <see cref="TransformOptions.Fields"/> (csv names no columns) raises <see cref="TransformOptionsException"/>.
/// <see cref="TransformOptions.FailOnUnknownKeys"/> has nothing to check: a row with more cells than columns is already
/// bad.</para>
/// <para><b>Threads and memory.</b> For gzip'd ndjson, inflating and converting run on two threads joined by a
/// <see cref="Pipe"/>, so one object uses two cores (csv too: checking its rows costs more than the hand-off). A <see cref="FileStream"/> opened without
/// <see cref="FileOptions.Asynchronous"/> is read and written inline rather than through the thread pool. Memory is
/// bounded: one pooled buffer per stage plus the longest line; nothing grows with the size of the object. A transformer
/// is immutable and thread-safe: one instance may run many transforms at once.</para>
/// </remarks>
public sealed class LogpushCsvTransformer
{
    /// <summary>The default size of the buffer of each stage.</summary>
    /// <remarks>Large enough that per-chunk costs (pipe flushes, thread wake-ups, write calls) vanish next to the bytes
    /// moved, small enough to keep memory far under 64 MiB (the pipe holds at most eight chunks).</remarks>
    internal const int DefaultBufferSize = 256 * 1024;

    /// <summary>The gzip transforms running in this process (each inflates on one thread and converts on another).</summary>
    private static int _running;

    private readonly TransformPlan _plan;
    private readonly int _bufferSize;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a transformer; options are validated here.</summary>
    /// <param name="options">The options; <see langword="null"/> for <see cref="TransformOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public LogpushCsvTransformer(TransformOptions? options = null)
        : this(options, DefaultBufferSize, TimeProvider.System)
    {
    }

    /// <summary>Creates a transformer that measures <see cref="TransformResult.Elapsed"/> with <paramref name="timeProvider"/>.</summary>
    /// <param name="options">The options; <see langword="null"/> for <see cref="TransformOptions.Default"/>.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public LogpushCsvTransformer(TransformOptions? options, TimeProvider timeProvider)
        : this(options, DefaultBufferSize, timeProvider)
    {
    }

    /// <summary>
    /// Creates a transformer with a chosen stage buffer size (tests force tiny buffers to split records everywhere) and,
    /// when <paramref name="vector256"/> is given, a chosen vector width for the hot loops (tests run both).
    /// </summary>
    internal LogpushCsvTransformer(TransformOptions? options, int bufferSize, TimeProvider timeProvider, bool? vector256 = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Options = options ?? TransformOptions.Default;
        _plan = vector256 is { } width ? new TransformPlan(Options) { Vector256 = width } : new TransformPlan(Options);

        _bufferSize = bufferSize;
        _timeProvider = timeProvider;
    }

    /// <summary>The options this transformer applies.</summary>
    public TransformOptions Options { get; }

    /// <summary>
    /// Reads <paramref name="input"/> to its end and writes CSV to <paramref name="output"/>. Neither stream is disposed
    /// (the caller owns both); <paramref name="output"/> is flushed before this returns.
    /// </summary>
    /// <param name="input">One Logpush object, gzip'd or plain.</param>
    /// <param name="output">Where the CSV goes.</param>
    /// <param name="context">The source name for messages and the quarantine stream; optional.</param>
    /// <param name="cancellationToken">Cancels the transform.</param>
    /// <returns>What the transform did.</returns>
    /// <exception cref="LogpushDataException">The input is corrupt, too large, or holds a bad line under <see cref="BadLinePolicy.Fail"/>.</exception>
    /// <exception cref="TransformOptionsException">An option cannot apply to this input (e.g. timestamps on csv input without fields).</exception>
    /// <exception cref="ArgumentException">The policy is <see cref="BadLinePolicy.Quarantine"/> and the context has no quarantine stream.</exception>
    public async Task<TransformResult> TransformAsync(Stream input, Stream output, TransformContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var reader = PipeReader.Create(InlineFileStream.Wrap(input), new StreamPipeReaderOptions(bufferSize: Math.Max(_bufferSize, 16), minimumReadSize: Math.Max(_bufferSize / 4, 1), leaveOpen: true));
        var writer = PipeWriter.Create(InlineFileStream.Wrap(output), new StreamPipeWriterOptions(minimumBufferSize: Math.Max(_bufferSize, 4096), leaveOpen: true));
        Exception? failure = null;
        try
        {
            return await TransformAsync(reader, writer, context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            await reader.CompleteAsync(failure).ConfigureAwait(false);
            await writer.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads <paramref name="input"/> to its end and writes CSV to <paramref name="output"/>; completes neither (the
    /// caller owns both), and flushes <paramref name="output"/> before this returns.
    /// </summary>
    /// <param name="input">One Logpush object, gzip'd or plain.</param>
    /// <param name="output">Where the CSV goes.</param>
    /// <param name="context">The source name for messages and the quarantine stream; optional.</param>
    /// <param name="cancellationToken">Cancels the transform.</param>
    /// <returns>What the transform did.</returns>
    /// <exception cref="LogpushDataException">The input is corrupt, too large, or holds a bad line under <see cref="BadLinePolicy.Fail"/>.</exception>
    /// <exception cref="TransformOptionsException">An option cannot apply to this input (e.g. timestamps on csv input without fields).</exception>
    /// <exception cref="ArgumentException">The policy is <see cref="BadLinePolicy.Quarantine"/> and the context has no quarantine stream.</exception>
    public async Task<TransformResult> TransformAsync(PipeReader input, PipeWriter output, TransformContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (_plan.OnBadLine == BadLinePolicy.Quarantine && context?.Quarantine is null)
        {
            throw new ArgumentException("OnBadLine is Quarantine, so the TransformContext must name a Quarantine stream.", nameof(context));
        }

        var started = _timeProvider.GetTimestamp();
        var gzip = await IsGzipAsync(input, cancellationToken).ConfigureAwait(false);
        using var converter = new ConversionStage(_plan, context);
        long bytesIn;
        if (!gzip)
        {
            await converter.RunAsync(input, output, cancellationToken).ConfigureAwait(false);
            bytesIn = converter.BytesIn;
        }
        else
        {
            bytesIn = await InflateAndConvertAsync(input, output, converter, context?.SourceName, cancellationToken).ConfigureAwait(false);
        }

        return new TransformResult
        {
            Records = converter.Records,
            Rows = converter.Rows,
            BadLines = converter.BadLines,
            UnknownKeys = converter.UnknownKeys,
            UnknownKeyNames = [.. converter.UnknownKeyNames],
            Columns = [.. converter.Columns],
            Dataset = converter.Dataset,
            NewKeyNames = converter.NewKeyNames,
            TimestampColumns = converter.TimestampColumns,
            InputFormat = converter.InputFormat,
            Gzip = gzip,
            BytesIn = bytesIn,
            BytesDecompressed = converter.BytesIn,
            BytesOut = converter.BytesOut,
            Elapsed = _timeProvider.GetElapsedTime(started),
        };
    }

    private static async Task<bool> IsGzipAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= 2 || result.IsCompleted)
            {
                Span<byte> magic = stackalloc byte[2];
                var gzip = false;
                if (buffer.Length >= 2)
                {
                    buffer.Slice(0, 2).CopyTo(magic);
                    gzip = magic[0] == 0x1f && magic[1] == 0x8b;
                }

                input.AdvanceTo(buffer.Start);
                return gzip;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Runs the inflate stage on a worker thread and the conversion stage after it, joined by a bounded <see cref="Pipe"/>:
    /// on another core, unless other transforms already keep every core busy.
    /// </summary>
    private async Task<long> InflateAndConvertAsync(PipeReader input, PipeWriter output, ConversionStage converter, string? sourceName, CancellationToken cancellationToken)
    {
        var chunk = Math.Max(_bufferSize, 1);
        // The conversion stage continues on the thread pool (the other core) whenever the inflate stage hands it a chunk:
        // for ndjson, whose conversion costs more than inflating, and for csv too, since its rows are checked (UTF-8, RFC
        // 4180 structure, cell counts). Measured on 2 cores (same run, 155 MB gateway_http csv object): checking on the
        // inflating thread 1.13x bare inflate, on the other core 0.98-1.00x; a rewritten csv (--crlf) 1.00-1.02x.
        // When as many transforms run as there are cores (a folder of small objects converted one per core), the other
        // core is already converting another object: handing each chunk over then only adds thread switches and cache
        // misses, so the chunk is converted inline, on the thread that inflated it.
        var running = Interlocked.Increment(ref _running);
        try
        {
            return await InflateAndConvertAsync(input, output, converter, sourceName, chunk, inline: running >= Environment.ProcessorCount, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task<long> InflateAndConvertAsync(PipeReader input, PipeWriter output, ConversionStage converter, string? sourceName, int chunk, bool inline, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(
            readerScheduler: inline ? PipeScheduler.Inline : PipeScheduler.ThreadPool,
            minimumSegmentSize: Math.Max(chunk, 4096),
            pauseWriterThreshold: Math.Max(chunk * 8, 1 << 20),
            resumeWriterThreshold: Math.Max(chunk * 4, 1 << 19),
            useSynchronizationContext: false));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var source = input.AsStream(leaveOpen: true);
        using var inflater = new GzipInflater(source, chunk, sourceName);
        var inflate = Task.Run(
            async () =>
            {
                Exception? failure = null;
                try
                {
                    await inflater.RunAsync(pipe.Writer, _plan.MaxDecompressedBytes, chunk, stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
                finally
                {
                    await pipe.Writer.CompleteAsync(failure).ConfigureAwait(false);
                }
            },
            CancellationToken.None);

        Exception? convertFailure = null;
        try
        {
            await converter.RunAsync(pipe.Reader, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            convertFailure = ex;
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            await pipe.Reader.CompleteAsync(convertFailure).ConfigureAwait(false);
            await inflate.ConfigureAwait(false);
        }

        return inflater.BytesIn;
    }
}
