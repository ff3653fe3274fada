using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace LogpushKit.Storage;

/// <summary>
/// A local folder used as a bucket — the embedded default. Keys map to relative paths under the folder; a key that
/// would land outside it is refused with <see cref="ObjectKeyException"/> before any I/O.
/// </summary>
/// <remarks>
/// <para>
/// <b>Keys.</b> Refused: empty keys, keys over <see cref="MaxKeyBytes"/> UTF-8 bytes or with a segment over
/// <see cref="MaxSegmentBytes"/>, absolute paths, drive letters, backslashes, NUL and other control characters, empty,
/// <c>.</c> and <c>..</c> segments, names of the bucket's own temporary and sidecar files, and (on Windows) names
/// Windows cannot store. The resolved path must lie under the folder, and no part of it may be a symbolic link or
/// junction (one placed in the folder could lead outside it; such links are also left out of listings). The check
/// happens before each operation; a link swapped in concurrently by another process is outside this guarantee.
/// </para>
/// <para>
/// <b>Atomic puts.</b> <see cref="PutAsync"/> streams into a temporary file in the object's own folder, named
/// <c>.&lt;name&gt;.&lt;guid&gt;.tmp</c> so that a forwarder's <c>*.csv</c> or <c>*.log.gz</c> pattern never matches
/// it, flushes it to disk, and renames it over the object. A watcher of the folder sees the old file or the complete
/// new one, never a part; a failed or cancelled put deletes its temporary files. Temporary and sidecar files are
/// hidden from <see cref="ListAsync"/>, <see cref="HeadAsync"/> and <see cref="GetAsync"/>, and keys that would
/// name one are refused.
/// </para>
/// <para>
/// <b>Metadata.</b> The content type, custom metadata and ETag live in a sidecar <c>.&lt;name&gt;.meta.json</c>
/// next to the object. It is written to its own temporary file, flushed, and renamed into place immediately
/// <em>before</em> the object's rename. The sidecar records the object's size and last-write time as read from the
/// flushed temporary file (a rename keeps both), and a reader only trusts a sidecar whose size and time match the
/// file it opened. So a reader never pairs an object with another object's metadata: in the instant between the two
/// renames, or after a crash between them, the old object is reported without custom metadata and with an ETag
/// computed from its bytes. Files put into the folder by other programs are served the same way (MD5 ETag, no
/// metadata). The ETag is the MD5 of the content in lower-case hex, like S3's single-part ETag. The match relies on
/// the file system's last-write time resolution (100 ns on NTFS, 1 ns on ext4/XFS/APFS); on a file system with
/// coarse times (FAT: 2 s) two puts of equal size in the same tick cannot be told apart.
/// </para>
/// <para>
/// <b>Unlike S3</b>, a key cannot be both an object and a folder of other objects (<c>a</c> and <c>a/b</c>): the
/// second put fails with <see cref="R2BucketException"/>.
/// </para>
/// <para>
/// <b>Crash behaviour.</b> A process killed during a put leaves at most hidden <c>.tmp</c> files (never a visible
/// partial object); a kill between the two renames leaves the old object with its metadata dropped. Durability of
/// the rename itself (a directory fsync) is left to the file system.
/// </para>
/// <para>
/// <b>Deletes</b> remove the object, then its sidecar, then every folder between it and the root that became empty.
/// <b>Lists</b> walk the tree in key order one folder at a time (never the whole tree in memory), skip folders the
/// prefix and start-after exclude, and with the delimiter <c>/</c> do not descend into rolled-up folders.
/// </para>
/// <para>
/// <b>Only regular files are objects.</b> FIFOs, sockets and devices are never opened (opening a FIFO without a writer
/// blocks forever): listings leave them out and head/get answer "not found" for them. A file or subfolder that cannot
/// be read (permission denied) does not stop a listing: everything readable is listed, then
/// <see cref="R2ListIncompleteException"/> names each unreadable part (see <see cref="IR2Bucket.ListAsync"/>).
/// </para>
/// <para>
/// <b>The folder.</b> Creating the bucket creates nothing: a bucket used as a source must exist (listing a folder that
/// does not exist fails with <see cref="R2BucketException"/> naming it), and head, get and delete find nothing in it;
/// a put (or a lock) creates the folders it needs.
/// </para>
/// <para>
/// <b>Conditional puts and locks.</b> <see cref="PutIfAsync"/> checks its condition when it commits, atomically with
/// respect to the other puts and deletes of this instance. Across processes, <see cref="LockAsync"/> gives an
/// operating-system lock per key (a <c>flock</c> on Unix, a share-mode lock on Windows, released when the process
/// dies) on one of <see cref="LockStripes"/> hidden files <c>.logpushkit-NN.lock</c> in the folder; writers that hold
/// the key's lock around their check and put never overwrite each other. Two keys may share a lock file, which only
/// makes them wait for each other across processes. (.NET takes no file locks when
/// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> is set; the lock then does nothing.)
/// </para>
/// <para>
/// <b>Leftovers.</b> A process killed during a put leaves its hidden <c>.&lt;name&gt;.&lt;guid&gt;.tmp</c> files.
/// <see cref="CleanUpAsync"/> removes those (and only those: the exact name form this class creates) whose last write
/// is older than the given age, so a put still running in another process is left alone.
/// </para>
/// <para>
/// <b>Identity.</b> <see cref="Identity"/> is the folder's canonical path (links resolved), case-insensitive on Windows
/// and macOS, so the same folder reached by two paths is recognised as one bucket.
/// </para>
/// </remarks>
public sealed partial class FileSystemBucket : IR2Bucket
{
    /// <summary>The longest key accepted, in UTF-8 bytes (R2's and S3's limit).</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>
    /// The longest key segment (the text between two <c>/</c>) accepted, in UTF-8 bytes, leaving room in a 255-byte
    /// file name for the temporary-file decoration.
    /// </summary>
    public const int MaxSegmentBytes = 200;

