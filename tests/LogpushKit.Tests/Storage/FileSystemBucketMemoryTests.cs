using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.Streams;
using LogpushKit.Tests.Infrastructure;

namespace LogpushKit.Tests.Storage;

/// <summary>Allocation measurements; they run alone so other tests' allocations do not count.</summary>
[Collection(nameof(AllocationMeasurementCollection))]
public sealed class FileSystemBucketMemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task PutAsync_SixtyFourMegabytes_AllocatesFarLessThanTheObject()
    {
        using var folder = new TempDirectory("fsbucket-mem");
        var bucket = new FileSystemBucket(folder.Path);
        const long size = 64L * 1024 * 1024;
        await bucket.PutAsync("warm-up", new PatternStream(1024));

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var info = await bucket.PutAsync("big.log.gz", new PatternStream(size, maxChunk: 1024 * 1024));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        output.WriteLine($"FileSystemBucket put of {size} bytes allocated {allocated} bytes.");
        Assert.Equal(size, info.Size);
        Assert.True(allocated < 4 * 1024 * 1024, $"A {size}-byte put allocated {allocated} bytes.");
    }
}
