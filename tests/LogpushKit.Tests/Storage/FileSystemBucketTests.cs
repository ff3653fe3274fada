using LogpushKit.Storage;
using LogpushKit.Tests.Infrastructure;
using LogpushKit.Tests.Infrastructure.Streams;

namespace LogpushKit.Tests.Storage;

public sealed class FileSystemBucketTests : BucketBehaviourTests, IDisposable
{
    private readonly TempDirectory _parent = new("fsbucket");
    private readonly FileSystemBucket _bucket;

    public FileSystemBucketTests()
    {
        _bucket = new FileSystemBucket(Path.Combine(_parent.Path, "root"), "fs-test");
    }

    protected override IR2Bucket Bucket => _bucket;

    public void Dispose() => _parent.Dispose();

    public static TheoryData<string> EscapingKeys => new()
    {
        "../outside.csv",
        "a/../../outside.csv",
        "a/../b",
        "./a",
        "a/./b",
        "..",
        ".",
        "/etc/passwd",
        "/tmp/x",
        "C:/x.csv",
        "c:x.csv",
        "a\\..\\..\\x",
        "a\\b",
        "a\0b",
        "a//b",
        "a/",
        "/",
        "",
        "a/\n/b",
        "a/.b.csv.0123.tmp",
        ".x.csv.meta.json",
        new string('k', 1025),
        "d/" + new string('s', 201),
    };

