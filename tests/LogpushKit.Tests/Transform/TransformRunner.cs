using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;
using LogpushKit.Testing.Streams;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Transform;

/// <summary>
/// Sep's table-of-sources habit: every input goes through every feed (whole, one byte at a time, random chunks, sync and
/// async reads, Stream and Pipe APIs, tiny internal buffers, both vector widths of the hot loops) as plain text, one gzip
/// member and several gzip members, and every run must give the same CSV, quarantine output and counts.
/// </summary>
internal static class TransformRunner
{
    public const int Seed = 20240821;

    public sealed record Outcome(string Csv, TransformResult Result, string Quarantine);

    private delegate Task<Outcome> Feed(TransformOptions? options, byte[] input, TransformContext? context);

    private static readonly (string Name, Feed Run)[] Feeds =
    [
        ("stream-whole", (o, i, c) => ViaStreamAsync(o, new MemoryStream(i), LogpushCsvTransformer.DefaultBufferSize, c)),
        ("stream-one-byte", (o, i, c) => ViaStreamAsync(o, new ChunkedStream(i, 1), 1, c)),
        ("stream-random-async", (o, i, c) => ViaStreamAsync(o, new ChunkedStream(i, 13, Seed, yieldOnAsync: true), 3, c)),
        ("stream-random-sync", (o, i, c) => ViaStreamAsync(o, new ChunkedStream(i, 29, Seed + 1), 7, c)),
        ("pipe-random", (o, i, c) => ViaPipeAsync(o, i, 11, 2, c)),
        ("pipe-whole", (o, i, c) => ViaPipeAsync(o, i, int.MaxValue, LogpushCsvTransformer.DefaultBufferSize, c)),

        // The hot loops' two vector widths, whatever this machine would pick.
        ("stream-whole-vector128", (o, i, c) => ViaStreamAsync(o, new MemoryStream(i), LogpushCsvTransformer.DefaultBufferSize, c, vector256: false)),
        ("stream-random-vector128", (o, i, c) => ViaStreamAsync(o, new ChunkedStream(i, 97, Seed + 3), 61, c, vector256: false)),
        ("stream-random-vector256", (o, i, c) => ViaStreamAsync(o, new ChunkedStream(i, 97, Seed + 3), 61, c, vector256: true)),
    ];

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static byte[] Gzip(byte[] data, int members = 1)
    {
        var output = new MemoryStream();
        var size = Math.Max(1, (data.Length + members - 1) / members);
        for (var m = 0; m < members; m++)
        {
            var part = data.AsSpan(Math.Min(data.Length, m * size), Math.Max(0, Math.Min(size, data.Length - (m * size))));
            using var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
            gz.Write(part);
        }

        return output.ToArray();
    }

    /// <summary>Runs every feed on plain, gzip and multi-member gzip input; asserts they agree; returns the plain whole-stream outcome.</summary>
    public static async Task<Outcome> RunAllAsync(TransformOptions? options, byte[] input, bool quarantine = false, string? sourceName = "test.log.gz")
    {
        Outcome? first = null;
        string? firstName = null;
        foreach (var (encoding, bytes) in Encodings(input))
        {
            foreach (var (name, run) in Feeds)
            {
                var context = new TransformContext { SourceName = sourceName, Quarantine = quarantine ? new MemoryStream() : null };
                var outcome = await run(options, bytes, context);
                var label = $"{encoding}/{name} (seed {Seed})";
                Assert.True(outcome.Result.Records == outcome.Result.Rows + outcome.Result.BadLines, $"{label}: Records != Rows + BadLines");
                Assert.Equal(bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b, outcome.Result.Gzip);
                Assert.Equal(Encoding.UTF8.GetByteCount(outcome.Csv), outcome.Result.BytesOut);
                if (first is null)
                {
                    first = outcome;
                    firstName = label;
                    continue;
                }

                Assert.True(first.Csv == outcome.Csv, $"{label} wrote different CSV than {firstName}:\n{outcome.Csv}\n---\n{first.Csv}");
                Assert.True(first.Quarantine == outcome.Quarantine, $"{label} quarantined differently than {firstName}:\n{outcome.Quarantine}\n---\n{first.Quarantine}");
                Assert.Equal((first.Result.Records, first.Result.Rows, first.Result.BadLines, first.Result.UnknownKeys), (outcome.Result.Records, outcome.Result.Rows, outcome.Result.BadLines, outcome.Result.UnknownKeys));
                Assert.Equal(first.Result.Columns, outcome.Result.Columns);
                Assert.Equal(first.Result.UnknownKeyNames, outcome.Result.UnknownKeyNames);
                Assert.Equal(first.Result.InputFormat, outcome.Result.InputFormat);
                Assert.Equal(first.Result.BytesDecompressed, outcome.Result.BytesDecompressed);
            }
        }

        return first!;
    }

