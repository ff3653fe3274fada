namespace LogpushKit.Pipeline;

/// <summary>
/// How many objects may be in flight at once (listed or received, and not finished): at least <c>minimum</c> of them
/// whatever they weigh, and beyond that as many as fit in a byte budget. Without a budget exactly <c>minimum</c>.
/// </summary>
/// <remarks>
/// <para><b>Why.</b> An object's processing is a few remote requests (HEAD the target, GET the source, PUT the target)
/// around a short conversion. With a far-away bucket each request is a round trip, so with one object per core the
/// cores mostly wait: 60 small objects through a 50 ms proxy took 5.1× the direct run. Objects waiting on the network
/// hold almost nothing, so more of them may be in flight than there are cores; what they can hold once converting or
/// uploading is what the budget bounds.</para>
/// <para><b>Weight.</b> An object may hold its CSV output in the target's put buffer (up to two parts: 16 MiB with the
/// default part size) and about 1 MiB of conversion buffers. It is weighed at <see cref="BaseWeight"/> plus an expansion
/// times its compressed size, at most <see cref="MaxWeight"/>; an object of unknown size weighs <see cref="BaseWeight"/>.
/// The expansion is <see cref="ExpansionEstimate"/> until an object has been converted, then what the objects
/// converted so far have shown (<see cref="Observe(long, long)"/>): the largest ratio of CSV bytes to compressed bytes
/// seen, plus a quarter (<see cref="ExpansionMargin"/>), at least 1. A workload of one dataset thus gets as many
/// objects in flight as its real output fits in the budget, and a more compressible one fewer: gateway_http CSV is
/// about 3 times its gzip'd ndjson, so with the default 64 MiB budget about 30 objects of 300 kB (a Logpush batch of
/// 1,000 gateway_http records) are in flight once the first is done, 19 before; and 4 of 5 MB.</para>
/// <para>Memory is therefore bounded by the budget (plus <c>minimum</c> objects of any size), whatever the number of
/// objects: nothing is kept per object once it is done. Thread-safe; one caller waits (<see cref="WaitAsync"/>) and any
/// thread releases.</para>
/// </remarks>
internal sealed class InFlightBudget
{
    /// <summary>What every object in flight is counted for: its conversion buffers. 1 MiB.</summary>
    public const long BaseWeight = 1L << 20;

    /// <summary>How much larger than its compressed size an object's CSV output is assumed to be before any was converted: 8.</summary>
    public const double ExpansionEstimate = 8;

    /// <summary>What the largest expansion seen is multiplied by (<see cref="Observe(long, long)"/>): 1.25.</summary>
    public const double ExpansionMargin = 1.25;

    /// <summary>Objects smaller than this (compressed) tell nothing about the expansion: 4 KiB.</summary>
    private const long MinObservedBytes = 4 << 10;

    /// <summary>The most one object is weighed at: two 8 MiB put parts and its conversion buffers. 17 MiB.</summary>
    public const long MaxWeight = (16L << 20) + BaseWeight;

    private readonly Lock _gate = new();
    private readonly int _minimum;
    private readonly long? _budgetBytes;
    private int _count;
    private long _bytes;
    private double _largestSeen;
    private TaskCompletionSource? _waiter;

    /// <param name="minimum">Objects always admitted, whatever they weigh (the CPU concurrency).</param>
    /// <param name="budgetBytes">The byte budget beyond <paramref name="minimum"/>, or <see langword="null"/> for none.</param>
    public InFlightBudget(int minimum, long? budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minimum, 1);
        if (budgetBytes is { } budget)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(budget, nameof(budgetBytes));
        }

        _minimum = minimum;
        _budgetBytes = budgetBytes is > 0 ? budgetBytes : null;
    }

    /// <summary>Objects in flight now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>How much larger than its compressed size an object's CSV output is taken to be now (see the remarks).</summary>
    public double Expansion
    {
        get
        {
            lock (_gate)
            {
                return _largestSeen > 0 ? Math.Max(1, _largestSeen * ExpansionMargin) : ExpansionEstimate;
            }
        }
    }

    /// <summary>The weight of an object of <paramref name="compressedSize"/> bytes now (see the remarks).</summary>
    public long Weigh(long? compressedSize)
        => compressedSize is > 0 and var size ? (long)Math.Min(MaxWeight, BaseWeight + (Math.Min(size, MaxWeight) * Expansion)) : BaseWeight;

    /// <summary>Learns from <paramref name="result"/> when it converted an object (see <see cref="Observe(long, long)"/>).</summary>
    public void Observe(ObjectProcessingResult result)
    {
        if (result.Status == ObjectProcessingStatus.Converted && result.Transform is { } transformed)
        {
            Observe(transformed.BytesIn, transformed.BytesOut);
        }
    }

    /// <summary>
    /// Learns from a converted object: <paramref name="bytesIn"/> read (compressed), <paramref name="bytesOut"/> of CSV
    /// written. Objects weighed later follow it; the ones in flight keep the weight they were admitted with.
    /// </summary>
    public void Observe(long bytesIn, long bytesOut)
    {
        if (bytesIn < MinObservedBytes || bytesOut < 0)
        {
            return;
        }

        var ratio = (double)bytesOut / bytesIn;
        lock (_gate)
        {
            _largestSeen = Math.Max(_largestSeen, ratio);
        }
    }

    /// <summary>Whether an object of <paramref name="weight"/> would be admitted now.</summary>
    public bool CanAdmit(long weight)
    {
        lock (_gate)
        {
            return Fits(weight);
        }
    }

    /// <summary>How many more objects of <paramref name="weight"/> would be admitted now.</summary>
    public int Free(long weight)
    {
        lock (_gate)
        {
            var byCount = Math.Max(0, _minimum - _count);
            if (_budgetBytes is not { } budget)
            {
                return byCount;
            }

            var byBytes = (int)Math.Min(int.MaxValue, Math.Max(0, budget - _bytes) / Math.Max(1, weight));
            return Math.Max(byCount, byBytes);
        }
    }

    /// <summary>Waits until an object of <paramref name="weight"/> fits, then counts it in.</summary>
    public async ValueTask WaitAsync(long weight, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (Fits(weight))
                {
                    _count++;
                    _bytes += weight;
                    return;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Counts in an object of <paramref name="weight"/> without waiting (the caller checked <see cref="CanAdmit"/>).</summary>
    public void Add(long weight)
    {
        lock (_gate)
        {
            _count++;
            _bytes += weight;
        }
    }

    /// <summary>Counts out a finished object of <paramref name="weight"/>.</summary>
    public void Release(long weight)
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _count--;
            _bytes -= weight;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }

    private bool Fits(long weight)
        => _count < _minimum || (_budgetBytes is { } budget && _bytes + weight <= budget);
}
