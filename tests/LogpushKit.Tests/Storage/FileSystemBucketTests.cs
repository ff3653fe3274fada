using System.Diagnostics;
using System.Net.Sockets;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.Processes;
using LogpushKit.Testing.Storage;
using LogpushKit.Testing.Streams;

namespace LogpushKit.Tests.Storage;

public sealed class FileSystemBucketTests : BucketBehaviourTests, IDisposable
{
    private readonly TempDirectory _parent = new("fsbucket");
    private readonly FileSystemBucket _bucket;

    public FileSystemBucketTests()
    {
        // A fresh, empty bucket is an existing, empty folder: the bucket itself creates nothing.
        Directory.CreateDirectory(Path.Combine(_parent.Path, "root"));
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
        // The key is shown escaped (a control character could forge a log line), and in full.
        Assert.Contains(ObjectKeyText.Escape(key), put.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(put.Message, char.IsControl);

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
        var put = _bucket.PutAsync("out/x.csv", source, new R2PutOptions { ContentType = "text/csv" });
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
        await _bucket.PutAsync("x/keep.csv", new PatternStream(3), new R2PutOptions { ContentType = "text/csv" });

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
    public async Task Constructor_MissingFolder_CreatesNothingAndListingNamesTheFolder()
    {
        var path = Path.Combine(_parent.Path, "made", "here");

        var bucket = new FileSystemBucket(path);

        Assert.Equal("here", bucket.Name);
        Assert.Null(await bucket.HeadAsync("x.log.gz"));
        Assert.Null(await bucket.GetAsync("x.log.gz"));
        await bucket.DeleteAsync("x.log.gz");
        Assert.Equal(R2CleanupResult.Nothing, await bucket.CleanUpAsync());
        Assert.False(Directory.Exists(Path.Combine(_parent.Path, "made")));
        var list = await Assert.ThrowsAsync<R2BucketException>(async () => await bucket.ListAsync().ToListAsync());
        Assert.IsNotType<R2ListIncompleteException>(list);
        Assert.Contains(path, list.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", list.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_parent.Path, "made")));

        await bucket.PutAsync("a/b.csv", new PatternStream(3));

        Assert.True(File.Exists(Path.Combine(path, "a", "b.csv")));
    }

    [Fact]
    public async Task ListAsync_RootIsAFile_ThrowsNamingIt()
    {
        var path = Path.Combine(_parent.Path, "file.log.gz");
        await File.WriteAllTextAsync(path, "x");

        var ex = await Assert.ThrowsAsync<R2BucketException>(async () => await new FileSystemBucket(path).ListAsync().ToListAsync());

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAsync_FifoAndSocketAmongObjects_ListsOnlyRegularFilesAndNeverOpensThem()
    {
        await _bucket.PutAsync("logs/a.log.gz", new PatternStream(10));
        await _bucket.PutAsync("logs/c.log.gz", new PatternStream(20));
        await ChildProcesses.MakeFifoAsync(Path.Combine(_bucket.RootPath, "logs", "b.log.gz"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_bucket.RootPath, "logs", "s.log.gz")));

        // Opening the FIFO to hash it would block until a writer appears: the bounded wait turns a hang into a failure.
        var keys = await ListKeysAsync(new R2ListOptions()).WaitAsync(TimeSpan.FromSeconds(20));
        var head = await _bucket.HeadAsync("logs/b.log.gz").WaitAsync(TimeSpan.FromSeconds(20));
        var get = await _bucket.GetAsync("logs/s.log.gz").WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(["logs/a.log.gz", "logs/c.log.gz"], keys);
        Assert.Null(head);
        Assert.Null(get);
        Assert.Equal(["logs/"], await ListKeysAsync(new R2ListOptions { Delimiter = "/" }).WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task ListAsync_UnreadableSubfolderAndFile_ListsEverythingElseThenNamesThem()
    {
        // Root reads anything: the listing runs in a child process without root's permission override (see ChildProcesses).
        await _bucket.PutAsync("a/1.log.gz", new PatternStream(1));
        await _bucket.PutAsync("b/locked/2.log.gz", new PatternStream(2));
        await _bucket.PutAsync("c/secret.log.gz", new PatternStream(3));
        await _bucket.PutAsync("d/4.log.gz", new PatternStream(4));
        var lockedFolder = Path.Combine(_bucket.RootPath, "b", "locked");
        var secretFile = Path.Combine(_bucket.RootPath, "c", "secret.log.gz");
        File.SetUnixFileMode(lockedFolder, UnixFileMode.None);
        File.SetUnixFileMode(secretFile, UnixFileMode.None);
        try
        {
            var (exitCode, output, error) = await ChildProcesses.RunAsync(ChildProcesses.HonourFilePermissions(ChildProcesses.Child("list", _bucket.RootPath)));

            Assert.True(exitCode == 0, output + error);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["key\ta/1.log.gz", "key\td/4.log.gz"], lines.Where(l => l.StartsWith("key\t", StringComparison.Ordinal)).ToArray());
            var incomplete = lines.Where(l => l.StartsWith("incomplete\t", StringComparison.Ordinal)).Select(l => l.Split('\t')).ToArray();
            Assert.Equal(["b/locked/", "c/secret.log.gz"], incomplete.Select(p => p[1]).Order(StringComparer.Ordinal).ToArray());
            Assert.All(incomplete, p => Assert.Contains("denied", p[2], StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            File.SetUnixFileMode(lockedFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task Identity_SameFolderByAnotherPathOrLink_IsEqual_OtherFolderIsNot()
    {
        var link = Path.Combine(_parent.Path, "link-to-root");
        Directory.CreateSymbolicLink(link, _bucket.RootPath);

        var viaLink = new FileSystemBucket(link);
        var viaDots = new FileSystemBucket(Path.Combine(_bucket.RootPath, "sub", ".."));
        var other = new FileSystemBucket(Path.Combine(_parent.Path, "other"));
        var inside = new FileSystemBucket(Path.Combine(link, "csv"));

        Assert.Equal(_bucket.Identity, viaLink.Identity);
        Assert.Equal(_bucket.Identity, viaDots.Identity);
        Assert.NotEqual(_bucket.Identity, other.Identity);
        Assert.Equal("csv/x.log.gz", _bucket.Identity.KeyOf(inside.Identity, "x.log.gz"));
        Assert.Null(inside.Identity.KeyOf(_bucket.Identity, "x.log.gz"));
        Assert.StartsWith("file:///", _bucket.Identity.Store, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task CleanUpAsync_StaleTempFilesOfThisBucket_AreRemovedAndNothingElse()
    {
        var now = DateTime.UtcNow;
        await _bucket.PutAsync("t/keep.csv", new PatternStream(5));
        var folder = Path.Combine(_bucket.RootPath, "t");
        var deep = Path.Combine(_bucket.RootPath, "deep", "er");
        Directory.CreateDirectory(deep);
        var stale = await WriteAgedAsync(Path.Combine(folder, ".x.csv." + Guid.NewGuid().ToString("N") + ".tmp"), now.AddHours(-2));
        var staleSidecar = await WriteAgedAsync(Path.Combine(folder, ".keep.csv." + Guid.NewGuid().ToString("N") + ".tmp"), now.AddHours(-3));
        var staleDeep = await WriteAgedAsync(Path.Combine(deep, ".y.csv." + Guid.NewGuid().ToString("N") + ".tmp"), now.AddDays(-1));
        var fresh = await WriteAgedAsync(Path.Combine(folder, ".z.csv." + Guid.NewGuid().ToString("N") + ".tmp"), now.AddMinutes(-10));
        var notOurs = await WriteAgedAsync(Path.Combine(folder, ".x.csv.1234.tmp"), now.AddHours(-5));
        var upperHex = await WriteAgedAsync(Path.Combine(folder, ".x.csv." + Guid.NewGuid().ToString("N").ToUpperInvariant() + ".tmp"), now.AddHours(-5));
        var filtered = await WriteAgedAsync(Path.Combine(folder, ".x.log.gz." + Guid.NewGuid().ToString("N") + ".tmp"), now.AddHours(-5));
        var visible = await WriteAgedAsync(Path.Combine(folder, "plain.tmp"), now.AddHours(-5));
        await using (await ((IR2Bucket)_bucket).LockAsync("t/keep.csv"))
        {
        }

        var result = await _bucket.CleanUpAsync(new R2CleanupOptions { KeyFilter = k => k.EndsWith(".csv", StringComparison.Ordinal) });

        Assert.Empty(result.Problems);
        Assert.Equal(
            ["deep/er/y.csv", "t/keep.csv", "t/x.csv"],
            result.Removed.Select(r => r.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.All(result.Removed, r => Assert.Equal(R2LeftoverKind.TemporaryFile, r.Kind));
        Assert.Equal(3 * 7, result.RemovedBytes);
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleSidecar));
        Assert.False(Directory.Exists(Path.Combine(_bucket.RootPath, "deep")));
        Assert.False(File.Exists(staleDeep));
        foreach (var kept in new[] { fresh, notOurs, upperHex, filtered, visible })
        {
            Assert.True(File.Exists(kept), kept);
        }

        Assert.NotEmpty(Directory.GetFiles(_bucket.RootPath, ".logpushkit-*.lock"));
        Assert.NotNull(await _bucket.HeadAsync("t/keep.csv"));
        Assert.Equal(["t/keep.csv", "t/plain.tmp"], await ListKeysAsync(new R2ListOptions()));
    }

    [Fact]
    public async Task CleanUpAsync_PrefixLimitsTheSweep()
    {
        var old = DateTime.UtcNow.AddHours(-2);
        Directory.CreateDirectory(Path.Combine(_bucket.RootPath, "csv", "a"));
        Directory.CreateDirectory(Path.Combine(_bucket.RootPath, "other"));
        var inside = await WriteAgedAsync(Path.Combine(_bucket.RootPath, "csv", "a", ".x.csv." + Guid.NewGuid().ToString("N") + ".tmp"), old);
        var outside = await WriteAgedAsync(Path.Combine(_bucket.RootPath, "other", ".x.csv." + Guid.NewGuid().ToString("N") + ".tmp"), old);

        var result = await _bucket.CleanUpAsync(new R2CleanupOptions { Prefix = "csv/" });

        Assert.Equal(["csv/a/x.csv"], result.Removed.Select(r => r.Key).ToArray());
        Assert.False(File.Exists(inside));
        Assert.True(File.Exists(outside));
    }

    [Fact]
    public async Task CleanUpAsync_AfterAPutKilledMidWrite_RemovesItsTempFileOnceOldEnough()
    {
        await _bucket.PutAsync("killed/other.csv", new PatternStream(10));
        await KillChildMidPutAsync("killed/out.csv");
        var temps = Directory.GetFiles(Path.Combine(_bucket.RootPath, "killed"), ".out.csv.*.tmp");
        Assert.NotEmpty(temps);

        var early = await _bucket.CleanUpAsync();
        Assert.Empty(early.Removed);
        foreach (var temp in temps)
        {
            File.SetLastWriteTimeUtc(temp, DateTime.UtcNow.AddHours(-2));
        }

        var later = await _bucket.CleanUpAsync();

        Assert.Equal(temps.Length, later.Removed.Count);
        Assert.All(later.Removed, r => Assert.Equal("killed/out.csv", r.Key));
        Assert.True(later.RemovedBytes > 256 * 1024, $"removed {later.RemovedBytes} bytes");
        Assert.Equal(["other.csv"], Directory.GetFiles(Path.Combine(_bucket.RootPath, "killed"), "*", SearchOption.AllDirectories).Select(p => Path.GetFileName(p)!).Where(n => !n.StartsWith('.')).ToArray());
    }

    [Fact]
    public async Task LockAsync_HeldByAnotherProcess_WaitsUntilThatProcessDies()
    {
        IR2Bucket bucket = _bucket;
        using var child = Process.Start(ChildProcesses.Child("lock", _bucket.RootPath, "a/x.csv"))!;
        try
        {
            Assert.Equal("locked", await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            var waiting = bucket.LockAsync("a/x.csv").AsTask();
            await Task.Delay(500);
            Assert.False(waiting.IsCompleted, "the lock was granted while another process held it");
            await using (await bucket.LockAsync("zzz/other-key-in-another-stripe-" + OtherStripeSuffix("a/x.csv")).AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
            {
            }

            child.Kill(entireProcessTree: true);
            await using var held = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotNull(held);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }

            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task LockAsync_TwoKeysInOneProcess_DoNotBlockEachOther_SameKeyIsSharedWithinTheProcess()
    {
        IR2Bucket bucket = _bucket;

        await using var first = await bucket.LockAsync("a.csv").AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await using var again = await bucket.LockAsync("a.csv").AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await using var other = await bucket.LockAsync("b.csv").AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(first);
        Assert.NotNull(again);
        Assert.NotNull(other);
        Assert.Empty(await ListKeysAsync(new R2ListOptions()));
        await Assert.ThrowsAsync<ObjectKeyException>(() => _bucket.PutAsync(".logpushkit-00.lock", new PatternStream(1)));
    }

    [Fact]
    public async Task PutAsync_ProcessKilledMidWrite_LeavesNoVisibleObjectOrSidecar()
    {
        await _bucket.PutAsync("killed/other.csv", new PatternStream(10));
        await KillChildMidPutAsync("killed/out.csv");

        var names = Directory.GetFiles(Path.Combine(_bucket.RootPath, "killed")).Select(p => Path.GetFileName(p)!).ToArray();
        Assert.DoesNotContain("out.csv", names);
        Assert.DoesNotContain(".out.csv.meta.json", names);
        Assert.Contains(names, n => n.StartsWith(".out.csv.", StringComparison.Ordinal) && n.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(["other.csv"], Directory.GetFiles(Path.Combine(_bucket.RootPath, "killed"), "*.csv").Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Null(await _bucket.HeadAsync("killed/out.csv"));
        Assert.Null(await _bucket.GetAsync("killed/out.csv"));
        Assert.Equal(["killed/other.csv"], await ListKeysAsync(new R2ListOptions()));
    }

    private async Task KillChildMidPutAsync(string key)
    {
        var start = ChildProcesses.Child(_bucket.RootPath, key);
        start.RedirectStandardError = false;
        start.StandardErrorEncoding = null;
        using var child = Process.Start(start)!;
        try
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("writing", line);
            var folder = Path.GetDirectoryName(Path.Combine(_bucket.RootPath, key))!;
            var pattern = "." + Path.GetFileName(key) + ".*.tmp";
            await WaitUntilAsync(() => Directory.GetFiles(folder, pattern).Select(f => new FileInfo(f).Length).DefaultIfEmpty().Max() > 256 * 1024);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private static async Task<string> WriteAgedAsync(string path, DateTime lastWriteUtc)
    {
        await File.WriteAllTextAsync(path, "partial");
        File.SetLastWriteTimeUtc(path, lastWriteUtc);
        return path;
    }

    /// <summary>A suffix that puts a key into another lock stripe than <paramref name="key"/> (same FNV-1a hash as the bucket).</summary>
    private static string OtherStripeSuffix(string key)
    {
        static int Stripe(string k)
        {
            var hash = 2166136261u;
            foreach (var c in k)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return (int)(hash % FileSystemBucket.LockStripes);
        }

        for (var i = 0; ; i++)
        {
            var suffix = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (Stripe("zzz/other-key-in-another-stripe-" + suffix) != Stripe(key))
            {
                return suffix;
            }
        }
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
