using System.Text;
using LogpushKit.Storage;
using LogpushKit.Testing.Streams;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// An <see cref="InMemoryBucket"/> with the hooks the pipeline tests need: call counts, a gate that holds GETs, a put
/// that fails after N bytes, a hook that runs when a put starts (to play another process), an identity to declare, and
/// synchronous helpers to arrange and inspect objects. Conditional puts are the in-memory bucket's own.
/// </summary>
internal sealed class TestBucket(string name) : IR2Bucket
{
    private readonly InMemoryBucket _inner = new(name);
    private int _gets;
    private int _puts;
    private int _writes;
    private int _concurrentGets;
    private int _maxConcurrentGets;

    public string Name => _inner.Name;

    public int Gets => Volatile.Read(ref _gets);

    public int Puts => Volatile.Read(ref _puts);

    /// <summary>Puts that stored an object (a conditional put whose condition failed is not one).</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>The identity to report (default none, like <see cref="InMemoryBucket"/>).</summary>
    public R2BucketIdentity? Identity { get; set; }

    /// <summary>Called with the key when a put starts, before it reads its content.</summary>
    public Action<string>? OnPut { get; set; }

    /// <summary>When set, a GET of a key for which it returns an exception throws it.</summary>
    public Func<string, Exception?>? FailGet { get; set; }

    public int MaxConcurrentGets => Volatile.Read(ref _maxConcurrentGets);

    /// <summary>When set, every GET waits for this before returning the body.</summary>
    public TaskCompletionSource? GetGate { get; set; }

    /// <summary>Called when a GET starts (before the gate).</summary>
    public Action<string>? OnGet { get; set; }

    /// <summary>When set, the body of every GET is passed through it (key, body) and the stream it returns is served.</summary>
    public Func<string, Stream, Stream>? WrapBody { get; set; }

    /// <summary>Called when a listing starts.</summary>
    public Action? OnList { get; set; }

    /// <summary>When set, what a cleanup of leftovers does (default: removes nothing, like <see cref="InMemoryBucket"/>).</summary>
    public Func<CancellationToken, Task<R2CleanupResult>>? CleanUp { get; set; }

    /// <summary>When set, a put of a key for which it returns a number fails after that many bytes were read.</summary>
    public Func<string, long?>? FailPutAfterBytes { get; set; }

    public IReadOnlyList<string> Keys => Wait(ListKeysAsync());

    public void Add(string key, byte[] data) => Wait(_inner.PutAsync(key, new MemoryStream(data)));

    public void Add(string key, byte[] data, IReadOnlyDictionary<string, string> metadata) =>
        Wait(_inner.PutAsync(key, new MemoryStream(data), new R2PutOptions { CustomMetadata = metadata }));

    public byte[] Read(string key) => Wait(ReadAsync(key));

    public string ReadText(string key) => Encoding.UTF8.GetString(Read(key));

    public R2ObjectInfo Info(string key) => Wait(_inner.HeadAsync(key)) ?? throw new KeyNotFoundException(key);

    public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => _inner.HeadAsync(key, cancellationToken);

    public async Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        OnGet?.Invoke(key);
        if (FailGet?.Invoke(key) is { } failure)
        {
            throw failure;
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

            var body = await _inner.GetAsync(key, range, cancellationToken);
            return body is null || WrapBody is not { } wrap ? body : new R2ObjectBody(body.Info, wrap(key, body.Body));
        }
        finally
        {
            Interlocked.Decrement(ref _concurrentGets);
        }
    }

    public async Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _puts);
        OnPut?.Invoke(key);
        var failAfter = FailPutAfterBytes?.Invoke(key);
        var stored = await _inner.PutAsync(key, failAfter is { } limit ? Failing(content, limit, key) : content, options, cancellationToken);
        Interlocked.Increment(ref _writes);
        return stored;
    }

    public async Task<R2ObjectInfo?> PutIfAsync(string key, Stream content, R2Conditional condition, R2PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _puts);
        OnPut?.Invoke(key);
        var failAfter = FailPutAfterBytes?.Invoke(key);
        var stored = await _inner.PutIfAsync(key, failAfter is { } limit ? Failing(content, limit, key) : content, condition, options, cancellationToken);
        if (stored is not null)
        {
            Interlocked.Increment(ref _writes);
        }

        return stored;
    }

    public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        OnList?.Invoke();
        await foreach (var item in _inner.ListAsync(options, cancellationToken))
        {
            yield return item;
        }
    }

    public Task<R2CleanupResult> CleanUpAsync(R2CleanupOptions? options = null, CancellationToken cancellationToken = default)
        => CleanUp?.Invoke(cancellationToken) ?? Task.FromResult(R2CleanupResult.Nothing);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => _inner.DeleteAsync(key, cancellationToken);

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private async Task<byte[]> ReadAsync(string key)
    {
        await using var body = await _inner.GetAsync(key) ?? throw new KeyNotFoundException(key);
        using var buffer = new MemoryStream();
        await body.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private async Task<IReadOnlyList<string>> ListKeysAsync()
    {
        var keys = new List<string>();
        await foreach (var item in _inner.ListAsync())
        {
            keys.Add(item.Key);
        }

        return keys;
    }

    /// <summary>Passes reads of <paramref name="content"/> through until <paramref name="limit"/> bytes, then throws like a failing upload.</summary>
    private ObservingStream Failing(Stream content, long limit, string key)
    {
        long read = 0;
        return new ObservingStream(
            content,
            n =>
            {
                read += n;
                if (read >= limit)
                {
                    throw new R2BucketException("injected put failure", Name, key, 500);
                }
            },
            leaveOpen: true);
    }
}
