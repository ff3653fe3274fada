using System.Runtime.CompilerServices;
using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// An <see cref="IBucketProvider"/> for r2:// and s3:// locations over in-memory buckets (one store per bucket name),
/// recording what was opened and disposed, and able to refuse a bucket or fail its listings.
/// </summary>
internal sealed class MemoryBuckets : IBucketProvider
{
    private readonly Dictionary<string, InMemoryBucket> _stores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrackedBucket> _opened = new(StringComparer.Ordinal);

    /// <summary>A bucket name whose opening fails with a setting error.</summary>
    public string? Refuse { get; init; }

    /// <summary>The last bucket opened with this name.</summary>
    public TrackedBucket this[string name] => _opened[name];

    public void Add(string bucket, string key, string ndjson)
        => Store(bucket).PutAsync(key, new MemoryStream(PipelineTestData.Gzip(ndjson))).GetAwaiter().GetResult();

    public bool CanOpen(BucketLocation location) => location.IsBucket;

    public IR2Bucket Open(BucketRequest request)
    {
        var name = request.Location.Bucket!;
        if (name == Refuse)
        {
            throw new LogpushSettingException(request.Setting, $"'{request.Location}' refused by the test.");
        }

        var bucket = new TrackedBucket(Store(name));
        _opened[name] = bucket;
        return bucket;
    }

    private InMemoryBucket Store(string name)
    {
        if (!_stores.TryGetValue(name, out var store))
        {
            _stores[name] = store = new InMemoryBucket(name);
        }

        return store;
    }

    /// <summary>A bucket (in memory here; a folder in other tests) that records its disposal and can fail its listings.</summary>
    internal sealed class TrackedBucket(IR2Bucket inner) : IR2Bucket, IDisposable
    {
        private int _failLists;
        private int _incompleteLists;

        public string Name => inner.Name;

        public bool Disposed { get; private set; }

        /// <summary>How many of the next listings fail as a whole.</summary>
        public int FailLists
        {
            get => Volatile.Read(ref _failLists);
            set => Volatile.Write(ref _failLists, value);
        }

        /// <summary>How many of the next listings end, after everything readable, with an unreadable part <c>locked/</c>.</summary>
        public int IncompleteLists
        {
            get => Volatile.Read(ref _incompleteLists);
            set => Volatile.Write(ref _incompleteLists, value);
        }

        public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

        public Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default) => inner.GetAsync(key, range, cancellationToken);

        public Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, options, cancellationToken);

        public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (Interlocked.Decrement(ref _failLists) >= 0)
            {
                throw new IOException("listing failed (test)");
            }

            Interlocked.Exchange(ref _failLists, 0);
            await foreach (var item in inner.ListAsync(options, cancellationToken))
            {
                yield return item;
            }

            if (Interlocked.Decrement(ref _incompleteLists) >= 0)
            {
                throw new R2ListIncompleteException(Name, [new R2BucketProblem("locked/", "the folder could not be read: Permission denied")]);
            }

            Interlocked.Exchange(ref _incompleteLists, 0);
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public async Task<List<string>> KeysAsync()
        {
            var keys = new List<string>();
            await foreach (var item in inner.ListAsync())
            {
                if (item.Object is { } info)
                {
                    keys.Add(info.Key);
                }
            }

            return keys;
        }

        public void Dispose() => Disposed = true;
    }
}
