namespace LogpushKit.Storage;

/// <summary>
/// A bucket of objects, shaped like the Workers <c>R2Bucket</c> binding (<c>head</c>, <c>get</c>, <c>put</c>,
/// <c>list</c>, <c>delete</c>). Implementations: <c>FileSystemBucket</c> (a local folder),
/// <c>InMemoryBucket</c> (tests), and the S3/R2 bucket in the <c>LogpushKit.R2</c> package.
/// </summary>
/// <remarks>
/// <para>
/// Every implementation streams: <see cref="GetAsync"/> returns the body as a stream, and
/// <see cref="PutAsync"/> reads a non-seekable stream of unknown length. A put is atomic: readers see the old
/// object or the complete new one, never a part, and a failed or cancelled put leaves nothing behind (a process killed
/// during a put may leave hidden leftovers that <see cref="CleanUpAsync"/> removes). Failures other than "not found"
/// raise <see cref="R2BucketException"/>; <see cref="ObjectKeyException"/> for a key refused before any I/O. Keys
/// appear in messages escaped by <see cref="ObjectKeyText.Escape"/>.
/// </para>
/// <para>
/// <b>How this interface grows.</b> Members added after the first five are default interface members, so an existing
/// implementation keeps compiling and keeps its behaviour; each default is the safe one and is documented on the member:
/// <see cref="Identity"/> is unknown (<see langword="null"/>: only the same instance is known to be the same bucket),
/// <see cref="PutIfAsync"/> throws <see cref="NotSupportedException"/> (so no implementation silently ignores a
/// condition; callers may then put unconditionally and say so), <see cref="LockAsync"/> offers no lock
/// (<see langword="null"/>), and <see cref="CleanUpAsync"/> removes nothing. An implementation overrides a member when
/// it can do better; future members follow the same rule. An abstract base class was not chosen: implementers may
/// already derive from something else, and a base class would put our state into theirs.
/// </para>
/// <para>
/// <b>Who disposes a bucket.</b> Whoever creates it. Buckets that hold resources (the S3/R2 bucket holds HTTP
/// connections) implement <see cref="IDisposable"/> and/or <see cref="IAsyncDisposable"/>; code that is handed an
/// <see cref="IR2Bucket"/> (the pipeline's processor, reconciler and watcher) never disposes it.
/// </para>
/// </remarks>
public interface IR2Bucket
{
    /// <summary>The bucket's name, used in messages and event notifications.</summary>
    string Name { get; }

    /// <summary>
    /// The store behind this bucket, to recognise two bucket objects over the same objects (a target that is the
    /// source). Default <see langword="null"/>: unknown, only the same instance is known to be the same bucket.
    /// </summary>
    R2BucketIdentity? Identity => null;

    /// <summary>Reads an object's metadata, or returns <see langword="null"/> when the key does not exist.</summary>
    Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens an object's body (all of it, or <paramref name="range"/>), or returns <see langword="null"/> when the
    /// key does not exist. The caller disposes the result.
    /// </summary>
    Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes an object from <paramref name="content"/>, read to its end (it need not be seekable nor have a known
    /// length), and makes it visible only when complete. <paramref name="content"/> is not disposed.
    /// </summary>
    Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes an object like <see cref="PutAsync"/>, but commits it only if <paramref name="condition"/> holds when the
    /// object would become visible; otherwise nothing is written and the result is <see langword="null"/>.
    /// <paramref name="content"/> is read to its end either way.
    /// </summary>
    /// <remarks>
    /// Default: throws <see cref="NotSupportedException"/> before reading <paramref name="content"/>, so that a bucket
    /// that cannot check a condition never ignores it silently. Implementations say how far the check is atomic (the
    /// S3/R2 bucket: on the server; the folder bucket: within the process, and across processes that hold
    /// <see cref="LockAsync"/> for the key).
    /// </remarks>
    /// <exception cref="NotSupportedException">The bucket has no conditional puts.</exception>
    Task<R2ObjectInfo?> PutIfAsync(string key, Stream content, R2Conditional condition, R2PutOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException($"Bucket '{Name}' ({GetType().Name}) has no conditional puts.");

    /// <summary>
    /// Takes a lock on <paramref name="key"/> shared by every process that uses this bucket's store, waiting until it is
    /// free; dispose the result to release it. A process that dies releases its locks. Returns <see langword="null"/>
    /// when the bucket has no such lock (use <see cref="PutIfAsync"/> to claim a key instead).
    /// </summary>
    /// <remarks>Default: <see langword="null"/>. The folder bucket implements it with operating-system file locks.</remarks>
    ValueTask<IAsyncDisposable?> LockAsync(string key, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IAsyncDisposable?>(null);

    /// <summary>
    /// Lists objects in key order (ordinal, by UTF-8 bytes, like S3), hiding pagination. With a
    /// <see cref="R2ListOptions.Delimiter"/>, keys that share a prefix up to the delimiter are rolled up into one
    /// <see cref="R2ListItem"/> whose <see cref="R2ListItem.IsPrefix"/> is <see langword="true"/>.
    /// Listed objects carry no custom metadata; use <see cref="HeadAsync"/> for it.
    /// </summary>
    /// <remarks>
    /// A listing that cannot read part of the bucket (the folder bucket: an unreadable subfolder or file) lists
    /// everything else first and then throws <see cref="R2ListIncompleteException"/>, which names each unread part.
    /// A bucket that cannot be listed at all (a folder that does not exist) throws <see cref="R2BucketException"/> at once.
    /// </remarks>
    IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object. Deleting a key that does not exist is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes what puts of this bucket's own code left behind when their process was killed (the folder bucket's
    /// hidden temporary files, S3/R2 multipart uploads never completed), limited by <paramref name="options"/> to keys
    /// under a prefix and to leftovers older than a safe age. Never removes an object, and never anything it did not
    /// create. Problems are reported in the result, not thrown.
    /// </summary>
    /// <remarks>Default: removes nothing (<see cref="R2CleanupResult.Nothing"/>), right for buckets whose puts leave nothing.</remarks>
    Task<R2CleanupResult> CleanUpAsync(R2CleanupOptions? options = null, CancellationToken cancellationToken = default)
        => Task.FromResult(R2CleanupResult.Nothing);
}
