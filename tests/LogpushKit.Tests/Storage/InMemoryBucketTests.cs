using LogpushKit.Storage;
using LogpushKit.Testing.Storage;
using LogpushKit.Testing.Streams;
using Microsoft.Extensions.Time.Testing;

namespace LogpushKit.Tests.Storage;

public sealed class InMemoryBucketTests : BucketBehaviourTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 1, 0, 0, TimeSpan.Zero));

    public InMemoryBucketTests()
    {
        _time.AutoAdvanceAmount = TimeSpan.FromSeconds(1);
        Bucket = new InMemoryBucket("memory-test", _time);
    }

    protected override IR2Bucket Bucket { get; }

    protected override DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public async Task PutAsync_UsesTimeProviderForLastModified()
    {
        var expected = _time.GetUtcNow() + TimeSpan.FromSeconds(1);

        var info = await Bucket.PutAsync("t", new PatternStream(1));

        Assert.Equal(expected, info.LastModified);
        Assert.Equal(expected, (await Bucket.HeadAsync("t"))!.LastModified);
    }

    [Fact]
    public async Task GetAsync_BodyOpenedBeforeReplace_KeepsReadingOldVersion()
    {
        await Bucket.PutAsync("v", new PatternStream(100, seed: 1));
        await using var old = await Bucket.GetAsync("v");

        await Bucket.PutAsync("v", new PatternStream(50, seed: 2));

        Assert.NotNull(old);
        await PatternStream.AssertContentAsync(old.Body, 100, seed: 1);
    }

    [Fact]
    public async Task PutAsync_ConcurrentPutsOfOneKey_LeaveOneCompleteVersion()
    {
        var puts = Enumerable.Range(1, 16).Select(seed => Bucket.PutAsync("race", new PatternStream(10_000 + seed, seed)));

        await Task.WhenAll(puts);

        var info = await Bucket.HeadAsync("race");
        Assert.NotNull(info);
        var seedWritten = (int)(info.Size - 10_000);
        await using var body = await Bucket.GetAsync("race");
        await PatternStream.AssertContentAsync(body!.Body, info.Size, seedWritten);
        Assert.Equal(1, ((InMemoryBucket)Bucket).Count);
    }

    [Fact]
    public async Task PutAsync_EmptyKey_ThrowsObjectKeyException()
    {
        var ex = await Assert.ThrowsAsync<ObjectKeyException>(() => Bucket.PutAsync(string.Empty, new PatternStream(1)));

        Assert.Equal("memory-test", ex.Bucket);
    }
}
