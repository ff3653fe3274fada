using System.Collections.Concurrent;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// The library's one composition (<see cref="LogpushPipeline"/>), which the CLI and the worker both call.
/// </summary>
public sealed class LogpushPipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new("logpushkit-pipeline");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Open_BucketLocations_PathsNameFoldersForSourceAndTarget()
    {
        var buckets = new MemoryBuckets();
        buckets.Add("logs", "gateway_http/20240601/a.log.gz", PipelineTestData.Ndjson(2, 1));
        buckets.Add("logs", "gateway_http_old/20240601/b.log.gz", PipelineTestData.Ndjson(2, 2));
        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = "r2://logs/gateway_http", Target = "s3://dst/siem" }, buckets);

        var summary = await pipeline.ReconcileAsync();

        Assert.Equal("gateway_http/", pipeline.Processor.Options.Prefix);
        Assert.Equal("siem/", pipeline.Processor.Options.TargetPrefix);
        Assert.Equal(1, summary.Converted);
        Assert.Equal(["siem/gateway_http/20240601/a.csv"], await buckets["dst"].KeysAsync());
    }

    [Theory]
    [InlineData("r2://logs/gateway_http/", "gateway_http/")]
    [InlineData("r2://logs/gateway_http//", "gateway_http/")]
    [InlineData("r2://logs/", null)]
    [InlineData("r2://logs", null)]
    public void Open_LocationKey_BecomesOneFolderPrefix(string source, string? prefix)
    {
        using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = source, Target = "s3://dst" }, new MemoryBuckets());

        Assert.Equal(prefix, pipeline.Processor.Options.Prefix);
        Assert.Null(pipeline.Processor.Options.TargetPrefix);
    }

    [Theory]
    [InlineData("folder", "folder", 0L, false)] // --io-budget 0: exactly --concurrency objects in flight, nothing to hold apart
    [InlineData("folder", "folder", 64L << 20, true)] // between folders: at most --concurrency convert, more are in flight
    [InlineData("folder", "s3://dst", 64L << 20, false)] // a bucket on either side: a conversion also waits on the network
    [InlineData("r2://logs", "folder", 64L << 20, false)]
    public void Open_ConversionSlots_OnlyBetweenLocalFoldersWithABudget_OnePerConcurrentObject(string source, string target, long budget, bool slots)
    {
        Directory.CreateDirectory(_dir.File("in"));
        using var pipeline = LogpushPipeline.Open(
            new LogpushPipelineOptions
            {
                Source = source == "folder" ? _dir.File("in") : source,
                Target = target == "folder" ? _dir.File("out") : target,
                MaxConcurrency = 3,
                IoBudgetBytes = budget,
            },
            new BucketProviders(new MemoryBuckets()));

        Assert.Equal(slots ? 3 : null, pipeline.Processor.ConversionSlots?.CurrentCount);
        Assert.Equal(budget == 0 ? null : budget, pipeline.IoBudgetBytes);
    }

    [Fact]
    public void Open_MissingSourceFolder_ThrowsNamingTheSettingAndCreatesNothing()
    {
        var missing = Path.Combine(_dir.Path, "logpush");
        var options = new LogpushPipelineOptions
        {
            Source = missing,
            Target = Path.Combine(_dir.Path, "csv"),
            SettingNames = PipelineSettingNames.ForSection("LogpushKit"),
        };

        var ex = Assert.Throws<LogpushSettingException>(() => LogpushPipeline.Open(options));

        Assert.Equal($"LogpushKit:Source: the folder '{missing}' does not exist.", ex.Message);
        Assert.Equal("LogpushKit:Source", ex.Setting);
        Assert.False(Directory.Exists(missing));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "csv")), "the target was created before the source was checked");
    }

    [Fact]
    public void Open_MissingTargetFolder_CreatesIt()
    {
        var target = Path.Combine(_dir.Path, "csv", "deep");

        using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = _dir.Path, Target = target });

        Assert.True(Directory.Exists(target));
    }

    [Fact]
    public void Open_TargetCannotOpen_DisposesTheSourceAndNamesTheTarget()
    {
        var buckets = new MemoryBuckets { Refuse = "dst" };

        var ex = Assert.Throws<LogpushSettingException>(() => LogpushPipeline.Open(new LogpushPipelineOptions { Source = "r2://logs/a", Target = "r2://dst/b" }, buckets));

        Assert.Equal("Target", ex.Setting);
        Assert.True(buckets["logs"].Disposed);
    }

    [Fact]
    public async Task DisposeAsync_DisposesBothBuckets()
    {
        var buckets = new MemoryBuckets();
        var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = "r2://logs/a", Target = "r2://dst/b" }, buckets);

        await pipeline.DisposeAsync();

        Assert.True(buckets["logs"].Disposed);
        Assert.True(buckets["dst"].Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pipeline.ReconcileAsync());
    }

    [Theory]
    [InlineData("r2://logs/gw", "r2://logs", "{path}.log.gz")]
    [InlineData("r2://logs", "r2://logs", "{file}")]
    [InlineData("r2://logs/gw", "r2://logs/", "{dir}/{name}.log.gz")]
    public void Open_TemplateWritingOverTheSources_Refused(string source, string target, string template)
    {
        // bucket keys are the bucket's: a source folder filters them, a target folder is put in front of them
        var options = new LogpushPipelineOptions
        {
            Source = source,
            Target = target,
            TargetKeyTemplate = new TargetKeyTemplate(template),
            SettingNames = PipelineSettingNames.ForSection("LogpushKit"),
        };

        var ex = Assert.Throws<LogpushSettingException>(() => LogpushPipeline.Open(options, new MemoryBuckets()));

        Assert.Equal("LogpushKit:TargetKeyTemplate", ex.Setting);
    }

    [Theory]
    [InlineData("r2://logs/gw", "r2://logs/csv", "{path}.log.gz")] // csv/gw/...: another folder
    [InlineData("r2://logs/gw", "r2://logs/gw", "{path}.log.gz")] // gw/gw/...
    [InlineData("r2://logs/gw", "r2://other", "{path}.log.gz")] // another bucket
    [InlineData("r2://logs/gw", "r2://logs", "{path}.csv")]
    public void Open_TemplateBesideTheSources_Allowed(string source, string target, string template)
    {
        using var pipeline = LogpushPipeline.Open(
            new LogpushPipelineOptions { Source = source, Target = target, TargetKeyTemplate = new TargetKeyTemplate(template) },
            new MemoryBuckets());

        Assert.NotNull(pipeline.Processor);
    }

    [Fact]
    public async Task WatchAsync_BucketSource_ReconcilesPeriodicallyAndSurvivesAFailedPass()
    {
        var buckets = new MemoryBuckets();
        buckets.Add("logs", "a.log.gz", PipelineTestData.Ndjson(1, 1));
        await using var pipeline = LogpushPipeline.Open(
            new LogpushPipelineOptions { Source = "r2://logs", Target = "r2://dst", ReconcileInterval = TimeSpan.FromMilliseconds(50) },
            buckets);
        var reports = new ConcurrentQueue<PipelineProgress>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var progress = new Inline(p =>
        {
            reports.Enqueue(p);
            if (p.Kind == PipelineProgressKind.Watching)
            {
                buckets["logs"].FailLists = 1; // the next pass fails as a whole
            }

            if (p.Kind == PipelineProgressKind.ReconcileFailed)
            {
                buckets.Add("logs", "b.log.gz", PipelineTestData.Ndjson(1, 2));
            }

            if (p is { Kind: PipelineProgressKind.Reconciled, Summary.Converted: 1, IsFirstPass: false })
            {
                stop.Cancel();
            }
        });

        var summary = await pipeline.WatchAsync(progress, stop.Token);

        Assert.Equal(2, summary.Converted);
        Assert.Equal(1, summary.FailedPasses);
        Assert.Equal(["a.csv", "b.csv"], await buckets["dst"].KeysAsync());
        var failed = Assert.Single(reports, r => r.Kind == PipelineProgressKind.ReconcileFailed);
        Assert.Equal(TimeSpan.FromMilliseconds(50), failed.NextPassIn);
    }

    [Fact]
    public async Task WatchAsync_SourceFolderRemovedAfterOpen_ThrowsNamingTheSetting()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(source);
        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = source, Target = Path.Combine(_dir.Path, "csv") });
        Directory.Delete(source);

        var ex = await Assert.ThrowsAsync<LogpushSettingException>(() => pipeline.WatchAsync());

        Assert.Equal("Source", ex.Setting);
        Assert.False(Directory.Exists(source));
    }

    [Fact]
    public async Task ReconcileAsync_SourceFolderRemovedAfterOpen_OneLineNamingTheSetting()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(source);
        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions
        {
            Source = source,
            Target = Path.Combine(_dir.Path, "csv"),
            SettingNames = PipelineSettingNames.ForSection("LogpushKit"),
        });
        Directory.Delete(source);

        var ex = await Assert.ThrowsAsync<R2BucketException>(() => pipeline.ReconcileAsync());

        Assert.Equal($"LogpushKit:Source: the folder '{source}' does not exist any more (it did when the pipeline opened); a source folder is never created.", ex.Message);
        Assert.False(Directory.Exists(source));
    }

    [Fact]
    public async Task WatchAsync_FolderWatcherCannotReadAPart_CountedInTheSummaryAndShownInHealth()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(source);
        var buckets = new FaultyFolderBuckets();
        await using var pipeline = LogpushPipeline.Open(
            new LogpushPipelineOptions { Source = source, Target = Path.Combine(_dir.Path, "csv"), WatchDebounce = TimeSpan.FromMilliseconds(50) },
            buckets);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var progress = new Inline(p =>
        {
            if (p.Kind == PipelineProgressKind.Watching)
            {
                // after the first pass: the next listing (the watcher's scan of a folder moved in) cannot read a part
                buckets.Source!.IncompleteLists = 1;
                var moved = Path.Combine(_dir.Path, "moved");
                Directory.CreateDirectory(moved);
                File.WriteAllBytes(Path.Combine(moved, "a.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(1, 1)));
                Directory.Move(moved, Path.Combine(source, "moved"));
            }
        });

        var watching = pipeline.WatchAsync(progress, stop.Token);
        while (pipeline.Health.WatcherFailingSince is null || !File.Exists(Path.Combine(_dir.Path, "csv", "moved", "a.csv")))
        {
            await Task.Delay(25, stop.Token);
        }

        var during = pipeline.Health;
        await stop.CancelAsync();
        var summary = await watching;

        Assert.Equal(PipelineActivity.Watching, during.Activity);
        Assert.False(during.IsHealthy);
        Assert.Equal(1, during.WatcherFailures);
        Assert.Contains("'locked/' could not be read", during.WatcherLastError, StringComparison.Ordinal);
        Assert.Equal(1, summary.Converted);
        Assert.Equal(1, summary.Failed);
        Assert.Equal("locked/", Assert.Single(summary.Failures).SourceKey);
        Assert.Equal(PipelineActivity.Idle, pipeline.Health.Activity);
    }

    [Fact]
    public async Task WatchAsync_BadFilesThereAtTheStart_CountAttemptsFromTheFirstPassAndAreGivenUpOnce()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(source);
        foreach (var name in new[] { "bad1.log.gz", "bad2.log.gz" })
        {
            var path = Path.Combine(source, name);
            await File.WriteAllBytesAsync(path, CutShortGzip());
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        }

        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions
        {
            Source = source,
            Target = Path.Combine(_dir.Path, "csv"),
            WatchDebounce = TimeSpan.FromMilliseconds(50),
            MaxAttempts = 2,
        });
        var gaveUp = new ConcurrentQueue<(string Key, int Attempts)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var progress = new Inline(p =>
        {
            if (p.Kind == PipelineProgressKind.GaveUp)
            {
                gaveUp.Enqueue((p.Object!.SourceKey, p.Attempts));
            }
        });

        var watching = pipeline.WatchAsync(progress, stop.Token);
        while (gaveUp.Count < 2)
        {
            await Task.Delay(25, stop.Token); // the first pass's failure is attempt 1; the queue's retry after 1 s is attempt 2
        }

        await Task.Delay(1500, stop.Token); // nothing more while the files stay as they are
        var during = pipeline.Health;
        await stop.CancelAsync();
        var summary = await watching;

        Assert.Equal([("bad1.log.gz", 2), ("bad2.log.gz", 2)], gaveUp.OrderBy(g => g.Key, StringComparer.Ordinal));
        Assert.Equal(2, during.WatcherGivenUp);
        Assert.Equal(2, summary.GivenUp);
        Assert.Equal(2, summary.Failed); // per object
        Assert.Equal(4, summary.FailedAttempts); // two attempts each
        Assert.Equal(2, summary.Failures.Count);
    }

    [Fact]
    public async Task WatchAsync_PeriodicPassesBesideTheWatcher_DoNotRetryAGivenUpFileUntilItChanges()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(source);
        var target = Path.Combine(_dir.Path, "csv");
        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions
        {
            Source = source,
            Target = target,
            WatchDebounce = TimeSpan.FromMilliseconds(50),
            ReconcileInterval = TimeSpan.FromMilliseconds(100),
            MaxAttempts = 1,
        });
        var gaveUp = new ConcurrentQueue<string>();
        var passes = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var progress = new Inline(p =>
        {
            if (p.Kind == PipelineProgressKind.GaveUp)
            {
                gaveUp.Enqueue(p.Object!.SourceKey);
            }

            if (p is { Kind: PipelineProgressKind.Reconciled, IsFirstPass: false })
            {
                Interlocked.Increment(ref passes);
            }

            if (p.Kind == PipelineProgressKind.Watching)
            {
                File.WriteAllBytes(Path.Combine(source, "bad.log.gz"), CutShortGzip()); // arrives while watched
            }
        });

        var watching = pipeline.WatchAsync(progress, stop.Token);
        while (gaveUp.IsEmpty)
        {
            await Task.Delay(25, stop.Token);
        }

        var passesThen = Volatile.Read(ref passes);
        while (Volatile.Read(ref passes) < passesThen + 5)
        {
            await Task.Delay(25, stop.Token); // passes that would have retried it
        }

        var given = pipeline.Health.WatcherGivenUp;
        await File.WriteAllBytesAsync(Path.Combine(source, "bad.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        while (!File.Exists(Path.Combine(target, "bad.csv")))
        {
            await Task.Delay(25, stop.Token); // changed: taken again
        }

        await stop.CancelAsync();
        var summary = await watching;

        Assert.Equal(["bad.log.gz"], gaveUp);
        Assert.Equal(1, given);
        Assert.Equal(1, summary.FailedAttempts); // the one attempt; no pass tried it again
        Assert.Equal(0, summary.Failed); // per object: converted after it was rewritten
        Assert.Equal(0, summary.GivenUp); // no longer given up: its file changed and was converted
        Assert.Equal(1, summary.Converted);
        Assert.Equal(PipelineTestData.ExpectedCsv(2), await File.ReadAllTextAsync(Path.Combine(target, "bad.csv")));
    }

    [Fact]
    public async Task ConsumeAsync_EventsAndFirstPass_ConvertOnceWithTheSameProcessor()
    {
        var buckets = new MemoryBuckets();
        buckets.Add("logs", "a.log.gz", PipelineTestData.Ndjson(1, 1));
        await using var pipeline = LogpushPipeline.Open(new LogpushPipelineOptions { Source = "r2://logs", Target = "r2://dst" }, buckets);
        var queue = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(50));
        var info = await buckets["logs"].HeadAsync("a.log.gz");
        queue.Enqueue(PipelineTestData.Event("logs", "a.log.gz", info!.ETag, info.Size));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var progress = new Inline(p =>
        {
            if (p.Kind == PipelineProgressKind.Running && p.Summary.Objects >= 1)
            {
                stop.Cancel();
            }
        });

        var summary = await pipeline.ConsumeAsync(queue, new LogpushQueueConsumerOptions { IdleDelay = TimeSpan.Zero }, progress, stop.Token);

        Assert.Equal(1, summary.Converted);
        Assert.Equal(1, summary.SkippedDuplicate); // the pass or the event, whichever came second, found it up to date
        Assert.Equal(["a.csv"], await buckets["dst"].KeysAsync());
    }

    [Fact]
    public void PipelineSummary_Plus_AddsEveryCountAndKeepsAtMostTheFailureLimit()
    {
        // every counter, found by reflection, so a counter added later cannot be left out of the sum
        var counters = typeof(PipelineSummary).GetProperties().Where(p => p.PropertyType == typeof(long) && p.CanWrite).ToArray();
        Assert.Contains(counters, p => p.Name == nameof(PipelineSummary.LeftoversRemoved));
        var failure = new ObjectProcessingResult(ObjectProcessingStatus.Failed, "k") { Reason = "r" };
        var a = new PipelineSummary { Elapsed = TimeSpan.FromSeconds(1), Failures = [.. Enumerable.Repeat(failure, 60)] };
        var b = new PipelineSummary { Elapsed = TimeSpan.FromSeconds(2), Failures = [.. Enumerable.Repeat(failure, 60)] };
        for (var i = 0; i < counters.Length; i++)
        {
            counters[i].SetValue(a, (long)(i + 1));
            counters[i].SetValue(b, (long)(100 * (i + 1)));
        }

        var sum = a + b + PipelineSummary.Empty;

        foreach (var (counter, i) in counters.Select((c, i) => (c, i)))
        {
            Assert.True((long)counter.GetValue(sum)! == 101L * (i + 1), counter.Name);
        }

        Assert.Equal(TimeSpan.FromSeconds(3), sum.Elapsed);
        Assert.Equal(PipelineSummary.MaxFailuresKept, sum.Failures.Count);
        Assert.Equal(sum.Converted, PipelineSummary.Add(a, b).Converted);
    }

    /// <summary>A gzip stream cut short: bad data on every attempt.</summary>
    private static byte[] CutShortGzip()
    {
        var whole = PipelineTestData.Gzip(PipelineTestData.Ndjson(50));
        return whole[..(whole.Length / 2)];
    }

    private sealed class Inline(Action<PipelineProgress> report) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => report(value);
    }

    /// <summary>Local folders, the source wrapped so that its next listings can be made to miss an unreadable part.</summary>
    private sealed class FaultyFolderBuckets : IBucketProvider
    {
        public MemoryBuckets.TrackedBucket? Source { get; private set; }

        public bool CanOpen(BucketLocation location) => location.Kind == BucketLocationKind.FileSystem;

        public IR2Bucket Open(BucketRequest request)
        {
            var bucket = FolderBucketProvider.Instance.Open(request);
            return request.Role == BucketRole.Source ? Source = new MemoryBuckets.TrackedBucket(bucket) : bucket;
        }
    }
}
