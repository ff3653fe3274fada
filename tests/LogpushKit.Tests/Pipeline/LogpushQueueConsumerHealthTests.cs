using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Tests.Pipeline;

/// <summary>
/// Failed pulls and acks are reported (the first at once, then rate-limited with a count, with Cloudflare's codes and the
/// cf-ray), show in <see cref="LogpushQueueConsumer.Health"/>, and a consumer that has only failed for
/// <see cref="LogpushQueueConsumerOptions.MaxFailureDuration"/> stops with <see cref="QueueConsumerFailedException"/>.
/// </summary>
public sealed class LogpushQueueConsumerHealthTests : FakeApiClientTest<QueuesPullClient>
{
    private readonly TestBucket _source = new("logpush");
    private readonly TestBucket _target = new("csv");
    private readonly ListLogger<LogpushQueueConsumer> _logger = new();
    private FakeQueue _queue = null!;

    protected override QueuesPullClient CreateClient(FakeCloudflareApi api) => new QueuesPullClient(FakeCloudflareApi.DefaultAccountId, api.ClientOptions(new QueuesPullClientOptions()) with { Retry = CloudflareRetryOptions.None });

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _queue = Api.CreateQueue("logpush-events");
    }

    [Fact]
    public async Task RunAsync_PullsOnlyFail_ReportsRateLimitedWithCodesAndRayThenGivesUp()
    {
        Api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.Forbidden, (10000, "Authentication error")).For("POST", "/messages/pull"), times: 1000);
        var consumer = NewConsumer(new() { MaxFailureDuration = TimeSpan.FromSeconds(1.5), FailureReportInterval = TimeSpan.FromMilliseconds(600) });

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var ex = await Assert.ThrowsAsync<QueueConsumerFailedException>(() => consumer.RunAsync(cts.Token));

        var pulls = Api.Requests.Count(r => r.ApiPath.EndsWith("/messages/pull", StringComparison.Ordinal));
        Assert.True(pulls >= 5, $"only {pulls} pulls");
        var failures = _logger.Entries.Where(e => e.Id.Id is 1410 or 1411).ToList();
        Assert.Equal(1410, failures[0].Id.Id);
        Assert.Contains("HTTP 403", failures[0].Message, StringComparison.Ordinal);
        Assert.Contains("[10000] Authentication error", failures[0].Message, StringComparison.Ordinal);
        Assert.Matches("cf-ray: [0-9a-f]{16}-LHR", failures[0].Message);

        // rate-limited: far fewer lines than failures, and the later lines count the failures they stand for
        Assert.InRange(failures.Count, 2, 4);
        Assert.All(failures.Skip(1), f => Assert.Matches(@"still failing: \d+ more failure", f.Message));
        Assert.Single(_logger.Entries, e => e.Id.Id == 1413 && e.Level == LogLevel.Error);

        Assert.Equal(QueueConsumerStatus.Failed, ex.Health.Status);
        Assert.False(ex.Health.IsHealthy);
        Assert.Equal(pulls, ex.Health.ConsecutiveFailures);
        Assert.NotNull(ex.Health.FailingSince);
        Assert.Null(ex.Health.LastSuccess);
        Assert.Contains("[10000] Authentication error", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cf-ray", ex.Message, StringComparison.Ordinal);
        Assert.Equal(QueueConsumerStatus.Failed, consumer.Health.Status);
    }

    [Fact]
    public async Task RunAsync_PullsFailThenRecover_HealthyAgainAndRecoveryLogged()
    {
        Api.FailNext(FakeFailure.ServerError(HttpStatusCode.BadGateway).For("POST", "/messages/pull"), times: 3);
        var consumer = NewConsumer(new() { MaxFailureDuration = TimeSpan.FromMinutes(5) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = consumer.RunAsync(cts.Token);

        while (consumer.Health.LastSuccess is null)
        {
            await Task.Delay(10, cts.Token);
        }

        var health = consumer.Health;
        await cts.CancelAsync();
        await run;

        Assert.True(health.IsHealthy);
        Assert.Equal(QueueConsumerStatus.Healthy, health.Status);
        Assert.Equal(3, health.TotalFailures);
        Assert.Contains("HTTP 502", health.LastError, StringComparison.Ordinal);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 1412 && e.Message.Contains("after 3 failure(s)", StringComparison.Ordinal));
        Assert.Equal(QueueConsumerStatus.Stopped, consumer.Health.Status);
    }

    [Fact]
    public async Task RunAsync_NoFailureLimit_KeepsRunningAndReportsUnhealthy()
    {
        Api.FailNext(FakeFailure.ServerError().For("POST", "/messages/pull"), times: 1000);
        var consumer = NewConsumer(new() { MaxFailureDuration = null, FailureReportInterval = TimeSpan.FromMinutes(1) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = consumer.RunAsync(cts.Token);

        while (consumer.Health.ConsecutiveFailures < 5)
        {
            await Task.Delay(10, cts.Token);
        }

        Assert.False(consumer.Health.IsHealthy);
        Assert.Equal(QueueConsumerStatus.Failing, consumer.Health.Status);
        await cts.CancelAsync();
        await run;
        Assert.Single(_logger.Entries, e => e.Id.Id == 1410);
    }

    [Fact]
    public async Task RunAsync_ReplyWhoseMessagesHaveNoLease_IsAFailedPull()
    {
        _source.Add("a.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1)));
        _queue.PublishR2Event(PipelineTestData.Event("logpush", "a.log.gz", _source.Info("a.log.gz").ETag), new FakeMessageShape { OmitLeaseId = true });
        var consumer = NewConsumer(new() { MaxFailureDuration = TimeSpan.FromMinutes(5), VisibilityTimeout = TimeSpan.FromMilliseconds(200) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = consumer.RunAsync(cts.Token);

        while (consumer.Health.TotalFailures == 0)
        {
            await Task.Delay(10, cts.Token);
        }

        await cts.CancelAsync();
        await run;

        Assert.Contains("none has a lease_id", consumer.Health.LastError, StringComparison.Ordinal);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 1410 && e.Message.Contains("cf-ray", StringComparison.Ordinal));
        Assert.Empty(_target.Keys);
    }

    [Fact]
    public async Task RunAsync_AckFails_ReportedAndUnhealthyUntilAnAckWorks()
    {
        for (var i = 0; i < 2; i++)
        {
            _source.Add($"k{i}.log.gz", PipelineTestData.Gzip(PipelineTestData.Ndjson(1, i)));
            _queue.PublishR2Event(PipelineTestData.Event("logpush", $"k{i}.log.gz", _source.Info($"k{i}.log.gz").ETag), new FakeMessageShape());
        }

        Api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.BadRequest, (11001, "invalid lease")).For("POST", "/messages/ack"));
        var consumer = NewConsumer(new() { MaxConcurrency = 1, BatchSize = 1, VisibilityTimeout = TimeSpan.FromMilliseconds(500) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = consumer.RunAsync(cts.Token);

        while (_queue.AckedCount < 2)
        {
            await Task.Delay(10, cts.Token);
        }

        await cts.CancelAsync();
        var summary = await run;

        var failure = Assert.Single(_logger.Entries, e => e.Id.Id == 1410);
        Assert.Contains("ack failed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("[11001] invalid lease", failure.Message, StringComparison.Ordinal);
        Assert.Contains("come back after their lease", failure.Message, StringComparison.Ordinal);
        Assert.Contains(_logger.Entries, e => e.Id.Id == 1412 && e.Message.StartsWith("Queue ack works again", StringComparison.Ordinal));
        Assert.True(consumer.Health.IsHealthy);
        Assert.Equal(2, summary.Converted);
    }

    private LogpushQueueConsumer NewConsumer(LogpushQueueConsumerOptions options) => new(
        new CloudflareQueueEventSource(Client, _queue.Id),
        new LogpushObjectProcessor(_source, _target),
        options with
        {
            IdleDelay = TimeSpan.FromMilliseconds(20),
            MaxIdleDelay = TimeSpan.FromMilliseconds(50),
            RetryDelay = TimeSpan.Zero,
            DrainTimeout = TimeSpan.FromSeconds(5),
        },
        _logger);
}