    /// <summary>Runs every feed and asserts each throws a <see cref="LogpushDataException"/> with the same location.</summary>
    public static async Task<LogpushDataException> FailAllAsync(TransformOptions? options, byte[] input, string? sourceName = "test.log.gz")
    {
        LogpushDataException? first = null;
        foreach (var (encoding, bytes) in Encodings(input))
        {
            foreach (var (name, run) in Feeds)
            {
                var context = new TransformContext { SourceName = sourceName };
                var ex = await Assert.ThrowsAsync<LogpushDataException>(() => run(options, bytes, context));
                if (first is null)
                {
                    first = ex;
                    continue;
                }

                Assert.True(first.Message == ex.Message, $"{encoding}/{name} (seed {Seed}) failed with '{ex.Message}', expected '{first.Message}'");
            }
        }

        return first!;
    }

    /// <summary>Runs every feed on raw bytes exactly as given (used for corrupt gzip), expecting a failure each time.</summary>
    public static async Task<LogpushDataException> FailRawAsync(byte[] input, TransformOptions? options = null)
    {
        LogpushDataException? first = null;
        foreach (var (name, run) in Feeds)
        {
            var ex = await Assert.ThrowsAsync<LogpushDataException>(() => run(options, input, new TransformContext { SourceName = "x.log.gz" }));
            first ??= ex;
            Assert.True(first.Reason == ex.Reason, $"{name} (seed {Seed}) failed with '{ex.Reason}', expected '{first.Reason}'");
        }

        return first!;
    }

    /// <summary>Runs every feed on raw bytes exactly as given; asserts they agree.</summary>
    public static async Task<Outcome> RunRawAsync(byte[] input, TransformOptions? options = null)
    {
        Outcome? first = null;
        foreach (var (name, run) in Feeds)
        {
            var outcome = await run(options, input, null);
            first ??= outcome;
            Assert.True(first.Csv == outcome.Csv, $"{name} (seed {Seed}) wrote different CSV");
        }

        return first!;
    }

    private static IEnumerable<(string Name, byte[] Bytes)> Encodings(byte[] input)
    {
        yield return ("plain", input);
        yield return ("gzip", Gzip(input));
        yield return ("gzip-3-members", Gzip(input, 3));
    }

    private static async Task<Outcome> ViaStreamAsync(TransformOptions? options, Stream input, int bufferSize, TransformContext? context, bool? vector256 = null)
    {
        var transformer = new LogpushCsvTransformer(options, bufferSize, TimeProvider.System, vector256);
        var output = new DisposeTrackingStream();
        var result = await transformer.TransformAsync(input, output, context);
        Assert.False(output.Disposed, "the transformer disposed the output stream");
        if (input is ChunkedStream chunked)
        {
            Assert.False(chunked.Disposed, "the transformer disposed the input stream");
        }

        return new Outcome(Encoding.UTF8.GetString(output.ToArray()), result, QuarantineText(context));
    }

    private static async Task<Outcome> ViaPipeAsync(TransformOptions? options, byte[] input, int chunk, int bufferSize, TransformContext? context)
    {
        var (csv, result) = await TransformViaPipeAsync(options, input, chunk, Seed + 2, bufferSize, context);
        return new Outcome(Encoding.UTF8.GetString(csv), result, QuarantineText(context));
    }

    /// <summary>Transforms through the PipeReader/PipeWriter API, writing the input into the pipe in random chunks of at most <paramref name="chunk"/> bytes.</summary>
    public static async Task<(byte[] Csv, TransformResult Result)> TransformViaPipeAsync(TransformOptions? options, byte[] input, int chunk, int seed, int bufferSize, TransformContext? context)
    {
        var transformer = new LogpushCsvTransformer(options, bufferSize, TimeProvider.System);
        var inputPipe = new Pipe();
        var feed = Task.Run(async () =>
        {
            var random = new Random(seed);
            var position = 0;
            while (position < input.Length)
            {
                var n = Math.Min(chunk == int.MaxValue ? input.Length : random.Next(1, chunk + 1), input.Length - position);
                await inputPipe.Writer.WriteAsync(input.AsMemory(position, n));
                position += n;
            }

            await inputPipe.Writer.CompleteAsync();
        });
        var outputStream = new MemoryStream();
        var outputWriter = PipeWriter.Create(outputStream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            var result = await transformer.TransformAsync(inputPipe.Reader, outputWriter, context);
            await outputWriter.CompleteAsync();
            return (outputStream.ToArray(), result);
        }
        finally
        {
            await inputPipe.Reader.CompleteAsync();
            await feed;
        }
    }

    private static string QuarantineText(TransformContext? context)
        => context?.Quarantine is MemoryStream q ? Encoding.UTF8.GetString(q.ToArray()) : "";
}
