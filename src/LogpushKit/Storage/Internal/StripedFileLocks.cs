using System.Globalization;

namespace LogpushKit.Storage;

/// <summary>
/// Cross-process locks by key on a fixed number of lock files in one folder: an operating-system lock (a <c>flock</c> on
/// Unix, a share-mode lock on Windows, released when the process dies) on the file <c>&lt;prefix&gt;NN&lt;suffix&gt;</c>
/// of the key's stripe. Within the process a stripe's file is opened once and shared by every holder of a key of that
/// stripe; two keys of one stripe only wait for each other across processes. Used by <see cref="FileSystemBucket"/>
/// (stripes in the bucket's folder) and by the SQLite conversion state store (stripes beside its database).
/// </summary>
/// <remarks>(.NET takes no file locks when <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> is set; the locks then do nothing.)</remarks>
internal sealed class StripedFileLocks
{
    private readonly string _folder;
    private readonly string _prefix;
    private readonly string _suffix;
    private readonly bool _ignoreCase;
    private readonly TimeProvider _timeProvider;
    private readonly Func<string, string, Exception, Exception> _failure;
    private readonly Stripe[] _stripes;

    /// <summary>Creates the locks; nothing is created on disk until the first lock.</summary>
    /// <param name="folder">The folder of the lock files (created when missing).</param>
    /// <param name="prefix">The start of each lock file's name.</param>
    /// <param name="suffix">The end of each lock file's name.</param>
    /// <param name="stripes">The number of lock files.</param>
    /// <param name="ignoreCase">Keys that differ only in case share a stripe.</param>
    /// <param name="timeProvider">The clock the wait polls with.</param>
    /// <param name="failure">Makes the exception for a lock file that cannot be opened: (key, lock file path, cause).</param>
    public StripedFileLocks(string folder, string prefix, string suffix, int stripes, bool ignoreCase, TimeProvider timeProvider, Func<string, string, Exception, Exception> failure)
    {
        _folder = folder;
        _prefix = prefix;
        _suffix = suffix;
        _ignoreCase = ignoreCase;
        _timeProvider = timeProvider;
        _failure = failure;
        _stripes = Enumerable.Range(0, stripes).Select(static _ => new Stripe()).ToArray();
    }

    /// <summary>The folder of the lock files.</summary>
    public string Folder => _folder;

    /// <summary>Whether <paramref name="fileName"/> has the form of one of these lock files' names.</summary>
    public static bool IsLockFileName(ReadOnlySpan<char> fileName, string prefix, string suffix) =>
        fileName.StartsWith(prefix, StringComparison.Ordinal) && fileName.EndsWith(suffix, StringComparison.Ordinal);

    /// <summary>Holds <paramref name="key"/>'s stripe until the returned handle is disposed; waits, polling, while another process holds it.</summary>
    public async ValueTask<IAsyncDisposable> LockAsync(string key, CancellationToken cancellationToken)
    {
        var index = StripeOf(key);
        var stripe = _stripes[index];
        await stripe.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (stripe.Holders == 0)
            {
                stripe.Handle = await OpenLockFileAsync(Path.Combine(_folder, string.Create(CultureInfo.InvariantCulture, $"{_prefix}{index:x2}{_suffix}")), key, cancellationToken).ConfigureAwait(false);
            }

            stripe.Holders++;
        }
        finally
        {
            stripe.Gate.Release();
        }

        return new StripeHold(stripe);
    }

    private int StripeOf(string key)
    {
        // Keys that name one file share a stripe: on a case-insensitive file system, keys differing only in case.
        var normalized = _ignoreCase ? key.ToUpperInvariant() : key;
        var hash = 2166136261u;
        foreach (var c in normalized)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)_stripes.Length);
    }

    private async Task<FileStream> OpenLockFileAsync(string lockPath, string key, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(20);
        var madeFolder = false;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
            }
            catch (IOException ex) when (IsLockContention(ex))
            {
                // Held by another process: wait for it (a process that dies releases its locks).
            }
            catch (IOException missing) when (!madeFolder && missing is DirectoryNotFoundException or FileNotFoundException)
            {
                // The folder is made on the first lock (or again, if it was removed): not looked for on every lock. A missing
                // folder can also be reported as the file not found: .NET tells the two apart by looking for the folder
                // after the failure, and another lock may have made it in between.
                try
                {
                    Directory.CreateDirectory(_folder);
                    madeFolder = true;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw _failure(key, lockPath, ex);
                }

                continue;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw _failure(key, lockPath, ex);
            }

            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>
    /// Whether opening a lock file failed because another process holds it: on Unix .NET's <c>flock</c> answers
    /// EWOULDBLOCK (the exception's HResult is the raw errno: 11 on Linux, 35 on macOS and the BSDs); on Windows it is a
    /// sharing or lock violation.
    /// </summary>
    private static bool IsLockContention(IOException ex) => OperatingSystem.IsWindows()
        ? ex.HResult is unchecked((int)0x80070020) or unchecked((int)0x80070021)
        : ex.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    /// <summary>One lock file, held while any caller in this process holds a key of its stripe.</summary>
    private sealed class Stripe
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public FileStream? Handle { get; set; }

        public int Holders { get; set; }
    }

    private sealed class StripeHold(Stripe stripe) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            await stripe.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (--stripe.Holders == 0 && stripe.Handle is { } handle)
                {
                    stripe.Handle = null;
                    await handle.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                stripe.Gate.Release();
            }
        }
    }
}
