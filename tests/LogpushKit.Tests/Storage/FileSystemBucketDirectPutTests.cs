using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Storage;

/// <summary>The folder's direct put (the processor's write into a folder target with a state store) and the folder's own identity.</summary>
public sealed class FileSystemBucketDirectPutTests : IDisposable
{
    private readonly TempDirectory _temp = new("fsdirect");

    public void Dispose() => _temp.Dispose();

    private string Root => _temp.File("root");

    private static string[] Files(string root) =>
        [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task BeginPut_Committed_TheObjectIsThereWithItsBytes_HiddenUntilTheCommit_AndServedWithAnEtagOfItsBytes()
    {
        var bucket = new FileSystemBucket(Root);
        var bytes = "a,b\n1,2\n"u8.ToArray();
        var put = bucket.BeginPut("x/y.csv");
        await using (put)
        {
            await put.Content.WriteAsync(bytes);
            Assert.Null(await bucket.HeadAsync("x/y.csv"));
            Assert.Empty(await bucket.ListAsync().ToListAsync());
            var (size, lastModified) = await put.CommitAsync(CancellationToken.None);
            Assert.Equal(bytes.Length, size);
            Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(Root, "x", "y.csv")), lastModified.UtcDateTime);
        }

        Assert.Equal(["x/y.csv"], Files(Root));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(Root, "x", "y.csv")));
        var info = await bucket.HeadAsync("x/y.csv");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes)), info!.ETag);
    }

    [Fact]
    public async Task BeginPut_ReplacesAnObjectAndDropsTheMetadataOfTheEarlierPut()
    {
        var bucket = new FileSystemBucket(Root);
        await bucket.PutAsync("a.csv", new MemoryStream([1, 2, 3]), new R2PutOptions { ContentType = "text/csv", CustomMetadata = new Dictionary<string, string> { ["k"] = "v" } });
        var put = bucket.BeginPut("a.csv");
        await using (put)
        {
            await put.Content.WriteAsync(new byte[] { 9 });
            await put.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(["a.csv"], Files(Root));
        var info = await bucket.HeadAsync("a.csv");
        Assert.Equal(1, info!.Size);
        Assert.Empty(info.CustomMetadata);
        Assert.Null(info.ContentType);
    }

    [Fact]
    public async Task BeginPut_DisposedWithoutCommit_LeavesNothing_NotEvenTheFoldersItMade()
    {
        var bucket = new FileSystemBucket(Root);
        Directory.CreateDirectory(Root);
        var put = bucket.BeginPut("d/e/f.csv");
        await using (put)
        {
            await put.Content.WriteAsync(new byte[1000]);
        }

        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public async Task BeginPut_AParentIsAFile_FailsNamingTheKeyAndTheBucket()
    {
        var bucket = new FileSystemBucket(Root, "out");
        Directory.CreateDirectory(Root);
        await File.WriteAllTextAsync(Path.Combine(Root, "d"), "a file");

        var error = Assert.Throws<R2BucketException>(() => bucket.BeginPut("d/f.csv"));

        Assert.Equal("out", error.Bucket);
        Assert.Equal("d/f.csv", error.Key);
        Assert.Contains("'d/f.csv'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BeginPut_KeyOutsideTheFolder_IsRefusedBeforeAnythingIsWritten()
    {
        var bucket = new FileSystemBucket(Root);
        Assert.Throws<ObjectKeyException>(() => bucket.BeginPut("../x.csv"));
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public void FolderId_TheSameFolderKeepsIt_AFolderRemovedAndMadeAgainGetsAnother_AMissingFolderHasNone()
    {
        var bucket = new FileSystemBucket(Root);
        Assert.Null(bucket.FolderId);

        bucket.CreateFolder();
        var first = bucket.FolderId;
        Assert.NotNull(first);
        File.WriteAllText(Path.Combine(Root, "a.csv"), "x");
        Assert.Equal(first, bucket.FolderId);
        Assert.Equal(first, new FileSystemBucket(Root + "/").FolderId);

        // file systems hand a freed inode out again at once (ext4 does): the identity must still differ
        Directory.Delete(Root, recursive: true);
        Directory.CreateDirectory(Root);
        Assert.NotNull(bucket.FolderId);
        Assert.NotEqual(first, bucket.FolderId);
    }
}
