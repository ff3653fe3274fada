using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.S3;
using LogpushKit.Testing.Streams;
using Microsoft.Extensions.Logging;

namespace LogpushKit.R2.Tests;

/// <summary>
/// Transient and permanent failures injected by a loopback proxy in front of s3rver's plain-HTTP instance.
/// </summary>
[Collection(S3rverCollection.Name)]
public sealed class R2BucketFaultTests(S3rverServer server)
{
    private const int PartSize = R2BucketOptions.MinPartSize;

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(0)]
    public async Task PutAsync_FirstPutObjectFailsTransiently_RetriesAndStoresExactContent(int status)
    {
        var failed = false;
        await using var proxy = Proxy(r => r.IsPutObject && !failed && (failed = true) ? Fault(status) : null);
        using var bucket = await CreateBucketAsync(proxy);

        var info = await bucket.PutAsync("retry/small.csv", new PatternStream(10_000, seed: 1));

        Assert.Equal(PatternStream.Md5Hex(10_000, seed: 1), info.ETag);
        await AssertStoredAsync(bucket, "retry/small.csv", 10_000, seed: 1);
        var puts = proxy.Requests.Where(r => r.IsPutObject).ToArray();
        Assert.Equal(2, puts.Length);
        Assert.NotNull(puts[0].Fault);
        Assert.Null(puts[1].Fault);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(0)]
    public async Task PutAsync_UploadPartFailsTransiently_RetriesThatPartAndCompletes(int status)
    {
        var failed = false;
        await using var proxy = Proxy(r => r.IsUploadPart && r.Target.Contains("partNumber=2", StringComparison.Ordinal) && !failed && (failed = true) ? Fault(status) : null);
        using var bucket = await CreateBucketAsync(proxy);
        const long size = (2L * PartSize) + 777;

        await bucket.PutAsync("retry/multi.bin", new PatternStream(size, seed: 2));

        await AssertStoredAsync(bucket, "retry/multi.bin", size, seed: 2);
        var parts = proxy.Requests.Where(r => r.IsUploadPart).ToArray();
        Assert.Equal(4, parts.Length);
        Assert.Single(parts, p => p.Fault is not null);
        Assert.Single(proxy.Requests, r => r.IsComplete);
        Assert.DoesNotContain(proxy.Requests, r => r.IsAbort);
    }

    [Fact]
    public async Task PutAsync_CompleteFailsTransiently_RetriesAndCompletes()
    {
        var failed = false;
        await using var proxy = Proxy(r => r.IsComplete && !failed && (failed = true) ? ProxyFault.Respond(503) : null);
        using var bucket = await CreateBucketAsync(proxy);
        const long size = PartSize + 1;

        await bucket.PutAsync("retry/complete.bin", new PatternStream(size, seed: 3));

        await AssertStoredAsync(bucket, "retry/complete.bin", size, seed: 3);
        Assert.Equal(2, proxy.Requests.Count(r => r.IsComplete));
    }

    [Fact]
    public async Task GetAsync_ConnectionResetOnce_RetriesAndReturnsBody()
    {
        var failed = false;
        await using var proxy = Proxy(r => r.Method == "GET" && r.Target.Contains("/get/", StringComparison.Ordinal) && !failed && (failed = true) ? ProxyFault.Reset : null);
        using var bucket = await CreateBucketAsync(proxy);
        await bucket.PutAsync("get/o.csv", new PatternStream(5000, seed: 4));

        await AssertStoredAsync(bucket, "get/o.csv", 5000, seed: 4);
        Assert.True(failed);
    }

    [Fact]
    public async Task PutAsync_EveryUploadPartFails_ThrowsWithStatusAbortsAndLeavesNoObject()
    {
        await using var proxy = Proxy(r => r.IsUploadPart ? ProxyFault.Respond(500) : null);
        var logger = new ListLogger<R2Bucket>();
        using var bucket = await CreateBucketAsync(proxy, o => o.MaxRetries = 1, logger);

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => bucket.PutAsync("fail/parts.bin", new PatternStream((3L * PartSize) + 1)));

        Assert.Equal(500, ex.StatusCode);
        Assert.Equal("fail/parts.bin", ex.Key);
        Assert.Equal(bucket.Name, ex.Bucket);
        Assert.Contains("HTTP 500", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(S3rverServer.SecretAccessKey, ex.Message, StringComparison.Ordinal);
        Assert.Null(await bucket.HeadAsync("fail/parts.bin"));
        Assert.Single(proxy.Requests, r => r.IsAbort);
        Assert.DoesNotContain(proxy.Requests, r => r.IsComplete);

        // Each part was tried once and retried once (MaxRetries = 1); no more parts were read after the failure.
        Assert.InRange(proxy.Requests.Count(r => r.IsUploadPart), 2, 2 * 3);

        // s3rver does not implement AbortMultipartUpload (405): logged as a warning, not thrown.
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("refused to abort", StringComparison.Ordinal) && e.Message.Contains("405", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PutAsync_PermanentFailure_SurfacesWithoutRetry()
    {
        await using var proxy = Proxy(r => r.IsPutObject ? ProxyFault.Respond(403) : null);
        using var bucket = await CreateBucketAsync(proxy);

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => bucket.PutAsync("denied.csv", new PatternStream(10)));

        Assert.Equal(403, ex.StatusCode);
        Assert.Contains("AccessDenied", ex.Message, StringComparison.Ordinal);
        Assert.Single(proxy.Requests, r => r.IsPutObject);
        Assert.Null(await bucket.HeadAsync("denied.csv"));
    }

    [Fact]
    public async Task HeadAsync_ServerKeepsFailing_ThrowsR2BucketExceptionWith503()
    {
        await using var proxy = Proxy(r => r.Method == "HEAD" ? ProxyFault.Respond(503) : null);
        using var bucket = await CreateBucketAsync(proxy, o => o.MaxRetries = 2);

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => bucket.HeadAsync("x.csv"));

        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(3, proxy.Requests.Count(r => r.Method == "HEAD"));
    }

    [Fact]
    public async Task ListAsync_SecondPageFailsOnce_RetriesAndListsEverything()
    {
        var failed = false;
        await using var proxy = Proxy(r => r.Method == "GET" && r.Target.Contains("continuation-token=", StringComparison.Ordinal) && !failed && (failed = true) ? ProxyFault.Respond(500) : null);
        using var bucket = await CreateBucketAsync(proxy, o => o.ListPageSize = 3);
        var keys = Enumerable.Range(0, 8).Select(i => $"k{i}").ToArray();
        foreach (var key in keys)
        {
            await bucket.PutAsync(key, new PatternStream(1));
        }

        var listed = new List<string>();
        await foreach (var item in bucket.ListAsync())
        {
            listed.Add(item.Key);
        }

        Assert.Equal(keys, listed);
        Assert.True(failed);
    }

    private FaultInjectingProxy Proxy(Func<ProxiedRequest, ProxyFault?> decide) => new(server.HttpEndpoint, decide);

    private static ProxyFault Fault(int status) => status == 0 ? ProxyFault.Reset : ProxyFault.Respond(status);

    private async Task<R2Bucket> CreateBucketAsync(FaultInjectingProxy proxy, Action<R2BucketOptions>? configure = null, ILogger<R2Bucket>? logger = null)
    {
        var name = server.NewBucketName("fault");
        await server.CreateBucketAsync(server.HttpEndpoint, name);
        return new R2Bucket(
            S3rverBuckets.Options(server, proxy.Endpoint, name, o =>
            {
                o.PartSize = PartSize;
                configure?.Invoke(o);
            }),
            logger);
    }

    private static async Task AssertStoredAsync(R2Bucket bucket, string key, long size, int seed)
    {
        await using var body = await bucket.GetAsync(key);
        Assert.NotNull(body);
        Assert.Equal(size, body.Info.Size);
        await PatternStream.AssertContentAsync(body.Body, size, seed);
    }
}
