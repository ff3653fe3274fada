using System.Diagnostics;
using System.Text;
using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using LogpushKit.R2;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using LogpushKit.Testing.Processes;
using LogpushKit.Testing.S3;
using LogpushKit.Transform;

namespace LogpushKit.Hosting.Tests;

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<S3rverServer>
{
    public const string Name = "end to end (s3rver + fake Cloudflare API)";
}

/// <summary>
/// The whole pipeline on loopback: objects in a real S3 protocol server (s3rver), R2 events in a queue of the fake
/// Cloudflare API (leases, visibility timeouts, redelivery), consumers pulling them and writing CSV objects.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class EndToEndTests(S3rverServer s3) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Keys =
    [
        "logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.log.gz",
        "logs/v1.2.3/edge-zürich/20240821/20240821T060000Z_20240821T060100Z_a1b2c3d4.log.gz",
        "gateway_http/20240601/日志 données.log.gz",
        "a.b.c/d.e.f.log.gz",
    ];

    private FakeCloudflareApi _api = null!;
    private FakeQueue _queue = null!;
    private R2Bucket _source = null!;
    private R2Bucket _target = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _queue = _api.CreateQueue("logpush-events");
        _source = await CreateBucketAsync("src");
        _target = await CreateBucketAsync("csv");
    }

    public async Task DisposeAsync()
    {
        _source.Dispose();
        _target.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Consumer_EveryEventTwice_ExactlyOneExactCsvPerObject()
    {
        var expected = await PutSourcesAsync();
        foreach (var key in Keys)
        {
            Publish(key);
            Publish(key);
        }

        var summary = await ConsumeUntilDrainedAsync(NewConsumer());

        Assert.Equal(Keys.Length, summary.Converted);
        Assert.Equal(Keys.Length, summary.SkippedDuplicate);
        await AssertTargetsAsync(expected);
        var etags = await TargetETagsAsync();

        // every event again: nothing is rewritten
        foreach (var key in Keys)
        {
            Publish(key);
        }

        var again = await ConsumeUntilDrainedAsync(NewConsumer());
        Assert.Equal(0, again.Converted);
        Assert.Equal(Keys.Length, again.SkippedDuplicate);
        Assert.Equal(etags, await TargetETagsAsync());
    }

    [Fact]
    public async Task Consumer_TransientApiFaults_NothingLost()
    {
        var expected = await PutSourcesAsync();
        foreach (var key in Keys)
        {
            Publish(key);
        }

        _api.FailNext(FakeFailure.ServerError(System.Net.HttpStatusCode.ServiceUnavailable) with { PathContains = "messages/pull" }, times: 2);
        _api.FailNext(FakeFailure.ServerError() with { PathContains = "messages/ack" }, times: 1);
        _api.FailNext(new FakeFailure { Abort = true, PathContains = "messages/ack" }, times: 1);

        var summary = await ConsumeUntilDrainedAsync(NewConsumer(visibility: TimeSpan.FromSeconds(2)));

        Assert.Equal(0, summary.Failed);
        await AssertTargetsAsync(expected);
        Assert.Empty(_queue.DeadLettered);
    }

    [Fact]
    public async Task TwoConsumers_OneQueue_EachObjectConvertedOnce()
    {
        var expected = await PutSourcesAsync();
        foreach (var key in Keys)
        {
            Publish(key);
        }

        using var cts = new CancellationTokenSource(Timeout);
        var first = NewConsumer(batchSize: 1, concurrency: 1);
        var second = NewConsumer(batchSize: 1, concurrency: 1);
        var runs = new[] { first.RunAsync(cts.Token), second.RunAsync(cts.Token) };
        await WaitUntilAsync(() => _queue.Count == 0, cts.Token);
        await cts.CancelAsync();
        var summaries = await Task.WhenAll(runs);

        Assert.Equal(Keys.Length, summaries.Sum(s => s.Converted));
        Assert.Equal(0, summaries.Sum(s => s.SkippedDuplicate + s.Failed));
        await AssertTargetsAsync(expected);
    }

    [Fact]
    public async Task ConsumeProcess_KilledMidObject_MessageRedeliveredAndOutputComplete()
    {
        // a big object, so the child process is still converting when it is killed
        const string key = "big/20240821/20240821T000000Z_20240821T000500Z_deadbeef.log.gz";
        var ndjson = new StringBuilder();
        for (var i = 0; i < 300_000; i++)
        {
            ndjson.Append("{\"RayID\":\"").Append(i).Append("\",\"URL\":\"https://example.com/päth?q=").Append(i * 7919).Append("\",\"Status\":200}\n");
        }

        var data = PipelineTestData.Gzip(ndjson.ToString());
        await _source.PutAsync(key, new MemoryStream(data));
        Publish(key);

        // The child's ack is held, so that the kill always lands before it: while the object is converted (a slow
        // machine), or once its output is written and the ack not yet answered (a fast one: the conversion takes less
        // than the wait). Both are crashes with the message leased.
        _api.FailNext(new FakeFailure { Delay = TimeSpan.FromMinutes(2), PathContains = "messages/ack" });
        using var child = StartConsumeProcess();
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            await WaitUntilAsync(() => _queue.InFlightCount > 0, cts.Token);
            await Task.Delay(300, cts.Token);
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }

            _api.ClearFailures();
        }

        Assert.Equal(0, _queue.AckedCount);
        var targetKey = key[..^".log.gz".Length] + ".csv";
        var atKill = await _target.HeadAsync(targetKey);
        Assert.True(atKill is null || atKill.Size > 0, "an object must be complete or absent");

        // the lease (2 s) expires; a new consumer gets the message again and completes the output
        var summary = await ConsumeUntilDrainedAsync(NewConsumer());
        Assert.Equal(1, summary.Converted + summary.SkippedDuplicate);
        Assert.Equal(1, _queue.AckedCount);
        Assert.Equal(await TransformAsync(data), await ReadAsync(_target, targetKey));
    }

    private LogpushQueueConsumer NewConsumer(int batchSize = 10, int concurrency = 2, TimeSpan? visibility = null)
    {
        var client = new QueuesPullClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new QueuesPullClientOptions()));
        var processor = new LogpushObjectProcessor(_source, _target);
        return new LogpushQueueConsumer(new CloudflareQueueEventSource(client, _queue.Id), processor, new LogpushQueueConsumerOptions
        {
            BatchSize = batchSize,
            MaxConcurrency = concurrency,
            VisibilityTimeout = visibility ?? TimeSpan.FromSeconds(30),
            IdleDelay = TimeSpan.FromMilliseconds(50),
            MaxIdleDelay = TimeSpan.FromMilliseconds(200),
            RetryDelay = TimeSpan.FromSeconds(1),
        });
    }

    private async Task<PipelineSummary> ConsumeUntilDrainedAsync(LogpushQueueConsumer consumer)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var run = consumer.RunAsync(cts.Token);
        await WaitUntilAsync(() => _queue.Count == 0 || run.IsCompleted, cts.Token);
        await cts.CancelAsync();
        return await run;
    }

    private Process StartConsumeProcess()
    {
        var cli = RepositoryLayout.BuiltAssembly("LogpushKit.Cli");
        Assert.True(File.Exists(cli), "build the CLI first: " + cli);
        var info = ChildProcesses.Dotnet(
            cli,
            [
                "consume", "--queue-id", _queue.Id, "--account-id", FakeCloudflareApi.DefaultAccountId, "--api-base", _api.BaseAddress.ToString(),
                "--source", $"s3://{_source.Name}", "--target", $"s3://{_target.Name}", "--endpoint", s3.HttpEndpoint.ToString(),
                "--visibility-timeout", "2", "--concurrency", "1",
            ]);
        info.Environment["CLOUDFLARE_API_TOKEN"] = _api.ApiToken;
        info.Environment["R2_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId;
        info.Environment["R2_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey;
        var process = Process.Start(info)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Publish(string key)
    {
        var info = _source.HeadAsync(key).GetAwaiter().GetResult()!;
        _queue.PublishObjectCreated(_source.Name, key, info.Size, info.ETag);
    }

    private async Task<Dictionary<string, byte[]>> PutSourcesAsync()
    {
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < Keys.Length; i++)
        {
            var data = PipelineTestData.Gzip($"{{\"RayID\":\"r{i}\",\"Text\":\"a,\\\"b\\\"\\nc ü\",\"N\":1.50}}\n{{\"RayID\":\"s{i}\",\"N\":{i}}}\n");
            await _source.PutAsync(Keys[i], new MemoryStream(data));
            expected[Keys[i][..^".log.gz".Length] + ".csv"] = await TransformAsync(data);
        }

        return expected;
    }

    private async Task AssertTargetsAsync(Dictionary<string, byte[]> expected)
    {
        var keys = new List<string>();
        await foreach (var item in _target.ListAsync())
        {
            keys.Add(item.Key);
        }

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        foreach (var (key, bytes) in expected)
        {
            Assert.Equal(bytes, await ReadAsync(_target, key));
        }
    }

    private async Task<Dictionary<string, string>> TargetETagsAsync()
    {
        var etags = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var item in _target.ListAsync())
        {
            etags[item.Key] = item.Object!.ETag + "@" + item.Object.LastModified.ToUnixTimeMilliseconds();
        }

        return etags;
    }

    private async Task<R2Bucket> CreateBucketAsync(string prefix)
    {
        var name = s3.NewBucketName(prefix);
        await s3.CreateBucketAsync(s3.HttpEndpoint, name);
        return new R2Bucket(new R2BucketOptions
        {
            Bucket = name,
            Endpoint = s3.HttpEndpoint,
            AccessKeyId = S3rverServer.AccessKeyId,
            SecretAccessKey = S3rverServer.SecretAccessKey,
        });
    }

    private static async Task<byte[]> ReadAsync(IR2Bucket bucket, string key)
    {
        await using var body = await bucket.GetAsync(key) ?? throw new KeyNotFoundException(key);
        using var buffer = new MemoryStream();
        await body.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task<byte[]> TransformAsync(byte[] data)
    {
        using var output = new MemoryStream();
        await new LogpushCsvTransformer().TransformAsync(new MemoryStream(data), output);
        return output.ToArray();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(25, cancellationToken);
        }
    }
}
