using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using LogpushKit.Transform;

namespace LogpushKit.Benchmarks;

/// <summary>
/// A first record with very many keys (issue 14: 100,000 keys took 11.6 s, 350,000 keys 127 s, as each key was looked up
/// by a scan of the columns): two records of <see cref="Keys"/> number keys, the second in reverse order, so every key of
/// both is looked up. Linear in the keys when the 350,000-key time is about 3.5 times the 100,000-key time.
/// </summary>
[MemoryDiagnoser]
public class WideRecordBenchmark
{
    private readonly LogpushCsvTransformer _transformer = new();
    private byte[] _input = [];

    [Params(100_000, 350_000)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var names = Enumerable.Range(0, Keys).Select(i => "k" + i.ToString("D6", CultureInfo.InvariantCulture)).ToArray();
        string Record(IEnumerable<int> order) => "{" + string.Join(",", order.Select(i => $"\"{names[i]}\":{i}")) + "}\n";
        _input = Encoding.UTF8.GetBytes(Record(Enumerable.Range(0, Keys)) + Record(Enumerable.Range(0, Keys).Reverse()));
    }

    [Benchmark(Description = "first record of Keys keys, then the same reversed")]
    public async Task<long> WideFirstRecord()
    {
        var result = await _transformer.TransformAsync(new MemoryStream(_input, writable: false), Stream.Null);
        return result.Rows;
    }
}
