using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using LogpushKit.Benchmarks.Generation;
using LogpushKit.Benchmarks.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Benchmarks;

/// <summary>
/// One small object as Logpush writes them by default (1,000 gateway_http records, about 1.4 MB uncompressed) through
/// <see cref="LogpushCsvTransformer"/> into <see cref="Stream.Null"/>, per operation: what a fresh object costs on top of its
/// bytes (the stages, buffers, pipes, the plan's columns), against the floor of that object (a bare <see cref="GZipStream"/>
/// inflate). One transformer serves every operation, as in a run.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class PerObjectBenchmark : IWorkloadBenchmark
{
    private readonly LogpushCsvTransformer _transformer = new();
    private readonly byte[] _copyBuffer = new byte[81920];
    private byte[] _gzip = [];

    public static BenchmarkWorkload Workload => BenchmarkWorkload.Get("gateway_http", GeneratedRecordFormat.Ndjson, 1_000);

    [GlobalSetup]
    public void Setup() => _gzip = Workload.Gzip;

    [Benchmark(Baseline = true, Description = "inflate only (GZipStream), 1,000 records")]
    public long InflateOnly() => BareInflate.Run(new MemoryStream(_gzip, writable: false), _copyBuffer);

    [Benchmark(Description = "LogpushKit transformer, 1,000 records")]
    public async Task<long> LogpushKit()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_gzip, writable: false), Stream.Null);
        return result.Rows;
    }
}
