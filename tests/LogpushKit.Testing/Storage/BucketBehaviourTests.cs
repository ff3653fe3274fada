using System.Text;
using LogpushKit.Storage;
using LogpushKit.Testing.Streams;

namespace LogpushKit.Testing.Storage;

/// <summary>
/// The behaviour every <see cref="IR2Bucket"/> implementation shares. Subclasses (one per implementation, also in
/// other test projects) supply a fresh, empty bucket per test.
/// </summary>
public abstract class BucketBehaviourTests
{
    private const int MiB = 1024 * 1024;

    /// <summary>A fresh, empty bucket for the current test.</summary>
    protected abstract IR2Bucket Bucket { get; }

    /// <summary>The multipart part size the implementation uses (sizes are chosen around it).</summary>
    protected virtual int PartSize => 5 * MiB;

    /// <summary>
    /// Keys for the ordering test: folders against siblings that sort just before '/' ("a-b", "a.b" against "a/b"),
    /// case, and code points whose UTF-16 and UTF-8 orders differ. No key is also a folder of another ("a" and
    /// "a/b"): a file-system bucket cannot hold both. Override only to avoid a test server's documented deviation
    /// from S3.
    /// </summary>
    protected virtual string[] OrderingKeys => ["b", "a/b", "a-b", "a.b", "A", "a0", "ä", "日", "😀", "\uFF21", "z/y/x", "a~"];

    /// <summary>A key two folders below the top-level prefix "d/" that the delimiter test expects rolled up.</summary>
    protected virtual string DeepKeyUnderRolledUpPrefix => "d/e/f";

    /// <summary>The bucket's notion of now, for LastModified checks.</summary>
    protected virtual DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <summary>How many puts the listing tests run at once (remote buckets are slower per request).</summary>
    protected virtual int SeedParallelism => 8;

    [Fact]
    public async Task PutAsync_SmallNonSeekableStream_RoundTripsContentAndMd5ETag()
    {
        var info = await Bucket.PutAsync("logs/small.csv", new PatternStream(1000));

        Assert.Equal("logs/small.csv", info.Key);
        Assert.Equal(1000, info.Size);
        Assert.Equal(PatternStream.Md5Hex(1000), info.ETag);
        await using var body = await Bucket.GetAsync("logs/small.csv");
        Assert.NotNull(body);
        Assert.Equal(1000, body.Info.Size);
        Assert.Equal(info.ETag, body.Info.ETag);
        await PatternStream.AssertContentAsync(body.Body, 1000);
    }

