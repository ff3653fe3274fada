using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// The queue consumer end to end against <see cref="FakeCloudflareApi"/> answering in the shapes Cloudflare's schemas
/// allow (strings in <c>messages</c>, omitted lists, both pull result forms, every body form, lost replies): every object is
/// converted exactly once, every message acked, and the queue is left empty.
/// </summary>
public sealed class QueueConsumerContractTests : FakeApiClientTest<QueuesPullClient>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TestBucket _source = new("logpush");
    private readonly TestBucket _target = new("csv");
    private FakeQueue _queue = null!;

    protected override QueuesPullClient CreateClient(FakeCloudflareApi api) => new QueuesPullClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new QueuesPullClientOptions()));

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _queue = Api.CreateQueue("logpush-events");
    }

    public static TheoryData<string> Variations() => new(
        "envelope-as-documented",
        "messages-as-strings",
        "lists-omitted",
        "bare-array-result",
        "messages-member-omitted-when-empty",
        "everything-at-once");

    [Theory]
    [MemberData(nameof(Variations))]
    public async Task Consume_SchemaVariation_EachObjectConvertedOnceAndAcked(string variation)
    {
        Api.ResponseShaper = (request, envelope) => Shape(variation, request, envelope);
        var shapes = new[]
        {
            new FakeMessageShape(),
            new FakeMessageShape { Body = FakeBodyForm.RawJsonValue },
            new FakeMessageShape { Body = FakeBodyForm.JsonText, ContentTypeKey = "contentType" },
            new FakeMessageShape { Body = FakeBodyForm.Base64Unpadded, NumbersAsFloats = true },
            new FakeMessageShape { Body = FakeBodyForm.Base64Url, ContentTypeOnMessage = true, ContentTypeKey = "content_type" },
        };
        for (var i = 0; i < 10; i++)
        {
            Publish($"gw/{i}.log.gz", i, shapes[i % shapes.Length]);
        }

        var summary = await ConsumeUntilAsync(NewConsumer(), () => _queue.AckedCount == 10);

        Assert.Equal(10, summary.Converted);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(10, _target.Puts);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(PipelineTestData.ExpectedCsv(2, i), _target.ReadText($"gw/{i}.csv"));
        }

        Assert.Equal(0, _queue.Count);
        Assert.Empty(_queue.DeadLettered);
    }

    [Fact]
    public async Task Consume_PullReplyLostAfterTheServerLeased_RedeliveredAndConvertedOnce()
    {
        for (var i = 0; i < 3; i++)
        {
            Publish($"gw/{i}.log.gz", i, new FakeMessageShape());
        }

        // the first pull leases all three, then its reply is lost (502): Polly retries at once and gets nothing, and the
        // three come back only when their lease expires, with attempts = 2
        Api.FailNext(FakeFailure.ServerError(HttpStatusCode.BadGateway).For("POST", "/messages/pull").AfterTheRequestTookEffect());
        var consumer = NewConsumer(TimeSpan.FromSeconds(1));

        var summary = await ConsumeUntilAsync(consumer, () => _queue.AckedCount == 3);

        Assert.Equal(3, summary.Converted);
        Assert.Equal(3, _target.Puts);
        Assert.True(consumer.Health.IsHealthy);
    }

    [Fact]
    public async Task Consume_AckReplyLostAndEveryEventTwice_EachObjectConvertedOnce()
    {
        for (var i = 0; i < 4; i++)
        {
            Publish($"gw/{i}.log.gz", i, new FakeMessageShape());
            Publish($"gw/{i}.log.gz", i, new FakeMessageShape { Body = FakeBodyForm.RawJsonValue });
        }

        // an ack that took effect but whose reply was lost is retried; the repeated acks come back as warnings
        Api.FailNext(FakeFailure.ServerError().For("POST", "/messages/ack").AfterTheRequestTookEffect());

        var summary = await ConsumeUntilAsync(NewConsumer(), () => _queue.AckedCount == 8);

        Assert.Equal(4, summary.Converted);
        Assert.Equal(4, summary.SkippedDuplicate);
        Assert.Equal(4, _target.Puts);
        Assert.Equal(0, _queue.Count);
    }

    [Fact]
    public async Task Consume_FailingObjectRetriedThenFixed_ConvertedOnceAfterRedelivery()
    {
        Publish("gw/late.log.gz", 7, new FakeMessageShape());
        var failures = 1;
        _target.FailPutAfterBytes = _ => Interlocked.Decrement(ref failures) >= 0 ? 1 : null;

        var summary = await ConsumeUntilAsync(NewConsumer(), () => _queue.AckedCount == 1);

        // delivered twice: the first conversion failed (its put aborted) and was retried; the second converted it
        Assert.Equal(1, summary.Failed);
        Assert.Equal(1, summary.Converted);
        Assert.Equal(2, _target.Puts);
        Assert.Equal(PipelineTestData.ExpectedCsv(2, 7), _target.ReadText("gw/late.csv"));
        Assert.Equal(0, _queue.Count);
    }

    [Fact]
    public async Task Consume_DrainMode_StopsOnceTheQueueIsEmptyWithEverythingAcked()
    {
        for (var i = 0; i < 5; i++)
        {
            Publish($"gw/{i}.log.gz", i, new FakeMessageShape { Body = i % 2 == 0 ? FakeBodyForm.Documented : FakeBodyForm.RawJsonValue });
        }

        Api.ResponseShaper = (request, envelope) => Shape("everything-at-once", request, envelope);
        var consumer = NewConsumer(options: o => o with { StopWhenEmpty = true, EmptyReceivesBeforeStop = 3 });

        using var cts = new CancellationTokenSource(Timeout);
        var summary = await consumer.RunAsync(cts.Token);

        Assert.False(cts.IsCancellationRequested, "drain mode must stop by itself");
        Assert.Equal(5, summary.Converted);
        Assert.Equal(5, _queue.AckedCount);
        Assert.Equal(0, _queue.Count);
    }

    private static JsonNode Shape(string variation, RecordedRequest request, JsonObject envelope)
    {
        var pull = request.ApiPath.EndsWith("/messages/pull", StringComparison.Ordinal);
        var all = variation == "everything-at-once";
        if (variation == "messages-as-strings" || all)
        {
            envelope["messages"] = new JsonArray("Messages pulled from the queue", "second note");
        }

        if (variation == "lists-omitted" || all)
        {
            envelope.Remove("errors");
            envelope.Remove("messages");
            if (envelope["result"] is JsonObject result && result["warnings"] is JsonObject { Count: 0 })
            {
                result.Remove("warnings");
            }
        }

        if (pull && (variation == "messages-member-omitted-when-empty" || all) && envelope["result"]?["messages"] is JsonArray { Count: 0 })
        {
            envelope["result"]!.AsObject().Remove("messages");
        }

        if (pull && (variation == "bare-array-result" || all) && envelope["result"]?["messages"] is JsonArray messages)
        {
            envelope["result"] = messages.DeepClone();
        }

        return envelope;
    }

    private void Publish(string key, int seed, FakeMessageShape shape)
    {
        if (!_source.Keys.Contains(key))
        {
            _source.Add(key, PipelineTestData.Gzip(PipelineTestData.Ndjson(2, seed)));
        }

        var info = _source.Info(key);
        _queue.PublishR2Event(PipelineTestData.Event("logpush", key, info.ETag, info.Size), shape);
    }

    private LogpushQueueConsumer NewConsumer(TimeSpan? visibility = null, Func<LogpushQueueConsumerOptions, LogpushQueueConsumerOptions>? options = null) => new(
        new CloudflareQueueEventSource(Client, _queue.Id),
        new LogpushObjectProcessor(_source, _target),
        (options ?? (o => o))(new LogpushQueueConsumerOptions
        {
            BatchSize = 4,
            MaxConcurrency = 2,
            IdleDelay = TimeSpan.FromMilliseconds(20),
            MaxIdleDelay = TimeSpan.FromMilliseconds(100),
            RetryDelay = TimeSpan.Zero,
            MaxRetryDelay = TimeSpan.Zero,
            VisibilityTimeout = visibility ?? TimeSpan.FromSeconds(30),
            DrainTimeout = TimeSpan.FromSeconds(10),
        }));

    private static async Task<PipelineSummary> ConsumeUntilAsync(LogpushQueueConsumer consumer, Func<bool> done)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var run = consumer.RunAsync(cts.Token);
        while (!done())
        {
            Assert.False(run.IsCompleted, "the consumer stopped early");
            await Task.Delay(20, cts.Token);
        }

        await cts.CancelAsync();
        return await run;
    }
}
