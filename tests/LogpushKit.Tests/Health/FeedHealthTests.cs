using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Health;
using LogpushKit.Pipeline;
using LogpushKit.State;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using Microsoft.Extensions.Time.Testing;

namespace LogpushKit.Tests.Health;

/// <summary>
/// <see cref="FeedHealth"/> over in-memory buckets and a fake clock: unconverted objects (overdue or pending), what counts
/// as converted (provenance, or a state store), the newest window per dataset, failures, jobs and the JSON shape.
/// </summary>
public sealed class FeedHealthTests
{
    private const string OldKey = "logs/gateway_http/20261127/20261127T000000Z_20261127T000100Z_0000aaaa.log.gz";
    private const string NewKey = "logs/gateway_http/20261128/20261128T005800Z_20261128T005900Z_0000bbbb.log.gz";
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 0, 2, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryBucket _source;
    private readonly InMemoryBucket _target;
    private readonly LogpushObjectProcessor _processor;

    public FeedHealthTests()
    {
        _source = new InMemoryBucket("logs-bucket", _time);
        _target = new InMemoryBucket("siem", _time);
        _processor = new LogpushObjectProcessor(_source, _target, timeProvider: _time);
    }

    [Fact]
    public async Task CheckAsync_OldUnconvertedObject_IsNamedOverdueAndCritical()
    {
        await PutAsync(OldKey);
        _time.Advance(TimeSpan.FromHours(2));

        var report = await new FeedHealth(_processor, new FeedHealthOptions { MaxLag = TimeSpan.FromHours(1) }, timeProvider: _time).CheckAsync();

        Assert.Equal(FeedStatus.Critical, report.Status);
        var unconverted = Assert.Single(report.Unconverted);
        Assert.Equal(OldKey, unconverted.Key);
        Assert.Equal(OldKey[..^".log.gz".Length] + ".csv", unconverted.TargetKey);
        Assert.True(unconverted.Overdue);
        Assert.Equal("no target", unconverted.Reason);
        Assert.Equal(TimeSpan.FromHours(2), unconverted.Age);
        Assert.Equal(1, report.Objects.Overdue);
        var problem = Assert.Single(report.Problems);
        Assert.Equal("overdue_objects", problem.Code);
        Assert.Contains(OldKey, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_YoungUnconvertedObject_IsPendingAndHealthy()
    {
        await PutAsync(OldKey);
        _time.Advance(TimeSpan.FromMinutes(10));

        var report = await new FeedHealth(_processor, new FeedHealthOptions { MaxLag = TimeSpan.FromHours(1) }, timeProvider: _time).CheckAsync();

        Assert.Equal(FeedStatus.Healthy, report.Status);
        var pending = Assert.Single(report.Unconverted);
        Assert.False(pending.Overdue);
        Assert.Equal(0, report.Objects.Overdue);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public async Task CheckAsync_AfterConversion_IsHealthyWithNewestWindowAndLagPerDataset()
    {
        await PutAsync(OldKey);
        await PutAsync(NewKey);
        await PutAsync("logs/ownership-challenge.txt");
        Assert.Equal(ObjectProcessingStatus.Converted, (await _processor.ProcessAsync(OldKey)).Status);
        Assert.Equal(ObjectProcessingStatus.Converted, (await _processor.ProcessAsync(NewKey)).Status);
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 28, 1, 4, 0, TimeSpan.Zero));

        var report = await new FeedHealth(_processor, timeProvider: _time).CheckAsync("src", "dst");

        Assert.Equal(FeedStatus.Healthy, report.Status);
        Assert.Empty(report.Unconverted);
        Assert.Equal(new FeedObjectCounts { Listed = 3, Filtered = 1, Converted = 2, Unconverted = 0, Overdue = 0 }, report.Objects);
        var dataset = Assert.Single(report.Datasets);
        Assert.Equal("gateway_http", dataset.Dataset);
        Assert.Equal(2, dataset.Converted);
        Assert.Equal(NewKey, dataset.NewestKey);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 59, 0, TimeSpan.Zero), dataset.NewestWindowEnd);
        Assert.Equal(TimeSpan.FromMinutes(5), dataset.Lag);
        Assert.Equal("src", report.Source);
        Assert.Null(report.Failures);
        Assert.Null(report.Jobs);
    }

    [Fact]
    public async Task CheckAsync_SourceChangedSinceConversion_IsUnconverted()
    {
        await PutAsync(OldKey);
        await _processor.ProcessAsync(OldKey);
        await _source.PutAsync(OldKey, new MemoryStream(PipelineTestData.Gzip(PipelineTestData.Ndjson(5, seed: 9))));
        _time.Advance(TimeSpan.FromHours(3));

        var report = await new FeedHealth(_processor, timeProvider: _time).CheckAsync();

        Assert.Equal(FeedStatus.Critical, report.Status);
        Assert.Equal("source changed since it was converted", Assert.Single(report.Unconverted).Reason);
    }

    [Fact]
    public async Task CheckAsync_TargetWrittenByOtherSource_IsUnconverted()
    {
        await PutAsync(OldKey);
        await _target.PutAsync(OldKey[..^".log.gz".Length] + ".csv", new MemoryStream("a\n"u8.ToArray()));

        var report = await new FeedHealth(_processor, timeProvider: _time).CheckAsync();

        Assert.StartsWith("the target has no LogpushKit provenance", Assert.Single(report.Unconverted).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_StateTheProcessorKept_CountsTheConversionAfterItsCsvWasConsumed()
    {
        await PutAsync(OldKey);
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(_source, _target, new LogpushObjectProcessorOptions { State = state }, timeProvider: _time);
        var converted = await processor.ProcessAsync(OldKey);
        Assert.Equal(ObjectProcessingStatus.Converted, converted.Status);
        await _target.DeleteAsync(converted.TargetKey!);
        _time.Advance(TimeSpan.FromHours(5));

        var report = await new FeedHealth(processor, state: state, timeProvider: _time).CheckAsync();

        Assert.Equal(FeedStatus.Healthy, report.Status);
        Assert.Equal(1, report.Objects.Converted);
        Assert.Empty(report.Unconverted);
    }

    [Fact]
    public async Task CheckAsync_FolderSourceWithState_IsJudgedBySizeTimeAndIdentity_WithoutReadingTheFiles()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.File("src"), OldKey);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(3)));
        var source = new FileSystemBucket(temp.File("src"));
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(source, new FileSystemBucket(temp.File("dst")), new LogpushObjectProcessorOptions { State = state }, timeProvider: _time);
        Assert.Equal(ObjectProcessingStatus.Converted, (await processor.ProcessAsync(OldKey)).Status);
        _time.Advance(TimeSpan.FromHours(5));

        // other bytes of the same size written in place, the time put back: a check that read the file would see
        // another MD5 than the recorded one; the processor does not read it either, so the feed is complete
        var time = File.GetLastWriteTimeUtc(path);
        var length = new FileInfo(path).Length;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Write(new byte[length]);
        }

        File.SetLastWriteTimeUtc(path, time);
        var report = await new FeedHealth(processor, state: state, timeProvider: _time).CheckAsync();
        Assert.Equal(1, report.Objects.Converted);
        Assert.Empty(report.Unconverted);

        // a new time is a change the next run converts
        File.SetLastWriteTimeUtc(path, time.AddSeconds(5));
        var changed = await new FeedHealth(processor, state: state, timeProvider: _time).CheckAsync();
        var unconverted = Assert.Single(changed.Unconverted);
        Assert.StartsWith("source changed since it was converted", unconverted.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_WithStateStore_ReadsConversionsAndFailuresFromIt()
    {
        const string FailedKey = "logs/gateway_http/20261127/20261127T000000Z_20261127T000100Z_0000cccc.log.gz";
        const string QuarantinedKey = "logs/gateway_http/20261127/20261127T000000Z_20261127T000100Z_0000dddd.log.gz";
        await PutAsync(OldKey);
        var sourceETag = (await _source.HeadAsync(OldKey))!.ETag;
        var store = new MemoryStateStore();
        var source = StoreOf(_source);
        var target = StoreOf(_target);
        store.Records.Add(new ConversionRecord(source, OldKey, target, "x.csv") { OptionsFingerprint = "f", SourceETag = sourceETag, ConvertedAt = Start, Dataset = "gateway_http" });
        store.Failures.Add(new ConversionFailure(source, FailedKey, target) { Reason = "boom with token=s3cr3tvalue123", Attempts = 2 });
        store.Failures.Add(new ConversionFailure(source, QuarantinedKey, target) { Reason = "corrupt gzip", Attempts = 4, Quarantined = true, QuarantineKey = "q" });
        _time.Advance(TimeSpan.FromHours(5));

        var report = await new FeedHealth(_processor, state: store, timeProvider: _time).CheckAsync();

        // converted by the state alone: the target bucket is empty
        Assert.Equal(1, report.Objects.Converted);
        Assert.Equal(MemoryStateStore.Where, report.State);
        Assert.Equal(2, report.Failures!.Count);
        Assert.Equal(FeedStatus.Critical, report.Status);
        Assert.Equal(["quarantined_objects", "failing_objects"], report.Problems.Select(p => p.Code));
        Assert.DoesNotContain("s3cr3tvalue123", report.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_StateRecordOfOlderSourceVersion_IsUnconverted()
    {
        await PutAsync(OldKey);
        var store = new MemoryStateStore();
        store.Records.Add(new ConversionRecord(StoreOf(_source), OldKey, StoreOf(_target), "x.csv") { OptionsFingerprint = "f", SourceETag = "stale" });

        var report = await new FeedHealth(_processor, state: store, timeProvider: _time).CheckAsync();

        Assert.Equal("source changed since it was converted", Assert.Single(report.Unconverted).Reason);
    }

    [Fact]
    public async Task CheckAsync_FailingJobOfTheSourceBucket_IsCriticalAndMasked()
    {
        const string Secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        await using var api = await FakeCloudflareApi.StartAsync();
        var scope = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);
        api.AddJob(scope, new JsonObject
        {
            ["dataset"] = "gateway_http",
            ["enabled"] = true,
            ["destination_conf"] = $"r2://logs-bucket/feed/{{DATE}}?account-id=a&access-key-id=AK&secret-access-key={Secret}",
            ["last_complete"] = "2026-11-26T00:00:00Z",
            ["last_error"] = "2026-11-27T00:00:00Z",
            ["error_message"] = $"upload failed: secret-access-key={Secret} rejected",
        });
        api.AddJob(scope, new JsonObject { ["dataset"] = "http_requests", ["enabled"] = true, ["destination_conf"] = "r2://other-bucket/x?account-id=a", ["last_error"] = "2026-11-27T00:00:00Z" });
        using var client = new LogpushClient(api.ClientOptions(new LogpushClientOptions()));
        await PutAsync("feed/20261127/20261127T000000Z_20261127T000100Z_0000eeee.log.gz");

        var report = await new FeedHealth(_processor, new FeedHealthOptions { JobScopes = [scope] }, logpush: client, timeProvider: _time).CheckAsync();

        var job = Assert.Single(report.Jobs!);
        Assert.True(job.Failing);
        Assert.Equal("gateway_http", job.Dataset);
        Assert.Equal(FeedStatus.Critical, report.Status);
        Assert.Equal("job_failing", report.Problems[0].Code);
        var json = report.ToJson();
        Assert.DoesNotContain(Secret, json, StringComparison.Ordinal);
        Assert.Contains("upload failed", json, StringComparison.Ordinal);
        // the object under the job's path is told by it
        var dataset = Assert.Single(report.Datasets);
        Assert.Equal(job.Id, dataset.JobId);
        Assert.Equal("gateway_http", dataset.Dataset);
    }

    [Fact]
    public async Task ToJson_HasTheDocumentedShape()
    {
        await PutAsync(OldKey);
        _time.Advance(TimeSpan.FromHours(2));
        var report = await new FeedHealth(_processor, new FeedHealthOptions { QueueId = "q1" }, timeProvider: _time).CheckAsync("s", "t");

        var json = JsonNode.Parse(report.ToJson())!.AsObject();

        Assert.Equal(
            ["status", "checkedAt", "source", "target", "maxLagSeconds", "state", "objects", "unconverted", "datasets", "jobs", "queue", "failures", "problems", "notes"],
            json.Select(p => p.Key));
        Assert.Equal("critical", json["status"]!.GetValue<string>());
        Assert.Equal(3600, json["maxLagSeconds"]!.GetValue<double>());
        Assert.Equal(["listed", "filtered", "converted", "unconverted", "overdue"], json["objects"]!.AsObject().Select(p => p.Key));
        var item = json["unconverted"]![0]!.AsObject();
        Assert.Equal(["key", "targetKey", "lastModified", "ageSeconds", "overdue", "reason"], item.Select(p => p.Key));
        Assert.Equal(7200, item["ageSeconds"]!.GetValue<double>());
        Assert.Equal(["dataset", "jobId", "objects", "converted", "unconverted", "newestKey", "newestWindowEnd", "lagSeconds"], json["datasets"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(JsonValueKind.Null, json["datasets"]![0]!["lagSeconds"]?.GetValueKind() ?? JsonValueKind.Null);
        Assert.Equal(["queueId", "queueName", "consumers", "backlog", "oldestMessageAgeSeconds"], json["queue"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["severity", "code", "message"], json["problems"]![0]!.AsObject().Select(p => p.Key));
        Assert.Contains(json["problems"]!.AsArray(), p => p!["code"]!.GetValue<string>() == "queue_unavailable");
    }

    [Fact]
    public void Options_NonPositiveLag_IsRefused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new FeedHealth(_processor, new FeedHealthOptions { MaxLag = TimeSpan.Zero }));

    private static string StoreOf(IR2Bucket bucket) => LogpushObjectProcessor.StoreOf(bucket);

    private Task PutAsync(string key) => _source.PutAsync(key, new MemoryStream(PipelineTestData.Gzip(PipelineTestData.Ndjson(3))));

    /// <summary>A state store double: what the records and failures lists hold.</summary>
    private sealed class MemoryStateStore : IConversionStateStore
    {
        public const string Where = "memory://state";

        public List<ConversionRecord> Records { get; } = [];

        public List<ConversionFailure> Failures { get; } = [];

        public string Location => Where;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey, CancellationToken cancellationToken = default)
            => ValueTask.FromResult(Records.LastOrDefault(r => r.Target == target && r.TargetKey == targetKey));

        public ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target, CancellationToken cancellationToken = default)
            => ValueTask.FromResult(Records.LastOrDefault(r => r.Source == source && r.SourceKey == sourceKey && r.Target == target));

        public ValueTask SaveAsync(ConversionRecord record, CancellationToken cancellationToken = default) => throw new NotSupportedException("read-only double");

        public ValueTask<ConversionFailure> RecordFailureAsync(string source, string sourceKey, string target, string? sourceETag, string reason, DateTimeOffset at, CancellationToken cancellationToken = default)
            => throw new NotSupportedException("read-only double");

        public ValueTask MarkQuarantinedAsync(string source, string sourceKey, string target, string? quarantineKey, CancellationToken cancellationToken = default)
            => throw new NotSupportedException("read-only double");

        public async IAsyncEnumerable<ConversionRecord> ListAsync(string source, string target, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            foreach (var record in Records.Where(r => r.Source == source && r.Target == target))
            {
                yield return record;
            }
        }

        public async IAsyncEnumerable<ConversionFailure> ListFailuresAsync(string source, string target, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            foreach (var failure in Failures.Where(f => f.Source == source && f.Target == target))
            {
                yield return failure;
            }
        }

        public ValueTask<IAsyncDisposable> LockAsync(string target, string targetKey, CancellationToken cancellationToken = default)
            => throw new NotSupportedException("read-only double");
    }
}
