using LogpushKit.Storage;
using LogpushKit.Testing.Streams;

namespace LogpushKit.Testing.Storage;

/// <summary>
/// The conditional-put contract (<see cref="IR2Bucket.PutIfAsync"/>) every implementation that has conditional puts
/// shares: the folder and in-memory buckets, and <c>R2Bucket</c> against a server that implements conditional writes
/// (the S3 stand-in; s3rver 3.7.1 ignores the headers, see <c>R2BucketTests</c>). Subclasses supply a fresh, empty bucket.
/// </summary>
public abstract class ConditionalPutBehaviourTests
{
    private const int MiB = 1024 * 1024;

    /// <summary>A fresh, empty bucket for the current test.</summary>
    protected abstract IR2Bucket Bucket { get; }

    /// <summary>The multipart part size the implementation uses (sizes are chosen around it).</summary>
    protected virtual int PartSize => 5 * MiB;

    [Fact]
    public async Task PutIfAsync_DoesNotExist_NewKey_Writes()
    {
        var stored = await Bucket.PutIfAsync("c/new.csv", new PatternStream(100, seed: 1), R2Conditional.DoesNotExist, new R2PutOptions { ContentType = "text/csv" });

        Assert.NotNull(stored);
        Assert.Equal(PatternStream.Md5Hex(100, seed: 1), stored.ETag);
        await using var body = await Bucket.GetAsync("c/new.csv");
        Assert.NotNull(body);
        Assert.Equal("text/csv", body.Info.ContentType);
        await PatternStream.AssertContentAsync(body.Body, 100, seed: 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PutIfAsync_DoesNotExist_ExistingKey_ReturnsNullAndKeepsTheObject(bool multipart)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["owner"] = "first" };
        await Bucket.PutAsync("c/taken.csv", new PatternStream(10, seed: 2), new R2PutOptions { CustomMetadata = meta });
        var size = multipart ? (2L * PartSize) + 7 : 50;

        var stored = await Bucket.PutIfAsync("c/taken.csv", new PatternStream(size, seed: 3), R2Conditional.DoesNotExist);

        Assert.Null(stored);
        await using var body = await Bucket.GetAsync("c/taken.csv");
        Assert.NotNull(body);
        Assert.Equal(meta, body.Info.CustomMetadata);
        await PatternStream.AssertContentAsync(body.Body, 10, seed: 2);
        await AssertNothingLeftOverAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PutIfAsync_ETagIs_CurrentETag_Replaces(bool multipart)
    {
        var first = await Bucket.PutAsync("c/update.csv", new PatternStream(10, seed: 4));
        var size = multipart ? (2L * PartSize) + 7 : 50;

        var stored = await Bucket.PutIfAsync("c/update.csv", new PatternStream(size, seed: 5), R2Conditional.ETagIs(first.ETag));

        Assert.NotNull(stored);
        await using var body = await Bucket.GetAsync("c/update.csv");
        Assert.NotNull(body);
        await PatternStream.AssertContentAsync(body.Body, size, seed: 5);
    }

    [Fact]
    public async Task PutIfAsync_ETagIs_QuotedETagAsHeadReportsIt_Replaces()
    {
        var first = await Bucket.PutAsync("c/quoted.csv", new PatternStream(10, seed: 4));

        var stored = await Bucket.PutIfAsync("c/quoted.csv", new PatternStream(20, seed: 6), R2Conditional.ETagIs("\"" + first.ETag + "\""));

        Assert.NotNull(stored);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PutIfAsync_ETagIs_StaleETag_ReturnsNullAndKeepsTheNewerObject(bool multipart)
    {
        var first = await Bucket.PutAsync("c/raced.csv", new PatternStream(10, seed: 6));
        await Bucket.PutAsync("c/raced.csv", new PatternStream(11, seed: 7));
        var size = multipart ? (2L * PartSize) + 7 : 50;

        var stored = await Bucket.PutIfAsync("c/raced.csv", new PatternStream(size, seed: 8), R2Conditional.ETagIs(first.ETag));

        Assert.Null(stored);
        await using var body = await Bucket.GetAsync("c/raced.csv");
        Assert.NotNull(body);
        await PatternStream.AssertContentAsync(body.Body, 11, seed: 7);
        await AssertNothingLeftOverAsync();
    }

    [Fact]
    public async Task PutIfAsync_ETagIs_MissingKey_ReturnsNullAndCreatesNothing()
    {
        var stored = await Bucket.PutIfAsync("c/gone.csv", new PatternStream(10), R2Conditional.ETagIs("0123456789abcdef0123456789abcdef"));

        Assert.Null(stored);
        Assert.Null(await Bucket.HeadAsync("c/gone.csv"));
    }

    [Fact]
    public async Task PutIfAsync_ManyCreatorsAtOnce_ExactlyOneWins()
    {
        const int writers = 8;

        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(i =>
            Task.Run(() => Bucket.PutIfAsync("c/claim.csv", new PatternStream(1000 + i, seed: 100 + i), R2Conditional.DoesNotExist))));

        var winners = results.Select((r, i) => (Result: r, Index: i)).Where(r => r.Result is not null).ToArray();
        var winner = Assert.Single(winners);
        await using var body = await Bucket.GetAsync("c/claim.csv");
        Assert.NotNull(body);
        await PatternStream.AssertContentAsync(body.Body, 1000 + winner.Index, seed: 100 + winner.Index);
        await AssertNothingLeftOverAsync();
    }

    [Fact]
    public async Task PutIfAsync_SourceFailsMidway_LeavesNothing()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => Bucket.PutIfAsync("c/fail.csv", new ThrowingAfterStream((2L * PartSize) + 100), R2Conditional.DoesNotExist));

        Assert.Null(await Bucket.HeadAsync("c/fail.csv"));
        await AssertNothingLeftOverAsync();
    }

    [Fact]
    public async Task PutIfAsync_ThroughBucketPutStream_LosingWriterGetsNullAndWritesNothing()
    {
        await Bucket.PutAsync("c/stream.csv", new PatternStream(10, seed: 9));
        var chunk = new byte[64 * 1024];

        await using var stream = new BucketPutStream(Bucket, "c/stream.csv", condition: R2Conditional.DoesNotExist);
        for (var i = 0; i < (3 * PartSize / chunk.Length) + 1; i++)
        {
            await stream.WriteAsync(chunk);
        }

        Assert.Null(await stream.CommitAsync());
        Assert.True(stream.ConditionApplied);
        await using var body = await Bucket.GetAsync("c/stream.csv");
        await PatternStream.AssertContentAsync(body!.Body, 10, seed: 9);
        await AssertNothingLeftOverAsync();
    }

    /// <summary>Nothing a cleanup would find: no temporary files, no multipart uploads (whatever their age).</summary>
    private async Task AssertNothingLeftOverAsync()
    {
        var leftovers = await Bucket.CleanUpAsync(new R2CleanupOptions { OlderThan = TimeSpan.Zero });
        Assert.Empty(leftovers.Removed);
        Assert.Empty(leftovers.Problems);
    }
}
