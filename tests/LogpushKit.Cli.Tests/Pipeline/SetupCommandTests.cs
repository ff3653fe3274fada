using LogpushKit.Cli.Tests.Cloudflare;
using LogpushKit.Cloudflare;
using LogpushKit.Tests.Infrastructure.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Pipeline;

public sealed class SetupCommandTests : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Setup_DryRun_PrintsPlanAndChangesNothing()
    {
        var run = await CloudflareCli.RunAsync(Environment(), "setup", "--source-bucket", "logpush-src", "--target-bucket", "logpush-csv", "--queue", "logpush-events", "--dry-run");

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("+ R2 bucket: logpush-src", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("+ queue: logpush-events", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("+ Logpush job", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Dry run", run.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(_api.BucketNames);
        Assert.Empty(_api.JobsOf(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId)));
    }

    [Fact]
    public async Task Setup_Twice_CreatesEverythingOnceThenNothing()
    {
        _api.AddBucket("logpush-csv");

        var first = await CloudflareCli.RunAsync(Environment(), "setup", "--source-bucket", "logpush-src", "--target-bucket", "logpush-csv", "--queue", "logpush-events");

        Assert.True(first.ExitCode == 0, first.StandardError + first.StandardOutput);
        Assert.Contains("= R2 bucket: logpush-csv", first.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(["logpush-csv", "logpush-src"], _api.BucketNames.Order(StringComparer.Ordinal));
        Assert.Single(_api.Requests, r => r.Method == "POST" && r.Path.EndsWith("/queues", StringComparison.Ordinal));
        var job = Assert.Single(_api.JobsOf(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId)));
        Assert.StartsWith("r2://logpush-src/gateway_http/{DATE}", (string?)job["destination_conf"], StringComparison.Ordinal);
        Assert.DoesNotContain("r2-secret-value", first.StandardOutput + first.StandardError, StringComparison.Ordinal);
        var rules = _api.NotificationRules("logpush-src", FindQueueId());
        Assert.NotNull(rules);
        Assert.Equal(".log.gz", (string?)rules![0]!["suffix"]);
        Assert.Equal("gateway_http/", (string?)rules[0]!["prefix"]);
        Assert.NotNull(_api.Queue(FindQueueId()).Consumer);

        var second = await CloudflareCli.RunAsync(Environment(), "setup", "--source-bucket", "logpush-src", "--target-bucket", "logpush-csv", "--queue", "logpush-events");

        Assert.True(second.ExitCode == 0, second.StandardError);
        Assert.Contains("Nothing to do", second.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("+ ", second.StandardOutput, StringComparison.Ordinal);
        Assert.Single(_api.JobsOf(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId)));
    }

    private string FindQueueId()
    {
        using var client = new QueuesClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new QueuesClientOptions()));
        return client.FindQueueAsync("logpush-events").GetAwaiter().GetResult()!.QueueId!;
    }

    private Dictionary<string, string?> Environment()
    {
        var environment = CloudflareCli.Environment(_api);
        environment["R2_ACCESS_KEY_ID"] = "r2-key-id";
        environment["R2_SECRET_ACCESS_KEY"] = "r2-secret-value";
        return environment;
    }
}
