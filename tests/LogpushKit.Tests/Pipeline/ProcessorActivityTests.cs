using System.Collections.Concurrent;
using System.Diagnostics;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// The processor's per-object activities on the <c>LogpushKit</c> activity source, seen through a real
/// <see cref="ActivityListener"/>: one per object, its outcome in tags, an error status for a failed object.
/// </summary>
public sealed class ProcessorActivityTests : IDisposable
{
    private const string GoodKey = "http_requests/20240821/20240821T054839Z_20240821T054839Z_06b7e0be.log.gz";
    private const string BadKey = "http_requests/20240821/20240821T055000Z_20240821T055100Z_0badc0de.log.gz";

    // A bucket name of its own: the listener is process-wide and other tests process objects in parallel.
    private readonly TestBucket _source = new("activity-" + Guid.NewGuid().ToString("N"));
    private readonly TestBucket _target = new("csv");
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public ProcessorActivityTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LogpushKitMetrics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("logpushkit.source.bucket"), _source.Name))
                {
                    _stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private LogpushObjectProcessor Processor() => new(
        _source,
        _target,
        new LogpushObjectProcessorOptions { Prefix = "http_requests/", Transform = TransformOptions.Default with { Dataset = TransformOptions.AutoDataset } });

    [Fact]
    public async Task ProcessAsync_GoodAndBadGzip_OneActivityPerObjectWithOutcomeTags()
    {
        _source.Add(GoodKey, PipelineTestData.Gzip(PipelineTestData.Ndjson(4)));
        _source.Add(BadKey, [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x01, 0x02, 0x03]);
        var processor = Processor();

        var good = await processor.ProcessAsync(PipelineTestData.Event(_source.Name, GoodKey, _source.Info(GoodKey).ETag));
        var bad = await processor.ProcessAsync(BadKey);

        Assert.Equal(ObjectProcessingStatus.Converted, good.Status);
        Assert.Equal(ObjectProcessingStatus.Failed, bad.Status);
        Assert.Equal(2, _stopped.Count);

        var converted = Assert.Single(_stopped, a => Equals(a.GetTagItem("logpushkit.source.key"), GoodKey));
        Assert.Equal("logpushkit.process_object", converted.OperationName);
        Assert.Equal(ActivityKind.Internal, converted.Kind);
        Assert.Equal(ActivityStatusCode.Unset, converted.Status);
        Assert.Equal("converted", converted.GetTagItem("logpushkit.status"));
        Assert.Equal(_target.Name, converted.GetTagItem("logpushkit.target.bucket"));
        Assert.Equal(good.TargetKey, converted.GetTagItem("logpushkit.target.key"));
        Assert.Equal(4L, converted.GetTagItem("logpushkit.records"));
        Assert.Equal(4L, converted.GetTagItem("logpushkit.rows"));
        Assert.Equal(good.Transform!.BytesIn, converted.GetTagItem("logpushkit.bytes.read"));
        Assert.Equal(good.Transform.BytesOut, converted.GetTagItem("logpushkit.bytes.written"));
        Assert.True(good.Transform.BytesIn > 0 && good.Transform.BytesOut > 0);
        Assert.Equal("http_requests", converted.GetTagItem("logpushkit.dataset"));
        Assert.Equal(good.Dataset, converted.GetTagItem("logpushkit.dataset"));

        var failed = Assert.Single(_stopped, a => Equals(a.GetTagItem("logpushkit.source.key"), BadKey));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(bad.Reason, failed.StatusDescription);
        Assert.Contains(BadKey, failed.StatusDescription, StringComparison.Ordinal);
        Assert.Equal("failed", failed.GetTagItem("logpushkit.status"));
        Assert.Equal(bad.Exception!.GetType().FullName, failed.GetTagItem("error.type"));
        Assert.Null(failed.GetTagItem("logpushkit.rows"));
        Assert.DoesNotContain(_target.Keys, k => k.Contains("0badc0de", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProcessAsync_DuplicateAndFilteredObjects_EachGetOneActivityWithTheirStatus()
    {
        _source.Add(GoodKey, PipelineTestData.Gzip(PipelineTestData.Ndjson(2)));
        var processor = Processor();

        await processor.ProcessAsync(GoodKey);
        var again = await processor.ProcessAsync(GoodKey);
        var filtered = await processor.ProcessAsync("http_requests/20240821/ownership-challenge.txt");

        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, again.Status);
        Assert.Equal(ObjectProcessingStatus.SkippedFiltered, filtered.Status);
        var activities = _stopped.ToArray();
        Assert.Equal(["converted", "skipped_duplicate", "skipped_filtered"], activities.Select(a => a.GetTagItem("logpushkit.status")));
        Assert.All(activities, a => Assert.NotEqual(ActivityStatusCode.Error, a.Status));
        Assert.Null(activities[1].GetTagItem("logpushkit.rows"));
        Assert.Equal(again.TargetKey, activities[1].GetTagItem("logpushkit.target.key"));
        Assert.Equal(filtered.Reason, activities[2].GetTagItem("logpushkit.reason"));
    }

    [Fact]
    public async Task ProcessAsync_EscapesKeysAndJoinsTheCallersTrace()
    {
        const string key = "http_requests/20240821/new\nline.log.gz";
        _source.Add(key, PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        using var parentSource = new ActivitySource("LogpushKit.Tests.Parent");
        using var parentListener = new ActivityListener
        {
            ShouldListenTo = source => source == parentSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(parentListener);

        using (var parent = parentSource.StartActivity("consume")!)
        {
            await Processor().ProcessAsync(key);

            var activity = Assert.Single(_stopped);
            Assert.Equal(parent.TraceId, activity.TraceId);
            Assert.Equal(parent.SpanId, activity.ParentSpanId);
            var tagged = (string)activity.GetTagItem("logpushkit.source.key")!;
            Assert.DoesNotContain('\n', tagged);
            Assert.Equal(ObjectKeyText.Escape(key), tagged);
        }
    }
}
