using System.Collections.Concurrent;
using System.Globalization;
using LogpushKit.Cloudflare;
using LogpushKit.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Pipeline;

/// <summary>
/// Pulls object events from an <see cref="IObjectEventSource"/> and converts their objects with a
/// <see cref="LogpushObjectProcessor"/>: bounded concurrency (more objects in flight than cores for far-away buckets, see
/// <see cref="LogpushQueueConsumerOptions.IoBudgetBytes"/>), acks for successes (and for skipped objects), retries with a
/// growing delay for failures, poison messages left to the queue's retry limit and dead-letter queue.
/// </summary>
/// <remarks>
/// <para><b>Leases.</b> A pull lease cannot be extended, so the visibility timeout comes from the largest object expected and
/// the measured throughput (<see cref="LogpushQueueConsumerOptions.LargestExpectedObjectBytes"/>); each batch is started biggest
/// object first, and an object at least <see cref="LogpushQueueConsumerOptions.MemoryBudgetBytes"/> big runs alone. A lease that
/// expires anyway only causes a redelivery, which the processor recognises (same source ETag) and acks.</para>
/// <para><b>Shutdown.</b> When the token given to <see cref="RunAsync"/> fires, no more messages are pulled, leased messages not
/// yet started are released (retried with no delay), and in-flight objects get <see cref="LogpushQueueConsumerOptions.DrainTimeout"/>
/// to finish; after that they are cancelled — their puts abort, nothing partial is written — and released.</para>
/// <para><b>Scale-out.</b> Several consumers (processes or machines) on one queue need no coordination beyond the queue.</para>
/// <para><b>Failures of the queue itself.</b> A pull or an ack that fails (an API error, a reply that cannot be used) is
/// logged with its error — Cloudflare error codes and cf-ray included — the first at once, then at most one line per
/// <see cref="LogpushQueueConsumerOptions.FailureReportInterval"/> with a count, and a line when the calls work again.
/// <see cref="Health"/> says since when the consumer has been failing. After
/// <see cref="LogpushQueueConsumerOptions.MaxFailureDuration"/> of nothing but failures, <see cref="RunAsync"/> stops and
/// throws <see cref="QueueConsumerFailedException"/>.</para>
/// <para><b>Drain mode.</b> With <see cref="LogpushQueueConsumerOptions.StopWhenEmpty"/>, <see cref="RunAsync"/> returns once
/// the queue is empty (see that option for what "empty" means).</para>
/// </remarks>
public sealed class LogpushQueueConsumer
{
    private const int MinBytesForThroughput = 1 << 20;
    private readonly IObjectEventSource _source;
    private readonly LogpushObjectProcessor _processor;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);
    private readonly ConcurrentQueue<ObjectEventMessage> _acks = new();
    private readonly ConcurrentQueue<ObjectEventRetry> _retries = new();
    private readonly Lock _throughputLock = new();
    private readonly HealthTracker _health;
    private readonly InFlightBudget _budget;
    private int _inFlight;
    private long _bytesInFlight;
    private double _measuredBytesPerSecond;

    /// <summary>Creates a consumer.</summary>
    public LogpushQueueConsumer(IObjectEventSource source, LogpushObjectProcessor processor, LogpushQueueConsumerOptions? options = null, ILogger<LogpushQueueConsumer>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(processor);
        Options = options ?? LogpushQueueConsumerOptions.Default;
        Options.Validate();
        _source = source;
        _processor = processor;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Statistics = new PipelineStatistics(_timeProvider);
        _health = new HealthTracker(this);
        _budget = new InFlightBudget(Options.MaxConcurrency, Options.IoBudgetBytes);
    }

    /// <summary>The options in effect.</summary>
    public LogpushQueueConsumerOptions Options { get; }

    /// <summary>The totals so far (a snapshot), for progress reporting while <see cref="RunAsync"/> runs.</summary>
    public PipelineSummary Summary => Statistics.Snapshot();

    internal PipelineStatistics Statistics { get; }

    /// <summary>Called once per processed message with its outcome (not for cancelled ones); the folder watcher's feedback.</summary>
    internal Action<ObjectEventMessage, ObjectProcessingResult>? Processed { get; set; }

    /// <summary>Objects being converted right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The consumer's health now: whether its pulls and acks work, since when they fail, the last error.</summary>
    public QueueConsumerHealth Health => _health.Snapshot();

    /// <summary>The lease asked for on the next pull: the configured one, or the derived one.</summary>
    public TimeSpan VisibilityTimeout => Options.VisibilityTimeout ?? DeriveVisibilityTimeout(Options.LargestExpectedObjectBytes, CurrentBytesPerSecond);

    private double CurrentBytesPerSecond
    {
        get
        {
            lock (_throughputLock)
            {
                return _measuredBytesPerSecond > 0 ? _measuredBytesPerSecond : Options.ExpectedBytesPerSecond;
            }
        }
    }

    /// <summary>The visibility timeout for objects up to <paramref name="largestObjectBytes"/> at <paramref name="bytesPerSecond"/>:
    /// twice the expected processing time plus 30 s, between 30 s and 12 h.</summary>
    public static TimeSpan DeriveVisibilityTimeout(long largestObjectBytes, double bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bytesPerSecond, 0);
        var seconds = (2 * Math.Max(0, largestObjectBytes) / bytesPerSecond) + 30;
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 30, TimeSpan.FromHours(12).TotalSeconds));
    }

    /// <summary>
    /// Consumes until <paramref name="cancellationToken"/> fires — or, in drain mode, until the queue is empty — then shuts
    /// down gracefully (see remarks) and returns the totals.
    /// </summary>
    /// <exception cref="QueueConsumerFailedException">Every pull or every ack failed for <see cref="LogpushQueueConsumerOptions.MaxFailureDuration"/>.</exception>
    public async Task<PipelineSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        using var abort = new CancellationTokenSource();
        var tasks = new ConcurrentDictionary<Task, bool>();
        var idleDelay = Options.IdleDelay;
        var emptyReceives = 0;
        Exception? gaveUp = null;
        _health.Start();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (!await WaitUntilAsync(() => _budget.Free(InFlightBudget.BaseWeight) > 0, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                await FlushSettlementsAsync(cancellationToken).ConfigureAwait(false);
                if (_health.GaveUp is { } settleFailure)
                {
                    gaveUp = settleFailure;
                    break;
                }

                IReadOnlyList<ObjectEventMessage> batch;
                var visibility = VisibilityTimeout;
                try
                {
                    batch = await _source.ReceiveAsync(Math.Clamp(_budget.Free(InFlightBudget.BaseWeight), 1, Options.BatchSize), visibility, cancellationToken).ConfigureAwait(false);
                    _health.Succeeded(Operation.Pull);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    emptyReceives = 0;
                    if (_health.Failed(Operation.Pull, ex))
                    {
                        gaveUp = ex;
                        break;
                    }

                    var delay = idleDelay > TimeSpan.Zero ? idleDelay : TimeSpan.FromSeconds(1);
                    idleDelay = NextIdleDelay(delay);
                    await DelayAsync(delay, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (batch.Count == 0)
                {
                    if (Options.StopWhenEmpty && IsIdle())
                    {
                        if (++emptyReceives >= Options.EmptyReceivesBeforeStop)
                        {
                            Log.QueueDrained(_logger, emptyReceives, _source.Backlog is > 0 and var left ? left : 0);
                            break;
                        }
                    }
                    else
                    {
                        emptyReceives = 0;
                    }

                    if (idleDelay > TimeSpan.Zero)
                    {
                        await DelayAsync(idleDelay, cancellationToken).ConfigureAwait(false);
                        idleDelay = NextIdleDelay(idleDelay);
                    }

                    continue;
                }

                emptyReceives = 0;
                idleDelay = Options.IdleDelay;
                var leaseDeadline = _timeProvider.GetUtcNow() + visibility;
                var pending = new Queue<ObjectEventMessage>(batch.OrderByDescending(m => m.Notification?.Object.Size ?? 0));
                while (pending.Count > 0)
                {
                    var message = pending.Peek();
                    var weight = Weight(message);
                    var ioWeight = _budget.Weigh(message.Notification?.Object.Size);
                    var canStart = await WaitUntilAsync(
                        () => _budget.CanAdmit(ioWeight) && (Interlocked.Read(ref _bytesInFlight) == 0 || Interlocked.Read(ref _bytesInFlight) + weight <= Options.MemoryBudgetBytes),
                        cancellationToken).ConfigureAwait(false);
                    if (!canStart)
                    {
                        break;
                    }

                    pending.Dequeue();
                    WarnIfLeaseTooShort(message, leaseDeadline);
                    Interlocked.Increment(ref _inFlight);
                    Interlocked.Add(ref _bytesInFlight, weight);
                    _budget.Add(ioWeight);
                    var task = ProcessMessageAsync(message, weight, ioWeight, abort.Token);
                    tasks[task] = true;
                    _ = task.ContinueWith(t => tasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                // stopping with leased messages not started: hand them back at once for another consumer
                if (pending.Count > 0)
                {
                    foreach (var message in pending)
                    {
                        _retries.Enqueue(new ObjectEventRetry(message, TimeSpan.Zero));
                    }

                    Log.LeasesReleased(_logger, pending.Count);
                }
            }
        }
        finally
        {
            await DrainAsync(tasks, abort).ConfigureAwait(false);
            _health.Stop(gaveUp is not null || _health.GaveUp is not null);
        }

        var summary = Statistics.Snapshot();
        if ((gaveUp ?? _health.GaveUp) is { } last)
        {
            var health = _health.Snapshot();
            throw new QueueConsumerFailedException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"the queue consumer gave up: its calls to the queue have only failed since {health.FailingSince:yyyy-MM-dd'T'HH:mm:ss'Z'} ({health.ConsecutiveFailures} failures in a row, limit {Options.MaxFailureDuration!.Value.TotalSeconds:0} s); last error: {health.LastError}"),
                health,
                summary,
                last);
        }

        return summary;
    }

    private bool IsIdle() => InFlight == 0 && _acks.IsEmpty && _retries.IsEmpty && !_health.IsFailing(Operation.Ack);

    private async Task DrainAsync(ConcurrentDictionary<Task, bool> tasks, CancellationTokenSource abort)
    {
        var running = tasks.Keys.ToArray();
        if (running.Length > 0)
        {
            Log.Draining(_logger, Options.DrainTimeout.TotalSeconds, running.Length);
            var all = Task.WhenAll(running);
            var finished = await Task.WhenAny(all, Task.Delay(Options.DrainTimeout, _timeProvider)).ConfigureAwait(false);
            if (finished != all)
            {
                await abort.CancelAsync().ConfigureAwait(false);
            }

            await all.ConfigureAwait(false);
        }

        using var settle = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await FlushSettlementsAsync(settle.Token).ConfigureAwait(false);
    }

    private async Task ProcessMessageAsync(ObjectEventMessage message, long weight, long ioWeight, CancellationToken abort)
    {
        await Task.Yield();
        try
        {
            if (message.Notification is not { } notification)
            {
                var reason = message.Error ?? "the message body is not an R2 event notification";
                Statistics.Add(new ObjectProcessingResult(ObjectProcessingStatus.Failed, "(unreadable message)") { Reason = reason });
                ScheduleRetry(message, null, reason);
                return;
            }

            var result = await _processor.ProcessAsync(notification, abort).ConfigureAwait(false);
            _budget.Observe(result);
            Statistics.Add(result);
            Processed?.Invoke(message, result);
            if (result.IsFailure)
            {
                ScheduleRetry(message, ObjectKeyText.Escape(notification.Object.Key), result.Reason);
            }
            else
            {
                _acks.Enqueue(message);
                MeasureThroughput(result);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // abandoned on shutdown: the put was aborted; release the lease so another consumer takes it now
            _retries.Enqueue(new ObjectEventRetry(message, TimeSpan.Zero));
        }
        finally
        {
            Interlocked.Add(ref _bytesInFlight, -weight);
            _budget.Release(ioWeight);
            Interlocked.Decrement(ref _inFlight);
            _changed.Release();
        }
    }

    /// <param name="message">The message.</param>
    /// <param name="key">The object key, escaped for printing (<see cref="ObjectKeyText.Escape"/>), or <see langword="null"/>.</param>
    /// <param name="reason">Why it failed.</param>
    private void ScheduleRetry(ObjectEventMessage message, string? key, string? reason)
    {
        if (message.Attempts >= Options.MaxAttempts)
        {
            Log.MessagePoison(_logger, ObjectKeyText.Escape(message.Id), key, message.Attempts, Options.MaxAttempts, reason);
        }

        var delay = RetryDelayFor(message.Attempts);
        if (message.Attempts < Options.MaxAttempts)
        {
            Log.MessageRetry(_logger, ObjectKeyText.Escape(message.Id), key, message.Attempts, Options.MaxAttempts, delay.TotalSeconds, reason);
        }

        // a poison message is retried too: the queue's retry limit, not this consumer, moves it to the dead-letter queue
        _retries.Enqueue(new ObjectEventRetry(message, delay));
    }

    /// <summary>The retry delay after <paramref name="attempts"/> deliveries: <see cref="LogpushQueueConsumerOptions.RetryDelay"/> doubled per attempt, capped.</summary>
    internal TimeSpan RetryDelayFor(int attempts)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var seconds = Math.Min(Options.RetryDelay.TotalSeconds * factor, Options.MaxRetryDelay.TotalSeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    private async Task FlushSettlementsAsync(CancellationToken cancellationToken)
    {
        var acks = new List<ObjectEventMessage>();
        while (acks.Count < 100 && _acks.TryDequeue(out var ack))
        {
            acks.Add(ack);
        }

        var retries = new List<ObjectEventRetry>();
        while (retries.Count < 100 && _retries.TryDequeue(out var retry))
        {
            retries.Add(retry);
        }

        if (acks.Count == 0 && retries.Count == 0)
        {
            return;
        }

        try
        {
            await _source.SettleAsync(acks, retries, cancellationToken).ConfigureAwait(false);
            _health.Succeeded(Operation.Ack);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping: unsettled messages come back after their lease
        }
        catch (Exception ex)
        {
            // not fatal by itself: unsettled messages come back after their lease, and processing them again is idempotent
            _health.Failed(Operation.Ack, ex, string.Create(CultureInfo.InvariantCulture, $"{acks.Count} acks and {retries.Count} retries not sent; those messages come back after their lease"));
        }

        if (!_acks.IsEmpty || !_retries.IsEmpty)
        {
            await FlushSettlementsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            try
            {
                await _changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            await FlushSettlementsAsync(cancellationToken).ConfigureAwait(false);
        }

        return !cancellationToken.IsCancellationRequested;
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private TimeSpan NextIdleDelay(TimeSpan current)
    {
        var next = current * 2;
        return next > Options.MaxIdleDelay ? Options.MaxIdleDelay : next;
    }

    private long Weight(ObjectEventMessage message)
        => Math.Min(Math.Max(0, message.Notification?.Object.Size ?? 0), Options.MemoryBudgetBytes);

    private void WarnIfLeaseTooShort(ObjectEventMessage message, DateTimeOffset leaseDeadline)
    {
        var size = message.Notification?.Object.Size ?? 0;
        if (size <= 0)
        {
            return;
        }

        var estimated = size / CurrentBytesPerSecond;
        var remaining = (leaseDeadline - _timeProvider.GetUtcNow()).TotalSeconds;
        if (estimated > remaining)
        {
            Log.LeaseTooShort(_logger, ObjectKeyText.Escape(message.Id), ObjectKeyText.Escape(message.Notification!.Object.Key), size, Math.Round(estimated, 1), Math.Round(remaining, 1));
        }
    }

    private void MeasureThroughput(ObjectProcessingResult result)
    {
        if (result.Status != ObjectProcessingStatus.Converted || result.Transform is not { } t || t.BytesIn < MinBytesForThroughput || result.Elapsed <= TimeSpan.Zero)
        {
            return;
        }

        var sample = t.BytesIn / result.Elapsed.TotalSeconds;
        lock (_throughputLock)
        {
            _measuredBytesPerSecond = _measuredBytesPerSecond <= 0 ? sample : (0.8 * _measuredBytesPerSecond) + (0.2 * sample);
        }
    }

    private enum Operation
    {
        Pull,
        Ack,
    }

    /// <summary>Health per operation (pull, ack), rate-limited failure reports, and the give-up rule. Thread-safe.</summary>
    private sealed class HealthTracker(LogpushQueueConsumer owner)
    {
        private readonly Lock _gate = new();
        private readonly OperationState[] _states = [new(), new()];
        private QueueConsumerStatus _status = QueueConsumerStatus.Starting;
        private DateTimeOffset? _lastSuccess;
        private long _totalFailures;
        private string? _lastError;
        private DateTimeOffset? _lastFailure;
        private Exception? _gaveUp;

        public Exception? GaveUp
        {
            get
            {
                lock (_gate)
                {
                    return _gaveUp;
                }
            }
        }

        public void Start()
        {
            lock (_gate)
            {
                _status = _states.Any(s => s.FailingSince is not null) ? QueueConsumerStatus.Failing : QueueConsumerStatus.Starting;
                _gaveUp = null;
            }
        }

        public void Stop(bool failed)
        {
            lock (_gate)
            {
                _status = failed ? QueueConsumerStatus.Failed : QueueConsumerStatus.Stopped;
            }
        }

        public bool IsFailing(Operation operation)
        {
            lock (_gate)
            {
                return _states[(int)operation].FailingSince is not null;
            }
        }

        public void Succeeded(Operation operation)
        {
            var now = owner._timeProvider.GetUtcNow();
            int failures;
            TimeSpan failedFor;
            lock (_gate)
            {
                var state = _states[(int)operation];
                _lastSuccess = now;
                failures = state.ConsecutiveFailures;
                failedFor = state.FailingSince is { } since ? now - since : TimeSpan.Zero;
                state.Reset();
                _status = _states.Any(s => s.FailingSince is not null) ? QueueConsumerStatus.Failing : QueueConsumerStatus.Healthy;
            }

            if (failures > 0)
            {
                Log.QueueOperationRecovered(owner._logger, Name(operation), failures, failedFor.TotalSeconds);
            }
        }

        /// <summary>Records and reports a failure; <see langword="true"/> when the consumer must give up.</summary>
        public bool Failed(Operation operation, Exception exception, string? consequence = null)
        {
            var now = owner._timeProvider.GetUtcNow();
            var error = SecretRedactor.MaskText(exception.Message) + (consequence is null ? string.Empty : " (" + consequence + ")");
            var options = owner.Options;
            bool first;
            bool report;
            int suppressed;
            double sinceReport;
            int inARow;
            DateTimeOffset since;
            bool giveUp;
            lock (_gate)
            {
                var state = _states[(int)operation];
                state.FailingSince ??= now;
                state.ConsecutiveFailures++;
                _totalFailures++;
                _lastError = Name(operation) + ": " + error;
                _lastFailure = now;
                first = state.ConsecutiveFailures == 1;
                report = first || now - state.LastReport >= options.FailureReportInterval;
                suppressed = state.Unreported + 1;
                sinceReport = (now - state.LastReport).TotalSeconds;
                if (report)
                {
                    state.LastReport = now;
                    state.Unreported = 0;
                }
                else
                {
                    state.Unreported++;
                }

                inARow = state.ConsecutiveFailures;
                since = state.FailingSince.Value;
                giveUp = options.MaxFailureDuration is { } limit && inARow >= 2 && now - since >= limit;
                _status = giveUp ? QueueConsumerStatus.Failed : QueueConsumerStatus.Failing;
                if (giveUp)
                {
                    _gaveUp ??= exception;
                }
            }

            if (first)
            {
                // an API error's message says it all (status, codes, cf-ray): its stack trace is only for the unexpected
                Log.QueueOperationFailed(owner._logger, Name(operation), error, exception is LogpushKitException ? null : exception);
            }
            else if (report)
            {
                Log.QueueOperationStillFailing(owner._logger, Name(operation), suppressed, sinceReport, inARow, since, error);
            }

            if (giveUp)
            {
                Log.QueueConsumerGivingUp(owner._logger, Name(operation), (now - since).TotalSeconds, inARow, options.MaxFailureDuration!.Value.TotalSeconds, error);
            }

            return giveUp;
        }

        public QueueConsumerHealth Snapshot()
        {
            lock (_gate)
            {
                var failing = _states.Where(s => s.FailingSince is not null).ToList();
                return new QueueConsumerHealth
                {
                    Status = _status,
                    LastSuccess = _lastSuccess,
                    FailingSince = failing.Count == 0 ? null : failing.Min(s => s.FailingSince),
                    ConsecutiveFailures = failing.Sum(s => s.ConsecutiveFailures),
                    TotalFailures = _totalFailures,
                    LastError = _lastError,
                    LastFailure = _lastFailure,
                };
            }
        }

        private static string Name(Operation operation) => operation == Operation.Pull ? "pull" : "ack";

        private sealed class OperationState
        {
            public DateTimeOffset? FailingSince { get; set; }

            public int ConsecutiveFailures { get; set; }

            public DateTimeOffset LastReport { get; set; } = DateTimeOffset.MinValue;

            public int Unreported { get; set; }

            public void Reset()
            {
                FailingSince = null;
                ConsecutiveFailures = 0;
                Unreported = 0;
            }
        }
    }
}
