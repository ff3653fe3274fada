using System.Diagnostics;
using System.Globalization;
using LogpushKit.R2;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using LogpushKit.Testing.S3;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The worker sample as a real process with bad configuration: one line per problem naming its configuration key, exit 2,
/// no stack trace, nothing created.
/// </summary>
public sealed class WorkerProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new("logpushkit-worker");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Worker_MissingSourceFolder_ExitsTwoWithOneLineAndCreatesNothing()
    {
        var missing = Path.Combine(_dir.Path, "logpush");

        var run = await WorkerProcess.RunAsync(_dir.Path, Settings(missing, Path.Combine(_dir.Path, "csv")));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"LogpushKit:Source: the folder '{missing}' does not exist.", run.StandardError.TrimEnd('\n'));
        Assert.False(Directory.Exists(missing), "the worker created its source folder");
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Worker_SourceIsAFile_SaysSo()
    {
        var file = Path.Combine(_dir.Path, "x.log.gz");
        await File.WriteAllBytesAsync(file, PipelineTestData.Gzip("{\"a\":1}\n"));

        var run = await WorkerProcess.RunAsync(_dir.Path, Settings(file, Path.Combine(_dir.Path, "csv")));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"LogpushKit:Source: '{file}' is a file, not a folder.", run.StandardError.TrimEnd('\n'));
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Worker_SeveralBadSettings_OneLineEachNamingTheKey()
    {
        var settings = Settings(_dir.Path, Path.Combine(_dir.Path, "csv"));
        settings["LogpushKit__Concurrency"] = "0";
        settings["LogpushKit__TargetKeyTemplate"] = "{nope}.csv";

        var run = await WorkerProcess.RunAsync(_dir.Path, settings);

        Assert.Equal(2, run.ExitCode);
        var lines = run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("LogpushKit:Concurrency ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("LogpushKit:TargetKeyTemplate: ", lines[1], StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Worker_S3TargetWithoutEndpointOrCredentials_NamesTheKeysAndVariables()
    {
        var run = await WorkerProcess.RunAsync(_dir.Path, Settings(_dir.Path, "s3://csv-bucket/siem"));

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("LogpushKit:Target: 's3://csv-bucket/siem' needs ", line, StringComparison.Ordinal);
        Assert.Contains("LogpushKit:Endpoint or the LOGPUSHKIT_S3_ENDPOINT environment variable", line, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", line, StringComparison.Ordinal);
        Assert.DoesNotContain("R2BucketOptions", line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Worker_EndpointNotAUrl_NamesTheEndpointKey()
    {
        var settings = Settings(_dir.Path, "s3://csv-bucket/siem");
        settings["LogpushKit__Endpoint"] = "ftp://127.0.0.1:9";
        settings["AWS_ACCESS_KEY_ID"] = "id";
        settings["AWS_SECRET_ACCESS_KEY"] = "secret-value";

        var run = await WorkerProcess.RunAsync(_dir.Path, settings);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("LogpushKit:Endpoint: 'ftp://127.0.0.1:9' is not an absolute http:// or https:// URL.", run.StandardError.TrimEnd('\n'));
        Assert.DoesNotContain("secret-value", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }

    internal static Dictionary<string, string> Settings(string source, string target) => new()
    {
        ["LogpushKit__Source"] = source,
        ["LogpushKit__Target"] = target,
    };

    private static void AssertNoStackTrace(WorkerRun run)
    {
        Assert.DoesNotContain("   at ", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }
}

/// <summary>The worker sample as a real process converting a folder into an s3:// target on s3rver, then stopped by SIGTERM.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class WorkerProcessBucketTests(S3rverServer s3) : IDisposable
{
    private readonly TempDirectory _dir = new("logpushkit-worker");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Worker_S3TargetFolder_WritesUnderTheFolderAndStopsCleanlyOnSigterm()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGTERM is POSIX
        }

        var bucket = s3.NewBucketName("worker-dst");
        await s3.CreateBucketAsync(s3.HttpEndpoint, bucket);
        using var target = new R2Bucket(new R2BucketOptions { Bucket = bucket, Endpoint = s3.HttpEndpoint, AccessKeyId = S3rverServer.AccessKeyId, SecretAccessKey = S3rverServer.SecretAccessKey });
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(Path.Combine(source, "gw", "20240601"));
        await File.WriteAllBytesAsync(Path.Combine(source, "gw", "20240601", "a.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(3, 1)));
        var settings = WorkerProcessTests.Settings(source, $"s3://{bucket}/siem");
        settings["LogpushKit__Endpoint"] = s3.HttpEndpoint.AbsoluteUri;
        settings["LogpushKit__WatchDebounceMilliseconds"] = "100";
        settings["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId;
        settings["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey;

        using var process = WorkerProcess.Start(_dir.Path, settings);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            // the existing object (first pass), then one that appears while the worker watches
            await WaitForObjectAsync(target, "siem/gw/20240601/a.csv");
            await File.WriteAllBytesAsync(Path.Combine(source, "gw", "20240601", "b.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(2, 2)));
            await WaitForObjectAsync(target, "siem/gw/20240601/b.csv");
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode == 0, await stderr + await stdout);
        Assert.Equal(["siem/gw/20240601/a.csv", "siem/gw/20240601/b.csv"], await KeysAsync(target));
        Assert.Contains("LogpushKit worker stopped: 2 converted", await stdout, StringComparison.Ordinal);
    }

    private static async Task WaitForObjectAsync(R2Bucket bucket, string key)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await bucket.HeadAsync(key, timeout.Token) is null)
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    private static async Task<List<string>> KeysAsync(R2Bucket bucket)
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

/// <summary>The worker sample as a real process consuming a queue of the fake Cloudflare API (on loopback).</summary>
public sealed class WorkerProcessQueueTests : FakeQueueTest
{
    private readonly TempDirectory _dir = new("logpushkit-worker-queue");

    protected override void CleanUp()
    {
        _dir.Dispose();
    }

    [Fact]
    public async Task Worker_QueueConsumerGivesUp_ExitsOneWithOneLine()
    {
        Api.FailNext(FakeFailure.CloudflareErrors(System.Net.HttpStatusCode.Forbidden, (10000, "Authentication error")).For("POST", "/messages/pull"), times: 1000);
        var settings = QueueSettings();
        settings["LogpushKit__Queue__MaxFailureSeconds"] = "1";

        var run = await WorkerProcess.RunAsync(_dir.Path, settings);

        Assert.True(run.ExitCode == 1, run.StandardError + run.StandardOutput);
        var line = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("LogpushKit: stopped by an error: the queue consumer gave up", line, StringComparison.Ordinal);
        Assert.Contains("[10000] Authentication error", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Api.ApiToken, run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_QueueWithMalformedApiBaseUrlInTheEnvironment_ExitsTwoNamingTheVariable()
    {
        var settings = QueueSettings();
        settings.Remove("LogpushKit__Queue__ApiBaseUrl");
        settings["CLOUDFLARE_API_BASE_URL"] = "api.cloudflare.com/client/v4";

        var run = await WorkerProcess.RunAsync(_dir.Path, settings);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "CLOUDFLARE_API_BASE_URL must be an absolute http(s) URL, e.g. https://api.cloudflare.com/client/v4/; got 'api.cloudflare.com/client/v4'.",
            run.StandardError.TrimEnd('\n'));
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Worker_QueueWithoutCredentials_ExitsTwoNamingTheKeyAndTheVariable()
    {
        var settings = QueueSettings();
        settings.Remove("LogpushKit__Queue__ApiToken");

        var run = await WorkerProcess.RunAsync(_dir.Path, settings);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "LogpushKit:Queue:QueueId is set but no Cloudflare credentials: set LogpushKit:Queue:ApiToken or CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY).",
            run.StandardError.TrimEnd('\n'));
    }

    private Dictionary<string, string> QueueSettings()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(source);
        var settings = WorkerProcessTests.Settings(source, Path.Combine(_dir.Path, "csv"));
        settings["LogpushKit__Queue__QueueId"] = Queue.Id;
        settings["LogpushKit__Queue__AccountId"] = FakeCloudflareApi.DefaultAccountId;
        settings["LogpushKit__Queue__ApiToken"] = Api.ApiToken;
        settings["LogpushKit__Queue__ApiBaseUrl"] = Api.BaseAddress.AbsoluteUri;
        return settings;
    }
}
