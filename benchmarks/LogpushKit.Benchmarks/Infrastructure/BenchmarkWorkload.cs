using System.Collections.Concurrent;
using LogpushKit.Benchmarks.Generation;

namespace LogpushKit.Benchmarks.Infrastructure;

/// <summary>
/// One generated Logpush object held in memory (gzip bytes) with its uncompressed size and record count. Deterministic,
/// so the benchmark process and the host process that prints the MB/s and rows/s columns build the same one.
/// </summary>
public sealed class BenchmarkWorkload
{
    private static readonly ConcurrentDictionary<(string, GeneratedRecordFormat, int), BenchmarkWorkload> Cache = new();

    private BenchmarkWorkload(byte[] gzip, byte[] plain, long records)
    {
        Gzip = gzip;
        Plain = plain;
        UncompressedBytes = plain.Length;
        Records = records;
    }

    /// <summary>The object as Logpush writes it (gzip).</summary>
    public byte[] Gzip { get; }

    /// <summary>The same object uncompressed: what the conversion stage reads.</summary>
    public byte[] Plain { get; }

    /// <summary>Bytes after decompression: MB/s columns divide this by the mean time.</summary>
    public long UncompressedBytes { get; }

    /// <summary>Records (lines): the rows/s column divides this by the mean time.</summary>
    public long Records { get; }

    /// <summary>The workload for a dataset, format and record count (seed 1, unixnano timestamps), built once per process.</summary>
    public static BenchmarkWorkload Get(string dataset, GeneratedRecordFormat format, int records)
        => Cache.GetOrAdd((dataset, format, records), key =>
        {
            var generator = new LogpushRecordGenerator(DatasetFields.For(key.Item1), new LogpushRecordGeneratorOptions { Seed = 1, Format = key.Item2 });
            using var plain = new MemoryStream();
            generator.WriteObject(plain, key.Item3, gzip: false);
            generator = new LogpushRecordGenerator(DatasetFields.For(key.Item1), new LogpushRecordGeneratorOptions { Seed = 1, Format = key.Item2 });
            using var buffer = new MemoryStream();
            generator.WriteObject(buffer, key.Item3, gzip: true);
            return new BenchmarkWorkload(buffer.ToArray(), plain.ToArray(), key.Item3);
        });
}

/// <summary>Benchmarks that process one <see cref="BenchmarkWorkload"/> per operation, so throughput columns can be computed.</summary>
public interface IWorkloadBenchmark
{
    /// <summary>The workload each operation processes.</summary>
    static abstract BenchmarkWorkload Workload { get; }
}
