using BenchmarkDotNet.Attributes;
using LogpushKit.Benchmarks.Generation;
using LogpushKit.Benchmarks.Infrastructure;
using LogpushKit.Transform;

namespace LogpushKit.Benchmarks;

/// <summary>
/// The ndjson -> CSV conversion alone, per byte, on a dataset's records (5,000 of them, uncompressed input, one thread),
/// against inflating the same records (baseline: a bare <see cref="System.IO.Compression.GZipStream"/>, the floor of a
/// run): with both cores busy, a run's CPU is inflate plus this, so the ratio is what the conversion adds per byte.
/// Two column choices: the first record's keys (the records' own order, <c>convert</c>'s default) and the dataset's
/// columns (<c>run</c>'s default; for http_requests they are more than a record's keys, so the records take the layout
/// route instead of the fused one).
/// </summary>
public abstract class ConversionStageBenchmark
{
    private readonly byte[] _copyBuffer = new byte[81920];
    private LogpushCsvTransformer _firstRecord = new();
    private LogpushCsvTransformer _datasetColumns = new();
    private byte[] _gzip = [];
    private byte[] _plain = [];

    /// <summary>The dataset of the records.</summary>
    protected abstract string Dataset { get; }

    /// <summary>The workload of a dataset: 5,000 ndjson records.</summary>
    protected static BenchmarkWorkload WorkloadOf(string dataset) => BenchmarkWorkload.Get(dataset, GeneratedRecordFormat.Ndjson, 5_000);

    [GlobalSetup]
    public void Setup()
    {
        var workload = WorkloadOf(Dataset);
        (_gzip, _plain) = (workload.Gzip, workload.Plain);
        _firstRecord = new LogpushCsvTransformer(new TransformOptions { Dataset = Dataset });
        _datasetColumns = new LogpushCsvTransformer(new TransformOptions { Dataset = Dataset, DatasetColumns = true });
    }

    [Benchmark(Baseline = true, Description = "inflate only (GZipStream)")]
    public long InflateOnly() => BareInflate.Run(new MemoryStream(_gzip, writable: false), _copyBuffer);

    [Benchmark(Description = "conversion (plain input), first-record columns")]
    public async Task<long> FirstRecordColumns()
    {
        var result = await _firstRecord.TransformAsync(new MemoryStream(_plain, writable: false), Stream.Null);
        return result.Rows;
    }

    [Benchmark(Description = "conversion (plain input), dataset columns")]
    public async Task<long> DatasetColumns()
    {
        var result = await _datasetColumns.TransformAsync(new MemoryStream(_plain, writable: false), Stream.Null);
        return result.Rows;
    }
}

/// <summary><see cref="ConversionStageBenchmark"/> on gateway_http records (the reference workload).</summary>
[Config(typeof(ThroughputConfig))]
public class GatewayHttpConversionBenchmark : ConversionStageBenchmark, IWorkloadBenchmark
{
    public static BenchmarkWorkload Workload => WorkloadOf("gateway_http");

    protected override string Dataset => "gateway_http";
}

/// <summary><see cref="ConversionStageBenchmark"/> on http_requests records.</summary>
[Config(typeof(ThroughputConfig))]
public class HttpRequestsConversionBenchmark : ConversionStageBenchmark, IWorkloadBenchmark
{
    public static BenchmarkWorkload Workload => WorkloadOf("http_requests");

    protected override string Dataset => "http_requests";
}

/// <summary><see cref="ConversionStageBenchmark"/> on firewall_events records.</summary>
[Config(typeof(ThroughputConfig))]
public class FirewallEventsConversionBenchmark : ConversionStageBenchmark, IWorkloadBenchmark
{
    public static BenchmarkWorkload Workload => WorkloadOf("firewall_events");

    protected override string Dataset => "firewall_events";
}
