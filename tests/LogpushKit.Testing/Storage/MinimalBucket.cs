using LogpushKit.Storage;

namespace LogpushKit.Testing.Storage;

/// <summary>
/// An <see cref="IR2Bucket"/> written the way one was before conditional puts existed: only the five required members,
/// forwarded to <c>inner</c>; everything else is the interface's default.
/// </summary>
public sealed class MinimalBucket(IR2Bucket inner) : IR2Bucket
{
    public string Name => inner.Name;

    public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

    public Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default) => inner.GetAsync(key, range, cancellationToken);

    public Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, options, cancellationToken);

    public IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, CancellationToken cancellationToken = default) => inner.ListAsync(options, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
}
