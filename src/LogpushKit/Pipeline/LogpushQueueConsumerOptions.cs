namespace LogpushKit.Pipeline;

/// <summary>
/// How <see cref="LogpushQueueConsumer"/> pulls and paces work. Immutable; <see cref="Default"/> pulls up to 10 messages,
/// converts one object per core, and derives the lease (visibility timeout) from the largest expected object.
/// </summary>
public sealed record LogpushQueueConsumerOptions
{
    /// <summary>The defaults.</summary>
    public static LogpushQueueConsumerOptions Default { get; } = new();

    /// <summary>Messages per pull, at most 100 (Cloudflare's limit). Default 10. Never more than the free slots are pulled.</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>Objects converted at once. Default <see cref="Environment.ProcessorCount"/>.</summary>
    public int MaxConcurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The most source bytes (object sizes from the events) in flight at once. Default 512 MiB. An object at least this
    /// big runs alone; objects without a size weigh nothing. Each conversion streams in bounded memory, so this bounds
    /// the work that a lease must cover more than the memory itself.
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = 512L << 20;

    /// <summary>
    /// Beyond <see cref="MaxConcurrency"/>, more objects may be in flight (waiting on their HEAD, GET and PUT round trips to
    /// a far-away bucket, or on the disk) while their estimated buffers fit in this many bytes (an object weighs 1 MiB
    /// plus its size from the event times the CSV's expansion, at most 17 MiB; the expansion is 8 until an object is
    /// converted, then the largest ratio of CSV to compressed bytes seen times 1.25); pulls ask for as many messages as
    /// may start. <see langword="null"/> or 0 (default): no more than <see cref="MaxConcurrency"/>. <see cref="LogpushPipeline"/> sets it
    /// (<see cref="LogpushPipeline.IoBudgetBytes"/>).
    /// </summary>
    public long? IoBudgetBytes { get; init; }

    /// <summary>The lease length asked for on each pull. <see langword="null"/> (default): derived, see <see cref="LargestExpectedObjectBytes"/>.</summary>
    public TimeSpan? VisibilityTimeout { get; init; }

    /// <summary>
    /// The largest object (compressed bytes, as in the events) expected. Leases cannot be extended, so the derived
    /// visibility timeout is twice this size at the measured throughput, plus 30 s, between 30 s and 12 h. Default 100 MB
    /// (Logpush caps batches at 1 GB uncompressed).
    /// </summary>
    public long LargestExpectedObjectBytes { get; init; } = 100_000_000;

    /// <summary>The throughput (compressed source bytes per second) assumed until one has been measured. Default 4 MB/s.</summary>
    public double ExpectedBytesPerSecond { get; init; } = 4_000_000;

    /// <summary>The delay of a failed message's first retry; it doubles with each attempt. Default 10 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest retry delay. Default 15 min (Cloudflare allows up to 12 h).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The queue's delivery limit (<c>max_retries</c> + 1), used to name poison messages in logs. Default 4 (Cloudflare's default <c>max_retries</c> is 3).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The wait after an empty pull; it doubles up to <see cref="MaxIdleDelay"/>. Default 1 s; zero for a long-polling source.</summary>
    public TimeSpan IdleDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait after empty pulls. Default 10 s.</summary>
    public TimeSpan MaxIdleDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>On stop, how long in-flight objects may finish before they are abandoned (their puts aborted, their messages released). Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the consumer may do nothing but fail before it gives up: when every pull (or every ack) since a moment at
    /// least this long ago has failed — at least two in a row — <see cref="LogpushQueueConsumer.RunAsync"/> stops pulling,
    /// lets in-flight objects finish and throws <see cref="QueueConsumerFailedException"/>. Default 5 min.
    /// <see langword="null"/>: never give up; <see cref="LogpushQueueConsumer.Health"/> reports the failing state instead
    /// (a host maps it to "unhealthy").
    /// </summary>
    public TimeSpan? MaxFailureDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often a run of failed pulls or acks is reported: the first failure is logged at once (Warning), then at most one
    /// line per this interval with the count of failures since the last line, and one line when the calls succeed again.
    /// Default 30 s.
    /// </summary>
    public TimeSpan FailureReportInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Drain mode, for cron-style runs: <see cref="LogpushQueueConsumer.RunAsync"/> returns once the queue is empty, meaning
    /// <see cref="EmptyReceivesBeforeStop"/> receives in a row returned no message while no object was in flight and every
    /// ack and retry had been sent. Messages the queue still holds but does not hand out (retries waiting out their delay,
    /// leases of other consumers; see <see cref="IObjectEventSource.Backlog"/>) are left for the next run and logged.
    /// Default <see langword="false"/>: run until cancelled.
    /// </summary>
    public bool StopWhenEmpty { get; init; }

    /// <summary>With <see cref="StopWhenEmpty"/>, the empty receives in a row that mean "empty" (pulls are short polls, so one empty pull is not enough). Default 3.</summary>
    public int EmptyReceivesBeforeStop { get; init; } = 3;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchSize, 100, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrency, 1, nameof(MaxConcurrency));
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryBudgetBytes, 1, nameof(MemoryBudgetBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(IoBudgetBytes ?? 0, nameof(IoBudgetBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(LargestExpectedObjectBytes, 0, nameof(LargestExpectedObjectBytes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ExpectedBytesPerSecond, 0, nameof(ExpectedBytesPerSecond));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(EmptyReceivesBeforeStop, 1, nameof(EmptyReceivesBeforeStop));
        ArgumentOutOfRangeException.ThrowIfLessThan(FailureReportInterval, TimeSpan.Zero, nameof(FailureReportInterval));
        if (MaxFailureDuration is { } limit && limit <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFailureDuration), limit, "The failure limit must be above zero, or null for none.");
        }
        if (VisibilityTimeout is { } v && (v <= TimeSpan.Zero || v > TimeSpan.FromHours(12)))
        {
            throw new ArgumentOutOfRangeException(nameof(VisibilityTimeout), v, "The visibility timeout must be above zero and at most 12 hours.");
        }
    }
}
