using LogpushKit.R2;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.S3;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>logpushkit run</c> between buckets on s3rver's plain-HTTP instance, through the real process.</summary>
[Collection(S3rverCliCollection.Name)]
public sealed class RunBucketTests(S3rverServer server)
{
    [Fact]
    public async Task Run_BucketLocations_PathsNameFolders()
    {
        var (source, target) = await CreateBucketsAsync();
        await source.PutAsync("gateway_http/20240601/a.log.gz", new MemoryStream(PipelineTestData.Gzip("{\"a\":1}\n")));
        await source.PutAsync("gateway_http_old/20240601/b.log.gz", new MemoryStream(PipelineTestData.Gzip("{\"b\":2}\n")));

        var run = await CliProcess.RunWithEnvironmentAsync(
            ["run", "--source", $"r2://{source.Name}/gateway_http", "--target", $"s3://{target.Name}/siem", "--endpoint", server.HttpEndpoint.AbsoluteUri],
            Credentials());

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("run: 1 converted", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(["siem/gateway_http/20240601/a.csv"], await KeysAsync(target));
    }

    [Fact]
    public async Task Run_S3WithoutCredentials_UsageErrorNamingTheVariablesNotProperties()
    {
        using var output = new TempDirectory();

        var run = await CliProcess.RunWithEnvironmentAsync(
            ["run", "--source", "s3://some-bucket/logs", "--target", output.Path, "--endpoint", server.HttpEndpoint.AbsoluteUri],
            new Dictionary<string, string>());

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--source: 's3://some-bucket/logs' needs credentials", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("R2_ACCESS_KEY_ID", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("R2BucketOptions", run.StandardError, StringComparison.Ordinal);
        Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Run_FailedKeyWithLineBreak_PrintedEscapedOnOneLine()
    {
        var (source, _) = await CreateBucketsAsync();
        await source.PutAsync("gw/bad\nforged line.log.gz", new MemoryStream([0x1f, 0x8b, 0x08, 0x00, 0x01]));
        using var output = new TempDirectory();

        var run = await CliProcess.RunWithEnvironmentAsync(
            ["run", "--source", $"s3://{source.Name}/gw", "--target", output.Path, "--endpoint", server.HttpEndpoint.AbsoluteUri],
            Credentials());

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("logpushkit: failed gw/bad\\nforged line.log.gz: ", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(run.StandardError.Split('\n'), line => line.StartsWith("forged line", StringComparison.Ordinal));
    }

    private Dictionary<string, string> Credentials() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey,
        ["R2_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId,
        ["R2_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey,
    };

    private Task<(R2Bucket Source, R2Bucket Target)> CreateBucketsAsync() => S3rverCliCollection.CreateBucketsAsync(server, "run");

    private static async Task<List<string>> KeysAsync(IR2Bucket bucket)
    {
        var keys = new List<string>();
        await foreach (var item in bucket.ListAsync())
        {
            if (item.Object is { } info)
            {
                keys.Add(info.Key);
            }
        }

        return keys;
    }
}
