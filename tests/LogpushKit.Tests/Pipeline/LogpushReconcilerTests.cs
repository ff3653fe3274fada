using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.Streams;

namespace LogpushKit.Tests.Pipeline;

public sealed class LogpushReconcilerTests
{
    private readonly TestBucket _source = new("logpush");
    private readonly TestBucket _target = new("csv");

    [Fact]
    public async Task RunAsync_MissingAndStaleTargets_ConvertsOnlyThose()
    {
        var processor = new LogpushObjectProcessor(_source, _target);
        _source.Add("gw/20240821/20240821T000000Z_20240821T000100Z_a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(2, 1)));
        _source.Add("gw/20240821/20240821T000100Z_20240821T000200Z_b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(3, 2)));
        _source.Add("gw/20240821/20240821T000200Z_20240821T000300Z_c.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(4, 3)));
        _source.Add("gw/ownership-challenge.txt", [1, 2, 3]);
        await processor.ProcessAsync("gw/20240821/20240821T000000Z_20240821T000100Z_a.log.gz");
        await processor.ProcessAsync("gw/20240821/20240821T000100Z_20240821T000200Z_b.log.gz");
        _source.Add("gw/20240821/20240821T000100Z_20240821T000200Z_b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(5, 9)));
        var getsBefore = _source.Gets;

        var summary = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(2, summary.Converted);
        Assert.Equal(1, summary.SkippedDuplicate);
        Assert.Equal(1, summary.SkippedFiltered);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(9, summary.Rows);
        Assert.Equal(2, _source.Gets - getsBefore);
        Assert.Equal(PipelineTestData.ExpectedCsv(5, 9), _target.ReadText("gw/20240821/20240821T000100Z_20240821T000200Z_b.csv"));
        Assert.Equal(PipelineTestData.ExpectedCsv(4, 3), _target.ReadText("gw/20240821/20240821T000200Z_20240821T000300Z_c.csv"));
    }

    [Fact]
    public async Task RunAsync_TimeWindow_TakesOnlyOverlappingBatches()
    {
        _source.Add("gw/20240820/20240820T235900Z_20240821T000030Z_a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("gw/20240821/20240821T120000Z_20240821T120100Z_b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("gw/20240822/20240822T000000Z_20240822T000100Z_c.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("gw/20240819/custom.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("gw/20240821/custom.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("gw/undated/custom.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var processor = new LogpushObjectProcessor(_source, _target);

        var summary = await new LogpushReconciler(processor).RunAsync(new ReconcileOptions
        {
            From = new DateTimeOffset(2024, 8, 21, 0, 0, 0, TimeSpan.Zero),
            To = new DateTimeOffset(2024, 8, 22, 0, 0, 0, TimeSpan.Zero),
        });

        Assert.Equal(
            ["gw/20240820/20240820T235900Z_20240821T000030Z_a.csv", "gw/20240821/20240821T120000Z_20240821T120100Z_b.csv", "gw/20240821/custom.csv", "gw/undated/custom.csv"],
            _target.Keys);
        Assert.Equal(4, summary.Converted);
        Assert.Equal(2, summary.SkippedFiltered);
    }

    [Fact]
    public async Task RunAsync_Prefix_ListsOnlyUnderIt()
    {
        _source.Add("a/x.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("b/y.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));

        var summary = await new LogpushReconciler(new LogpushObjectProcessor(_source, _target)).RunAsync(new ReconcileOptions { Prefix = "b/" });

        Assert.Equal(1, summary.Objects);
        Assert.Equal(["b/y.csv"], _target.Keys);
    }

    [Fact]
    public async Task RunAsync_BoundedConcurrency_NeverExceedsLimit()
    {
        for (var i = 0; i < 12; i++)
        {
            _source.Add($"k/{i:00}.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, i)));
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.GetGate = gate;
        var started = 0;
        _source.OnGet = key =>
        {
            if (Interlocked.Increment(ref started) == 3)
            {
                _ = Task.Delay(200).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);
            }
        };

        var summary = await new LogpushReconciler(new LogpushObjectProcessor(_source, _target)).RunAsync(new ReconcileOptions { MaxConcurrency = 3 });

        Assert.Equal(12, summary.Converted);
        Assert.Equal(3, _source.MaxConcurrentGets);
    }

    [Theory]
    [InlineData(null, 2)] // no budget: --concurrency objects in flight
    [InlineData(5L << 20, 4)] // 1 MiB + 8 x ~100 bytes each: four fit in 5 MiB
    [InlineData(64L << 20, 12)] // every object fits
    public async Task RunAsync_IoBudget_ObjectsInFlightBeyondConcurrencyAsTheBudgetAdmits(long? budget, int expected)
    {
        for (var i = 0; i < 12; i++)
        {
            _source.Add($"io/{i:00}.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, i)));
        }

        // every GET waits (a far-away bucket) until as many as expected have started, and 200 ms more for any extra one
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.GetGate = gate;
        var started = 0;
        _source.OnGet = key =>
        {
            if (Interlocked.Increment(ref started) == expected)
            {
                _ = Task.Delay(200).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);
            }
        };

        var summary = await new LogpushReconciler(new LogpushObjectProcessor(_source, _target)).RunAsync(new ReconcileOptions { MaxConcurrency = 2, IoBudgetBytes = budget });

        Assert.Equal(12, summary.Converted);
        Assert.Equal(expected, _source.MaxConcurrentGets);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(null)] // no slots: every object in flight converts at once (what shows that the test can see it)
    public async Task RunAsync_ConversionSlots_AtMostThatManyConvertAtOnce_WhileMoreObjectsAreInFlight(int? slots)
    {
        for (var i = 0; i < 12; i++)
        {
            _source.Add($"slots/{i:00}.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(20, i)));
        }

        // a body is open from its GET until it is read to its end, and converting from its first read until then; the
        // first read waits a little (without holding a thread), so that conversions not held apart overlap
        var open = 0;
        var maxOpen = 0;
        var converting = 0;
        var maxConverting = 0;
        _source.WrapBody = (_, body) =>
        {
            Raise(ref maxOpen, Interlocked.Increment(ref open));
            return new ConvertingStream(
                body,
                onFirstRead: () => Raise(ref maxConverting, Interlocked.Increment(ref converting)),
                onEnd: () =>
                {
                    Interlocked.Decrement(ref converting);
                    Interlocked.Decrement(ref open);
                });
        };
        var processor = new LogpushObjectProcessor(_source, _target) { ConversionSlots = slots is { } n ? new SemaphoreSlim(n) : null };

        var summary = await new LogpushReconciler(processor).RunAsync(new ReconcileOptions { MaxConcurrency = 4 });

        Assert.Equal(12, summary.Converted);
        Assert.Equal(slots ?? 4, maxConverting);
        Assert.Equal(4, maxOpen); // the other objects in flight wait for a slot with their bodies open
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(PipelineTestData.ExpectedCsv(20, i), _target.ReadText($"slots/{i:00}.csv"));
        }

        static void Raise(ref int max, int now)
        {
            int seen;
            while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
            {
            }
        }
    }

    [Fact]
    public async Task RunAsync_FailingObject_CountedWithKeyOthersConverted()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("broken.log.gz", [0x1f, 0x8b, 0x08, 0x00, 0x01]);
        var reports = new List<ReconcileProgress>();

        var summary = await new LogpushReconciler(new LogpushObjectProcessor(_source, _target)).RunAsync(progress: new SyncProgress(reports.Add));

        Assert.Equal(1, summary.Converted);
        Assert.Equal(1, summary.Failed);
        Assert.Equal("broken.log.gz", Assert.Single(summary.Failures).SourceKey);
        Assert.Equal(["a.csv"], _target.Keys);
        Assert.Equal(2, reports[^1].Summary.Objects);
        Assert.Equal(2, reports[^1].Listed);
    }

    private sealed class SyncProgress(Action<ReconcileProgress> report) : IProgress<ReconcileProgress>
    {
        private readonly Lock _lock = new();

        public void Report(ReconcileProgress value)
        {
            lock (_lock)
            {
                report(value);
            }
        }
    }

    [Fact]
    public async Task RunAsync_StaleTempFilesOfKilledPutsUnderTheTarget_AreRemovedFirstAndCounted()
    {
        using var folder = new TempDirectory("sweep");
        var target = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(Path.Combine(target, "gw"));
        var old = DateTime.UtcNow.AddHours(-2);
        var staleCsv = Aged(Path.Combine(target, "gw", ".a.csv." + Guid.NewGuid().ToString("N") + ".tmp"), old);
        var staleQuarantine = Aged(Path.Combine(target, "gw", ".a.csv.quarantine." + Guid.NewGuid().ToString("N") + ".tmp"), old);
        var notOurs = Aged(Path.Combine(target, "gw", ".a.json." + Guid.NewGuid().ToString("N") + ".tmp"), old);
        var fresh = Aged(Path.Combine(target, "gw", ".b.csv." + Guid.NewGuid().ToString("N") + ".tmp"), DateTime.UtcNow);
        _source.Add("gw/a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var processor = new LogpushObjectProcessor(_source, new FileSystemBucket(target));

        var summary = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(2, summary.LeftoversRemoved);
        Assert.Equal(1, summary.Converted);
        Assert.False(File.Exists(staleCsv));
        Assert.False(File.Exists(staleQuarantine));
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public async Task RunAsync_TargetCleanup_OverlapsTheSourceListing_AndEndsBeforeAnyPut()
    {
        // a far-away target's cleanup and the source's first page are one round trip, not two; no put of the pass
        // starts before the cleanup is done (it removes the leftovers of other runs, never this run's own puts)
        var listing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cleanedUp = false;
        var putBeforeCleanup = false;
        _source.OnList = () => listing.TrySetResult();
        _target.OnPut = _ => putBeforeCleanup |= !Volatile.Read(ref cleanedUp);
        _target.CleanUp = async cancellationToken =>
        {
            await listing.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            Volatile.Write(ref cleanedUp, true);
            return R2CleanupResult.Nothing;
        };
        _source.Add("gw/a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        _source.Add("gw/b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        var logger = new ListLogger<LogpushObjectProcessor>();
        var processor = new LogpushObjectProcessor(_source, _target, logger: logger);

        var summary = await new LogpushReconciler(processor).RunAsync();

        Assert.True(cleanedUp, "the cleanup waited for a listing that started only after it: " + string.Join(" | ", logger.Entries.Select(e => e.Message)));
        Assert.False(putBeforeCleanup);
        Assert.Equal((2, 0), (summary.Converted, summary.Failed));
    }

    [Fact]
    public async Task RunAsync_LeftoverAgeNull_RemovesNothing()
    {
        using var folder = new TempDirectory("nosweep");
        Directory.CreateDirectory(folder.Path);
        var stale = Aged(Path.Combine(folder.Path, ".a.csv." + Guid.NewGuid().ToString("N") + ".tmp"), DateTime.UtcNow.AddDays(-2));
        var processor = new LogpushObjectProcessor(_source, new FileSystemBucket(folder.Path), new LogpushObjectProcessorOptions { LeftoverAge = null });

        var summary = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(0, summary.LeftoversRemoved);
        Assert.True(File.Exists(stale));
    }

    [Fact]
    public async Task RunAsync_SourceFolderMissing_ThrowsNamingItAndCreatesNeitherSourceNorTarget()
    {
        using var folder = new TempDirectory("nosource");
        var source = Path.Combine(folder.Path, "src");
        var target = Path.Combine(folder.Path, "out");
        var processor = new LogpushObjectProcessor(new FileSystemBucket(source), new FileSystemBucket(target));

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => new LogpushReconciler(processor).RunAsync());

        Assert.Contains(source, ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(source));
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task RunAsync_ListingIncomplete_ConvertsEverythingListedThenCountsEachUnreadPartAsAFailure()
    {
        var processor = new LogpushObjectProcessor(new IncompleteListing(_source), _target);
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));

        var summary = await new LogpushReconciler(processor).RunAsync(new ReconcileOptions { MaxConcurrency = 1 });

        Assert.Equal((2, 2), (summary.Converted, summary.Failed));
        Assert.Equal(["locked/", "secret\\n.log.gz"], summary.Failures.Select(f => ObjectKeyText.Escape(f.SourceKey)).ToArray());
        Assert.All(summary.Failures, f => Assert.IsType<R2ListIncompleteException>(f.Exception));
        Assert.DoesNotContain(summary.Failures, f => f.Reason!.Any(char.IsControl));
        Assert.Equal(["a.csv", "b.csv"], _target.Keys);
    }

    private static string Aged(string path, DateTime lastWriteUtc)
    {
        File.WriteAllText(path, "partial");
        File.SetLastWriteTimeUtc(path, lastWriteUtc);
        return path;
    }

    /// <summary>A source whose listing ends with the parts it could not read, as a folder bucket's does.</summary>
    private sealed class IncompleteListing(IR2Bucket inner) : IR2Bucket
    {
        public string Name => inner.Name;

        public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

        public Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default) => inner.GetAsync(key, range, cancellationToken);

        public Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, options, cancellationToken);

        public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var item in inner.ListAsync(options, cancellationToken))
            {
                yield return item;
            }

            throw new R2ListIncompleteException(Name, [new R2BucketProblem("locked/", "the folder could not be read: Permission denied"), new R2BucketProblem("secret\n.log.gz", "Permission denied")]);
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }
    /// <summary>A source body that reports its first read (after a 30 ms asynchronous wait) and its end.</summary>
    private sealed class ConvertingStream(Stream inner, Action onFirstRead, Action onEnd) : ReadOnlyStream
    {
        private bool _started;
        private bool _ended;

        public override int Read(Span<byte> buffer) => throw new NotSupportedException("The transformer reads asynchronously.");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_started)
            {
                _started = true;
                onFirstRead();
                await Task.Delay(30, cancellationToken);
            }

            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read == 0 && !_ended)
            {
                _ended = true;
                onEnd();
            }

            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
