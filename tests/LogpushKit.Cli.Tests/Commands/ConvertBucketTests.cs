using System.Text;
using LogpushKit.R2;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.S3;

namespace LogpushKit.Cli.Tests.Commands;

[CollectionDefinition(Name)]
public sealed class S3rverCliCollection : ICollectionFixture<S3rverServer>
{
    public const string Name = "s3rver-cli";

    /// <summary>Two new buckets on the plain-HTTP instance, with clients to arrange and inspect them.</summary>
    internal static async Task<(R2Bucket Source, R2Bucket Target)> CreateBucketsAsync(S3rverServer server, string prefix)
    {
        var source = server.NewBucketName(prefix + "-src");
        var target = server.NewBucketName(prefix + "-dst");
        await server.CreateBucketAsync(server.HttpEndpoint, source);
        await server.CreateBucketAsync(server.HttpEndpoint, target);
        return (Client(source), Client(target));

        R2Bucket Client(string bucket) => new(new R2BucketOptions
        {
            Bucket = bucket,
            Endpoint = server.HttpEndpoint,
            AccessKeyId = S3rverServer.AccessKeyId,
            SecretAccessKey = S3rverServer.SecretAccessKey,
        });
    }
}

/// <summary><c>logpushkit convert</c> between bucket objects on s3rver's plain-HTTP instance, through the real process.</summary>
[Collection(S3rverCliCollection.Name)]
public sealed class ConvertBucketTests(S3rverServer server)
{
    private const string Ndjson =
        "{\"ClientIP\":\"192.0.2.1\",\"Host\":\"example.com\",\"Status\":200}\n"
        + "{\"ClientIP\":\"2001:db8::1\",\"Host\":\"例え.jp\",\"Status\":404,\"Note\":\"a,\\\"b\\\"\"}\n";

    private const string ExpectedCsv = "ClientIP,Host,Status\n192.0.2.1,example.com,200\n2001:db8::1,例え.jp,404\n";

    [Fact]
    public async Task Convert_S3ObjectToS3Object_WithEndpointOption_StreamsCsvIntoTargetBucket()
    {
        var (source, target) = await CreateBucketsAsync();
        await source.PutAsync("logs/20240101/in.log.gz", new MemoryStream(PipelineTestData.Gzip(Ndjson)));

        var run = await RunAsync(
            ["convert", $"s3://{source.Name}/logs/20240101/in.log.gz", "-o", $"s3://{target.Name}/csv/out.csv", "--endpoint", server.HttpEndpoint.AbsoluteUri],
            new() { ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey });

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains($"converted s3://{source.Name}/logs/20240101/in.log.gz -> s3://{target.Name}/csv/out.csv", run.StandardError, StringComparison.Ordinal);
        Assert.Equal(ExpectedCsv, await ReadAsync(target, "csv/out.csv"));
        Assert.Equal("text/csv; charset=utf-8", (await target.HeadAsync("csv/out.csv"))!.ContentType);
    }

    [Fact]
    public async Task Convert_TabDelimiterToS3Object_StoredAsTabSeparatedValues()
    {
        var (source, target) = await CreateBucketsAsync();
        await source.PutAsync("in.log.gz", new MemoryStream(PipelineTestData.Gzip(Ndjson)));

        var run = await RunAsync(
            ["convert", $"s3://{source.Name}/in.log.gz", "--delimiter", "tab", "-o", $"s3://{target.Name}/out.tsv", "--endpoint", server.HttpEndpoint.AbsoluteUri],
            new() { ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey });

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(ExpectedCsv.Replace(',', '\t'), await ReadAsync(target, "out.tsv"));
        Assert.Equal("text/tab-separated-values; charset=utf-8", (await target.HeadAsync("out.tsv"))!.ContentType);
    }

    [Fact]
    public async Task Convert_R2ObjectToR2Object_WithEnvironmentCredentials_Converts()
    {
        var (source, target) = await CreateBucketsAsync();
        await source.PutAsync("in.log.gz", new MemoryStream(PipelineTestData.Gzip(Ndjson)));

        var run = await RunAsync(["convert", $"r2://{source.Name}/in.log.gz", "-o", $"r2://{target.Name}/out.csv"], R2Environment());

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal(ExpectedCsv, await ReadAsync(target, "out.csv"));
    }

