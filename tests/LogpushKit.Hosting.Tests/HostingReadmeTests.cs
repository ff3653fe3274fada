using LogpushKit.R2;
using LogpushKit.Testing;
using LogpushKit.Testing.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The hosting snippet of src/LogpushKit.Hosting/README.md and of the main README, kept honest: the block below is
/// theirs, run as a new console app would run it, with an r2:// source on s3rver, a folder target, and the R2 credentials
/// from configuration (environment variables <c>R2__AccessKeyId</c>/<c>R2__SecretAccessKey</c>, the rest on the command line).
/// The snippet's usings are the README's (<see cref="Usings"/>); this file, in namespace LogpushKit.Hosting.Tests, needs
/// all but the first.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class HostingReadmeTests(S3rverServer s3) : IDisposable
{
    private const string Usings = "using LogpushKit.Hosting;\nusing Microsoft.Extensions.Configuration;\nusing Microsoft.Extensions.DependencyInjection;\nusing Microsoft.Extensions.Hosting;\n\n";
    private const string LastLine = "return await host.RunLogpushKitAsync(); // 0 when stopped, 1 when the pipeline failed, 2 (one line per setting) on a bad setting\n";
    private readonly TempDirectory _temp = new("logpushkit-hosting-readme");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("src/LogpushKit.Hosting/README.md")]
    [InlineData("README.md")]
    public void Snippet_InReadme_IsTheTestedOne(string readme)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryLayout.Root, readme)).ReplaceLineEndings("\n");
        var start = text.IndexOf("```csharp\n" + Usings, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{readme} has no csharp block starting with the hosting usings");
        var block = text[(start + "```csharp\n".Length)..text.IndexOf("```\n", start + 10, StringComparison.Ordinal)];

        Assert.Equal(Usings + Snippet() + LastLine, block);
    }

    [Fact]
    public async Task Snippet_R2SourceCredentialsFromConfiguration_ConvertsAnObject()
    {
        var bucket = s3.NewBucketName("hosting");
        await s3.CreateBucketAsync(s3.HttpEndpoint, bucket);
        const string key = "logs/20240601/20240601T000000Z_20240601T000010Z_0a1b2c3d.log.gz";
        using (var source = new R2Bucket(new R2BucketOptions { Bucket = bucket, Endpoint = s3.HttpEndpoint, AccessKeyId = S3rverServer.AccessKeyId, SecretAccessKey = S3rverServer.SecretAccessKey }))
        {
            await source.PutAsync(key, new MemoryStream(PipelineTestData.Gzip(PipelineTestData.Ndjson(3))));
        }

        var target = Path.Combine(_temp.Path, "csv");
        var csv = Path.Combine(target, "logs", "20240601", "20240601T000000Z_20240601T000010Z_0a1b2c3d.csv");
        // the secrets as the README says to give them: the environment (or user secrets), never the command line
        Environment.SetEnvironmentVariable("R2__AccessKeyId", S3rverServer.AccessKeyId);
        Environment.SetEnvironmentVariable("R2__SecretAccessKey", S3rverServer.SecretAccessKey);
        string[] args = [$"--LogpushKit:Source=r2://{bucket}/logs", $"--LogpushKit:Target={target}", $"--R2:Endpoint={s3.HttpEndpoint}"];
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task<int> running;
        try
        {
            // begin-snippet
            var builder = Host.CreateApplicationBuilder(args);
            builder.Services.AddLogpushKit(builder.Configuration.GetSection(LogpushKitOptions.SectionName));
            // r2:// and s3:// locations, with the "R2" section's keys (user secrets, R2__SecretAccessKey=… in the environment)
            builder.Services.AddLogpushR2Locations(r2 => builder.Configuration.GetSection("R2").Bind(r2));
            using var host = builder.Build();
            // end-snippet
            running = host.RunLogpushKitAsync(stop.Token);
            while (!File.Exists(csv) && !running.IsCompleted)
            {
                await Task.Delay(100, stop.Token);
            }

            await stop.CancelAsync();
            Assert.Equal(0, await running);
        }
        finally
        {
            Environment.SetEnvironmentVariable("R2__AccessKeyId", null);
            Environment.SetEnvironmentVariable("R2__SecretAccessKey", null);
        }

        // the records' keys, told as a dataset or not, with every value of the three records
        var lines = (await File.ReadAllTextAsync(csv)).TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length);
        var header = lines[0].Split(',');
        var expected = PipelineTestData.ExpectedCsv(3).TrimEnd('\n').Split('\n');
        for (var row = 1; row < 4; row++)
        {
            var cells = lines[row].Split(',');
            var want = expected[row].Split(',');
            Assert.Equal(want, new[] { "RayID", "ClientIP", "EdgeResponseStatus" }.Select(c => cells[Array.IndexOf(header, c)]));
        }
    }

    private static string Snippet()
    {
        var file = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "tests", "LogpushKit.Hosting.Tests", "HostingReadmeTests.cs")).ReplaceLineEndings("\n");
        var from = file.IndexOf("// begin-snippet\n", StringComparison.Ordinal) + "// begin-snippet\n".Length;
        var to = file.IndexOf("            // end-snippet\n", from, StringComparison.Ordinal);
        return string.Join('\n', file[from..to].Split('\n').Select(line => line.Length >= 12 ? line[12..] : line.TrimStart()));
    }
}
