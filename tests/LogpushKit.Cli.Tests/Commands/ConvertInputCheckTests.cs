using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>logpushkit convert</c> through the real process on input that is not what it claims to be: data that is not csv,
/// csv rows that do not fit the field list, options that cannot apply, a corrupt gzip header. Either the output is right,
/// or the exit code says what went wrong and no output file is left.
/// </summary>
public sealed class ConvertInputCheckTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, byte[], string> NotCsv()
    {
        var noise = new byte[64 * 1024];
        new Random(10).NextBytes(noise);
        (noise[0], noise[1]) = ((byte)'x', 0xFF);
        var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("192.0.2.1,200,example.com\n", 500))));
        }

        return new()
        {
            { "random bytes", noise, "line 1, byte offset 1: invalid UTF-8" },
            { "an ELF binary", [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3E, 0, 1, 0, 0, 0], "a NUL byte" },
            { "a zlib stream", zlib.ToArray(), "line 1, byte offset 1: invalid UTF-8" },
            { "a JSON array", Encoding.UTF8.GetBytes("[{\"ClientIP\":\"192.0.2.1\"},{\"ClientIP\":\"192.0.2.2\"}]\n"), "line 1, byte offset 2: a quote inside an unquoted cell" },
        };
    }

    [Theory]
    [MemberData(nameof(NotCsv))]
    public async Task Convert_InputThatIsNotCsv_ExitsThreeAndLeavesNoFile(string what, byte[] bytes, string expected)
    {
        foreach (var gzip in new[] { false, true })
        {
            var input = _dir.File("in.log");
            await File.WriteAllBytesAsync(input, gzip ? PipelineTestData.Gzip(bytes) : bytes);

            var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--on-bad-line", "skip");

            Assert.True(run.ExitCode == 3, $"{what} (gzip: {gzip}): exit {run.ExitCode}, {run.StandardError}");
            var message = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("logpushkit: bad input: " + input + ", ", message, StringComparison.Ordinal);
            Assert.Contains(expected, message, StringComparison.Ordinal);
            Assert.Equal(["in.log"], _dir.FileNames());
        }
    }

    [Fact]
    public async Task Convert_FieldsWithAnotherCellCount_ExitsThreeNamingTheRowAndLeavesNoFile()
    {
        var row = string.Join(',', Enumerable.Range(0, 39)) + "\n";
        var input = _dir.WriteGzip("in.log.gz", row + row);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--fields", "a,b,c");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("line 1, byte offset 0: 39 cells, expected 3 (one per --fields name)", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_CsvRowWithAnotherCellCount_IsSkippedAndCountedOrQuarantined()
    {
        var input = _dir.WriteGzip("in.log.gz", "a,1\nb,2,extra\n\"c\nd\",3\n");

        var skip = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--on-bad-line", "skip");

        Assert.Equal(0, skip.ExitCode);
        Assert.Equal("a,1\n\"c\nd\",3\n", await File.ReadAllTextAsync(_dir.File("out.csv")));
        Assert.Contains("3 records, 2 rows, 1 bad lines", skip.StandardError, StringComparison.Ordinal);

        var quarantine = await CliProcess.RunAsync("convert", input, "-o", _dir.File("q.csv"), "--on-bad-line", "quarantine");

        Assert.Equal(0, quarantine.ExitCode);
        Assert.Equal(
            "{\"line\":2,\"offset\":4,\"reason\":\"3 cells, expected 2 (as many as the first row)\",\"bytes\":9,\"truncated\":false,\"raw\":\"b,2,extra\"}\n",
            await File.ReadAllTextAsync(_dir.File("q.csv.quarantine.ndjson")));
    }

    [Fact]
    public async Task Convert_CsvWithOptions_AppliesThemToTheRows()
    {
        var input = _dir.WriteGzip("in.log.gz", "1724219319,\"=HYPERLINK(\"\"x\"\")\",-5,\"a\tb\"\n");

        var run = await CliProcess.RunAsync(
            "convert", input, "--fields", "When,Link,N,Text", "--timestamps", "rfc3339", "--timestamp-fields", "When", "--delimiter", "tab", "--crlf", "--escape-formulas", "-q");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("When\tLink\tN\tText\r\n2024-08-21T05:48:39Z\t\"'=HYPERLINK(\"\"x\"\")\"\t-5\t\"a\tb\"\r\n", run.StandardOutput);
    }

    [Fact]
    public async Task Convert_TimestampsOnCsvWithoutFields_ExitsTwoNamingTheFlags()
    {
        var input = _dir.WriteGzip("in.log.gz", "1724219319,x\n");

        var detected = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--timestamps", "unix", "--timestamp-fields", "When");
        var forced = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--timestamps", "unix", "--timestamp-fields", "When", "--input-format", "csv");

        foreach (var run in new[] { detected, forced })
        {
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("--timestamps on csv input needs --fields", run.StandardError, StringComparison.Ordinal);
        }

        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_TimestampsOnNoColumn_ExitsTwo()
    {
        var input = _dir.WriteGzip("in.log.gz", "{\"a\":1}\n");

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--timestamps", "unix", "--timestamp-fields", "When");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--timestamps would convert nothing: none of the columns (a) is a timestamp field (When)", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }

    [Fact]
    public async Task Convert_MaxLineBytes_MakesALongerRowBadNamingTheFlag()
    {
        var input = _dir.WriteGzip("in.log.gz", "a,b\n" + new string('x', 2000) + ",1\nc,d\n");

        var fail = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--max-line-bytes", "1K");
        var skip = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"), "--max-line-bytes", "1K", "--on-bad-line", "skip");

        Assert.Equal(3, fail.ExitCode);
        Assert.Contains("line 2, byte offset 4: row longer than --max-line-bytes (1024 bytes)", fail.StandardError, StringComparison.Ordinal);
        Assert.Equal(0, skip.ExitCode);
        Assert.Equal("a,b\nc,d\n", await File.ReadAllTextAsync(_dir.File("out.csv")));
    }

    [Fact]
    public async Task Help_Convert_DocumentsMaxLineBytes()
    {
        var run = await CliProcess.RunAsync("convert", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--max-line-bytes", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_GzipHeaderCrcMismatch_ExitsThreeNamingTheOffsetAndLeavesNoFile()
    {
        var data = Encoding.UTF8.GetBytes("{\"a\":1}\n");
        var header = new List<byte> { 0x1f, 0x8b, 8, 0x02 | 0x08, 0, 0, 0, 0, 0, 3 };
        header.AddRange(Encoding.ASCII.GetBytes("in.log\0"));
        var crc = (ushort)Crc32.HashToUInt32([.. header]);
        header.AddRange([(byte)~crc, (byte)(crc >> 8)]);
        var deflated = new MemoryStream();
        using (var deflate = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        var trailer = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32.HashToUInt32(data));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), (uint)data.Length);
        var input = _dir.File("in.log.gz");
        await File.WriteAllBytesAsync(input, [.. header, .. deflated.ToArray(), .. trailer]);

        var run = await CliProcess.RunAsync("convert", input, "-o", _dir.File("out.csv"));

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("gzip member 1 fails its header CRC-16 check (header at compressed byte offset 0, CRC-16 at 17", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["in.log.gz"], _dir.FileNames());
    }
}
