using System.Text;
using LogpushKit.Events;
using LogpushKit.Pipeline;
using LogpushKit.Testing;
using LogpushKit.Testing.Streams;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Pipeline;

public sealed partial class LogpushObjectProcessorTests
{
    private readonly TestBucket _source = new("logpush");
    private readonly TestBucket _target = new("csv");

    private LogpushObjectProcessor Processor(LogpushObjectProcessorOptions? options = null) => new(_source, _target, options);

    [Theory]
    [InlineData("logs/a.log.gz", null)]
    [InlineData("logs/ownership-challenge.txt", "control object")]
    [InlineData("logs/a.csv", "output of this pipeline")]
    [InlineData("logs/a.log", "suffix")]
    [InlineData("logs/", "folder marker")]
    [InlineData("other/a.log.gz", "prefix")]
    public void GetFilterReason_Key_AcceptsOnlyLogBatchesUnderPrefix(string key, string? reasonPart)
    {
        var reason = Processor(new LogpushObjectProcessorOptions { Prefix = "logs/" }).GetFilterReason(key);
        if (reasonPart is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("logs/test.txt.gz")]
    [InlineData("logs/ownership-challenge.txt")]
    [InlineData("logs/x.log.gz.quarantine")]
    public void GetFilterReason_EmptySuffix_StillSkipsLogpushControlObjectsAndOutputs(string key)
        => Assert.NotNull(Processor(new LogpushObjectProcessorOptions { Suffix = string.Empty }).GetFilterReason(key));

    [Fact]
    public async Task ProcessAsync_NewObject_WritesExactCsvWithProvenance()
    {
        _source.Add(PipelineTestData.SampleKey, PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        var etag = _source.Info(PipelineTestData.SampleKey).ETag;

        var result = await Processor().ProcessAsync(PipelineTestData.Event("logpush", PipelineTestData.SampleKey, etag));

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        const string targetKey = "logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.csv";
        Assert.Equal(targetKey, result.TargetKey);
        Assert.Equal(3, result.Rows);
        Assert.Equal(PipelineTestData.ExpectedCsv(3), _target.ReadText(targetKey));
        var info = _target.Info(targetKey);
        Assert.Equal("text/csv; charset=utf-8", info.ContentType);
        Assert.Equal(etag, info.CustomMetadata[ProvenanceMetadata.SourceETag]);
        Assert.Equal(PipelineTestData.SampleKey, Uri.UnescapeDataString(info.CustomMetadata[ProvenanceMetadata.SourceKey]));
        Assert.Equal("logpush", info.CustomMetadata[ProvenanceMetadata.SourceBucket]);
        Assert.StartsWith("LogpushKit/", info.CustomMetadata[ProvenanceMetadata.Converter], StringComparison.Ordinal);
        Assert.Single(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_UnicodeKey_MetadataIsAsciiAndRoundTrips()
    {
        const string key = "journaux/2024.08/données 日志 ünï.log.gz";
        _source.Add(key, PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));

        var result = await Processor().ProcessAsync(key);

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        Assert.Equal("journaux/2024.08/données 日志 ünï.csv", result.TargetKey);
        var stored = _target.Info(result.TargetKey!).CustomMetadata[ProvenanceMetadata.SourceKey];
        Assert.True(stored.All(char.IsAscii));
        Assert.Equal(key, Uri.UnescapeDataString(stored));
    }

    [Fact]
    public async Task ProcessAsync_SameETagTwice_SkipsWithoutReadingSource()
    {
        _source.Add(PipelineTestData.SampleKey, PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        var notification = PipelineTestData.Event("logpush", PipelineTestData.SampleKey, _source.Info(PipelineTestData.SampleKey).ETag);
        var processor = Processor();
        await processor.ProcessAsync(notification);
        var before = _target.Info("logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.csv");

        var second = await processor.ProcessAsync(notification);

        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, second.Status);
        Assert.Equal(1, _source.Gets);
        Assert.Equal(1, _target.Puts);
        var after = _target.Info("logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.csv");
        Assert.Equal((before.ETag, before.LastModified), (after.ETag, after.LastModified));
    }

    [Fact]
    public async Task ProcessAsync_SameObjectConcurrently_ConvertsOnceAndSkipsTheOther()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(50)));
        var notification = PipelineTestData.Event("logpush", "a.log.gz", _source.Info("a.log.gz").ETag);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.GetGate = gate;
        var processor = Processor();

        var first = processor.ProcessAsync(notification);
        var second = processor.ProcessAsync(notification);
        await Task.Delay(50);
        gate.SetResult();
        var results = await Task.WhenAll(first, second);

        Assert.Equal([ObjectProcessingStatus.Converted, ObjectProcessingStatus.SkippedDuplicate], results.Select(r => r.Status).Order());
        Assert.Equal(1, _target.Puts);
    }

