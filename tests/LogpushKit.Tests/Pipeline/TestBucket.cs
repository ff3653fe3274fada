using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using LogpushKit.Storage;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// A minimal in-memory <see cref="IR2Bucket"/> with the contract's atomic put, plus hooks the pipeline tests need:
/// call counts, a gate that holds GETs, and a put that fails after N bytes.
/// </summary>
internal sealed class TestBucket : IR2Bucket
{
    private readonly ConcurrentDictionary<string, (byte[] Data, R2ObjectInfo Info)> _objects = new(StringComparer.Ordinal);
    private int _gets;
    private int _puts;
    private int _concurrentGets;
    private int _maxConcurrentGets;

    public TestBucket(string name) => Name = name;

    public string Name { get; }

    public int Gets => Volatile.Read(ref _gets);

    public int Puts => Volatile.Read(ref _puts);

    public int MaxConcurrentGets => Volatile.Read(ref _maxConcurrentGets);

    /// <summary>When set, every GET body waits for this before its first byte.</summary>
    public TaskCompletionSource? GetGate { get; set; }

    /// <summary>Called when a GET starts (before the gate).</summary>
    public Action<string>? OnGet { get; set; }

    /// <summary>When set, a put of a key matching it fails after this many bytes were read.</summary>
    public Func<string, long?>? FailPutAfterBytes { get; set; }

    public IReadOnlyCollection<string> Keys => [.. _objects.Keys.Order(StringComparer.Ordinal)];

    public byte[] Read(string key) => _objects[key].Data;

    public string ReadText(string key) => System.Text.Encoding.UTF8.GetString(Read(key));

    public R2ObjectInfo Info(string key) => _objects[key].Info;

    public void Add(string key, byte[] data, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var etag = Convert.ToHexStringLower(MD5.HashData(data));
        _objects[key] = (data, new R2ObjectInfo(key, data.Length, etag, DateTimeOffset.UtcNow) { CustomMetadata = metadata ?? new Dictionary<string, string>() });
    }

    public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
        => Task.FromResult(_objects.TryGetValue(key, out var o) ? o.Info : null);

    public async Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        OnGet?.Invoke(key);
        if (!_objects.TryGetValue(key, out var o))
        {
            return null;
        }

        var now = Interlocked.Increment(ref _concurrentGets);
        int max;
        while (now > (max = Volatile.Read(ref _maxConcurrentGets)) && Interlocked.CompareExchange(ref _maxConcurrentGets, now, max) != max)
        {
        }

        try
        {
            if (GetGate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
        }
        catch
        {
            Interlocked.Decrement(ref _concurrentGets);
            throw;
        }

        return new R2ObjectBody(o.Info, new TrackingStream(new MemoryStream(o.Data, writable: false), () => Interlocked.Decrement(ref _concurrentGets)));
    }

    public async Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _puts);
        var failAfter = FailPutAfterBytes?.Invoke(key);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            await buffer.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
            if (failAfter is { } limit && buffer.Length >= limit)
            {
                throw new R2BucketException("injected put failure", Name, key, 500);
            }
        }

        var data = buffer.ToArray();
        var info = new R2ObjectInfo(key, data.Length, Convert.ToHexStringLower(MD5.HashData(data)), DateTimeOffset.UtcNow)
        {
            ContentType = options?.ContentType,
            CustomMetadata = options?.CustomMetadata is { } m ? new Dictionary<string, string>(m) : new Dictionary<string, string>(),
        };
        _objects[key] = (data, info);
        return info;
    }

    public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach (var key in _objects.Keys.Where(k => options?.Prefix is null || k.StartsWith(options.Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_objects.TryGetValue(key, out var o))
            {
                yield return new R2ListItem(key, o.Info with { CustomMetadata = new Dictionary<string, string>() });
            }
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    private sealed class TrackingStream(Stream inner, Action onDispose) : Stream
    {
        private int _disposed;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                onDispose();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
