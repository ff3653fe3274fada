using BenchmarkDotNet.Attributes;
using LogpushKit.Benchmarks.Generation;
using LogpushKit.Benchmarks.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Benchmarks;

/// <summary>
/// One gzip'd gateway_http ndjson object (12,000 records, about 25 MB uncompressed) to CSV, in memory: the seed-like
/// whole-buffer ungzip (baseline, no conversion), a naive JsonDocument + CsvHelper converter, and LogpushKit.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class NdjsonToCsvBenchmark : IWorkloadBenchmark
{
    private readonly LogpushCsvTransformer _transformer = new();
    private byte[] _gzip = [];
    private byte[] _plain = [];

    public static BenchmarkWorkload Workload => BenchmarkWorkload.Get("gateway_http", GeneratedRecordFormat.Ndjson, 12_000);

    [GlobalSetup]
    public void Setup() => (_gzip, _plain) = (Workload.Gzip, Workload.Plain);

    [Benchmark(Baseline = true, Description = "seed-like whole buffer (ungzip only)")]
    public long WholeBuffer() => SeedLikeConverter.Run(new MemoryStream(_gzip, writable: false), Stream.Null);

    [Benchmark(Description = "naive JsonDocument + CsvHelper")]
    public long NaiveCsvHelper() => NaiveCsvHelperConverter.Run(new MemoryStream(_gzip, writable: false), Stream.Null);

    [Benchmark(Description = "LogpushKit transformer")]
    public async Task<long> LogpushKit()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_gzip, writable: false), Stream.Null);
        return result.Rows;
    }

    /// <summary>The conversion stage alone (uncompressed input, one thread): it must keep up with inflate.</summary>
    [Benchmark(Description = "LogpushKit, conversion stage only (plain input)")]
    public async Task<long> LogpushKitPlain()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_plain, writable: false), Stream.Null);
        return result.Rows;
    }
}
