namespace LogpushKit.Storage;

/// <summary>
/// A bucket of objects, shaped like the Workers <c>R2Bucket</c> binding (<c>head</c>, <c>get</c>, <c>put</c>,
/// <c>list</c>, <c>delete</c>). Implementations: <c>FileSystemBucket</c> (a local folder),
/// <c>InMemoryBucket</c> (tests), and the S3/R2 bucket in the <c>LogpushKit.R2</c> package.
/// </summary>
/// <remarks>
/// Every implementation streams: <see cref="GetAsync"/> returns the body as a stream, and
/// <see cref="PutAsync"/> reads a non-seekable stream of unknown length. A put is atomic: readers see the old
/// object or the complete new one, never a part, and a failed or cancelled put leaves nothing behind.
/// Failures other than "not found" raise <see cref="R2BucketException"/>.
/// </remarks>
public interface IR2Bucket
{
    /// <summary>The bucket's name, used in messages and event notifications.</summary>
    string Name { get; }

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
    /// Lists objects in key order (ordinal, by UTF-8 bytes, like S3), hiding pagination. With a
    /// <see cref="R2ListOptions.Delimiter"/>, keys that share a prefix up to the delimiter are rolled up into one
    /// <see cref="R2ListItem"/> whose <see cref="R2ListItem.IsPrefix"/> is <see langword="true"/>.
    /// Listed objects carry no custom metadata; use <see cref="HeadAsync"/> for it.
    /// </summary>
    IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object. Deleting a key that does not exist is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}