    [Fact]
    public async Task Convert_BadInputObject_ExitsWithDataErrorAndLeavesNoTargetObject()
    {
        var (source, target) = await CreateBucketsAsync();
        var corrupt = PipelineTestData.Gzip(Ndjson)[..^8];
        await source.PutAsync("bad.log.gz", new MemoryStream(corrupt));

        var run = await RunAsync(["convert", $"r2://{source.Name}/bad.log.gz", "-o", $"r2://{target.Name}/out.csv"], R2Environment());

        Assert.Equal(3, run.ExitCode);
        Assert.Null(await target.HeadAsync("out.csv"));
    }

    [Fact]
    public async Task Convert_MissingObject_ExitsWithFailureNamingIt()
    {
        var (source, _) = await CreateBucketsAsync();

        var run = await RunAsync(["convert", $"r2://{source.Name}/missing.log.gz"], R2Environment());

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"r2://{source.Name}/missing.log.gz: no such object", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_S3WithoutEndpoint_ExitsWithUsageError()
    {
        var run = await RunAsync(["convert", "s3://some-bucket/in.log.gz"], new() { [CliBucketsEndpointVariable] = string.Empty });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("set --endpoint or the LOGPUSHKIT_S3_ENDPOINT environment variable", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_R2WithoutCredentials_ExitsWithUsageErrorNamingTheVariables()
    {
        var run = await RunAsync(
            ["convert", "r2://some-bucket/in.log.gz"],
            new() { ["R2_ACCOUNT_ID"] = string.Empty, ["R2_ENDPOINT"] = string.Empty, ["R2_ACCESS_KEY_ID"] = string.Empty, ["R2_SECRET_ACCESS_KEY"] = string.Empty });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("R2_ACCESS_KEY_ID", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("R2_SECRET_ACCESS_KEY", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", run.StandardError, StringComparison.Ordinal);
        Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Convert_ObjectOntoItself_UsageErrorAndSourceUntouched()
    {
        var (source, _) = await CreateBucketsAsync();
        var original = PipelineTestData.Gzip(Ndjson);
        await source.PutAsync("in.log.gz", new MemoryStream(original));

        var run = await RunAsync(["convert", $"r2://{source.Name}/in.log.gz", "-o", $"r2://{source.Name}/in.log.gz"], R2Environment());

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is the input itself", run.StandardError, StringComparison.Ordinal);
        await using var body = await source.GetAsync("in.log.gz");
        using var copy = new MemoryStream();
        await body!.Body.CopyToAsync(copy);
        Assert.Equal(original, copy.ToArray());
    }

    [Fact]
    public async Task Convert_S3WithoutCredentials_NamesTheVariablesItReadsNotProperties()
    {
        var run = await RunAsync(["convert", "s3://some-bucket/in.log.gz", "--endpoint", server.HttpEndpoint.AbsoluteUri], []);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("input: 's3://some-bucket/in.log.gz' needs credentials", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("R2BucketOptions", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_TargetPutFailsAfterQuarantine_LeavesNoQuarantineFile()
    {
        using var dir = new TempDirectory();
        var input = dir.WriteGzip("in.log.gz", "{\"a\":1}\nnot json\n{\"a\":2}\n");
        var quarantine = dir.File("bad-lines.ndjson");

        // the target bucket does not exist: the put fails when the output is committed, after the quarantine was
        var run = await RunAsync(
            ["convert", input, "-o", $"r2://{server.NewBucketName("absent")}/out.csv", "--on-bad-line", "quarantine", "--quarantine", quarantine],
            R2Environment());

        Assert.Equal(1, run.ExitCode);
        Assert.False(File.Exists(quarantine), "the quarantine of a failed convert was left behind");
        Assert.Equal(["in.log.gz"], dir.FileNames());
    }

    private const string CliBucketsEndpointVariable = "LOGPUSHKIT_S3_ENDPOINT";

    private Dictionary<string, string> R2Environment() => new()
    {
        ["R2_ENDPOINT"] = server.HttpEndpoint.AbsoluteUri,
        ["R2_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId,
        ["R2_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey,
    };

    private Task<(R2Bucket Source, R2Bucket Target)> CreateBucketsAsync() => S3rverCliCollection.CreateBucketsAsync(server, "cli");

    private static async Task<string> ReadAsync(IR2Bucket bucket, string key)
    {
        await using var body = await bucket.GetAsync(key);
        Assert.NotNull(body);
        using var reader = new StreamReader(body.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private static Task<CliRun> RunAsync(string[] args, Dictionary<string, string> environment) => CliProcess.RunWithEnvironmentAsync(args, environment);
}
