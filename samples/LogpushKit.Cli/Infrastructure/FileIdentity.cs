using System.Runtime.InteropServices;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Whether two paths name the same file — the same path, a symbolic link to it, or a hard link (another name for the
/// same inode) — so that <c>convert x.log.gz -o x.log.gz</c> is refused before it replaces its own input.
/// </summary>
/// <remarks>
/// On Linux the file's identity (device and inode) comes from <c>statx(2)</c>, whose result layout is the same on every
/// architecture. Elsewhere, or where <c>statx</c> is not available, the paths are compared after resolving symbolic links
/// (which misses hard links).
/// </remarks>
internal static partial class FileIdentity
{
    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100;

    /// <summary>Whether <paramref name="first"/> and <paramref name="second"/> are the same existing file.</summary>
    public static bool IsSameFile(string first, string second)
    {
        if (!File.Exists(first) || !File.Exists(second))
        {
            return false;
        }

        if (OperatingSystem.IsLinux() && TryGetId(first) is { } a && TryGetId(second) is { } b)
        {
            return a == b;
        }

        return string.Equals(
            ResolvedPath(first),
            ResolvedPath(second),
            OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
    }

    private static string ResolvedPath(string path)
    {
        var full = Path.GetFullPath(path);
        return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
    }

    private static (uint Major, uint Minor, ulong Inode)? TryGetId(string path)
    {
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxIno, out var buffer) == 0 && (buffer.Mask & StatxIno) != 0)
            {
                return (buffer.DevMajor, buffer.DevMinor, buffer.Ino);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc 2.28+ (e.g. musl): fall back to paths
        }

        return null;
    }

    [LibraryImport("libc.so.6", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary>The fields of <c>struct statx</c> used here (the kernel's layout is fixed: 256 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)]
        public uint Mask;

        [FieldOffset(32)]
        public ulong Ino;

        [FieldOffset(136)]
        public uint DevMajor;

        [FieldOffset(140)]
        public uint DevMinor;
    }
}