    [Theory]
    [MemberData(nameof(EscapingKeys))]
    public async Task Operations_KeyEscapingOrInvalid_ThrowObjectKeyExceptionNamingKeyAndWriteNothing(string key)
    {
        var put = await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.PutAsync(key, new PatternStream(10)));
        Assert.Equal(key, put.Key);
        Assert.Equal("fs-test", put.Bucket);
        Assert.Contains("is not allowed", put.Message, StringComparison.Ordinal);
        var shown = key.Length > 120 ? key[..120] : key;
        if (!shown.Any(char.IsControl))
        {
            Assert.Contains(shown, put.Message, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.GetAsync(key));
        await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.HeadAsync(key));
        await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.DeleteAsync(key));
        Assert.Equal(["root"], Directory.EnumerateFileSystemEntries(_parent.Path).Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_bucket.RootPath, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void GetPath_ValidKey_StaysUnderRoot()
    {
        var path = _bucket.GetPath("a/b/c.csv");

        Assert.Equal(Path.Combine(_bucket.RootPath, "a", "b", "c.csv"), path);
    }

    [Fact]
    public async Task PutAsync_SlowSource_TempFileIsHiddenAndNotMatchedByForwarderGlobs()
    {
        var source = new SlowStream(200_000, chunk: 10_000, TimeSpan.FromMilliseconds(20));
        var put = _bucket.PutAsync("out/x.csv", source);
        await WaitUntilAsync(() => source.BytesRead > 20_000);

        var folder = Path.Combine(_bucket.RootPath, "out");
        var files = Directory.GetFiles(folder).Select(p => Path.GetFileName(p)!).ToArray();
        Assert.NotEmpty(files);
        Assert.Empty(Directory.GetFiles(folder, "*.csv"));
        Assert.Empty(Directory.GetFiles(folder, "*.log.gz"));
        Assert.All(files, f => Assert.EndsWith(".tmp", f, StringComparison.Ordinal));
        Assert.Null(await _bucket.HeadAsync("out/x.csv"));
        Assert.Empty(await ListKeysAsync(new R2ListOptions()));

        await put;
        Assert.Equal(["x.csv", ".x.csv.meta.json"], Directory.GetFiles(folder).Select(p => Path.GetFileName(p)!).OrderByDescending(n => n, StringComparer.Ordinal).ToArray());
        Assert.Equal(["out/x.csv"], await ListKeysAsync(new R2ListOptions()));
    }

    [Fact]
    public async Task ListAsync_LeftoverTempAndSidecarFiles_AreHidden()
    {
        await _bucket.PutAsync("a/real.csv", new PatternStream(5));
        await File.WriteAllTextAsync(Path.Combine(_bucket.RootPath, "a", ".real.csv.0123456789abcdef.tmp"), "partial");
        await File.WriteAllTextAsync(Path.Combine(_bucket.RootPath, "a", ".orphan.csv.meta.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_bucket.RootPath, "empty", "nested"));
        await File.WriteAllTextAsync(Path.Combine(_bucket.RootPath, "empty", "nested", ".gone.csv.aa.tmp"), "partial");

        Assert.Equal(["a/real.csv"], await ListKeysAsync(new R2ListOptions()));
        Assert.Equal(["a/"], await ListKeysAsync(new R2ListOptions { Delimiter = "/" }));
        Assert.Null(await _bucket.HeadAsync("a/orphan.csv"));
    }

    [Fact]
    public async Task HeadAsync_NewBucketInstanceOverSameFolder_KeepsMetadata()
    {
        var metadata = Meta(("source-etag", "abc"));
        var put = await _bucket.PutAsync("p/o.csv", new PatternStream(77), new R2PutOptions { ContentType = "text/csv", CustomMetadata = metadata });

        var reopened = new FileSystemBucket(_bucket.RootPath);
        var head = await reopened.HeadAsync("p/o.csv");

        Assert.NotNull(head);
        Assert.Equal(put.ETag, head.ETag);
        Assert.Equal("text/csv", head.ContentType);
        Assert.Equal(metadata, head.CustomMetadata);
        Assert.Equal(put.LastModified, head.LastModified);
        Assert.Equal("root", reopened.Name);
    }

    [Fact]
    public async Task HeadAsync_FileReplacedBehindTheBucket_DropsStaleMetadataAndHashesContent()
    {
        await _bucket.PutAsync("p/o.csv", new PatternStream(77), new R2PutOptions { ContentType = "text/csv", CustomMetadata = Meta(("source-etag", "abc")) });

        // Another program (or a crash between the sidecar and object renames) leaves a file the sidecar does not describe.
        await File.WriteAllBytesAsync(Path.Combine(_bucket.RootPath, "p", "o.csv"), PatternStream.Bytes(50, seed: 9));

        var head = await _bucket.HeadAsync("p/o.csv");
        Assert.NotNull(head);
        Assert.Equal(50, head.Size);
        Assert.Equal(PatternStream.Md5Hex(50, seed: 9), head.ETag);
        Assert.Null(head.ContentType);
        Assert.Empty(head.CustomMetadata);
    }

    [Fact]
    public async Task HeadAsync_ForeignFileWithoutSidecar_ServedWithMd5ETag()
    {
        Directory.CreateDirectory(Path.Combine(_bucket.RootPath, "in"));
        await File.WriteAllBytesAsync(Path.Combine(_bucket.RootPath, "in", "dropped.log.gz"), PatternStream.Bytes(1234));

        var head = await _bucket.HeadAsync("in/dropped.log.gz");

        Assert.NotNull(head);
        Assert.Equal(PatternStream.Md5Hex(1234), head.ETag);
        Assert.Equal(["in/dropped.log.gz"], await ListKeysAsync(new R2ListOptions()));
    }

    [Fact]
    public async Task HeadAsync_DamagedSidecar_ServesObjectWithoutMetadata()
    {
        await _bucket.PutAsync("d.csv", new PatternStream(10), new R2PutOptions { ContentType = "text/csv" });
        await File.WriteAllTextAsync(Path.Combine(_bucket.RootPath, ".d.csv.meta.json"), "{ not json");

        var head = await _bucket.HeadAsync("d.csv");

        Assert.NotNull(head);
        Assert.Null(head.ContentType);
        Assert.Equal(PatternStream.Md5Hex(10), head.ETag);
    }

    [Fact]
    public async Task DeleteAsync_LastObjectInFolders_RemovesSidecarAndPrunesEmptyFolders()
    {
        await _bucket.PutAsync("x/y/z/o.csv", new PatternStream(3), new R2PutOptions { ContentType = "text/csv" });
        await _bucket.PutAsync("x/keep.csv", new PatternStream(3));

        await _bucket.DeleteAsync("x/y/z/o.csv");

        Assert.False(Directory.Exists(Path.Combine(_bucket.RootPath, "x", "y")));
        Assert.True(File.Exists(Path.Combine(_bucket.RootPath, "x", "keep.csv")));
        Assert.Equal([".keep.csv.meta.json", "keep.csv"], Directory.GetFiles(Path.Combine(_bucket.RootPath, "x")).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray());
        Assert.True(Directory.Exists(_bucket.RootPath));
    }

    [Fact]
    public async Task PutAsync_FailedSource_RemovesTempFilesAndNewFolders()
    {
        var ex = await Assert.ThrowsAsync<IOException>(() => _bucket.PutAsync("new/folder/x.csv", new ThrowingAfterStream(300_000)));

        Assert.Equal(ThrowingAfterStream.FailureMessage, ex.Message);

        Assert.Empty(Directory.EnumerateFileSystemEntries(_bucket.RootPath, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutAsync_ParentKeyIsAnObject_ThrowsR2BucketExceptionNamingKey()
    {
        await _bucket.PutAsync("a", new PatternStream(1));

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => _bucket.PutAsync("a/b", new PatternStream(1)));

        Assert.Equal("a/b", ex.Key);
        Assert.Contains("'a/b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_KeyThatIsAFolder_ReturnsNull()
    {
        await _bucket.PutAsync("folder/x", new PatternStream(1));

        Assert.Null(await _bucket.GetAsync("folder"));
        Assert.Null(await _bucket.HeadAsync("folder"));
    }

    [Fact]
    public async Task GetAsync_BodyOpenWhileReplaced_KeepsReadingOldVersion()
    {
        await _bucket.PutAsync("v.csv", new PatternStream(100_000, seed: 1));
        await using var old = await _bucket.GetAsync("v.csv");

        await _bucket.PutAsync("v.csv", new PatternStream(50, seed: 2));

        Assert.NotNull(old);
        await PatternStream.AssertContentAsync(old.Body, 100_000, seed: 1);
        await using var current = await _bucket.GetAsync("v.csv");
        await PatternStream.AssertContentAsync(current!.Body, 50, seed: 2);
    }

    [Fact]
    public async Task PutAsync_ConcurrentPutsOfOneKey_LeaveOneCompleteVersionWithItsMetadata()
    {
        var puts = Enumerable.Range(1, 12).Select(seed => Task.Run(() => _bucket.PutAsync(
            "race.csv",
            new PatternStream(100_000 + seed, seed),
            new R2PutOptions { CustomMetadata = Meta(("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture))) })));

        await Task.WhenAll(puts);

        var head = await _bucket.HeadAsync("race.csv");
        Assert.NotNull(head);
        var seedWritten = (int)(head.Size - 100_000);
        Assert.Equal(PatternStream.Md5Hex(head.Size, seedWritten), head.ETag);
        Assert.Equal(seedWritten.ToString(System.Globalization.CultureInfo.InvariantCulture), head.CustomMetadata["seed"]);
        Assert.Equal(2, Directory.GetFiles(_bucket.RootPath).Length);
    }

    [Fact]
    public async Task ListAsync_PrefixRunningThroughAnObject_ListsNothing()
    {
        await _bucket.PutAsync("a", new PatternStream(1));

        Assert.Empty(await ListKeysAsync(new R2ListOptions { Prefix = "a/b" }));
        Assert.Empty(await ListKeysAsync(new R2ListOptions { Prefix = "../" }));
        Assert.Equal(["a"], await ListKeysAsync(new R2ListOptions { Prefix = "a" }));
    }

    [Fact]
    public async Task Operations_SymbolicLinkToFolderOutsideRoot_AreRefusedAndNotListed()
    {
        var outside = Path.Combine(_parent.Path, "outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "secret.csv"), "x");
        Directory.CreateSymbolicLink(Path.Combine(_bucket.RootPath, "link"), outside);
        await _bucket.PutAsync("inside.csv", new PatternStream(1));

        Assert.Equal(["inside.csv"], await ListKeysAsync(new R2ListOptions()));
        var get = await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.GetAsync("link/secret.csv"));
        Assert.Contains("symbolic link", get.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.PutAsync("link/new.csv", new PatternStream(1)));
        await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.DeleteAsync("link/secret.csv"));
        Assert.Equal(["secret.csv"], Directory.GetFiles(outside).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public async Task GetAsync_ObjectThatIsASymbolicLink_IsRefused()
    {
        var outside = Path.Combine(_parent.Path, "outside.csv");
        await File.WriteAllTextAsync(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(_bucket.RootPath, "linked.csv"), outside);

        await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.GetAsync("linked.csv"));
        Assert.Empty(await ListKeysAsync(new R2ListOptions()));
    }

    [Fact]
    public void Constructor_MissingFolder_CreatesIt()
    {
        var path = Path.Combine(_parent.Path, "made", "here");

        var bucket = new FileSystemBucket(path);

        Assert.True(Directory.Exists(path));
        Assert.Equal("here", bucket.Name);
    }

    [Fact]
    public async Task PutAsync_ProcessKilledMidWrite_LeavesNoVisibleObjectOrSidecar()
    {
        await _bucket.PutAsync("killed/other.csv", new PatternStream(10));
        using var child = StartChild(_bucket.RootPath, "killed/out.csv");
        try
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("writing", line);
            var folder = Path.Combine(_bucket.RootPath, "killed");
            await WaitUntilAsync(() => Directory.GetFiles(folder, ".out.csv.*.tmp").Select(f => new FileInfo(f).Length).DefaultIfEmpty().Max() > 256 * 1024);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var names = Directory.GetFiles(Path.Combine(_bucket.RootPath, "killed")).Select(p => Path.GetFileName(p)!).ToArray();
        Assert.DoesNotContain("out.csv", names);
        Assert.DoesNotContain(".out.csv.meta.json", names);
        Assert.Contains(names, n => n.StartsWith(".out.csv.", StringComparison.Ordinal) && n.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(["other.csv"], Directory.GetFiles(Path.Combine(_bucket.RootPath, "killed"), "*.csv").Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Null(await _bucket.HeadAsync("killed/out.csv"));
        Assert.Null(await _bucket.GetAsync("killed/out.csv"));
        Assert.Equal(["killed/other.csv"], await ListKeysAsync(new R2ListOptions()));
    }

    private static System.Diagnostics.Process StartChild(params string[] arguments)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LogpushKit.Tests.Child.dll");
        Assert.True(File.Exists(dll), $"The child program is missing: {dll}");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not reached within 20 s.");
            await Task.Delay(10);
        }
    }
}
