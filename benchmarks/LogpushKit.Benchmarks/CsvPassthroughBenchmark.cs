using BenchmarkDotNet.Attributes;
using LogpushKit.Benchmarks.Generation;
using LogpushKit.Benchmarks.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Benchmarks;

/// <summary>
/// One gzip'd gateway_http object written by Logpush with <c>output_type: csv</c> (12,000 records): the seed-like
/// whole-buffer ungzip (baseline), LogpushKit's csv passthrough (rows checked, then copied byte for byte after a header
/// from the fields), the same conversion stage alone on the uncompressed object, and rows rewritten with CRLF endings.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class CsvPassthroughBenchmark : IWorkloadBenchmark
{
    private LogpushCsvTransformer _transformer = new();
    private LogpushCsvTransformer _crlf = new();
    private byte[] _gzip = [];
    private byte[] _plain = [];

    public static BenchmarkWorkload Workload => BenchmarkWorkload.Get("gateway_http", GeneratedRecordFormat.Csv, 12_000);

    [GlobalSetup]
    public void Setup()
    {
        (_gzip, _plain) = (Workload.Gzip, Workload.Plain);
        var options = new TransformOptions { Fields = [.. DatasetFields.For("gateway_http").Select(f => f.Name)] };
        _transformer = new LogpushCsvTransformer(options);
        _crlf = new LogpushCsvTransformer(options with { RowEnding = CsvRowEnding.CrLf });
    }

    [Benchmark(Baseline = true, Description = "seed-like whole buffer (ungzip only)")]
    public long WholeBuffer() => SeedLikeConverter.Run(new MemoryStream(_gzip, writable: false), Stream.Null);

    [Benchmark(Description = "LogpushKit csv passthrough")]
    public async Task<long> LogpushKit()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_gzip, writable: false), Stream.Null);
        return result.Rows;
    }

    /// <summary>The conversion stage alone (uncompressed input, one thread): checking the rows must keep up with inflate.</summary>
    [Benchmark(Description = "LogpushKit csv passthrough, conversion stage only (plain input)")]
    public async Task<long> LogpushKitPlain()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_plain, writable: false), Stream.Null);
        return result.Rows;
    }

    /// <summary>Rows rewritten (CRLF endings): the route an option that changes rows takes.</summary>
    [Benchmark(Description = "LogpushKit csv rewritten (CRLF)")]
    public async Task<long> LogpushKitCrLf()
    {
        var result = await _crlf.TransformAsync(new MemoryStream(_gzip, writable: false), Stream.Null);
        return result.Rows;
    }
}
