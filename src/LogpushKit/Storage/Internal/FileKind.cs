using System.Globalization;
using System.Runtime.InteropServices;

namespace LogpushKit.Storage;

/// <summary>What a directory entry is, as far as <see cref="FileSystemBucket"/> cares.</summary>
internal enum FileKind
{
    /// <summary>Nothing at that path.</summary>
    Missing,

    /// <summary>A regular file: the only kind that is an object.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A symbolic link (not followed).</summary>
    Link,

    /// <summary>A FIFO, socket or device: opening one can block forever (a FIFO without a writer) or read endlessly.</summary>
    Special,
}

/// <summary>
/// The file-system facts .NET does not expose: an entry's type (a FIFO, socket or device looks like a file of length 0
/// to <see cref="FileSystemInfo"/>) and the canonical path of a folder with every link resolved.
/// </summary>
/// <remarks>
/// Linux asks <c>statx(2)</c>, whose result layout is the same on every architecture; macOS asks <c>lstat(2)</c>
/// (the 64-bit-inode layout, identical on x64 and arm64). Windows has no FIFOs or devices among a folder's files,
/// so attributes suffice there. Where the call is missing (an old C library), entries are taken for regular files,
/// which is what .NET alone would do.
/// </remarks>
internal static class FileKinds
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const uint StatxBirthTime = 0x800;
    private const int TypeMask = 0xF000;
    private const int TypeRegular = 0x8000;
    private const int TypeDirectory = 0x4000;
    private const int TypeLink = 0xA000;

    private static int _nativeState; // 0 unknown, 1 available, -1 missing

    /// <summary>The kind of the entry at <paramref name="path"/>, not following a final link.</summary>
    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsWindows() || Volatile.Read(ref _nativeState) < 0)
        {
            return OfByAttributes(path);
        }

        int mode;
        try
        {
            if (!TryGetMode(path, out mode, out var missing))
            {
                return missing ? FileKind.Missing : OfByAttributes(path);
            }

            Volatile.Write(ref _nativeState, 1);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            Volatile.Write(ref _nativeState, -1);
            return OfByAttributes(path);
        }

        return (mode & TypeMask) switch
        {
            TypeRegular => FileKind.Regular,
            TypeDirectory => FileKind.Directory,
            TypeLink => FileKind.Link,
            _ => FileKind.Special,
        };
    }

    /// <summary>
    /// The absolute path of <paramref name="path"/> with every link and <c>..</c> resolved; a part that does not exist
    /// yet is appended to the resolved path of its nearest existing ancestor.
    /// </summary>
    public static string CanonicalPath(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var missing = new Stack<string>();
        var current = full;
        while (true)
        {
            var resolved = Resolve(current);
            if (resolved is not null)
            {
                foreach (var part in missing)
                {
                    resolved = Path.Combine(resolved, part);
                }

                return Path.TrimEndingDirectorySeparator(resolved);
            }

            var parent = Path.GetDirectoryName(current);
            if (parent is null)
            {
                return full;
            }

            missing.Push(Path.GetFileName(current));
            current = parent;
        }
    }

    private static string? Resolve(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            if (!Directory.Exists(path) && !File.Exists(path))
            {
                return null;
            }

            var info = new DirectoryInfo(path);
            return info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path : path;
        }

        try
        {
            // PATH_MAX is 4096 on Linux, 1024 on macOS; the result is written into this buffer (no allocation to free).
            var buffer = new byte[4097];
            if (RealPath(path, buffer) == IntPtr.Zero)
            {
                return null;
            }

            var length = Array.IndexOf(buffer, (byte)0);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return Directory.Exists(path) || File.Exists(path) ? path : null;
        }
    }

    private static FileKind OfByAttributes(string path)
    {
        try
        {
            var attributes = File.GetAttributes(path);
            return (attributes & FileAttributes.ReparsePoint) != 0 ? FileKind.Link
                : (attributes & FileAttributes.Directory) != 0 ? FileKind.Directory
                : FileKind.Regular;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return FileKind.Missing;
        }
    }

    /// <summary>
    /// The size, last-write time and identity (<c>device:inode</c>) of the regular file at <paramref name="path"/>
    /// without opening it (a final link is not followed), or <see langword="null"/> when it is not a regular file or
    /// cannot be asked. The identity is <see langword="null"/> where <c>statx(2)</c> is missing (not Linux).
    /// </summary>
    public static FileStat? StatOf(string path)
    {
        if (OperatingSystem.IsLinux() && Volatile.Read(ref _nativeState) >= 0)
        {
            try
            {
                return StatxOf(AtFdCwd, path, AtSymlinkNoFollow);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                Volatile.Write(ref _nativeState, -1);
            }
        }

        try
        {
            var info = new FileInfo(path);
            return info.Exists && (info.Attributes & (FileAttributes.Directory | FileAttributes.ReparsePoint)) == 0 && Of(path) == FileKind.Regular
                ? new FileStat(info.Length, info.LastWriteTimeUtc.Ticks, null)
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The identity of the folder at <paramref name="path"/> (links followed): <c>major,minor:inode@birth-time</c> where
    /// <c>statx(2)</c> answers (Linux; without the birth time where the file system keeps none), else its creation time in
    /// UTC ticks; <see langword="null"/> when it is not a folder.
    /// A folder removed and made again under the same path gets another identity.
    /// </summary>
    public static string? FolderIdOf(string path)
    {
        if (OperatingSystem.IsLinux() && Volatile.Read(ref _nativeState) >= 0)
        {
            try
            {
                Span<byte> buffer = stackalloc byte[256];
                buffer.Clear();
                if (Statx(AtFdCwd, path, 0, StatxType | StatxIno | StatxBirthTime, ref MemoryMarshal.GetReference(buffer)) != 0)
                {
                    return null;
                }

                var mask = BitConverter.ToUInt32(buffer);
                if ((mask & StatxType) == 0 || (BitConverter.ToUInt16(buffer[28..]) & TypeMask) != TypeDirectory)
                {
                    return null;
                }

                if ((mask & StatxIno) != 0)
                {
                    // a file system reuses a freed inode at once: the birth time (stx_btime at 80) tells the new folder apart
                    var id = string.Create(CultureInfo.InvariantCulture, $"{BitConverter.ToUInt32(buffer[136..])},{BitConverter.ToUInt32(buffer[140..])}:{BitConverter.ToUInt64(buffer[32..])}");
                    return (mask & StatxBirthTime) == 0
                        ? id
                        : string.Create(CultureInfo.InvariantCulture, $"{id}@{BitConverter.ToInt64(buffer[80..])}.{BitConverter.ToUInt32(buffer[88..]):D9}");
                }
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                Volatile.Write(ref _nativeState, -1);
            }
        }

        try
        {
            return Directory.Exists(path) ? Directory.GetCreationTimeUtc(path).Ticks.ToString(CultureInfo.InvariantCulture) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The same facts as <see cref="StatOf(string)"/> of an open file.</summary>
    public static FileStat StatOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsLinux() && Volatile.Read(ref _nativeState) >= 0)
        {
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                if (StatxOf((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath) is { } stat)
                {
                    return stat;
                }
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                Volatile.Write(ref _nativeState, -1);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        return new FileStat(RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle).Ticks, null);
    }

    private static FileStat? StatxOf(int directoryFd, string path, int flags)
    {
        Span<byte> buffer = stackalloc byte[256];
        buffer.Clear();
        if (Statx(directoryFd, path, flags, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return null;
        }

        // struct statx: stx_mask at 0, stx_mode (u16) at 28, stx_ino (u64) at 32, stx_size (u64) at 40,
        // stx_mtime { i64 tv_sec; u32 tv_nsec } at 112, stx_dev_major/minor (u32) at 136/140
        var mask = BitConverter.ToUInt32(buffer);
        if ((mask & StatxType) == 0 || (BitConverter.ToUInt16(buffer[28..]) & TypeMask) != TypeRegular)
        {
            return null;
        }

        var seconds = BitConverter.ToInt64(buffer[112..]);
        var nanoseconds = BitConverter.ToUInt32(buffer[120..]);
        var ticks = DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100);
        var id = (mask & StatxIno) != 0
            ? string.Create(CultureInfo.InvariantCulture, $"{BitConverter.ToUInt32(buffer[136..])},{BitConverter.ToUInt32(buffer[140..])}:{BitConverter.ToUInt64(buffer[32..])}")
            : null;
        return new FileStat((long)BitConverter.ToUInt64(buffer[40..]), ticks, id);
    }

    private static bool TryGetMode(string path, out int mode, out bool missing)
    {
        mode = 0;
        missing = false;
        int result;
        Span<byte> buffer = stackalloc byte[256];
        buffer.Clear();
        if (OperatingSystem.IsLinux())
        {
            result = Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(buffer));
            if (result == 0)
            {
                // struct statx: __u32 stx_mask at 0 ... __u16 stx_mode at 28 (the same layout on every architecture)
                if ((BitConverter.ToUInt32(buffer) & StatxType) == 0)
                {
                    return false;
                }

                mode = BitConverter.ToUInt16(buffer[28..]);
                return true;
            }
        }
        else if (OperatingSystem.IsMacOS())
        {
            result = RuntimeInformation.ProcessArchitecture == Architecture.X64
                ? LStatInode64(path, ref MemoryMarshal.GetReference(buffer))
                : LStat(path, ref MemoryMarshal.GetReference(buffer));
            if (result == 0)
            {
                // struct stat (64-bit inodes): dev_t st_dev (int32) at 0, mode_t st_mode (uint16) at 4
                mode = BitConverter.ToUInt16(buffer[4..]);
                return true;
            }
        }
        else
        {
            return false;
        }

        var errno = Marshal.GetLastPInvokeError();
        missing = errno is 2 /* ENOENT */ or 20 /* ENOTDIR */;
        return false;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);

    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref byte buffer);

    [DllImport("libc", EntryPoint = "lstat$INODE64", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LStatInode64([MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref byte buffer);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr RealPath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] resolved);
}

/// <summary>What <see cref="FileKinds.StatOf(string)"/> tells of a regular file.</summary>
/// <param name="Size">The size in bytes.</param>
/// <param name="LastWriteTicks">The last-write time in UTC ticks (100 ns).</param>
/// <param name="Id">The file's identity, <c>major,minor:inode</c> of its device and inode; <see langword="null"/> where unknown.</param>
internal readonly record struct FileStat(long Size, long LastWriteTicks, string? Id)
{
    /// <summary>The last-write time.</summary>
    public DateTimeOffset LastModified => new(LastWriteTicks, TimeSpan.Zero);
}
