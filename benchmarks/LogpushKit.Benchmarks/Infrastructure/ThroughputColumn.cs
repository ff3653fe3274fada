using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace LogpushKit.Benchmarks.Infrastructure;

/// <summary>MB/s (uncompressed input, 10^6 bytes) or rows/s, from the mean time of one operation over the class's workload.</summary>
public sealed class ThroughputColumn : IColumn
{
    private readonly bool _rows;

    private ThroughputColumn(bool rows) => _rows = rows;

    /// <summary>Uncompressed MB/s.</summary>
    public static ThroughputColumn MegabytesPerSecond { get; } = new(rows: false);

    /// <summary>Records per second.</summary>
    public static ThroughputColumn RowsPerSecond { get; } = new(rows: true);

    public string Id => _rows ? "RowsPerSec" : "MBPerSec";

    public string ColumnName => _rows ? "rows/s" : "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => _rows ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => _rows ? "Records converted per second (mean)" : "Uncompressed input megabytes (10^6 bytes) per second (mean)";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        var property = benchmarkCase.Descriptor.Type.GetProperty("Workload", BindingFlags.Public | BindingFlags.Static);
        if (mean is not > 0 || property?.GetValue(null) is not BenchmarkWorkload workload)
        {
            return "-";
        }

        var seconds = mean.Value / 1e9;
        return _rows
            ? (workload.Records / seconds).ToString("N0", CultureInfo.InvariantCulture)
            : (workload.UncompressedBytes / 1e6 / seconds).ToString("N1", CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;
}

/// <summary>The configuration of every throughput benchmark: memory diagnoser, MB/s and rows/s columns.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(ThroughputColumn.MegabytesPerSecond, ThroughputColumn.RowsPerSecond);
        AddColumn(BaselineRatioColumn.RatioMean);
    }
}
