using System.Collections.Concurrent;
using LogpushKit.Pipeline;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

public sealed class LogpushQueueConsumerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestBucket _source = new("logpush");
    private readonly TestBucket _target = new("csv");

    private static LogpushQueueConsumerOptions FastOptions => new()
    {
        IdleDelay = TimeSpan.Zero,
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        DrainTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task RunAsync_InProcessQueue_ConvertsEveryEventAndAcksIt()
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(20));
        for (var i = 0; i < 6; i++)
        {
            var key = $"logs/2024.08/obj.{i}.log.gz";
            _source.Add(key, PipelineTestData.Gzip(PipelineTestData.Ndjson(i + 1, i)));
            queue.Enqueue(PipelineTestData.Event("logpush", key, _source.Info(key).ETag, _source.Info(key).Size));
        }

        var consumer = new LogpushQueueConsumer(queue, new LogpushObjectProcessor(_source, _target), FastOptions);
        var summary = await RunUntilAsync(consumer, s => s.Objects == 6);

        Assert.Equal(6, summary.Converted);
        Assert.Equal(21, summary.Rows);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(PipelineTestData.ExpectedCsv(i + 1, i), _target.ReadText($"logs/2024.08/obj.{i}.csv"));
        }

        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.LeasedCount);
    }

    [Fact]
    public async Task RunAsync_EveryEventTwice_EachObjectConvertedOnce()
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(20));
        for (var i = 0; i < 4; i++)
        {
            var key = $"k/{i}.log.gz";
            _source.Add(key, PipelineTestData.Gzip(PipelineTestData.Ndjson(2, i)));
            var notification = PipelineTestData.Event("logpush", key, _source.Info(key).ETag);
            queue.Enqueue(notification);
            queue.Enqueue(notification);
        }

        var consumer = new LogpushQueueConsumer(queue, new LogpushObjectProcessor(_source, _target), FastOptions with { MaxConcurrency = 1 });
        var summary = await RunUntilAsync(consumer, s => s.Objects == 8);

        Assert.Equal(4, summary.Converted);
        Assert.Equal(4, summary.SkippedDuplicate);
        Assert.Equal(4, _target.Puts);
        Assert.Equal(4, _target.Keys.Count);
    }

    [Fact]
    public async Task RunAsync_FailingObject_RetriedWithGrowingDelayThenDeadLettered()
    {
        var queue = new InProcessEventQueue(maxAttempts: 3, pollWait: TimeSpan.FromMilliseconds(20));
        var source = new RecordingSource(queue);
        _source.Add("bad.log.gz", [0x1f, 0x8b, 0x08, 0x00]);
        queue.Enqueue(PipelineTestData.Event("logpush", "bad.log.gz", _source.Info("bad.log.gz").ETag));
        var consumer = new LogpushQueueConsumer(source, new LogpushObjectProcessor(_source, _target), FastOptions with { MaxAttempts = 3 });

        using var cts = new CancellationTokenSource(Timeout);
        var run = consumer.RunAsync(cts.Token);
        while (queue.DeadLetters.Count == 0)
        {
            await Task.Delay(10, cts.Token);
        }

        await cts.CancelAsync();
        var summary = await run;

        Assert.Equal(3, summary.Failed);
        Assert.Equal([1, 2, 3], source.Retries.Select(r => r.Message.Attempts));
        Assert.Equal([20, 40, 80], source.Retries.Select(r => r.Delay.TotalMilliseconds));
        Assert.Empty(source.Acks);
        Assert.Equal("bad.log.gz", Assert.Single(queue.DeadLetters).Object.Key);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task RunAsync_FailingObjectWithControlCharactersInItsKey_LogLinesEscapeKeyAndMessageId()
    {
        // a key (and a message id, from the queue's server) with a line break and a terminal escape: printed raw they
        // would forge a log line or drive the terminal
        const string Key = "logs/x\n2024-01-01 INFO forged\u001b[2J.log.gz";
        const string EscapedKey = @"logs/x\n2024-01-01 INFO forged\u001b[2J.log.gz";
        _source.Add(Key, [0x1f, 0x8b, 0x08, 0x00]);
        var message = Message("m\r1", Key, 4) with { Notification = PipelineTestData.Event("logpush", Key, _source.Info(Key).ETag) };
        var source = new ScriptedSource(message, message with { Attempts = 2 });
        var logger = new ListLogger<LogpushQueueConsumer>();
        var consumer = new LogpushQueueConsumer(source, new LogpushObjectProcessor(_source, _target), FastOptions with { MaxAttempts = 2 }, logger);

        using var cts = new CancellationTokenSource(Timeout);
        var run = consumer.RunAsync(cts.Token);
        while (source.Retries.Count < 2)
        {
            await Task.Delay(10, cts.Token);
        }

        await cts.CancelAsync();
        await run;

        var lines = logger.Entries.Where(e => e.Id.Id is 1400 or 1401).Select(e => e.Message).ToList();
        Assert.Equal(2, lines.Count); // a retry, then the poison message
        Assert.All(lines, line =>
        {
            Assert.False(line.Any(char.IsControl), line);
            Assert.Contains(EscapedKey, line, StringComparison.Ordinal);
            Assert.Contains(@"essage m\r1 for ", line, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void RetryDelayFor_Attempts_DoublesUpToMax()
    {
        var consumer = new LogpushQueueConsumer(new InProcessEventQueue(), new LogpushObjectProcessor(_source, _target), new LogpushQueueConsumerOptions
        {
            RetryDelay = TimeSpan.FromSeconds(10),
            MaxRetryDelay = TimeSpan.FromSeconds(60),
        });

        Assert.Equal([10, 20, 40, 60, 60], new[] { 1, 2, 3, 4, 50 }.Select(a => consumer.RetryDelayFor(a).TotalSeconds));
    }

    [Theory]
    [InlineData(100_000_000, 4_000_000, 80)]
    [InlineData(0, 4_000_000, 30)]
    [InlineData(1_000_000_000_000, 1, 43_200)]
    public void DeriveVisibilityTimeout_SizeAndThroughput_TwiceTheTimePlusMargin(long size, double bytesPerSecond, double expectedSeconds)
        => Assert.Equal(expectedSeconds, LogpushQueueConsumer.DeriveVisibilityTimeout(size, bytesPerSecond).TotalSeconds);

    [Fact]
    public async Task RunAsync_MaxConcurrency_BoundsObjectsInFlight()
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(20));
        for (var i = 0; i < 8; i++)
        {
            _source.Add($"c/{i}.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, i)));
            queue.Enqueue(PipelineTestData.Event("logpush", $"c/{i}.log.gz", null, 10));
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.GetGate = gate;
        var started = 0;
        _source.OnGet = key =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                _ = Task.Delay(200).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);
            }
        };

        var consumer = new LogpushQueueConsumer(queue, new LogpushObjectProcessor(_source, _target), FastOptions with { MaxConcurrency = 2 });
        var summary = await RunUntilAsync(consumer, s => s.Objects == 8);

        Assert.Equal(8, summary.Converted);
        Assert.Equal(2, _source.MaxConcurrentGets);
    }

    [Fact]
    public async Task RunAsync_IoBudget_MoreObjectsInFlightThanConcurrencyAsTheBudgetAdmits()
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(20));
        for (var i = 0; i < 10; i++)
        {
            _source.Add($"io/{i}.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, i)));
            queue.Enqueue(PipelineTestData.Event("logpush", $"io/{i}.log.gz", null, 10));
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.GetGate = gate;
        var started = 0;
        _source.OnGet = key =>
        {
            if (Interlocked.Increment(ref started) == 4)
            {
                _ = Task.Delay(200).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);
            }
        };

        // 2 at once whatever they weigh, more while they fit in 5 MiB: each weighs 1 MiB + 8 x 10 bytes, so four in all
        var consumer = new LogpushQueueConsumer(queue, new LogpushObjectProcessor(_source, _target), FastOptions with { MaxConcurrency = 2, IoBudgetBytes = 5L << 20 });
        var summary = await RunUntilAsync(consumer, s => s.Objects == 10);

        Assert.Equal(10, summary.Converted);
        Assert.Equal(4, _source.MaxConcurrentGets);
    }

    [Fact]
    public async Task RunAsync_StopWithUnstartedMessages_ReleasesThemAndFinishesInFlight()
    {
        foreach (var (key, size) in new[] { ("small.log.gz", 100L), ("big.log.gz", 300L), ("medium.log.gz", 200L) })
        {
            _source.Add(key, PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        }

        var scripted = new ScriptedSource(
            Message("1", "small.log.gz", 100),
            Message("2", "big.log.gz", 300),
            Message("3", "medium.log.gz", 200));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.GetGate = gate;
        var firstGet = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.OnGet = key => firstGet.TrySetResult(key);
        var consumer = new LogpushQueueConsumer(scripted, new LogpushObjectProcessor(_source, _target), FastOptions with { MaxConcurrency = 3, MemoryBudgetBytes = 250 });

        using var cts = new CancellationTokenSource();
        var run = consumer.RunAsync(cts.Token);
        Assert.Equal("big.log.gz", await firstGet.Task.WaitAsync(Timeout));
        await Task.Delay(100);
        Assert.Equal(1, consumer.InFlight);
        await cts.CancelAsync();
        await Task.Delay(100);
        gate.SetResult();
        var summary = await run.WaitAsync(Timeout);

        Assert.Equal(1, summary.Converted);
        Assert.Equal(["2"], scripted.Acks.Select(m => m.Id));
        Assert.Equal(["1", "3"], scripted.Retries.Select(r => r.Message.Id).Order());
        Assert.All(scripted.Retries, r => Assert.Equal(TimeSpan.Zero, r.Delay));
        Assert.Equal(["big.csv"], _target.Keys);
    }

    [Fact]
    public async Task RunAsync_InFlightPastDrainTimeout_AbandonedWithoutTargetAndReleased()
    {
        _source.Add("slow.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var scripted = new ScriptedSource(Message("1", "slow.log.gz", 10));
        _source.GetGate = new TaskCompletionSource();
        var got = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.OnGet = _ => got.TrySetResult();
        var consumer = new LogpushQueueConsumer(scripted, new LogpushObjectProcessor(_source, _target), FastOptions with { DrainTimeout = TimeSpan.FromMilliseconds(100) });

        using var cts = new CancellationTokenSource();
        var run = consumer.RunAsync(cts.Token);
        await got.Task.WaitAsync(Timeout);
        await cts.CancelAsync();
        await run.WaitAsync(Timeout);

        Assert.Empty(scripted.Acks);
        var retry = Assert.Single(scripted.Retries);
        Assert.Equal(TimeSpan.Zero, retry.Delay);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task RunAsync_UnreadableMessage_RetriedNotAcked()
    {
        var scripted = new ScriptedSource(new ObjectEventMessage { Id = "x", LeaseId = "lx", Error = "body is not JSON" });
        var consumer = new LogpushQueueConsumer(scripted, new LogpushObjectProcessor(_source, _target), FastOptions);

        await RunUntilAsync(consumer, s => s.Failed == 1);

        Assert.Empty(scripted.Acks);
        Assert.Equal("x", Assert.Single(scripted.Retries).Message.Id);
    }

    [Fact]
    public async Task RunAsync_SettleFails_KeepsConsuming()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var scripted = new ScriptedSource(Message("1", "a.log.gz", 1), Message("2", "b.log.gz", 1)) { FailSettles = 1 };
        var consumer = new LogpushQueueConsumer(scripted, new LogpushObjectProcessor(_source, _target), FastOptions with { MaxConcurrency = 1, BatchSize = 1 });

        var summary = await RunUntilAsync(consumer, s => s.Converted == 2);

        Assert.Equal(2, summary.Converted);
        Assert.Equal(2, _target.Keys.Count);
    }

    [Fact]
    public async Task InProcessEventQueue_LeaseExpires_RedeliversWithNextAttempt()
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.Zero);
        queue.Enqueue(PipelineTestData.Event("logpush", "a.log.gz", "e"));

        var first = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromMilliseconds(30)));
        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(30)));
        await Task.Delay(80);
        var second = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(30)));

        Assert.Equal(1, first.Attempts);
        Assert.Equal(2, second.Attempts);
        Assert.NotEqual(first.LeaseId, second.LeaseId);
        await queue.SettleAsync([second], []);
        Assert.Equal(0, queue.LeasedCount);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task RunAsync_StopWhenEmpty_EmptyQueue_StopsAfterTheEmptyReceivesInARow()
    {
        var source = new CountingSource(new InProcessEventQueue(pollWait: TimeSpan.Zero));
        var consumer = new LogpushQueueConsumer(source, new LogpushObjectProcessor(_source, _target), FastOptions with { StopWhenEmpty = true, EmptyReceivesBeforeStop = 4 });

        using var cts = new CancellationTokenSource(Timeout);
        var summary = await consumer.RunAsync(cts.Token);

        Assert.False(cts.IsCancellationRequested);
        Assert.Equal(4, source.Receives);
        Assert.Equal(0, summary.Objects);
        Assert.Equal(QueueConsumerStatus.Stopped, consumer.Health.Status);
    }

    [Fact]
    public async Task RunAsync_StopWhenEmpty_ObjectStillInFlight_DoesNotStopUntilItIsDoneAndAcked()
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.Zero);
        var source = new CountingSource(queue);
        _source.Add("slow.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        queue.Enqueue(PipelineTestData.Event("logpush", "slow.log.gz", _source.Info("slow.log.gz").ETag));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.GetGate = gate;
        var consumer = new LogpushQueueConsumer(source, new LogpushObjectProcessor(_source, _target), FastOptions with { StopWhenEmpty = true, EmptyReceivesBeforeStop = 2, IdleDelay = TimeSpan.FromMilliseconds(5), MaxIdleDelay = TimeSpan.FromMilliseconds(10) });

        using var cts = new CancellationTokenSource(Timeout);
        var run = consumer.RunAsync(cts.Token);
        while (source.Receives < 20)
        {
            await Task.Delay(5, cts.Token);
        }

        Assert.False(run.IsCompleted, "stopped while an object was in flight");
        gate.SetResult();
        var summary = await run;

        Assert.Equal(1, summary.Converted);
        Assert.Single(source.Acks);
        Assert.Equal(0, queue.LeasedCount);
        Assert.Equal(PipelineTestData.ExpectedCsv(3), _target.ReadText("slow.csv"));
    }

    [Fact]
    public async Task RunAsync_StopWhenEmpty_FailedObjectWaitingForRetry_StopsAndReportsItLeft()
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.Zero);
        _source.Add("bad.log.gz", [0x1f, 0x8b, 0x08, 0x00]);
        queue.Enqueue(PipelineTestData.Event("logpush", "bad.log.gz", _source.Info("bad.log.gz").ETag));
        var logger = new ListLogger<LogpushQueueConsumer>();
        var consumer = new LogpushQueueConsumer(queue, new LogpushObjectProcessor(_source, _target), FastOptions with { StopWhenEmpty = true, RetryDelay = TimeSpan.FromMinutes(10), MaxRetryDelay = TimeSpan.FromMinutes(10) }, logger);

        using var cts = new CancellationTokenSource(Timeout);
        var summary = await consumer.RunAsync(cts.Token);

        Assert.Equal(1, summary.Failed);
        Assert.Equal(1, queue.DelayedCount);
        Assert.Contains(logger.Entries, e => e.Id.Id == 1414 && e.Message.Contains("1 message(s) the queue still holds", StringComparison.Ordinal));
    }

    [Fact]
    public void Options_Invalid_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogpushQueueConsumer(new InProcessEventQueue(), new LogpushObjectProcessor(_source, _target), new LogpushQueueConsumerOptions { EmptyReceivesBeforeStop = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogpushQueueConsumer(new InProcessEventQueue(), new LogpushObjectProcessor(_source, _target), new LogpushQueueConsumerOptions { MaxFailureDuration = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogpushQueueConsumer(new InProcessEventQueue(), new LogpushObjectProcessor(_source, _target), new LogpushQueueConsumerOptions { FailureReportInterval = TimeSpan.FromSeconds(-1) }));
    }

    private static ObjectEventMessage Message(string id, string key, long size) => new()
    {
        Id = id,
        LeaseId = "lease-" + id,
        Notification = PipelineTestData.Event("logpush", key, null, size),
    };

    private static async Task<PipelineSummary> RunUntilAsync(LogpushQueueConsumer consumer, Func<PipelineSummary, bool> done)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var run = consumer.RunAsync(cts.Token);
        while (!done(consumer.Statistics.Snapshot()))
        {
            Assert.False(run.IsCompleted, "the consumer stopped early");
            await Task.Delay(10, cts.Token);
        }

        await cts.CancelAsync();
        return await run;
    }

    private class RecordingSource(IObjectEventSource inner) : IObjectEventSource
    {
        public ConcurrentQueue<ObjectEventMessage> Acks { get; } = new();

        public ConcurrentQueue<ObjectEventRetry> Retries { get; } = new();

        public int FailSettles { get; set; }

        public virtual Task<IReadOnlyList<ObjectEventMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
            => inner.ReceiveAsync(maxMessages, visibilityTimeout, cancellationToken);

        public Task SettleAsync(IReadOnlyList<ObjectEventMessage> acks, IReadOnlyList<ObjectEventRetry> retries, CancellationToken cancellationToken = default)
        {
            if (FailSettles > 0)
            {
                FailSettles--;
                throw new LogpushKitException("injected settle failure");
            }

            foreach (var a in acks)
            {
                Acks.Enqueue(a);
            }

            foreach (var r in retries)
            {
                Retries.Enqueue(r);
            }

            return inner.SettleAsync(acks, retries, cancellationToken);
        }
    }

    /// <summary>Hands out the given messages (as many per receive as asked), then nothing.</summary>
    private sealed class ScriptedSource(params ObjectEventMessage[] messages) : RecordingSource(new InProcessEventQueue(pollWait: TimeSpan.Zero))
    {
        private readonly Queue<ObjectEventMessage> _messages = new(messages);

        public override async Task<IReadOnlyList<ObjectEventMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
        {
            await Task.Delay(5, cancellationToken);
            lock (_messages)
            {
                var batch = new List<ObjectEventMessage>();
                while (batch.Count < maxMessages && _messages.TryDequeue(out var m))
                {
                    batch.Add(m);
                }

                return batch;
            }
        }
    }

    private sealed class CountingSource(IObjectEventSource inner) : RecordingSource(inner)
    {
        private int _receives;

        public int Receives => Volatile.Read(ref _receives);

        public override Task<IReadOnlyList<ObjectEventMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _receives);
            return base.ReceiveAsync(maxMessages, visibilityTimeout, cancellationToken);
        }
    }
}
