using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace LogpushKit.Storage;

/// <summary>
/// A thread-safe bucket held in memory, with the same semantics as the other implementations (atomic puts, key
/// order, delimiter roll-up, ranges, MD5 ETags). Meant for tests, including users' tests of code that takes an
/// <see cref="IR2Bucket"/>.
/// </summary>
/// <remarks>
/// A put reads its source to the end before the object replaces the old one in a single step, so readers see the old
/// object or the new one; a failed or cancelled put leaves nothing. Objects are immutable once stored: a body opened
/// by <see cref="GetAsync"/> keeps reading the version it opened. Holding whole objects in memory is the point of
/// this class; do not use it for large data.
/// </remarks>
public sealed class InMemoryBucket : IR2Bucket
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, StoredObject> _objects = new(ObjectKeyOrder.Instance);
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates an empty bucket.</summary>
    /// <param name="name">The bucket's name for messages.</param>
    /// <param name="timeProvider">The clock for <see cref="R2ObjectInfo.LastModified"/>; defaults to the system clock.</param>
    public InMemoryBucket(string name = "memory", TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The number of objects stored.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    /// <inheritdoc />
    public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Find(key)?.Info);
    }

    /// <inheritdoc />
    public Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        RangeChecks.Validate(range);
        cancellationToken.ThrowIfCancellationRequested();
        if (Find(key) is not { } stored)
        {
            return Task.FromResult<R2ObjectBody?>(null);
        }

        var (offset, length) = RangeChecks.Resolve(range, stored.Info.Size, Name, key);
        var body = new MemoryStream(stored.Content, (int)offset, (int)length, writable: false);
        return Task.FromResult<R2ObjectBody?>(new R2ObjectBody(stored.Info, body));
    }

    /// <inheritdoc />
    public async Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default)
        => (await PutCoreAsync(key, content, options, null, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc />
    /// <remarks>The condition is checked atomically with every other put and delete of this bucket.</remarks>
    public Task<R2ObjectInfo?> PutIfAsync(string key, Stream content, R2Conditional condition, R2PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return PutCoreAsync(key, content, options, condition, cancellationToken);
    }

    private async Task<R2ObjectInfo?> PutCoreAsync(string key, Stream content, R2PutOptions? options, R2Conditional? condition, CancellationToken cancellationToken)
    {
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(content);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = new ArrayBufferWriter<byte>();
        int read;
        do
        {
            var memory = buffer.GetMemory(64 * 1024);
            read = await content.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            md5.AppendData(memory.Span[..read]);
            buffer.Advance(read);
        }
        while (read > 0);

        cancellationToken.ThrowIfCancellationRequested();
        var bytes = buffer.WrittenSpan.ToArray();
        var info = new R2ObjectInfo(key, bytes.Length, Convert.ToHexStringLower(md5.GetHashAndReset()), _timeProvider.GetUtcNow())
        {
            ContentType = options?.ContentType,
            CustomMetadata = options?.CustomMetadata is { Count: > 0 } metadata
                ? new Dictionary<string, string>(metadata, StringComparer.Ordinal)
                : R2ObjectInfo.EmptyMetadata,
        };

        lock (_lock)
        {
            if (condition is not null && !condition.IsSatisfiedBy(_objects.GetValueOrDefault(key)?.Info))
            {
                return null;
            }

            _objects[key] = new StoredObject(info, bytes);
        }

        return info;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new R2ListOptions();
        await foreach (var item in KeyListing.RollUp(Snapshot(options, cancellationToken), options).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _objects.Remove(key);
        }

        return Task.CompletedTask;
    }

    private StoredObject? Find(string key)
    {
        lock (_lock)
        {
            return _objects.GetValueOrDefault(key);
        }
    }

    private async IAsyncEnumerable<R2ObjectInfo> Snapshot(R2ListOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        R2ObjectInfo[] matching;
        lock (_lock)
        {
            matching = _objects.Values.Select(static o => o.Info).Where(info => KeyListing.Matches(info.Key, options)).ToArray();
        }

        foreach (var info in matching)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info with { ContentType = null, CustomMetadata = R2ObjectInfo.EmptyMetadata };
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private void CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new ObjectKeyException($"Bucket '{Name}': key '' is not allowed: it is empty.", Name, key);
        }

        if (System.Text.Encoding.UTF8.GetByteCount(key) > FileSystemBucket.MaxKeyBytes)
        {
            throw new ObjectKeyException($"Bucket '{Name}': key '{ObjectKeyText.Escape(key[..64])}…' is not allowed: it is longer than {FileSystemBucket.MaxKeyBytes} UTF-8 bytes.", Name, key);
        }
    }

    private sealed record StoredObject(R2ObjectInfo Info, byte[] Content);
}
