using LogpushKit.Storage;
using LogpushKit.Testing.S3;
using LogpushKit.Testing.Streams;

namespace LogpushKit.R2.Tests;

/// <summary>R2Bucket specifics against s3rver: plain HTTP (signed payloads), default 8 MiB parts, bounded memory.</summary>
[Collection(S3rverCollection.Name)]
public sealed class R2BucketTests(S3rverServer server, Xunit.Abstractions.ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(1000L)]
    [InlineData((long)R2BucketOptions.MinPartSize)]
    [InlineData((2L * R2BucketOptions.MinPartSize) + 1)]
    public async Task PutAsync_OverPlainHttp_SignsPayloadAndRoundTrips(long size)
    {
        using var bucket = await S3rverBuckets.CreateAsync(server, tls: false, o => o.PartSize = R2BucketOptions.MinPartSize);
        var metadata = new Dictionary<string, string> { ["source-etag"] = "abc", ["name"] = "naïve ☃" };

        await bucket.PutAsync("http/o.bin", new PatternStream(size, seed: 5), new R2PutOptions { ContentType = "application/octet-stream", CustomMetadata = metadata });

        Assert.True(bucket.SignsPayload);
        await using var body = await bucket.GetAsync("http/o.bin");
        Assert.NotNull(body);
        Assert.Equal("application/octet-stream", body.Info.ContentType);
        Assert.Equal(metadata, body.Info.CustomMetadata);
        await PatternStream.AssertContentAsync(body.Body, size, seed: 5);
    }

    [Fact]
    public async Task S3rver_IgnoresIfNoneMatchOnPut_SoConditionalPutsAreTestedAgainstTheStandIn()
    {
        // s3rver 3.7.1 reads If-None-Match only on GET: a create-only put over an existing key succeeds. The
        // conditional-put contract of R2Bucket therefore runs against S3StandInServer (R2BucketConditionalPutTests).
        using var bucket = await S3rverBuckets.CreateAsync(server, tls: false);
        await bucket.PutAsync("taken.csv", new PatternStream(10, seed: 1));

        var stored = await bucket.PutIfAsync("taken.csv", new PatternStream(20, seed: 2), R2Conditional.DoesNotExist);

        Assert.NotNull(stored);
        Assert.Equal(20, (await bucket.HeadAsync("taken.csv"))!.Size);
    }

    [Fact]
    public async Task CleanUpAsync_S3rverCannotListUploads_ReportsItWithoutThrowingOrRemovingAnything()
    {
        using var bucket = await S3rverBuckets.CreateAsync(server, tls: false);
        await bucket.PutAsync("keep.csv", new PatternStream(10));

        var result = await bucket.CleanUpAsync(new R2CleanupOptions { OlderThan = TimeSpan.Zero });

        Assert.Empty(result.Removed);
        var problem = Assert.Single(result.Problems);
        Assert.Contains("HTTP 501", problem.Reason, StringComparison.Ordinal);
        Assert.NotNull(await bucket.HeadAsync("keep.csv"));
    }

    [Fact]
    public void Identity_IsTheEndpointAndBucket()
    {
        using var a = new R2Bucket(S3rverBuckets.Options(server, server.HttpEndpoint, "same-bucket"));
        using var b = new R2Bucket(S3rverBuckets.Options(server, server.HttpEndpoint, "same-bucket"));
        using var c = new R2Bucket(S3rverBuckets.Options(server, server.HttpEndpoint, "other-bucket"));

        Assert.Equal(a.Identity, b.Identity);
        Assert.NotEqual(a.Identity, c.Identity);
        Assert.Equal($"s3:{server.HttpEndpoint.AbsoluteUri.TrimEnd('/')}/same-bucket/", a.Identity.Store);
    }

    [Fact]
    public async Task PutAsync_OverTls_SendsUnsignedPayload()
    {
        using var bucket = await S3rverBuckets.CreateAsync(server, tls: true);

        await bucket.PutAsync("tls.csv", new PatternStream(10));

        Assert.False(bucket.SignsPayload);
        Assert.Equal(10, (await bucket.HeadAsync("tls.csv"))!.Size);
    }

    [Fact]
    public async Task PutAsync_FortyMegabytesWithDefaultOptions_SendsEqualEightMiBPartsAndRoundTrips()
    {
        await using var proxy = new FaultInjectingProxy(server.HttpEndpoint, _ => null);
        var name = server.NewBucketName("forty");
        await server.CreateBucketAsync(server.HttpEndpoint, name);
        using var bucket = new R2Bucket(S3rverBuckets.Options(server, proxy.Endpoint, name));
        const long size = 40_000_000;

        var info = await bucket.PutAsync("big/forty.bin", new PatternStream(size, seed: 8));

        var parts = proxy.Requests.Where(r => r.IsUploadPart).Select(r => r.ContentLength).ToArray();
        const long part = R2BucketOptions.DefaultPartSize;
        Assert.Equal([part, part, part, part, size - (4 * part)], parts);
        Assert.Equal(size, info.Size);
        var head = await bucket.HeadAsync("big/forty.bin");
        Assert.NotNull(head);
        Assert.Equal(size, head.Size);
        Assert.Equal(info.ETag, head.ETag);
        await using var body = await bucket.GetAsync("big/forty.bin");
        await PatternStream.AssertContentAsync(body!.Body, size, seed: 8);
    }

    [Fact]
    public async Task PutAsync_SixtyFourMegabytes_AllocatesFarLessThanTheObject()
    {
        using var bucket = await S3rverBuckets.CreateAsync(server, tls: true);
        const long size = 64L * MiB;

        // Warm up: the SDK's first-use costs and the pooled part buffers are not what is measured.
        await bucket.PutAsync("warm-up", new PatternStream((2L * R2BucketOptions.DefaultPartSize) + 1));
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await bucket.PutAsync("mem/big.bin", new PatternStream(size, seed: 6, maxChunk: MiB));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        output.WriteLine($"R2Bucket put of {size} bytes (8 MiB parts, 2 in flight) allocated {allocated} bytes.");

        // Part buffers: 8 MiB × 2 in flight, pooled. Anything proportional to the object would be > 64 MiB.
        Assert.True(allocated < 24L * MiB, $"A {size}-byte put allocated {allocated} bytes.");
        Assert.Equal(size, (await bucket.HeadAsync("mem/big.bin"))!.Size);
    }

    [Fact]
    public async Task PutAsync_ExactlyThreshold_UsesOnePutObject()
    {
        await using var proxy = new FaultInjectingProxy(server.HttpEndpoint, _ => null);
        var name = server.NewBucketName("threshold");
        await server.CreateBucketAsync(server.HttpEndpoint, name);
        using var bucket = new R2Bucket(S3rverBuckets.Options(server, proxy.Endpoint, name, o => o.PartSize = R2BucketOptions.MinPartSize));

        await bucket.PutAsync("one", new PatternStream(R2BucketOptions.MinPartSize));
        await bucket.PutAsync("two", new PatternStream(R2BucketOptions.MinPartSize + 1));

        Assert.Single(proxy.Requests, r => r.IsPutObject && r.Target.EndsWith("/one", StringComparison.Ordinal));
        Assert.Equal(2, proxy.Requests.Count(r => r.IsUploadPart && r.Target.Contains("/two?", StringComparison.Ordinal)));
        await using var body = await bucket.GetAsync("two");
        await PatternStream.AssertContentAsync(body!.Body, R2BucketOptions.MinPartSize + 1);
    }

    [Fact]
    public async Task PutAsync_ThresholdZero_UsesMultipartEvenForSmallObjects()
    {
        await using var proxy = new FaultInjectingProxy(server.HttpEndpoint, _ => null);
        var name = server.NewBucketName("threshold");
        await server.CreateBucketAsync(server.HttpEndpoint, name);
        using var bucket = new R2Bucket(S3rverBuckets.Options(server, proxy.Endpoint, name, o => o.SinglePutThreshold = 0));

        await bucket.PutAsync("small", new PatternStream(100));

        Assert.Single(proxy.Requests, r => r.IsUploadPart);
        Assert.Single(proxy.Requests, r => r.IsComplete);
        await using var body = await bucket.GetAsync("small");
        await PatternStream.AssertContentAsync(body!.Body, 100);
    }

    [Fact]
    public async Task ListAsync_SmallPages_MergesObjectsAndPrefixesInOrder()
    {
        using var bucket = await S3rverBuckets.CreateAsync(server, tls: true, o => o.ListPageSize = 2);
        foreach (var key in new[] { "a", "b/1", "b/2", "c", "d/1", "e" })
        {
            await bucket.PutAsync(key, new PatternStream(1));
        }

        var listed = new List<string>();
        await foreach (var item in bucket.ListAsync(new R2ListOptions { Delimiter = "/" }))
        {
            listed.Add(item.Key);
        }

        Assert.Equal(["a", "b/", "c", "d/", "e"], listed);
    }

    [Fact]
    public async Task GetAsync_MissingBucket_ThrowsWith404RatherThanNull()
    {
        using var bucket = new R2Bucket(S3rverBuckets.Options(server, server.HttpsEndpoint, server.NewBucketName("missing")));

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => bucket.GetAsync("x"));

        Assert.Equal(404, ex.StatusCode);
        Assert.Contains("NoSuchBucket", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutAsync_InvalidMetadataKey_ThrowsBeforeAnyRequest()
    {
        using var bucket = await S3rverBuckets.CreateAsync(server, tls: true);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => bucket.PutAsync("m", new PatternStream(1), new R2PutOptions { CustomMetadata = new Dictionary<string, string> { ["bad key"] = "v" } }));

        Assert.Contains("'bad key'", ex.Message, StringComparison.Ordinal);
        Assert.Null(await bucket.HeadAsync("m"));
    }

    [Fact]
    public async Task Operations_UnknownCredentials_ThrowR2BucketExceptionWithoutTheSecret()
    {
        const string secret = "definitely-wrong-secret-value";
        var name = await server.CreateBucketAsync("auth");
        using var bucket = new R2Bucket(S3rverBuckets.Options(server, server.HttpsEndpoint, name, o =>
        {
            o.AccessKeyId = "UNKNOWNKEY";
            o.SecretAccessKey = secret;
        }));

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => bucket.PutAsync("x", new PatternStream(1)));

        Assert.Equal(403, ex.StatusCode);
        Assert.Contains("InvalidAccessKeyId", ex.Message, StringComparison.Ordinal);
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal);
        }
    }
}
