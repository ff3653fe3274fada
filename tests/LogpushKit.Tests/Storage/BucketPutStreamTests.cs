using LogpushKit.Storage;
using LogpushKit.Testing.Storage;
using LogpushKit.Tests.Pipeline;

namespace LogpushKit.Tests.Storage;

public sealed class BucketPutStreamTests
{
    [Fact]
    public async Task CommitAsync_CreateOnFirstWriteAndNothingWritten_ReturnsNullAndCallsNoPut()
    {
        var bucket = new TestBucket("b");

        await using var stream = new BucketPutStream(bucket, "q.quarantine", createOnFirstWrite: true);

        Assert.Null(await stream.CommitAsync());
        Assert.Equal(0, bucket.Puts);
        Assert.Empty(bucket.Keys);
    }

    [Fact]
    public async Task WriteAsync_PutFailsMidStream_ThrowsTheBucketsOwnExceptionUnwrapped()
    {
        var bucket = new TestBucket("b") { FailPutAfterBytes = _ => 200_000 };
        var chunk = new byte[64 * 1024];

        await using var stream = new BucketPutStream(bucket, "x.csv");
        var thrown = await Assert.ThrowsAsync<R2BucketException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await stream.WriteAsync(chunk);
            }

            await stream.CommitAsync();
        });

        Assert.Equal("injected put failure", thrown.Message);
        Assert.Equal("x.csv", thrown.Key);
        Assert.Empty(bucket.Keys);
    }

    [Fact]
    public async Task Write_Synchronous_StreamsIntoThePut()
    {
        var bucket = new TestBucket("b");

        await using var stream = new BucketPutStream(bucket, "sync.csv");
#pragma warning disable CA1849 // the synchronous path is what is tested
        stream.Write("a,b\n"u8);
        stream.Write([49, 44, 50, 10], 0, 4);
#pragma warning restore CA1849
        var stored = await stream.CommitAsync();

        Assert.NotNull(stored);
        Assert.Equal("a,b\n1,2\n", bucket.ReadText("sync.csv"));
    }

    [Fact]
    public async Task CommitAsync_BucketWithoutConditionalPuts_PutsUnconditionallyAndSaysSo()
    {
        var inner = new InMemoryBucket("old");
        await inner.PutAsync("x.csv", new MemoryStream([1]));
        var bucket = new MinimalBucket(inner);

        await using var stream = new BucketPutStream(bucket, "x.csv", condition: R2Conditional.DoesNotExist);
        await stream.WriteAsync(new byte[] { 2, 3 });
        var stored = await stream.CommitAsync();

        Assert.NotNull(stored);
        Assert.False(stream.ConditionApplied);
        Assert.Equal(2, (await inner.HeadAsync("x.csv"))!.Size);
    }

    [Fact]
    public async Task WriteAsync_AfterCommit_Throws()
    {
        await using var stream = new BucketPutStream(new InMemoryBucket(), "x.csv");
        await stream.CommitAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await stream.WriteAsync(new byte[] { 1 }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.CommitAsync());
    }

    [Fact]
    public async Task DisposeAsync_Cancelled_LeavesNothing()
    {
        var bucket = new TestBucket("b");
        using var cts = new CancellationTokenSource();
        var stream = new BucketPutStream(bucket, "x.csv", cancellationToken: cts.Token);
        await stream.WriteAsync(new byte[1000]);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.CommitAsync());
        await stream.DisposeAsync();

        Assert.Empty(bucket.Keys);
    }
}
