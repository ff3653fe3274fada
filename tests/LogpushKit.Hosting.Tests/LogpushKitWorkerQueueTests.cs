using System.Net;
using System.Security.Cryptography;
using LogpushKit.Pipeline;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The worker with a Cloudflare queue (the fake API on loopback): its pull client is built from the
/// <c>LogpushKit:Queue</c> settings by the library's <c>CloudflareSettings</c>, and the consumer's health shows in
/// <see cref="LogpushKitWorkerState"/>.
/// </summary>
public sealed class LogpushKitWorkerQueueTests : FakeQueueTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _source = new("worker-queue-src");
    private readonly TempDirectory _target = new("worker-queue-dst");

    protected override void CleanUp()
    {
        _source.Dispose();
        _target.Dispose();
    }

    [Fact]
    public async Task Worker_QueueSettingsFromConfiguration_ConsumesAndReportsHealthy()
    {
        Publish("gw/a.log.gz", PipelineTestData.Ndjson(2, 1));
        using var host = BuildHost();
        var state = host.Services.GetRequiredService<LogpushKitWorkerState>();
        Assert.Equal(LogpushKitWorkerStatus.NotStarted, state.Status);

        await host.StartAsync();
        using var cts = new CancellationTokenSource(Timeout);
        await WaitUntilAsync(() => Queue.AckedCount == 1, cts.Token);

        Assert.Equal(LogpushKitWorkerStatus.Running, state.Status);
        Assert.Equal("queue consumer", state.Mode);
        Assert.Equal(PipelineActivity.Consuming, state.Health.Activity);
        Assert.Equal(QueueConsumerStatus.Healthy, state.Health.Consumer?.Status);
        Assert.True(state.IsHealthy);
        Assert.All(Api.Requests, r => Assert.Equal("Bearer " + Api.ApiToken, r.Header("Authorization")));
        await host.StopAsync();

        Assert.Equal(LogpushKitWorkerStatus.Stopped, state.Status);
        Assert.Equal(1, state.Summary?.Converted);
        Assert.Equal(PipelineTestData.ExpectedCsv(2, 1), await File.ReadAllTextAsync(Path.Combine(_target.Path, "gw", "a.csv")));
    }

    [Fact]
    public async Task Worker_PullsFailWithoutAFailureLimit_UnhealthyWhileFailingThenHealthyAgain()
    {
        Api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.Forbidden, (10000, "Authentication error")).For("POST", "/messages/pull"), times: 2);
        using var host = BuildHost(o => o.Queue.MaxFailureSeconds = 0);
        var state = host.Services.GetRequiredService<LogpushKitWorkerState>();

        await host.StartAsync();
        using var cts = new CancellationTokenSource(Timeout);
        await WaitUntilAsync(() => state.Health.Consumer?.FailingSince is not null, cts.Token);
        var failing = state.Health;
        await WaitUntilAsync(() => state.Health.Consumer?.Status == QueueConsumerStatus.Healthy, cts.Token);
        await host.StopAsync();

        Assert.False(failing.IsHealthy);
        Assert.Equal(QueueConsumerStatus.Failing, failing.Consumer!.Status);
        Assert.Contains("[10000] Authentication error", failing.Consumer.LastError, StringComparison.Ordinal);
        Assert.Equal(LogpushKitWorkerStatus.Stopped, state.Status); // 0: never gives up
        Assert.True(state.Health.Consumer!.TotalFailures >= 2);
    }

    [Fact]
    public void Validate_NoQueue_DemandsNoCloudflareSettingsButRefusesAMalformedApiBaseUrl()
    {
        var validator = new LogpushKitOptionsValidator();
        var options = new LogpushKitOptions { Source = _source.Path, Target = _target.Path };

        var withoutQueue = validator.Validate(null, options);
        options.Queue.ApiBaseUrl = "api.cloudflare.com/client/v4";
        var badUrl = validator.Validate(null, options);

        Assert.True(withoutQueue.Succeeded, withoutQueue.FailureMessage);
        Assert.Equal(
            "LogpushKit:Queue:ApiBaseUrl must be an absolute http(s) URL, e.g. https://api.cloudflare.com/client/v4/; got 'api.cloudflare.com/client/v4'.",
            Assert.Single(badUrl.Failures!));
    }

    [Fact]
    public async Task StartAsync_QueueWithMalformedSettings_NamesEachConfigurationKey()
    {
        using var host = BuildHost(o =>
        {
            o.Queue.AccountId = "https://dash.cloudflare.com/023e105f4ecef8ad9ca31a8372d0c353";
            o.Queue.ApiBaseUrl = "ftp://127.0.0.1/client/v4/";
            o.Queue.MaxFailureSeconds = -1;
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(ex.Failures, f => f.StartsWith("LogpushKit:Queue:AccountId (or CLOUDFLARE_ACCOUNT_ID): 'https://dash.cloudflare.com/", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("LogpushKit:Queue:ApiBaseUrl must be an absolute http(s) URL", StringComparison.Ordinal));
        Assert.Contains("LogpushKit:Queue:MaxFailureSeconds must be 0 (never give up) or more.", ex.Failures);
        Assert.DoesNotContain(ex.Failures, f => f.Contains(Api.ApiToken, StringComparison.Ordinal));
    }

    private IHost BuildHost(Action<LogpushKitOptions>? configure = null) => ServiceCollectionExtensionsTests.BuildHost(o =>
    {
        (o.Source, o.Target) = (_source.Path, _target.Path);
        o.ReconcileOnStart = false;
        o.Queue.QueueId = Queue.Id;
        o.Queue.AccountId = FakeCloudflareApi.DefaultAccountId;
        o.Queue.ApiToken = Api.ApiToken;
        o.Queue.ApiBaseUrl = Api.BaseAddress.AbsoluteUri;
        o.Queue.RetryDelaySeconds = 0;
        configure?.Invoke(o);
    });

    private void Publish(string key, string ndjson)
    {
        var path = Path.Combine(_source.Path, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = PipelineTestData.Gzip(ndjson);
        File.WriteAllBytes(path, bytes);
        Queue.PublishObjectCreated(Path.GetFileName(_source.Path), key, bytes.Length, Convert.ToHexStringLower(MD5.HashData(bytes)));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(25, cancellationToken);
        }
    }
}
