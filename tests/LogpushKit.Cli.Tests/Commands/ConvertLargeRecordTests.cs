using System.Text;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>logpushkit convert</c> through the real process on a record with a 5 MB field (issue 14): it converts with the
/// defaults, byte for byte; under a smaller <c>--max-line-bytes</c> it is bad input, named by file, line, byte offset and
/// flag, and no output file is left.
/// </summary>
public sealed class ConvertLargeRecordTests : IDisposable
{
    private const string First = "{\"a\":1,\"big\":\"x\"}\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>5,000,000 characters holding a comma, quotes and non-ASCII text, and the record that holds them.</summary>
    private static (string Value, string Input) BigRecord()
    {
        var value = new StringBuilder(5_000_016);
        while (value.Length < 5_000_000)
        {
            value.Append("a,\"b\" é€ ").Append(value.Length % 1009);
        }

        var text = value.ToString(0, 5_000_000);
        return (text, First + "{\"a\":2,\"big\":\"" + text.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"}\n");
    }

    [Fact]
    public async Task Convert_RecordWithAFiveMegabyteField_ConvertsByteExactly()
    {
        var (value, text) = BigRecord();
        var input = _dir.WriteGzip("big.log.gz", text);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"));

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.StandardError}");
        var expected = "a,big\n1,x\n2,\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"\n";
        Assert.True(expected == await File.ReadAllTextAsync(_dir.File("out.csv")), "the CSV differs");
    }

    [Fact]
    public async Task Convert_RecordOverMaxLineBytes_ExitsThreeNamingFileLineOffsetAndFlag()
    {
        var input = _dir.WriteGzip("big.log.gz", BigRecord().Input);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--max-line-bytes", "4M");

        Assert.Equal(3, run.ExitCode);
        var message = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"logpushkit: bad input: {input}, line 2, byte offset {First.Length}: line longer than --max-line-bytes (4194304 bytes)", message);
        Assert.Equal(["big.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_RecordOverMaxLineBytesQuarantined_RecordSaysItIsCutGivesItsLengthAndNoPropertyName()
    {
        var text = BigRecord().Input;
        var input = _dir.WriteGzip("big.log.gz", text);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("q.csv"), "--max-line-bytes", "4M", "--on-bad-line", "quarantine");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.StandardError}");
        var record = Assert.Single((await File.ReadAllTextAsync(_dir.File("q.csv.quarantine.ndjson"))).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = System.Text.Json.JsonDocument.Parse(record);
        var root = json.RootElement;
        var line = Encoding.UTF8.GetBytes(text[First.Length..^1]);
        Assert.Equal(2, root.GetProperty("line").GetInt64());
        Assert.Equal(line.Length, root.GetProperty("bytes").GetInt64());
        Assert.True(root.GetProperty("truncated").GetBoolean());
        // the library cannot know the host's name for the limit (a flag here, a configuration key in the worker): it names none
        Assert.Equal("line longer than the line limit (4194304 bytes)", root.GetProperty("reason").GetString());
        var raw = Encoding.UTF8.GetBytes(root.GetProperty("raw").GetString()!);
        Assert.InRange(raw.Length, 1021, 1024);
        Assert.Equal(line[..raw.Length], raw);
    }
}
