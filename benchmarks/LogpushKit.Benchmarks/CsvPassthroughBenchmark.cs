using BenchmarkDotNet.Attributes;
using LogpushKit.Benchmarks.Generation;
using LogpushKit.Benchmarks.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Benchmarks;

/// <summary>
/// One gzip'd gateway_http object written by Logpush with <c>output_type: csv</c> (12,000 records): the seed-like
/// whole-buffer ungzip (baseline), and LogpushKit's csv passthrough (rows byte for byte after a header from the fields).
/// </summary>
[Config(typeof(ThroughputConfig))]
public class CsvPassthroughBenchmark : IWorkloadBenchmark
{
    private LogpushCsvTransformer _transformer = new();
    private byte[] _gzip = [];

    public static BenchmarkWorkload Workload => BenchmarkWorkload.Get("gateway_http", GeneratedRecordFormat.Csv, 12_000);

    [GlobalSetup]
    public void Setup()
    {
        _gzip = Workload.Gzip;
        _transformer = new LogpushCsvTransformer(new TransformOptions { Fields = [.. DatasetFields.For("gateway_http").Select(f => f.Name)] });
    }

    [Benchmark(Baseline = true, Description = "seed-like whole buffer (ungzip only)")]
    public long WholeBuffer() => SeedLikeConverter.Run(new MemoryStream(_gzip, writable: false), Stream.Null);

    [Benchmark(Description = "LogpushKit csv passthrough")]
    public async Task<long> LogpushKit()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_gzip, writable: false), Stream.Null);
        return result.Rows;
    }
}
