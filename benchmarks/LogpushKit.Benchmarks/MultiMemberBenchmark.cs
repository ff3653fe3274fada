using System.IO.Compression;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using LogpushKit.Benchmarks.Generation;
using LogpushKit.Benchmarks.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Benchmarks;

/// <summary>
/// What gzip member boundaries cost: the same 17,500 gateway_http records (about 25 MB uncompressed) as one gzip member
/// and as 600 (split at line ends, each member compressed alone, as <c>split -n l/600 --filter='gzip -6'</c> makes them),
/// per operation. The inflate stage alone (<see cref="GzipInflater"/> into a pipe writer over <see cref="Stream.Null"/>, one
/// thread: its framing, CRC-32 and trailer search on top of zlib) and the whole transformer, against a bare
/// <see cref="GZipStream"/> inflate of the same bytes (which decodes concatenated members too). The ratio of the 600-member
/// row to the one-member row of the same method is the boundaries' cost.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class MultiMemberBenchmark : IWorkloadBenchmark
{
    private readonly LogpushCsvTransformer _transformer = new();
    private readonly byte[] _copyBuffer = new byte[81920];
    private byte[] _gzip = [];

    [Params(1, 600)]
    public int Members { get; set; }

    public static BenchmarkWorkload Workload => BenchmarkWorkload.Get("gateway_http", GeneratedRecordFormat.Ndjson, 17_500);

    [GlobalSetup]
    public void Setup() => _gzip = GzipMembers(Workload.Plain, Members);

    [Benchmark(Baseline = true, Description = "inflate only (GZipStream)")]
    public long InflateOnly() => BareInflate.Run(new MemoryStream(_gzip, writable: false), _copyBuffer);

    [Benchmark(Description = "LogpushKit inflate stage")]
    public async Task<long> InflateStage()
    {
        var writer = PipeWriter.Create(Stream.Null, new StreamPipeWriterOptions(minimumBufferSize: LogpushCsvTransformer.DefaultBufferSize));
        using var inflater = new GzipInflater(new MemoryStream(_gzip, writable: false), LogpushCsvTransformer.DefaultBufferSize, null);
        await inflater.RunAsync(writer, long.MaxValue, LogpushCsvTransformer.DefaultBufferSize, CancellationToken.None);
        await writer.CompleteAsync();
        return inflater.BytesOut;
    }

    [Benchmark(Description = "LogpushKit transformer")]
    public async Task<long> Transformer()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_gzip, writable: false), Stream.Null);
        return result.Rows;
    }

    /// <summary><paramref name="plain"/> as <paramref name="members"/> gzip members of about equal size, each ending at a line end.</summary>
    private static byte[] GzipMembers(byte[] plain, int members)
    {
        using var output = new MemoryStream();
        var start = 0;
        for (var m = 1; m <= members; m++)
        {
            var end = m == members ? plain.Length : Math.Max(start, (int)((long)plain.Length * m / members));
            while (end < plain.Length && end > 0 && plain[end - 1] != (byte)'\n')
            {
                end++;
            }

            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(plain, start, end - start);
            }

            start = end;
        }

        return output.ToArray();
    }
}
