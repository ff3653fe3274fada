using System.Text;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.Storage;
using LogpushKit.Transform;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// Issue 10's "nothing silent" classes at the processor: a target that is the source, two sources on one target, a race
/// with another process, keys with control characters, typed bucket exceptions.
/// </summary>
public sealed partial class LogpushObjectProcessorTests
{
    [Theory]
    [InlineData("{path}.log.gz")]
    [InlineData("{dir}/{file}")]
    public async Task ProcessAsync_TemplateMapsKeyOntoItselfInTheSameBucket_FailsAndLeavesSourceUntouched(string template)
    {
        var shared = new TestBucket("one");
        var original = PipelineTestData.Gzip(PipelineTestData.Ndjson(5));
        shared.Add("logs/a.log.gz", original);
        var processor = new LogpushObjectProcessor(shared, shared, new LogpushObjectProcessorOptions { TargetKeyTemplate = new TargetKeyTemplate(template) });

        var result = await processor.ProcessAsync("logs/a.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        var conflict = Assert.IsType<TargetConflictException>(result.Exception);
        Assert.Equal("logs/a.log.gz", conflict.TargetKey);
        Assert.Contains("is the source object 'logs/a.log.gz' itself", result.Reason, StringComparison.Ordinal);
        Assert.Equal(original, shared.Read("logs/a.log.gz"));
        Assert.Equal(0, shared.Puts);
        Assert.Equal(0, shared.Gets);
    }

    [Fact]
    public async Task ProcessAsync_SourceFolderOpenedTwiceThroughALink_TargetIsTheSourceFile_FailsAndLeavesItUntouched()
    {
        using var folder = new TempDirectory("self");
        var data = Path.Combine(folder.Path, "data");
        Directory.CreateDirectory(Path.Combine(data, "gw"));
        var original = PipelineTestData.Gzip(PipelineTestData.Ndjson(5));
        await File.WriteAllBytesAsync(Path.Combine(data, "gw", "x.log.gz"), original);
        var link = Path.Combine(folder.Path, "same");
        Directory.CreateSymbolicLink(link, data);
        var processor = new LogpushObjectProcessor(
            new FileSystemBucket(data),
            new FileSystemBucket(link + "/"),
            new LogpushObjectProcessorOptions { TargetKeyTemplate = new TargetKeyTemplate("{path}.log.gz") });

        var summary = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(1, summary.Failed);
        Assert.Equal(0, summary.Converted);
        Assert.IsType<TargetConflictException>(Assert.Single(summary.Failures).Exception);
        Assert.Equal(original, await File.ReadAllBytesAsync(Path.Combine(data, "gw", "x.log.gz")));
        Assert.Equal(["x.log.gz"], Directory.GetFiles(Path.Combine(data, "gw")).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public async Task ProcessAsync_TargetWouldBeAnotherSourceObject_FailsAndWritesNothing()
    {
        using var folder = new TempDirectory("domain");
        Directory.CreateDirectory(Path.Combine(folder.Path, "gw"));
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "gw", "x.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        var bucket = new FileSystemBucket(folder.Path);
        var processor = new LogpushObjectProcessor(bucket, new FileSystemBucket(folder.Path), new LogpushObjectProcessorOptions
        {
            TargetKeyTemplate = new TargetKeyTemplate("{dir}/converted-{file}"),
        });

        var result = await processor.ProcessAsync("gw/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Contains("a key the source filter takes as a Logpush object", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["x.log.gz"], Directory.GetFiles(Path.Combine(folder.Path, "gw")).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public async Task ProcessAsync_TargetFolderInsideTheSourceFolder_CsvTargetsAreAllowed()
    {
        using var folder = new TempDirectory("nested");
        Directory.CreateDirectory(Path.Combine(folder.Path, "gw"));
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "gw", "x.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        var processor = new LogpushObjectProcessor(new FileSystemBucket(folder.Path), new FileSystemBucket(Path.Combine(folder.Path, "csv")));

        var first = await new LogpushReconciler(processor).RunAsync();
        var second = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(1, first.Converted);
        Assert.Equal(0, first.Failed);
        Assert.Equal(PipelineTestData.ExpectedCsv(2), await File.ReadAllTextAsync(Path.Combine(folder.Path, "csv", "gw", "x.csv")));
        Assert.Equal(0, second.Converted);
        Assert.Equal(0, second.Failed);
    }

    [Fact]
    public async Task ProcessAsync_CaseInsensitiveStore_TargetDifferingFromTheSourceOnlyInCase_Fails()
    {
        var store = new R2BucketIdentity("file:///Volumes/logs/", IgnoresKeyCase: true);
        var source = new TestBucket("logs") { Identity = store };
        var target = new TestBucket("logs") { Identity = store };
        source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { TargetKeyTemplate = new TargetKeyTemplate("{path}.LOG.GZ") });

        var result = await processor.ProcessAsync("a.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.IsType<TargetConflictException>(result.Exception);
        Assert.Equal(0, target.Puts);
    }

    [Fact]
    public async Task Reconcile_CaseVariantSourcesMapToOneTarget_SecondFailsNamingBoth_FirstIsKeptOnEveryRun()
    {
        _source.Add("gw/x.LOG.GZ", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, seed: 1)));
        _source.Add("gw/x.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, seed: 2)));
        var reconciler = new LogpushReconciler(Processor());

        var first = await reconciler.RunAsync(new ReconcileOptions { MaxConcurrency = 2 });
        var kept = _target.ReadText("gw/x.csv");
        var second = await reconciler.RunAsync(new ReconcileOptions { MaxConcurrency = 2 });
        var third = await reconciler.RunAsync(new ReconcileOptions { MaxConcurrency = 2 });

        Assert.Equal((1, 1), (first.Converted, first.Failed));
        var failure = Assert.Single(first.Failures);
        var conflict = Assert.IsType<TargetConflictException>(failure.Exception);
        var winner = conflict.OtherSourceKey!;
        Assert.Contains(winner, new[] { "gw/x.LOG.GZ", "gw/x.log.gz" });
        Assert.NotEqual(winner, failure.SourceKey);
        Assert.Contains($"'{failure.SourceKey}'", failure.Reason, StringComparison.Ordinal);
        Assert.Contains($"'{winner}'", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(PipelineTestData.ExpectedCsv(1, seed: winner == "gw/x.LOG.GZ" ? 1 : 2), kept);
        foreach (var run in new[] { second, third })
        {
            Assert.Equal((0, 1, 1), (run.Converted, run.SkippedDuplicate, run.Failed));
            Assert.Equal(failure.SourceKey, Assert.Single(run.Failures).SourceKey);
        }

        Assert.Equal(kept, _target.ReadText("gw/x.csv"));
        Assert.Equal(1, _target.Writes);
    }

    [Fact]
    public async Task Reconcile_TemplateDropsTheFolder_TwoSourcesOneTarget_IsACollisionAcrossRunsNotStale()
    {
        _source.Add("a/x.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, seed: 1)));
        var options = new LogpushObjectProcessorOptions { TargetKeyTemplate = new TargetKeyTemplate("{name}.csv") };
        var firstRun = await new LogpushReconciler(Processor(options)).RunAsync();
        _source.Add("b/x.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, seed: 2)));

        // a later run, by another processor (another process): b/x.log.gz now maps onto a/x.log.gz's target
        var secondRun = await new LogpushReconciler(Processor(options)).RunAsync();

        Assert.Equal(1, firstRun.Converted);
        Assert.Equal((0, 1, 1), (secondRun.Converted, secondRun.SkippedDuplicate, secondRun.Failed));
        var failure = Assert.Single(secondRun.Failures);
        Assert.Equal("b/x.log.gz", failure.SourceKey);
        Assert.Equal("a/x.log.gz", Assert.IsType<TargetConflictException>(failure.Exception).OtherSourceKey);
        Assert.Equal(PipelineTestData.ExpectedCsv(1, seed: 1), _target.ReadText("x.csv"));
    }

    [Fact]
    public async Task ProcessAsync_AnotherProcessWritesTheTargetFirst_SkipsAsConvertedByAnotherProcessAndWritesNothing()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        var etag = _source.Info("a.log.gz").ETag;
        var theirs = Encoding.UTF8.GetBytes(PipelineTestData.ExpectedCsv(3));
        _target.OnPut = key =>
        {
            // the other process commits between our look at the target and our commit
            _target.OnPut = null;
            _target.Add(key, theirs, Provenance("logpush", "a.log.gz", etag));
        };

        var result = await Processor().ProcessAsync("a.log.gz", etag);

        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, result.Status);
        Assert.Equal("converted by another process", result.Reason);
        Assert.Equal(0, _target.Writes);
        Assert.Equal(theirs, _target.Read("a.csv"));
    }

    [Fact]
    public async Task ProcessAsync_AnotherSourceTakesTheTargetDuringConversion_FailsAsACollision()
    {
        _source.Add("a/x.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        _target.OnPut = key =>
        {
            _target.OnPut = null;
            _target.Add(key, [1, 2, 3], Provenance("logpush", "b/x.log.gz", "0123"));
        };

        var result = await Processor(new LogpushObjectProcessorOptions { TargetKeyTemplate = new TargetKeyTemplate("{name}.csv") }).ProcessAsync("a/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Equal("b/x.log.gz", Assert.IsType<TargetConflictException>(result.Exception).OtherSourceKey);
        Assert.Equal([1, 2, 3], _target.Read("x.csv"));
    }

    [Fact]
    public async Task ProcessAsync_StaleTargetReplacedByAnotherProcessMeanwhile_DoesNotOverwriteIt()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        var etag = _source.Info("a.log.gz").ETag;
        _target.Add("a.csv", [9], Provenance("logpush", "a.log.gz", "old-etag"));
        var theirs = Encoding.UTF8.GetBytes(PipelineTestData.ExpectedCsv(3));
        _target.OnPut = key =>
        {
            _target.OnPut = null;
            _target.Add(key, theirs, Provenance("logpush", "a.log.gz", etag));
        };

        var result = await Processor().ProcessAsync("a.log.gz", etag);

        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, result.Status);
        Assert.Equal("converted by another process", result.Reason);
        Assert.Equal(theirs, _target.Read("a.csv"));
    }

    [Fact]
    public async Task ProcessAsync_TwoProcessorsOnOneFolderTarget_EachTargetIsWrittenOnce()
    {
        // Two processors with their own bucket instances stand for two processes: each instance holds its own
        // operating-system locks, which exclude each other even within one process.
        using var folder = new TempDirectory("race");
        var sourceFolder = Path.Combine(folder.Path, "src");
        for (var i = 0; i < 12; i++)
        {
            Directory.CreateDirectory(Path.Combine(sourceFolder, "gw"));
            await File.WriteAllBytesAsync(Path.Combine(sourceFolder, "gw", $"{i:D2}.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(20_000, seed: i)));
        }

        var sources = new[] { new CountingFolderBucket(sourceFolder), new CountingFolderBucket(sourceFolder) };
        var targets = new[] { new CountingFolderBucket(Path.Combine(folder.Path, "out")), new CountingFolderBucket(Path.Combine(folder.Path, "out")) };
        var runs = sources.Zip(targets, (s, t) => new LogpushReconciler(new LogpushObjectProcessor(s, t)).RunAsync(new ReconcileOptions { MaxConcurrency = 2 })).ToArray();

        var summaries = await Task.WhenAll(runs);

        // converted once: the process that waited for the lock found the target done and did not even read the source
        Assert.Equal(12, sources.Sum(s => s.Gets));
        Assert.Equal(12, summaries.Sum(s => s.Converted));
        Assert.Equal(12, summaries.Sum(s => s.SkippedDuplicate));
        Assert.Equal(0, summaries.Sum(s => s.Failed));
        Assert.Equal(12, targets.Sum(t => t.Writes));
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(PipelineTestData.ExpectedCsv(20_000, seed: i), await File.ReadAllTextAsync(Path.Combine(folder.Path, "out", "gw", $"{i:D2}.csv")));
        }
    }

    [Fact]
    public async Task ProcessAsync_TargetWithoutConditionalPuts_PutsUnconditionallyAndWarnsOnce()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        var target = new MinimalBucket(new InMemoryBucket("plain"));
        var logger = new ListLogger<LogpushObjectProcessor>();
        var processor = new LogpushObjectProcessor(_source, target, logger: logger);

        var a = await processor.ProcessAsync("a.log.gz");
        var b = await processor.ProcessAsync("b.log.gz");

        Assert.Equal((ObjectProcessingStatus.Converted, ObjectProcessingStatus.Converted), (a.Status, b.Status));
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("has no conditional puts", warning.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(MinimalBucket), warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_KeyWithControlCharacters_ReasonAndLogLinesShowItEscaped()
    {
        const string key = "gw/evil\n2024-01-01 INFO forged\u001b[31m.log.gz";
        _source.Add(key, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        var logger = new ListLogger<LogpushObjectProcessor>();

        var result = await new LogpushObjectProcessor(_source, _target, logger: logger).ProcessAsync(key);

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Equal(key, result.SourceKey);
        Assert.Contains(ObjectKeyText.Escape(key), result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Reason!, char.IsControl);
        var line = Assert.Single(logger.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains(@"gw/evil\n2024-01-01 INFO forged\u001b[31m.log.gz", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(line.Message, char.IsControl);
    }

    [Fact]
    public async Task ProcessAsync_PutFailsMidStream_TheBucketExceptionPassesThroughUnwrapped()
    {
        _source.Add("big.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(50_000)));
        _target.FailPutAfterBytes = _ => 100_000;

        var result = await Processor().ProcessAsync("big.log.gz");

        var bucketError = Assert.IsType<R2BucketException>(result.Exception);
        Assert.Equal("injected put failure", bucketError.Message);
        Assert.Equal("big.csv", bucketError.Key);
        Assert.Equal(500, bucketError.StatusCode);
        Assert.Contains("HTTP 500", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_QuarantinePutFails_TheBucketExceptionPassesThroughAndNoCsvIsLeft()
    {
        _source.Add("q/x.log.gz", PipelineTestData.Gzip("{\"a\":1}\nbroken\n"));
        _target.FailPutAfterBytes = key => key.EndsWith(".quarantine", StringComparison.Ordinal) ? 1 : null;
        var options = new LogpushObjectProcessorOptions { Transform = TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine } };

        var result = await Processor(options).ProcessAsync("q/x.log.gz");

        Assert.Equal("q/x.csv.quarantine", Assert.IsType<R2BucketException>(result.Exception).Key);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_OneUnreadableSource_IsAFailureNamingItAndTheReconcileGoesOn()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("b.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.Add("c.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _source.FailGet = key => key == "b.log.gz" ? new R2BucketException("could not read 'b.log.gz': Permission denied", "logpush", key) : null;

        var summary = await new LogpushReconciler(Processor()).RunAsync();

        Assert.Equal((2, 1), (summary.Converted, summary.Failed));
        var failure = Assert.Single(summary.Failures);
        Assert.Equal("b.log.gz", failure.SourceKey);
        Assert.Contains("Permission denied", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(["a.csv", "c.csv"], _target.Keys);
    }

    private static Dictionary<string, string> Provenance(string bucket, string key, string etag) => new(StringComparer.Ordinal)
    {
        [ProvenanceMetadata.SourceBucket] = Uri.EscapeDataString(bucket),
        [ProvenanceMetadata.SourceKey] = Uri.EscapeDataString(key),
        [ProvenanceMetadata.SourceETag] = etag,
    };

    /// <summary>A folder bucket that counts the puts that stored an object.</summary>
    private sealed class CountingFolderBucket(string root) : IR2Bucket
    {
        private readonly FileSystemBucket _inner = new(root);
        private int _writes;
        private int _gets;

        public int Writes => Volatile.Read(ref _writes);

        public int Gets => Volatile.Read(ref _gets);

        public string Name => _inner.Name;

        public R2BucketIdentity? Identity => _inner.Identity;

        public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => _inner.HeadAsync(key, cancellationToken);

        public Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _gets);
            return _inner.GetAsync(key, range, cancellationToken);
        }

        public async Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default)
        {
            var stored = await _inner.PutAsync(key, content, options, cancellationToken);
            Interlocked.Increment(ref _writes);
            return stored;
        }

        public async Task<R2ObjectInfo?> PutIfAsync(string key, Stream content, R2Conditional condition, R2PutOptions? options = null, CancellationToken cancellationToken = default)
        {
            var stored = await _inner.PutIfAsync(key, content, condition, options, cancellationToken);
            if (stored is not null)
            {
                Interlocked.Increment(ref _writes);
            }

            return stored;
        }

        public ValueTask<IAsyncDisposable?> LockAsync(string key, CancellationToken cancellationToken = default) => ((IR2Bucket)_inner).LockAsync(key, cancellationToken);

        public IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, CancellationToken cancellationToken = default) => _inner.ListAsync(options, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => _inner.DeleteAsync(key, cancellationToken);
    }
}