    [Fact]
    public async Task PutAsync_EmptyStream_StoresEmptyObject()
    {
        var info = await Bucket.PutAsync("empty", new PatternStream(0));

        Assert.Equal(0, info.Size);
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", info.ETag);
        await using var body = await Bucket.GetAsync("empty");
        Assert.NotNull(body);
        await PatternStream.AssertContentAsync(body.Body, 0);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 0)]
    [InlineData(2, 12345)]
    public async Task PutAsync_SizesAroundPartSize_RoundTripExactly(int parts, int extra)
    {
        long size = ((long)parts * PartSize) + extra;

        var info = await Bucket.PutAsync("part/boundary.bin", new PatternStream(size, seed: parts + extra, maxChunk: 100_000));

        Assert.Equal(size, info.Size);
        var head = await Bucket.HeadAsync("part/boundary.bin");
        Assert.NotNull(head);
        Assert.Equal(size, head.Size);
        await using var body = await Bucket.GetAsync("part/boundary.bin");
        Assert.NotNull(body);
        await PatternStream.AssertContentAsync(body.Body, size, seed: parts + extra);
    }

    [Fact]
    public async Task PutAsync_FortyMegabytesFromNonSeekableStream_RoundTripsExactly()
    {
        const long size = 40_000_000;

        var info = await Bucket.PutAsync("big/forty.log.gz", new PatternStream(size, seed: 40));

        Assert.Equal(size, info.Size);
        await using var body = await Bucket.GetAsync("big/forty.log.gz");
        Assert.NotNull(body);
        Assert.Equal(size, body.Info.Size);
        await PatternStream.AssertContentAsync(body.Body, size, seed: 40);
    }

    [Fact]
    public async Task PutAsync_ExistingKey_ReplacesObjectAndMetadata()
    {
        await Bucket.PutAsync("k.csv", new PatternStream(10, seed: 1), new R2PutOptions { ContentType = "text/plain", CustomMetadata = Meta(("a", "1")) });

        await Bucket.PutAsync("k.csv", new PatternStream(20, seed: 2), new R2PutOptions { ContentType = "text/csv", CustomMetadata = Meta(("b", "2")) });

        await using var body = await Bucket.GetAsync("k.csv");
        Assert.NotNull(body);
        Assert.Equal("text/csv", body.Info.ContentType);
        Assert.Equal(Meta(("b", "2")), body.Info.CustomMetadata);
        await PatternStream.AssertContentAsync(body.Body, 20, seed: 2);
    }

    [Fact]
    public async Task PutAsync_SourceFailsMidway_LeavesNoObject()
    {
        var failAfter = (2L * PartSize) + 100;

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Bucket.PutAsync("fail/new.csv", new ThrowingAfterStream(failAfter)));

        Assert.Contains(ThrowingAfterStream.FailureMessage, Flatten(ex), StringComparison.Ordinal);
        Assert.Null(await Bucket.HeadAsync("fail/new.csv"));
        Assert.Null(await Bucket.GetAsync("fail/new.csv"));
        Assert.Empty(await ListKeysAsync(new R2ListOptions()));
    }

    [Fact]
    public async Task PutAsync_SourceFailsMidway_KeepsPreviousObject()
    {
        await Bucket.PutAsync("fail/old.csv", new PatternStream(100, seed: 7));

        await Assert.ThrowsAnyAsync<Exception>(() => Bucket.PutAsync("fail/old.csv", new ThrowingAfterStream(PartSize + 10)));

        await using var body = await Bucket.GetAsync("fail/old.csv");
        Assert.NotNull(body);
        await PatternStream.AssertContentAsync(body.Body, 100, seed: 7);
        Assert.Equal(["fail/old.csv"], await ListKeysAsync(new R2ListOptions()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(-1)]
    public async Task PutAsync_Cancelled_LeavesNoObject(long cancelAfterParts)
    {
        // -1: cancelled after most of a part; otherwise after that many bytes.
        var cancelAfter = cancelAfterParts < 0 ? (2L * PartSize) + 5 : cancelAfterParts;
        using var source = new CancelAfterStream(cancelAfter);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bucket.PutAsync("cancel/x.csv", source, cancellationToken: source.Token));

        Assert.Null(await Bucket.HeadAsync("cancel/x.csv"));
        Assert.Empty(await ListKeysAsync(new R2ListOptions()));
    }

    [Fact]
    public async Task PutAsync_AlreadyCancelledToken_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bucket.PutAsync("c.csv", new PatternStream(10), cancellationToken: cancellation.Token));

        Assert.Null(await Bucket.HeadAsync("c.csv"));
    }

    [Fact]
    public async Task HeadAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await Bucket.HeadAsync("does/not/exist.csv"));
    }

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await Bucket.GetAsync("does/not/exist.csv"));
        Assert.Null(await Bucket.GetAsync("does/not/exist.csv", new R2Range(5, 10)));
    }

    [Fact]
    public async Task HeadAsync_AfterPutWithMetadata_ReturnsContentTypeAndCustomMetadata()
    {
        var metadata = Meta(("source-etag", "0123456789abcdef"), ("dataset", "http_requests"), ("note", "spaces and ünïcödé"));
        var put = await Bucket.PutAsync("meta/o.csv", new PatternStream(123), new R2PutOptions { ContentType = "text/csv; charset=utf-8", CustomMetadata = metadata });

        var head = await Bucket.HeadAsync("meta/o.csv");

        Assert.NotNull(head);
        Assert.Equal("text/csv; charset=utf-8", head.ContentType);
        Assert.Equal(metadata, head.CustomMetadata);
        Assert.Equal(put.ETag, head.ETag);
        Assert.Equal(123, head.Size);
        Assert.Equal(put.Size, head.Size);
        Assert.True(Math.Abs((head.LastModified - Now).TotalMinutes) < 10, $"LastModified {head.LastModified:O} is not recent.");
    }

    [Theory]
    [InlineData(0L, 10L, 10L)]
    [InlineData(100L, 50L, 50L)]
    [InlineData(990L, 100L, 10L)]
    [InlineData(500L, null, 500L)]
    [InlineData(999L, 1L, 1L)]
    public async Task GetAsync_Range_ReturnsThatSlice(long offset, long? length, long expectedLength)
    {
        await Bucket.PutAsync("range.bin", new PatternStream(1000, seed: 3));

        await using var body = await Bucket.GetAsync("range.bin", new R2Range(offset, length));

        Assert.NotNull(body);
        Assert.Equal(1000, body.Info.Size);
        await PatternStream.AssertContentAsync(body.Body, expectedLength, seed: 3, offset: offset);
    }

    [Fact]
    public async Task GetAsync_RangeStartingPastEnd_ThrowsWithStatus416()
    {
        await Bucket.PutAsync("range.bin", new PatternStream(100));

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => Bucket.GetAsync("range.bin", new R2Range(100, 10)));

        Assert.Equal(416, ex.StatusCode);
        Assert.Equal("range.bin", ex.Key);
    }

    [Fact]
    public async Task GetAsync_NegativeRange_ThrowsArgumentOutOfRange()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Bucket.GetAsync("range.bin", new R2Range(-1, 10)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Bucket.GetAsync("range.bin", new R2Range(0, 0)));
    }

    [Theory]
    [InlineData("dir with space/file name.csv")]
    [InlineData("ünïcödé/日本語/ログ.log.gz")]
    [InlineData("emoji/😀.csv")]
    [InlineData("dots/a.b.c/..x/.hidden")]
    [InlineData("symbols/a+b=c&d;e,f@g'h(i)!~$.csv")]
    [InlineData("percent/100%25 done.csv")]
    public async Task PutAsync_KeyWithSpacesUnicodeOrDots_RoundTripsAndLists(string key)
    {
        await Bucket.PutAsync(key, new PatternStream(17));

        var head = await Bucket.HeadAsync(key);
        Assert.NotNull(head);
        Assert.Equal(key, head.Key);
        await using (var body = await Bucket.GetAsync(key))
        {
            Assert.NotNull(body);
            await PatternStream.AssertContentAsync(body.Body, 17);
        }

        Assert.Equal([key], await ListKeysAsync(new R2ListOptions()));
        await Bucket.DeleteAsync(key);
        Assert.Null(await Bucket.HeadAsync(key));
    }

    [Fact]
    public async Task ListAsync_MixedKeys_OrderedByUtf8Bytes()
    {
        var keys = OrderingKeys;
        await SeedAsync(keys);

        var listed = await ListKeysAsync(new R2ListOptions());

        var expected = keys.OrderBy(k => Encoding.UTF8.GetBytes(k), Utf8Order.Instance).ToArray();
        Assert.Equal(expected, listed);
    }

    [Fact]
    public async Task ListAsync_Objects_CarrySizeAndETag()
    {
        await Bucket.PutAsync("x/one", new PatternStream(11), new R2PutOptions { CustomMetadata = Meta(("m", "v")) });

        var items = await ListAsync(new R2ListOptions());

        var item = Assert.Single(items);
        Assert.False(item.IsPrefix);
        Assert.Equal(11, item.Object!.Size);
        Assert.Equal(PatternStream.Md5Hex(11), item.Object.ETag);
    }

    [Fact]
    public async Task ListAsync_Prefix_ListsOnlyMatchingKeys()
    {
        await SeedAsync(["logs/2024/a", "logs/2024/b", "logs/2025/a", "logs_other", "log", "other/x"]);

        Assert.Equal(["logs/2024/a", "logs/2024/b"], await ListKeysAsync(new R2ListOptions { Prefix = "logs/2024/" }));
        Assert.Equal(["logs/2024/a", "logs/2024/b", "logs/2025/a"], await ListKeysAsync(new R2ListOptions { Prefix = "logs/20" }));
        Assert.Equal(["logs/2024/a", "logs/2024/b", "logs/2025/a", "logs_other"], await ListKeysAsync(new R2ListOptions { Prefix = "logs" }));
        Assert.Empty(await ListKeysAsync(new R2ListOptions { Prefix = "nothing/" }));
    }

    [Fact]
    public async Task ListAsync_Delimiter_RollsUpCommonPrefixes()
    {
        await SeedAsync(["root.csv", "a/1", "a/2", "a/b/3", "b/1", "c", DeepKeyUnderRolledUpPrefix]);

        var items = await ListAsync(new R2ListOptions { Delimiter = "/" });
        Assert.Equal(["a/", "b/", "c", "d/", "root.csv"], items.Select(i => i.Key).ToArray());
        Assert.Equal([true, true, false, true, false], items.Select(i => i.IsPrefix).ToArray());

        var underA = await ListAsync(new R2ListOptions { Prefix = "a/", Delimiter = "/" });
        Assert.Equal(["a/1", "a/2", "a/b/"], underA.Select(i => i.Key).ToArray());
        Assert.Equal([false, false, true], underA.Select(i => i.IsPrefix).ToArray());

        var partialPrefix = await ListAsync(new R2ListOptions { Prefix = "d", Delimiter = "/" });
        Assert.Equal(["d/"], partialPrefix.Select(i => i.Key).ToArray());
    }

    [Fact]
    public async Task ListAsync_StartAfter_ListsOnlyLaterKeys()
    {
        await SeedAsync(["a/1", "a/2", "a/3", "b/1", "c"]);

        Assert.Equal(["a/3", "b/1", "c"], await ListKeysAsync(new R2ListOptions { StartAfter = "a/2" }));
        Assert.Equal(["b/1", "c"], await ListKeysAsync(new R2ListOptions { StartAfter = "a/9" }));
        Assert.Equal(["a/1", "a/2", "a/3", "b/1", "c"], await ListKeysAsync(new R2ListOptions { StartAfter = "a" }));
        Assert.Empty(await ListKeysAsync(new R2ListOptions { StartAfter = "c" }));
        Assert.Equal(["a/", "b/", "c"], await ListKeysAsync(new R2ListOptions { StartAfter = "a/1", Delimiter = "/" }));
        Assert.Equal(["b/", "c"], await ListKeysAsync(new R2ListOptions { StartAfter = "a/3", Delimiter = "/" }));
    }

    [Fact]
    public async Task ListAsync_MoreThanOneThousandKeys_ListsAllInOrder()
    {
        var keys = Enumerable.Range(0, 1100).Select(i => $"many/{i % 7}/{i:D5}.csv").ToArray();
        await SeedAsync(keys);

        var listed = await ListKeysAsync(new R2ListOptions { Prefix = "many/" });

        Assert.Equal(keys.Order(StringComparer.Ordinal).ToArray(), listed);
        var rolledUp = await ListKeysAsync(new R2ListOptions { Prefix = "many/", Delimiter = "/" });
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"many/{i}/").ToArray(), rolledUp);
    }

    [Fact]
    public async Task ListAsync_CancelledToken_Throws()
    {
        await SeedAsync(["a", "b"]);
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in Bucket.ListAsync(cancellationToken: cancellation.Token))
            {
            }
        });
    }

    [Fact]
    public async Task DeleteAsync_ExistingKey_RemovesItFromGetHeadAndList()
    {
        await SeedAsync(["keep/a", "gone/b"]);

        await Bucket.DeleteAsync("gone/b");

        Assert.Null(await Bucket.HeadAsync("gone/b"));
        Assert.Null(await Bucket.GetAsync("gone/b"));
        Assert.Equal(["keep/a"], await ListKeysAsync(new R2ListOptions()));
        Assert.Equal(["keep/"], await ListKeysAsync(new R2ListOptions { Delimiter = "/" }));
    }

    [Fact]
    public async Task DeleteAsync_MissingKey_DoesNotThrow()
    {
        await Bucket.DeleteAsync("never/was.csv");

        Assert.Null(await Bucket.HeadAsync("never/was.csv"));
    }

    [Fact]
    public async Task CleanUpAsync_AfterCompletedAndFailedPuts_RemovesNoObject()
    {
        await SeedAsync(["a/1.csv", "b/2.csv"]);
        await Assert.ThrowsAnyAsync<Exception>(() => Bucket.PutAsync("c/3.csv", new ThrowingAfterStream(PartSize + 10)));

        var result = await Bucket.CleanUpAsync(new R2CleanupOptions { OlderThan = TimeSpan.Zero });

        Assert.Empty(result.Removed);
        Assert.Equal(["a/1.csv", "b/2.csv"], await ListKeysAsync(new R2ListOptions()));
    }

    [Fact]
    public async Task BucketPutStream_CommittedIsStored_DisposedUncommittedLeavesNothing()
    {
        var chunk = new byte[100_000];
        Random.Shared.NextBytes(chunk);
        await using (var committed = new BucketPutStream(Bucket, "s/kept.csv", new R2PutOptions { ContentType = "text/csv" }))
        {
            for (var i = 0; i < (PartSize / chunk.Length) + 2; i++)
            {
                await committed.WriteAsync(chunk);
            }

            var stored = await committed.CommitAsync();
            Assert.NotNull(stored);
            Assert.Equal(((PartSize / chunk.Length) + 2) * (long)chunk.Length, stored.Size);
        }

        await using (var abandoned = new BucketPutStream(Bucket, "s/abandoned.csv"))
        {
            for (var i = 0; i < (PartSize / chunk.Length) + 2; i++)
            {
                await abandoned.WriteAsync(chunk);
            }
        }

        Assert.Equal(["s/kept.csv"], await ListKeysAsync(new R2ListOptions()));
        Assert.Equal("text/csv", (await Bucket.HeadAsync("s/kept.csv"))!.ContentType);
        var leftovers = await Bucket.CleanUpAsync(new R2CleanupOptions { OlderThan = TimeSpan.Zero });
        Assert.Empty(leftovers.Removed);
    }

    [Fact]
    public async Task Name_IsNotEmpty()
    {
        Assert.False(string.IsNullOrWhiteSpace(Bucket.Name));
        await Task.CompletedTask;
    }

    protected async Task SeedAsync(IEnumerable<string> keys)
    {
        await Parallel.ForEachAsync(
            keys,
            new ParallelOptions { MaxDegreeOfParallelism = SeedParallelism },
            async (key, cancellationToken) => await Bucket.PutAsync(key, new PatternStream(key.Length), cancellationToken: cancellationToken));
    }

    protected async Task<List<R2ListItem>> ListAsync(R2ListOptions options)
    {
        var items = new List<R2ListItem>();
        await foreach (var item in Bucket.ListAsync(options))
        {
            items.Add(item);
        }

        return items;
    }

    protected async Task<string[]> ListKeysAsync(R2ListOptions options) =>
        (await ListAsync(options)).Select(i => i.Key).ToArray();

    protected static Dictionary<string, string> Meta(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static string Flatten(Exception ex)
    {
        var text = new StringBuilder();
        for (Exception? current = ex; current is not null; current = current.InnerException)
        {
            text.AppendLine(current.Message);
        }

        return text.ToString();
    }

    private sealed class Utf8Order : IComparer<byte[]>
    {
        public static Utf8Order Instance { get; } = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
