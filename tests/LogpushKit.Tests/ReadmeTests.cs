using System.IO.Compression;
using System.Text;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Transform;

namespace LogpushKit.Tests;

/// <summary>Keeps the README's quick start honest: the block below is the README's, compiled and run.</summary>
public sealed class ReadmeTests : IDisposable
{
    private readonly TempDirectory _temp = new("logpushkit-readme");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void QuickStart_InReadme_IsTheCompiledSample()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "README.md"));
        var block = ExtractBetween(readme, "## Quick start\n\n```csharp\n", "```\n");
        var sample = ExtractBetween(File.ReadAllText(Path.Combine(RepositoryLayout.Root, "tests", "LogpushKit.Tests", "ReadmeTests.cs")), "// begin-snippet\n", "        // end-snippet\n");
        var sampleUnindented = string.Join('\n', sample.Split('\n').Select(line => line.Length >= 8 ? line[8..] : line.TrimStart()));
        var usings = "using LogpushKit.Pipeline;\nusing LogpushKit.Storage;\nusing LogpushKit.Transform;\n\n";
        Assert.Equal(usings + sampleUnindented, block);
    }

    [Fact]
    public async Task QuickStart_RunsAgainstFolders_ConvertsEveryObject()
    {
        var sourceFolder = Path.Combine(_temp.Path, "logpush");
        var targetFolder = Path.Combine(_temp.Path, "csv");
        var logpushFile = Path.Combine(sourceFolder, "gateway_http", "20240821", "20240821T054839Z_20240821T054909Z_0a1b2c3d.log.gz");
        var csvFile = Path.Combine(_temp.Path, "one.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(logpushFile)!);
        await using (var gz = new GZipStream(File.Create(logpushFile), CompressionLevel.Fastest))
        {
            gz.Write("{\"Datetime\":1724219319,\"URL\":\"https://example.com/a,b\"}\n"u8);
        }

        // begin-snippet
        // 1. One object, stream to stream: gzip'd ndjson in, RFC 4180 CSV out, timestamps as RFC 3339.
        var transformer = new LogpushCsvTransformer(new TransformOptions { Dataset = "gateway_http", TimestampOutput = TimestampOutputFormat.Rfc3339 });
        await using (var input = File.OpenRead(logpushFile))
        await using (var output = File.Create(csvFile))
        {
            TransformResult result = await transformer.TransformAsync(input, output);
        }

        // 2. A whole bucket or folder: convert every object whose CSV is missing or stale, atomically.
        var processor = new LogpushObjectProcessor(new FileSystemBucket(sourceFolder), new FileSystemBucket(targetFolder));
        PipelineSummary summary = await new LogpushReconciler(processor).RunAsync();
        // end-snippet

        Assert.Equal("Datetime,URL\n2024-08-21T05:48:39Z,\"https://example.com/a,b\"\n", await File.ReadAllTextAsync(csvFile, Encoding.UTF8));
        Assert.Equal(1, summary.Converted);
        Assert.Equal(
            "Datetime,URL\n1724219319,\"https://example.com/a,b\"\n",
            await File.ReadAllTextAsync(Path.Combine(targetFolder, "gateway_http", "20240821", "20240821T054839Z_20240821T054909Z_0a1b2c3d.csv")));
    }

    private static string ExtractBetween(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"'{start.Trim()}' not found");
        from += start.Length;
        var to = text.IndexOf(end, from, StringComparison.Ordinal);
        Assert.True(to >= 0, $"'{end.Trim()}' not found");
        return text[from..to];
    }
}