    [Fact]
    public async Task ProcessAsync_KeyWithoutETag_ReadsSourceThenSkipsUpToDateTarget()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        var processor = Processor();
        await processor.ProcessAsync("a.log.gz");

        var second = await processor.ProcessAsync("a.log.gz");

        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, second.Status);
        Assert.Equal(1, _target.Puts);
    }

    [Fact]
    public async Task ProcessAsync_QuotedETagInEvent_MatchesRecordedETag()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        var etag = _source.Info("a.log.gz").ETag;
        var processor = Processor();
        await processor.ProcessAsync("a.log.gz");

        var second = await processor.ProcessAsync(PipelineTestData.Event("logpush", "a.log.gz", "\"" + etag + "\""));

        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, second.Status);
        Assert.Equal(1, _source.Gets);
    }

    [Fact]
    public async Task ProcessAsync_SourceOverwrittenWithNewETag_ConvertsAgain()
    {
        var processor = Processor();
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(2, seed: 1)));
        await processor.ProcessAsync(PipelineTestData.Event("logpush", "a.log.gz", _source.Info("a.log.gz").ETag));
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(5, seed: 2)));
        var newETag = _source.Info("a.log.gz").ETag;

        var result = await processor.ProcessAsync(PipelineTestData.Event("logpush", "a.log.gz", newETag));

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        Assert.Equal(PipelineTestData.ExpectedCsv(5, seed: 2), _target.ReadText("a.csv"));
        Assert.Equal(newETag, _target.Info("a.csv").CustomMetadata[ProvenanceMetadata.SourceETag]);
    }

    [Theory]
    [InlineData(R2EventAction.DeleteObject)]
    [InlineData(R2EventAction.LifecycleDeletion)]
    [InlineData(R2EventAction.Unknown)]
    public async Task ProcessAsync_NotObjectCreate_SkippedFiltered(R2EventAction action)
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var notification = action == R2EventAction.Unknown
            ? PipelineTestData.Event("logpush", "a.log.gz", null) with { ActionName = "ObjectRestored" }
            : PipelineTestData.Event("logpush", "a.log.gz", null, action: action);

        var result = await Processor().ProcessAsync(notification);

        Assert.Equal(ObjectProcessingStatus.SkippedFiltered, result.Status);
        Assert.Contains(notification.ActionName, result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _source.Gets);
        Assert.Empty(_target.Keys);
    }

    [Theory]
    [InlineData(R2EventAction.CopyObject)]
    [InlineData(R2EventAction.CompleteMultipartUpload)]
    public async Task ProcessAsync_OtherCreateActions_Convert(R2EventAction action)
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));

        var result = await Processor().ProcessAsync(PipelineTestData.Event("logpush", "a.log.gz", null, action: action));

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
    }

    [Fact]
    public async Task ProcessAsync_OtherBucket_SkippedFiltered()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));

        var result = await Processor().ProcessAsync(PipelineTestData.Event("another-bucket", "a.log.gz", null));

        Assert.Equal(ObjectProcessingStatus.SkippedFiltered, result.Status);
        Assert.Contains("another-bucket", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_OwnershipChallenge_SkippedFilteredAndCounted()
    {
        _source.Add("logs/ownership-challenge.txt", Encoding.UTF8.GetBytes("jwt"));
        var statistics = new PipelineStatistics();

        statistics.Add(await Processor().ProcessAsync(PipelineTestData.Event("logpush", "logs/ownership-challenge.txt", "e")));

        Assert.Equal(1, statistics.Snapshot().SkippedFiltered);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_MissingSource_SkippedNotFound()
    {
        var result = await Processor().ProcessAsync(PipelineTestData.Event("logpush", "gone.log.gz", "abc"));

        Assert.Equal(ObjectProcessingStatus.SkippedNotFound, result.Status);
        Assert.Contains("gone.log.gz", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_CorruptGzip_FailsNamingKeyAndLeavesNoTarget()
    {
        var data = PipelineTestData.Gzip(PipelineTestData.Ndjson(2000));
        var truncated = data[..(data.Length / 2)];
        _source.Add("bad/x.log.gz", truncated);

        var result = await Processor().ProcessAsync("bad/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Equal("bad/x.log.gz", result.SourceKey);
        Assert.Contains("bad/x.log.gz", result.Reason, StringComparison.Ordinal);
        Assert.IsType<LogpushDataException>(result.Exception);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_MalformedLineWithFailPolicy_FailsWithLineNumberAndNoTarget()
    {
        _source.Add("x.log.gz", PipelineTestData.Gzip("{\"a\":1}\n{\"a\":\n{\"a\":3}\n"));

        var result = await Processor().ProcessAsync("x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Equal(2, Assert.IsType<LogpushDataException>(result.Exception).LineNumber);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_QuarantinePolicy_WritesSideObjectNextToTarget()
    {
        _source.Add("q/x.log.gz", PipelineTestData.Gzip("{\"a\":1}\nnot json\n{\"a\":3}\n"));
        var options = new LogpushObjectProcessorOptions { Transform = TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine } };

        var result = await Processor(options).ProcessAsync("q/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        Assert.Equal("q/x.csv.quarantine", result.QuarantineKey);
        Assert.Equal("a\n1\n3\n", _target.ReadText("q/x.csv"));
        Assert.Contains("not json", _target.ReadText("q/x.csv.quarantine"), StringComparison.Ordinal);
        Assert.Equal(1, result.Transform!.BadLines);
    }

    [Fact]
    public async Task ProcessAsync_QuarantinePolicyCleanObject_WritesNoSideObject()
    {
        _source.Add("q/x.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        var options = new LogpushObjectProcessorOptions { Transform = TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine } };

        var result = await Processor(options).ProcessAsync("q/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        Assert.Null(result.QuarantineKey);
        Assert.Equal(["q/x.csv"], _target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_ReconvertedCleanObject_RemovesStaleQuarantine()
    {
        var options = new LogpushObjectProcessorOptions { Transform = TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine } };
        var processor = Processor(options);
        _source.Add("q/x.log.gz", PipelineTestData.Gzip("{\"a\":1}\nbroken\n"));
        await processor.ProcessAsync("q/x.log.gz");
        Assert.Contains("q/x.csv.quarantine", _target.Keys);
        _source.Add("q/x.log.gz", PipelineTestData.Gzip("{\"a\":1}\n{\"a\":2}\n"));

        var result = await processor.ProcessAsync("q/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        Assert.Equal(["q/x.csv"], _target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_PutFailsMidStream_FailsAndLeavesNoTarget()
    {
        _source.Add("big.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(50_000)));
        _target.FailPutAfterBytes = _ => 100_000;

        var result = await Processor().ProcessAsync("big.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Contains("injected put failure", result.Reason, StringComparison.Ordinal);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_QuarantinePutFails_RemovesCsvSoARetryConvertsAgain()
    {
        _source.Add("q/x.log.gz", PipelineTestData.Gzip("{\"a\":1}\nbroken\n"));
        _target.FailPutAfterBytes = key => key.EndsWith(".quarantine", StringComparison.Ordinal) ? 1 : null;
        var options = new LogpushObjectProcessorOptions { Transform = TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine } };

        var result = await Processor(options).ProcessAsync("q/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, result.Status);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_Cancelled_ThrowsAndLeavesNoTarget()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(10)));
        _source.GetGate = new TaskCompletionSource();
        using var cts = new CancellationTokenSource();
        var task = Processor().ProcessAsync("a.log.gz", null, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task ProcessAsync_LargeObject_PutReadsBeforeSourceIsFullyRead()
    {
        // streaming, not buffering: the target receives CSV bytes while most of the source is still unread
        var data = PipelineTestData.Gzip(PipelineTestData.Ndjson(400_000));
        _source.Add("big.log.gz", data);
        var probe = new StreamingProbe(_source, _target);
        var processor = new LogpushObjectProcessor(probe.Source, probe.Target);

        var result = await processor.ProcessAsync("big.log.gz");

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        Assert.Equal(400_000, result.Rows);
        Assert.Equal(PipelineTestData.ExpectedCsv(400_000), _target.ReadText("big.csv"));
        Assert.True(probe.SourceBytesAtFirstPutRead < data.Length / 2, $"{probe.SourceBytesAtFirstPutRead} of {data.Length} source bytes were read before the put got its first byte");
    }

    [Fact]
    public async Task ProcessAsync_SourceAndTargetSameBucket_SecondPassSkipsOutputs()
    {
        var shared = new TestBucket("one");
        shared.Add("logs/a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        var processor = new LogpushObjectProcessor(shared, shared, new LogpushObjectProcessorOptions { Suffix = string.Empty });

        var reconcile = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(1, reconcile.Converted);
        Assert.Equal(["logs/a.csv", "logs/a.log.gz"], shared.Keys);
    }

    private sealed class StreamingProbe
    {
        private long _sourceBytes;

        public StreamingProbe(TestBucket source, TestBucket target)
        {
            Source = new Wrapper(source, this, isSource: true);
            Target = new Wrapper(target, this, isSource: false);
        }

        public LogpushKit.Storage.IR2Bucket Source { get; }

        public LogpushKit.Storage.IR2Bucket Target { get; }

        public long SourceBytesAtFirstPutRead { get; private set; } = -1;

        private sealed class Wrapper(TestBucket inner, StreamingProbe probe, bool isSource) : LogpushKit.Storage.IR2Bucket
        {
            public string Name => inner.Name;

            public Task<LogpushKit.Storage.R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

            public async Task<LogpushKit.Storage.R2ObjectBody?> GetAsync(string key, LogpushKit.Storage.R2Range? range = null, CancellationToken cancellationToken = default)
            {
                var body = await inner.GetAsync(key, range, cancellationToken);
                return body is null || !isSource ? body : new LogpushKit.Storage.R2ObjectBody(body.Info, new ObservingStream(body.Body, n => Interlocked.Add(ref probe._sourceBytes, n)));
            }

            public Task<LogpushKit.Storage.R2ObjectInfo> PutAsync(string key, Stream content, LogpushKit.Storage.R2PutOptions? options = null, CancellationToken cancellationToken = default)
                => inner.PutAsync(key, new ObservingStream(content, n =>
                {
                    if (probe.SourceBytesAtFirstPutRead < 0 && n > 0)
                    {
                        probe.SourceBytesAtFirstPutRead = Interlocked.Read(ref probe._sourceBytes);
                    }
                }), options, cancellationToken);

            public IAsyncEnumerable<LogpushKit.Storage.R2ListItem> ListAsync(LogpushKit.Storage.R2ListOptions? options = null, CancellationToken cancellationToken = default) => inner.ListAsync(options, cancellationToken);

            public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
        }
    }
}