    /// <summary>The number of lock files <see cref="LockAsync"/> spreads keys over.</summary>
    public const int LockStripes = 64;

    private const string TempSuffix = ".tmp";
    private const string SidecarSuffix = ".meta.json";
    private const string LockPrefix = ".logpushkit-";
    private const string LockSuffix = ".lock";
    private const int CopyBufferSize = 128 * 1024;

    private static readonly string[] WindowsDeviceNames =
    [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];

    private readonly string _root;
    private readonly string _rootWithSeparator;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _commit = new(1, 1);
    private readonly StripedFileLocks _locks;

    /// <summary>Creates a bucket over the folder <paramref name="rootPath"/>. Nothing is created (see remarks).</summary>
    /// <param name="rootPath">The folder that holds the objects.</param>
    /// <param name="name">The bucket's name for messages; defaults to the folder's name.</param>
    /// <param name="timeProvider">The clock <see cref="CleanUpAsync"/> measures ages with; defaults to the system clock.</param>
    public FileSystemBucket(string rootPath, string? name = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootPath);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootPath));
        _rootWithSeparator = _root + Path.DirectorySeparatorChar;
        Name = string.IsNullOrWhiteSpace(name) ? (Path.GetFileName(_root) is { Length: > 0 } folder ? folder : _root) : name;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _locks = new StripedFileLocks(
            _root,
            LockPrefix,
            LockSuffix,
            LockStripes,
            OperatingSystem.IsWindows() || OperatingSystem.IsMacOS(),
            _timeProvider,
            (key, lockPath, ex) => new R2BucketException($"File-system bucket '{Name}': could not lock '{ObjectKeyText.Escape(key)}' ({lockPath}): {ex.Message}", Name, key, innerException: ex));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// The folder's canonical path (every link resolved; a part that does not exist yet appended to its nearest
    /// existing ancestor) as a <c>file://</c> store, case-insensitive on Windows and macOS.
    /// </summary>
    public R2BucketIdentity Identity
    {
        get
        {
            var path = FileKinds.CanonicalPath(_root).Replace(Path.DirectorySeparatorChar, '/');
            return new R2BucketIdentity("file://" + (path.StartsWith('/') ? path : "/" + path) + "/", OperatingSystem.IsWindows() || OperatingSystem.IsMacOS());
        }
    }

    /// <summary>The full path of the bucket's folder.</summary>
    public string RootPath => _root;

    /// <summary>
    /// The identity of the folder itself (<c>major,minor:inode@birth-time</c> on Linux, else its creation time), or
    /// <see langword="null"/> while it does not exist: a folder removed and made again under the same path is another
    /// folder (see <see cref="Pipeline.LogpushObjectProcessor"/>'s state).
    /// </summary>
    internal string? FolderId => FileKinds.FolderIdOf(_root);

    /// <summary>Creates the folder when it does not exist (a target about to be written).</summary>
    /// <exception cref="R2BucketException">The folder cannot be created.</exception>
    internal void CreateFolder()
    {
        try
        {
            Directory.CreateDirectory(_root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new R2BucketException($"File-system bucket '{Name}': the folder '{_root}' cannot be created: {ex.Message}", Name, null, innerException: ex);
        }
    }

    /// <summary>
    /// The full path <paramref name="key"/> maps to, after the same checks every operation makes.
    /// </summary>
    /// <exception cref="ObjectKeyException">The key is not allowed (see <see cref="FileSystemBucket"/>).</exception>
    public string GetPath(string key) => ResolvePath(key);

    /// <inheritdoc />
    public async Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) =>
        await HeadCoreAsync(ResolvePath(key), key, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default)
    {
        RangeChecks.Validate(range);
        var path = ResolvePath(key);
        var handle = OpenForRead(path, key);
        if (handle is null)
        {
            return null;
        }

        try
        {
            var info = await ReadInfoAsync(handle, path, key, withMetadata: true, cancellationToken).ConfigureAwait(false);
            var (offset, length) = RangeChecks.Resolve(range, info.Size, Name, key);
            var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0, isAsync: false);
            Stream body = stream;
            if (offset != 0 || length != info.Size)
            {
                stream.Position = offset;
                body = new BoundedReadStream(stream, length);
            }

            return new R2ObjectBody(info, body);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default)
        => (await PutCoreAsync(key, content, options, null, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc />
    /// <remarks>
    /// The condition is checked against the object as head would report it, when the put commits, atomically with the
    /// other puts and deletes of this instance; across processes, hold <see cref="LockAsync"/> for the key.
    /// </remarks>
    public Task<R2ObjectInfo?> PutIfAsync(string key, Stream content, R2Conditional condition, R2PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return PutCoreAsync(key, content, options, condition, cancellationToken);
    }

    private async Task<R2ObjectInfo?> PutCoreAsync(string key, Stream content, R2PutOptions? options, R2Conditional? condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = ResolvePath(key);
        var directory = Path.GetDirectoryName(path)!;
        var fileName = Path.GetFileName(path);
        var dataTemp = TempPath(directory, fileName);
        var sidecarTemp = TempPath(directory, fileName);
        var committed = false;
        var readingSource = false;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            string etag;
            long size = 0;
            DateTime lastWrite;
            var dataFile = CreateTempFile(dataTemp, directory, key);
            await using (dataFile.ConfigureAwait(false))
            {
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                while (true)
                {
                    // Failures of the source propagate as they are; only the bucket's own I/O is wrapped below.
                    readingSource = true;
                    var read = await content.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken).ConfigureAwait(false);
                    readingSource = false;
                    if (read == 0)
                    {
                        break;
                    }

                    md5.AppendData(buffer, 0, read);
                    await dataFile.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    size += read;
                }

                etag = Convert.ToHexStringLower(md5.GetHashAndReset());
                await DiskFlush.FlushAsync(dataFile).ConfigureAwait(false);
                lastWrite = File.GetLastWriteTimeUtc(dataFile.SafeFileHandle);
            }

            var sidecar = new SidecarRecord(1, size, lastWrite.Ticks, etag, options?.ContentType, ToDictionary(options?.CustomMetadata));

            // A put with neither content type nor custom metadata leaves no sidecar: the folder holds the object only
            // (its ETag is then computed from its bytes when asked, as for files other programs put there).
            var withSidecar = sidecar.ContentType is not null || sidecar.Metadata is not null;
            if (withSidecar)
            {
                var sidecarFile = CreateTempFile(sidecarTemp, directory, key);
                await using (sidecarFile.ConfigureAwait(false))
                {
                    await JsonSerializer.SerializeAsync(sidecarFile, sidecar, SidecarJsonContext.Default.SidecarRecord, cancellationToken).ConfigureAwait(false);
                    await DiskFlush.FlushAsync(sidecarFile).ConfigureAwait(false);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            await _commit.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (condition is not null && !condition.IsSatisfiedBy(await HeadCoreAsync(path, key, cancellationToken).ConfigureAwait(false)))
                {
                    return null;
                }

                // Sidecar first: between the renames the old object's size/time no longer match it, so it is
                // served without metadata rather than with the new object's.
                if (withSidecar)
                {
                    File.Move(sidecarTemp, SidecarPath(directory, fileName), overwrite: true);
                }
                else
                {
                    // an earlier put's metadata must not stay beside the new object
                    File.Delete(SidecarPath(directory, fileName));
                }

                File.Move(dataTemp, path, overwrite: true);
                committed = true;
            }
            finally
            {
                _commit.Release();
            }

            return new R2ObjectInfo(key, size, etag, new DateTimeOffset(lastWrite, TimeSpan.Zero))
            {
                ContentType = sidecar.ContentType,
                CustomMetadata = sidecar.Metadata is { } metadata ? metadata : R2ObjectInfo.EmptyMetadata,
            };
        }
        catch (Exception ex) when (!readingSource && ex is IOException or UnauthorizedAccessException)
        {
            throw new R2BucketException($"File-system bucket '{Name}': could not write '{ObjectKeyText.Escape(key)}': {ex.Message}", Name, key, innerException: ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!committed)
            {
                TryDelete(dataTemp);
                TryDelete(sidecarTemp);
                PruneEmptyFolders(directory);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// An operating-system lock on one of <see cref="LockStripes"/> hidden files in the folder (created with the folder
    /// if missing), held by this instance while any caller in the process holds a key of that stripe. Waits, polling,
    /// until no other process holds it.
    /// </remarks>
    public async ValueTask<IAsyncDisposable?> LockAsync(string key, CancellationToken cancellationToken = default)
    {
        _ = ResolvePath(key);
        return await _locks.LockAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Removes hidden temporary files of the exact form this class creates, <c>.&lt;name&gt;.&lt;32 hex digits&gt;.tmp</c>,
    /// whose last write is at least <see cref="R2CleanupOptions.OlderThan"/> old and whose key (the folder plus
    /// <c>&lt;name&gt;</c>) passes the options' prefix and filter, then prunes folders left empty. Links are not followed.
    /// A missing folder has nothing to clean.
    /// </remarks>
    public Task<R2CleanupResult> CleanUpAsync(R2CleanupOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new R2CleanupOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.OlderThan, TimeSpan.Zero, nameof(options));
        var removed = new List<R2Leftover>();
        var problems = new List<R2BucketProblem>();
        var prefix = options.Prefix ?? string.Empty;
        var lastSlash = prefix.LastIndexOf('/');
        var startKey = lastSlash < 0 ? string.Empty : prefix[..(lastSlash + 1)];
        if (startKey.Length > 0 && FindKeyProblem(startKey.TrimEnd('/')) is not null)
        {
            return Task.FromResult(R2CleanupResult.Nothing);
        }

        var start = startKey.Length == 0 ? _root : Path.Combine(_root, startKey.TrimEnd('/').Replace('/', Path.DirectorySeparatorChar));
        var cutoff = _timeProvider.GetUtcNow() - options.OlderThan;
        var folders = new Stack<(string Path, string Key)>();
        folders.Push((start, startKey));
        while (folders.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (folder, folderKey) = folders.Pop();
            var removedHere = false;
            try
            {
                foreach (var info in new DirectoryInfo(folder).EnumerateFileSystemInfos())
                {
                    var kind = FileKinds.Of(info.FullName);
                    if (kind == FileKind.Directory)
                    {
                        var childKey = folderKey + info.Name + "/";
                        if (childKey.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(childKey, StringComparison.Ordinal))
                        {
                            folders.Push((info.FullName, childKey));
                        }

                        continue;
                    }

                    if (kind != FileKind.Regular || TempFileName().Match(info.Name) is not { Success: true } match)
                    {
                        continue;
                    }

                    var key = folderKey + match.Groups["name"].Value;
                    var lastWrite = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
                    if (lastWrite > cutoff || !options.Covers(key))
                    {
                        continue;
                    }

                    var size = ((FileInfo)info).Length;
                    try
                    {
                        info.Delete();
                        removed.Add(new R2Leftover(R2LeftoverKind.TemporaryFile, key, info.Name, size, lastWrite));
                        removedHere = true;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        problems.Add(new R2BucketProblem(key, $"could not remove the temporary file '{ObjectKeyText.Escape(info.Name)}': {ex.Message}"));
                    }
                }
            }
            catch (DirectoryNotFoundException)
            {
                // nothing there (a target not written yet, or a folder pruned meanwhile)
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add(new R2BucketProblem(folderKey, $"could not read the folder: {ex.Message}"));
            }

            if (removedHere)
            {
                PruneEmptyFolders(folder);
            }
        }

        return Task.FromResult(removed.Count == 0 && problems.Count == 0 ? R2CleanupResult.Nothing : new R2CleanupResult(removed, problems));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new R2ListOptions();
        await foreach (var item in KeyListing.RollUp(WalkAsync(options, ToInfoAsync, cancellationToken), options).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.GetDirectoryName(path)!;
        await _commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (FileKinds.Of(path) is not FileKind.Directory)
            {
                File.Delete(path);
            }

            File.Delete(SidecarPath(directory, Path.GetFileName(path)));
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new R2BucketException($"File-system bucket '{Name}': could not delete '{ObjectKeyText.Escape(key)}': {ex.Message}", Name, key, innerException: ex);
        }
        finally
        {
            _commit.Release();
        }

        PruneEmptyFolders(directory);
    }

    /// <summary>Whether a file name is one of the bucket's own temporary, sidecar or lock files.</summary>
    internal static bool IsReservedName(ReadOnlySpan<char> fileName) =>
        fileName.Length > 1 && fileName[0] == '.' &&
        (fileName.EndsWith(TempSuffix, StringComparison.Ordinal) || fileName.EndsWith(SidecarSuffix, StringComparison.Ordinal) ||
         StripedFileLocks.IsLockFileName(fileName, LockPrefix, LockSuffix));

    private string ResolvePath(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var problem = FindKeyProblem(key);
        if (problem is not null)
        {
            throw new ObjectKeyException($"File-system bucket '{Name}': key '{ObjectKeyText.Escape(key)}' is not allowed: {problem}.", Name, key);
        }

        var path = Path.GetFullPath(Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar)));
        if (!path.StartsWith(_rootWithSeparator, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            throw new ObjectKeyException($"File-system bucket '{Name}': key '{ObjectKeyText.Escape(key)}' is not allowed: it resolves outside the bucket folder.", Name, key);
        }

        // A link inside the folder could lead outside it: refuse keys whose path runs through one.
        for (var at = path; at.Length > _rootWithSeparator.Length; at = Path.GetDirectoryName(at)!)
        {
            if (new FileInfo(at).LinkTarget is not null)
            {
                throw new ObjectKeyException($"File-system bucket '{Name}': key '{ObjectKeyText.Escape(key)}' is not allowed: its path runs through a symbolic link.", Name, key);
            }
        }

        return path;
    }

    private static string? FindKeyProblem(string key)
    {
        if (key.Length == 0)
        {
            return "it is empty";
        }

        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            return $"it is longer than {MaxKeyBytes} UTF-8 bytes";
        }

        foreach (var c in key)
        {
            if (c == '\0')
            {
                return "it contains a NUL character";
            }

            if (c == '\\')
            {
                return "it contains a backslash (use '/' between segments)";
            }

            if (char.IsControl(c))
            {
                return "it contains a control character";
            }

            if (c == ':' && OperatingSystem.IsWindows())
            {
                return "it contains ':'";
            }
        }

        if (key[0] == '/')
        {
            return "it is an absolute path (starts with '/')";
        }

        if (key.Length >= 2 && char.IsAsciiLetter(key[0]) && key[1] == ':')
        {
            return "it starts with a drive letter";
        }

        var rest = key.AsSpan();
        while (true)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (segment.IsEmpty)
            {
                return "it has an empty segment ('//' or a trailing '/')";
            }

            if (segment is "." or "..")
            {
                return "it has a '.' or '..' segment";
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                return $"a segment is longer than {MaxSegmentBytes} UTF-8 bytes";
            }

            if (OperatingSystem.IsWindows() && FindWindowsSegmentProblem(segment) is { } windowsProblem)
            {
                return windowsProblem;
            }

            if (slash < 0)
            {
                return IsReservedName(segment) ? "its last segment has the form of the bucket's temporary, sidecar or lock files (.*.tmp, .*.meta.json, .logpushkit-*.lock)" : null;
            }

            rest = rest[(slash + 1)..];
        }
    }

    private static string? FindWindowsSegmentProblem(ReadOnlySpan<char> segment)
    {
        if (segment[^1] is '.' or ' ')
        {
            return "a segment ends with '.' or ' '";
        }

        if (segment.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            return "a segment contains a character Windows does not allow in file names";
        }

        var stem = segment.IndexOf('.') is var dot and >= 0 ? segment[..dot] : segment;
        foreach (var device in WindowsDeviceNames)
        {
            if (stem.Equals(device, StringComparison.OrdinalIgnoreCase))
            {
                return $"a segment is the Windows device name '{device}'";
            }
        }

        return null;
    }

    private static string TempPath(string directory, string fileName) =>
        Path.Combine(directory, "." + fileName + "." + Guid.NewGuid().ToString("N") + TempSuffix);

    private static string SidecarPath(string directory, string fileName) =>
        Path.Combine(directory, "." + fileName + SidecarSuffix);

    private FileStream CreateTempFile(string tempPath, string directory, string key, bool asynchronous = true)
    {
        // A concurrent delete may prune the folder between creating it and creating the file: retry a few times.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(directory);
                return new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, asynchronous ? FileOptions.Asynchronous : FileOptions.None);
            }
            catch (DirectoryNotFoundException) when (attempt < 3)
            {
            }
            catch (IOException ex) when (File.Exists(directory))
            {
                throw new R2BucketException($"File-system bucket '{Name}': could not write '{ObjectKeyText.Escape(key)}': a parent of it is an object, not a folder.", Name, key, innerException: ex);
            }
        }
    }

    private SafeFileHandle? OpenForRead(string path, string key)
    {
        // Only regular files are objects: a FIFO would block the open until a writer appears, a device reads forever.
        if (FileKinds.Of(path) is not FileKind.Regular)
        {
            return null;
        }

        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            return null;
        }
        catch (IOException) when (Directory.Exists(path) || File.Exists(Path.GetDirectoryName(path)))
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new R2BucketException($"File-system bucket '{Name}': could not read '{ObjectKeyText.Escape(key)}': {ex.Message}", Name, key, innerException: ex);
        }
    }

    private async Task<R2ObjectInfo?> HeadCoreAsync(string path, string key, CancellationToken cancellationToken)
    {
        using var handle = OpenForRead(path, key);
        if (handle is null)
        {
            return null;
        }

        return await ReadInfoAsync(handle, path, key, withMetadata: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<R2ObjectInfo> ReadInfoAsync(SafeFileHandle handle, string path, string key, bool withMetadata, CancellationToken cancellationToken)
    {
        var size = RandomAccess.GetLength(handle);
        var lastWrite = File.GetLastWriteTimeUtc(handle);
        var sidecar = await ReadSidecarAsync(path, cancellationToken).ConfigureAwait(false);
        if (sidecar is not null && sidecar.Size == size && sidecar.LastWriteTicks == lastWrite.Ticks)
        {
            return new R2ObjectInfo(key, size, sidecar.ETag, new DateTimeOffset(lastWrite, TimeSpan.Zero))
            {
                ContentType = withMetadata ? sidecar.ContentType : null,
                CustomMetadata = withMetadata && sidecar.Metadata is { } metadata ? metadata : R2ObjectInfo.EmptyMetadata,
            };
        }

        var etag = await HashAsync(handle, size, cancellationToken).ConfigureAwait(false);
        return new R2ObjectInfo(key, size, etag, new DateTimeOffset(lastWrite, TimeSpan.Zero));
    }

    private static async Task<SidecarRecord?> ReadSidecarAsync(string objectPath, CancellationToken cancellationToken)
    {
        var sidecarPath = SidecarPath(Path.GetDirectoryName(objectPath)!, Path.GetFileName(objectPath));
        try
        {
            var stream = new FileStream(sidecarPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 4096, useAsync: false);
            await using var disposeStream = stream.ConfigureAwait(false);
            var record = await JsonSerializer.DeserializeAsync(stream, SidecarJsonContext.Default.SidecarRecord, cancellationToken).ConfigureAwait(false);
            return record is { Version: 1, ETag: not null } ? record : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // Missing, racing with a put, or damaged: the object is served without metadata, never with wrong metadata.
            return null;
        }
    }

    private static async Task<string> HashAsync(SafeFileHandle handle, long size, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long offset = 0;
            while (offset < size)
            {
                var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, CopyBufferSize), offset, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                md5.AppendData(buffer, 0, read);
                offset += read;
            }

            return Convert.ToHexStringLower(md5.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Dictionary<string, string>? ToDictionary(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is null || metadata.Count == 0 ? null : new Dictionary<string, string>(metadata, StringComparer.Ordinal);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary file is hidden from every operation.
        }
    }

    private void PruneEmptyFolders(string directory)
    {
        while (directory.Length > _rootWithSeparator.Length &&
               directory.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(directory).Any())
                {
                    return;
                }

                Directory.Delete(directory, recursive: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not empty any more (a concurrent put) or already gone: stop pruning.
                return;
            }

            directory = Path.GetDirectoryName(directory)!;
        }
    }

    /// <summary>
    /// The regular files under <paramref name="prefix"/> in key order with their size, last-write time and identity,
    /// without opening or hashing them: what tells an unchanged source file from a changed one (see
    /// <see cref="Pipeline.LogpushReconciler"/>). Unreadable parts end the listing with <see cref="R2ListIncompleteException"/>
    /// after everything readable, as <see cref="ListAsync"/> does.
    /// </summary>
    internal IAsyncEnumerable<ListedFile> ListFilesAsync(string? prefix, CancellationToken cancellationToken = default) =>
        WalkAsync(new R2ListOptions { Prefix = prefix }, ToListedFileAsync, cancellationToken);

    /// <summary>The size, last-write time and identity of the file an open body of this bucket reads, or <see langword="null"/> for a body of another bucket.</summary>
    internal static FileStat? StatOf(R2ObjectBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return body.Body is FileStream file ? FileKinds.StatOf(file.SafeFileHandle) : null;
    }

    private static Task<ListedFile?> ToListedFileAsync(Entry entry, List<R2BucketProblem> problems, CancellationToken cancellationToken) =>
        Task.FromResult(FileKinds.StatOf(entry.Path) is { } stat ? new ListedFile(entry.Key, stat) : null);

    private async IAsyncEnumerable<T> WalkAsync<T>(R2ListOptions options, Func<Entry, List<R2BucketProblem>, CancellationToken, Task<T?>> convert, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        if (!Directory.Exists(_root))
        {
            throw new R2BucketException(
                File.Exists(_root)
                    ? $"File-system bucket '{Name}': '{_root}' is a file, not a folder."
                    : $"File-system bucket '{Name}': the folder '{_root}' does not exist.",
                Name,
                null);
        }

        // Start in the deepest folder the prefix names, so a prefix lists only its own subtree.
        var prefix = options.Prefix ?? string.Empty;
        var lastSlash = prefix.LastIndexOf('/');
        var startKeyPrefix = lastSlash < 0 ? string.Empty : prefix[..(lastSlash + 1)];
        if (startKeyPrefix.Length > 0 && FindKeyProblem(startKeyPrefix.TrimEnd('/')) is not null)
        {
            yield break;
        }

        var startFolder = startKeyPrefix.Length == 0 ? _root : Path.Combine(_root, startKeyPrefix.TrimEnd('/').Replace('/', Path.DirectorySeparatorChar));
        var rollUpFolders = options.Delimiter == "/";

        // Parts that cannot be read are collected and reported after everything readable was listed.
        var problems = new List<R2BucketProblem>();
        var first = ListFolder(startFolder, startKeyPrefix, problems);
        if (startKeyPrefix.Length == 0 && problems.Count > 0)
        {
            throw new R2BucketException($"File-system bucket '{Name}': the folder '{_root}' cannot be listed: {problems[0].Reason}", Name, null);
        }

        // An explicit stack of sorted folder listings keeps memory to one listing per level of depth.
        var stack = new Stack<IEnumerator<Entry>>();
        stack.Push(first.GetEnumerator());
        try
        {
            while (stack.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var entries = stack.Peek();
                if (!entries.MoveNext())
                {
                    stack.Pop().Dispose();
                    continue;
                }

                var entry = entries.Current;
                if (entry.IsFolder)
                {
                    if (!FolderMayMatch(entry.Key, options))
                    {
                        continue;
                    }

                    if (rollUpFolders && entry.Key.Length > prefix.Length && !StartsWithKey(options.StartAfter, entry.Key))
                    {
                        // Every key below rolls up to the same common prefix: one visible object is enough.
                        var firstBelow = FirstObject(entry.Path, entry.Key, options, problems, cancellationToken);
                        if (firstBelow is not null && await convert(firstBelow.Value, problems, cancellationToken).ConfigureAwait(false) is { } firstInfo)
                        {
                            yield return firstInfo;
                        }

                        continue;
                    }

                    stack.Push(ListFolder(entry.Path, entry.Key, problems).GetEnumerator());
                    continue;
                }

                if (KeyListing.Matches(entry.Key, options) && await convert(entry, problems, cancellationToken).ConfigureAwait(false) is { } info)
                {
                    yield return info;
                }
            }
        }
        finally
        {
            while (stack.Count > 0)
            {
                stack.Pop().Dispose();
            }
        }

        if (problems.Count > 0)
        {
            throw new R2ListIncompleteException(Name, problems);
        }
    }

    private static bool StartsWithKey(string? value, string keyPrefix) =>
        value is not null && value.StartsWith(keyPrefix, StringComparison.Ordinal);

    private static bool FolderMayMatch(string folderKey, R2ListOptions options)
    {
        if (options.Prefix is { Length: > 0 } prefix &&
            !folderKey.StartsWith(prefix, StringComparison.Ordinal) && !prefix.StartsWith(folderKey, StringComparison.Ordinal))
        {
            return false;
        }

        // Every key below is smaller than start-after when start-after sorts after the folder and is not inside it.
        return options.StartAfter is not { Length: > 0 } startAfter ||
               startAfter.StartsWith(folderKey, StringComparison.Ordinal) ||
               ObjectKeyOrder.Compare(folderKey, startAfter) > 0;
    }

    private Entry? FirstObject(string folder, string folderKey, R2ListOptions options, List<R2BucketProblem> problems, CancellationToken cancellationToken)
    {
        foreach (var entry in ListFolder(folder, folderKey, problems))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.IsFolder)
            {
                if (FolderMayMatch(entry.Key, options) && FirstObject(entry.Path, entry.Key, options, problems, cancellationToken) is { } first)
                {
                    return first;
                }
            }
            else if (KeyListing.Matches(entry.Key, options))
            {
                return entry;
            }
        }

        return null;
    }

    private async Task<R2ObjectInfo?> ToInfoAsync(Entry entry, List<R2BucketProblem> problems, CancellationToken cancellationToken)
    {
        try
        {
            var handle = OpenForRead(entry.Path, entry.Key);
            if (handle is null)
            {
                // Deleted while listing: leave it out, as a listing started a moment later would.
                return null;
            }

            using (handle)
            {
                return await ReadInfoAsync(handle, entry.Path, entry.Key, withMetadata: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (R2BucketException ex)
        {
            problems.Add(new R2BucketProblem(entry.Key, (ex.InnerException ?? ex).Message));
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new R2BucketProblem(entry.Key, ex.Message));
            return null;
        }
    }

    private static List<Entry> ListFolder(string folder, string folderKey, List<R2BucketProblem> problems)
    {
        List<Entry> entries;
        try
        {
            entries = [];
            foreach (var info in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            {
                // Links are not followed: they could point outside the bucket folder.
                var isFolder = (info.Attributes & FileAttributes.Directory) != 0;
                if ((info.Attributes & FileAttributes.ReparsePoint) != 0 || (!isFolder && IsReservedName(info.Name)))
                {
                    continue;
                }

                // Only regular files are objects: FIFOs, sockets and devices are never opened.
                if (!isFolder && FileKinds.Of(info.FullName) is not FileKind.Regular)
                {
                    continue;
                }

                // A folder's keys all start with "name/", so it sorts as that prefix among its siblings.
                var key = isFolder ? folderKey + info.Name + "/" : folderKey + info.Name;
                entries.Add(new Entry(key, info.FullName, isFolder));
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Gone (deleted while listing): nothing below.
            return [];
        }
        catch (IOException) when (File.Exists(folder))
        {
            // Not a folder (a prefix running through an object): nothing below.
            return [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new R2BucketProblem(folderKey, $"the folder could not be read: {ex.Message}"));
            return [];
        }

        entries.Sort(static (a, b) => ObjectKeyOrder.Instance.Compare(a.Key, b.Key));
        return entries;
    }

    [GeneratedRegex("^\\.(?<name>.+)\\.[0-9a-f]{32}\\.tmp$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex TempFileName();

    private readonly record struct Entry(string Key, string Path, bool IsFolder);

    /// <summary>One file of <see cref="ListFilesAsync"/>.</summary>
    internal sealed record ListedFile(string Key, FileStat Stat);
}
