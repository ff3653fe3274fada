using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using LogpushKit.Events;

namespace LogpushKit.Pipeline;

/// <summary>
/// An in-process queue of object events with the semantics of a Cloudflare Queues pull consumer: leases with a
/// visibility timeout (an unsettled message comes back when its lease expires), acks, retries with a delay, and a
/// retry limit after which a message moves to <see cref="DeadLetters"/>. The embedded default feeds it from a folder
/// watcher, so <see cref="LogpushQueueConsumer"/> runs unchanged on one machine without an account.
/// </summary>
internal sealed class InProcessEventQueue : IObjectEventSource
{
    private readonly Channel<Entry> _ready = Channel.CreateUnbounded<Entry>();
    private readonly ConcurrentDictionary<string, Leased> _leased = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<R2EventNotification> _deadLetters = new();
    private readonly TimeProvider _timeProvider;
    private long _sequence;
    private int _delayed;

    /// <summary>Creates an empty queue.</summary>
    /// <param name="maxAttempts">Deliveries before a failing message goes to <see cref="DeadLetters"/> (Cloudflare's <c>max_retries</c> + 1). Default 4.</param>
    /// <param name="pollWait">How long <see cref="ReceiveAsync"/> waits for a message before returning an empty batch. Default 1 s.</param>
    /// <param name="timeProvider">The clock for leases and delays.</param>
    public InProcessEventQueue(int maxAttempts = 4, TimeSpan? pollWait = null, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        MaxAttempts = maxAttempts;
        PollWait = pollWait ?? TimeSpan.FromSeconds(1);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Deliveries before a message goes to <see cref="DeadLetters"/>.</summary>
    public int MaxAttempts { get; }

    /// <summary>How long a receive waits for a message.</summary>
    public TimeSpan PollWait { get; }

    /// <summary>Messages waiting for delivery (not counting leased or delayed ones).</summary>
    public int Count => _ready.Reader.Count;

    /// <summary>Messages currently leased to a consumer.</summary>
    public int LeasedCount => _leased.Count;

    /// <summary>Messages handed back with a delay that are not yet visible again.</summary>
    public int DelayedCount => Volatile.Read(ref _delayed);

    /// <inheritdoc />
    public long? Backlog => Count + LeasedCount + DelayedCount;

    /// <summary>Notifications that failed <see cref="MaxAttempts"/> times.</summary>
    public IReadOnlyCollection<R2EventNotification> DeadLetters => _deadLetters;

    /// <summary>Adds an event.</summary>
    public void Enqueue(R2EventNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var id = Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
        _ready.Writer.TryWrite(new Entry(id, notification, _timeProvider.GetUtcNow(), 0));
    }

    /// <summary>
    /// Adds an event for an object that has already failed <paramref name="attempts"/> times elsewhere (a reconcile pass
    /// beside the watcher), visible after <paramref name="delay"/>: its next delivery is attempt
    /// <paramref name="attempts"/> + 1, and it goes to <see cref="DeadLetters"/> after <see cref="MaxAttempts"/> in all.
    /// </summary>
    public void Enqueue(R2EventNotification notification, int attempts, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentOutOfRangeException.ThrowIfNegative(attempts);
        var id = Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
        var entry = new Entry(id, notification, _timeProvider.GetUtcNow(), attempts);
        if (delay <= TimeSpan.Zero)
        {
            _ready.Writer.TryWrite(entry);
            return;
        }

        _ = RequeueLaterAsync(entry, delay);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ObjectEventMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        RequeueExpiredLeases();
        if (_ready.Reader.Count == 0 && PollWait > TimeSpan.Zero)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(PollWait);
            try
            {
                await _ready.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // nothing arrived within the poll wait
            }
        }

        var messages = new List<ObjectEventMessage>();
        var deadline = _timeProvider.GetUtcNow() + visibilityTimeout;
        while (messages.Count < maxMessages && _ready.Reader.TryRead(out var entry))
        {
            var delivered = entry with { Attempts = entry.Attempts + 1 };
            var leaseId = Guid.NewGuid().ToString("N");
            _leased[leaseId] = new Leased(delivered, deadline);
            messages.Add(new ObjectEventMessage
            {
                Id = delivered.Id,
                LeaseId = leaseId,
                Attempts = delivered.Attempts,
                Timestamp = delivered.Timestamp,
                Notification = delivered.Notification,
            });
        }

        return messages;
    }

    /// <inheritdoc />
    public Task SettleAsync(IReadOnlyList<ObjectEventMessage> acks, IReadOnlyList<ObjectEventRetry> retries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acks);
        ArgumentNullException.ThrowIfNull(retries);
        foreach (var ack in acks)
        {
            _leased.TryRemove(ack.LeaseId, out _);
        }

        foreach (var retry in retries)
        {
            if (_leased.TryRemove(retry.Message.LeaseId, out var leased))
            {
                Retry(leased.Entry, retry.Delay);
            }
        }

        return Task.CompletedTask;
    }

    private void RequeueExpiredLeases()
    {
        var now = _timeProvider.GetUtcNow();
        foreach (var (leaseId, leased) in _leased)
        {
            if (leased.Deadline <= now && _leased.TryRemove(leaseId, out var expired))
            {
                Retry(expired.Entry, TimeSpan.Zero);
            }
        }
    }

    private void Retry(Entry entry, TimeSpan delay)
    {
        if (entry.Attempts >= MaxAttempts)
        {
            _deadLetters.Enqueue(entry.Notification);
            return;
        }

        if (delay <= TimeSpan.Zero)
        {
            _ready.Writer.TryWrite(entry);
            return;
        }

        _ = RequeueLaterAsync(entry, delay);
    }

    private async Task RequeueLaterAsync(Entry entry, TimeSpan delay)
    {
        Interlocked.Increment(ref _delayed);
        try
        {
            await Task.Delay(delay, _timeProvider).ConfigureAwait(false);
            _ready.Writer.TryWrite(entry);
        }
        finally
        {
            Interlocked.Decrement(ref _delayed);
        }
    }

    private sealed record Entry(string Id, R2EventNotification Notification, DateTimeOffset Timestamp, int Attempts);

    private sealed record Leased(Entry Entry, DateTimeOffset Deadline);
}
