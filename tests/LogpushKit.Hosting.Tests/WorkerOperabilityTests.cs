using System.Net;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The worker's configuration keys: a key under <c>LogpushKit</c> that no setting reads is refused at start-up, named,
/// with the setting it most likely means; every real setting (any case, list items) is accepted; and the worker's README
/// lists every setting with its environment variable.
/// </summary>
public sealed class WorkerConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("logpushkit-keys").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Dictionary<string, string?> Valid() => new()
    {
        ["LogpushKit:Source"] = _dir,
        ["LogpushKit:Target"] = Path.Combine(_dir, "csv"),
    };

    private static IReadOnlyList<string> Failures(IReadOnlyDictionary<string, string?> settings, bool sectionOverload)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        if (sectionOverload)
        {
            services.AddLogpushKit(configuration.GetSection("LogpushKit"));
        }
        else
        {
            services.AddLogpushKit();
        }

        using var provider = services.BuildServiceProvider();
        var error = Record.Exception(() => provider.GetRequiredService<IOptions<LogpushKitOptions>>().Value);
        return error is OptionsValidationException validation ? [.. validation.Failures] : [];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryKnownKey_AnyCase_IsAccepted(bool sectionOverload)
    {
        var settings = Valid();
        settings["logpushkit:suffix"] = ".gz";
        settings["LogpushKit:ReconcileIntervalSeconds"] = "0";
        settings["LogpushKit:Transform:Fields:0"] = "a";
        settings["LogpushKit:Transform:Fields:1"] = "b";
        settings["LogpushKit:Transform:TimestampFields"] = "a,b";
        settings["LogpushKit:Transform:onbadline"] = "skip";
        settings["LogpushKit:Queue:MaxFailureSeconds"] = "60";
        settings["LogpushKit:Queue:DrainTimeoutSeconds"] = "5";

        Assert.Empty(Failures(settings, sectionOverload));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MisspeltKeys_EachNamedWithWhatItMeans(bool sectionOverload)
    {
        var settings = Valid();
        settings["LogpushKit:Queue:MaxFailureSecond"] = "60";
        settings["LogpushKit:Transform:Timestamp"] = "unix";
        settings["LogpushKit:Sorce"] = "x";

        var failures = Failures(settings, sectionOverload);

        Assert.Contains("LogpushKit:Queue:MaxFailureSecond is not a setting (did you mean LogpushKit:Queue:MaxFailureSeconds?); it would be ignored.", failures);
        Assert.Contains("LogpushKit:Transform:Timestamp is not a setting (did you mean LogpushKit:Transform:Timestamps?); it would be ignored.", failures);
        Assert.Contains("LogpushKit:Sorce is not a setting (did you mean LogpushKit:Source?); it would be ignored.", failures);
        Assert.Equal(3, failures.Count);
    }

    [Fact]
    public void UnrelatedKey_ListsTheSettingsOfItsSection()
    {
        var settings = Valid();
        settings["LogpushKit:Queue:Colour"] = "blue";

        var failure = Assert.Single(Failures(settings, sectionOverload: false));

        Assert.StartsWith("LogpushKit:Queue:Colour is not a setting; it would be ignored. The settings under LogpushKit:Queue are AccountId, ApiBaseUrl, ApiToken, BatchSize, ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysBeneathAValueOrAList_AreRefused()
    {
        var settings = Valid();
        settings["LogpushKit:Source:Path"] = "x";
        settings["LogpushKit:Transform:Fields:first"] = "a";

        var failures = Failures(settings, sectionOverload: false);

        Assert.Contains("LogpushKit:Source:Path is not a setting: LogpushKit:Source takes a single value.", failures);
        Assert.Contains("LogpushKit:Transform:Fields:first is not a setting: LogpushKit:Transform:Fields takes a list of items (LogpushKit:Transform:Fields:0, LogpushKit:Transform:Fields:1, …) or one comma-separated value.", failures);
    }

    [Fact]
    public async Task Worker_MisspeltEnvironmentVariable_ExitsTwoNamingTheKey()
    {
        var environment = new Dictionary<string, string>
        {
            ["LogpushKit__Source"] = _dir,
            ["LogpushKit__Target"] = Path.Combine(_dir, "csv"),
            ["LogpushKit__Queue__MaxFailureSecond"] = "60",
        };

        var run = await WorkerProcess.RunAsync(_dir, environment);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("LogpushKit:Queue:MaxFailureSecond is not a setting (did you mean LogpushKit:Queue:MaxFailureSeconds?); it would be ignored.", run.StandardError.TrimEnd('\n'));
        Assert.False(Directory.Exists(Path.Combine(_dir, "csv")), "the worker started despite the configuration error");
    }

    [Fact]
    public void WorkerReadme_ListsEverySettingWithItsEnvironmentVariable()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "samples", "LogpushKit.Worker", "README.md"));
        var sections = new (string Prefix, IEnumerable<string> Names)[]
        {
            ("LogpushKit__", typeof(LogpushKitOptions).GetProperties().Select(p => p.Name).Except(["Transform", "Queue", "FeedHealth"])),
            ("LogpushKit__Transform__", typeof(LogpushKitTransformOptions).GetProperties().Select(p => p.Name)),
            ("LogpushKit__Queue__", typeof(LogpushKitQueueOptions).GetProperties().Select(p => p.Name)),
            ("LogpushKit__FeedHealth__", typeof(LogpushKitFeedHealthOptions).GetProperties().Select(p => p.Name)),
        };

        var missing = sections
            .SelectMany(s => s.Names.Select(name => $"| `{name}` | `{s.Prefix}{name}`"))
            .Where(row => !readme.Contains(row, StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, "samples/LogpushKit.Worker/README.md lacks the rows: " + string.Join(", ", missing));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LogpushKit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LogpushKit.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// The worker's health check (<c>AddHealthChecks().AddLogpushKit()</c>) as a host's <see cref="HealthCheckService"/> runs
/// it: degraded before the start, healthy while the worker runs, unhealthy while the queue consumer's pulls fail (with
/// the consumer state, last success and failure streak in its data), once the pipeline failed, and after the stop.
/// </summary>
public sealed class LogpushKitHealthCheckTests : FakeQueueTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _source = new("health-src");
    private readonly TempDirectory _target = new("health-dst");

    protected override void CleanUp()
    {
        _source.Dispose();
        _target.Dispose();
    }

    private IHost BuildHost(bool queue, Action<LogpushKitOptions>? configure = null) => ServiceCollectionExtensionsTests.BuildHost(
        o =>
        {
            (o.Source, o.Target) = (_source.Path, _target.Path);
            o.ReconcileOnStart = false;
            if (queue)
            {
                o.Queue.QueueId = Queue.Id;
                o.Queue.AccountId = FakeCloudflareApi.DefaultAccountId;
                o.Queue.ApiToken = Api.ApiToken;
                o.Queue.ApiBaseUrl = Api.BaseAddress.AbsoluteUri;
                o.Queue.RetryDelaySeconds = 0;
            }

            configure?.Invoke(o);
        },
        services => services.AddHealthChecks().AddLogpushKit(tags: ["ready"]));

    private static async Task<HealthReportEntry> CheckAsync(IHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return Assert.Single(report.Entries, e => e.Key == "logpushkit").Value;
    }

    [Fact]
    public async Task Check_FolderWatcher_DegradedBeforeStartHealthyWhileRunningUnhealthyAfterStop()
    {
        using var host = BuildHost(queue: false);
        var state = host.Services.GetRequiredService<LogpushKitWorkerState>();

        var before = await CheckAsync(host);
        await host.StartAsync();
        using var cts = new CancellationTokenSource(Timeout);

        // the worker is Running as soon as it starts its pipeline; the pipeline watches the folder a moment later
        HealthReportEntry running;
        while (state.Status != LogpushKitWorkerStatus.Running || !Equals((running = await CheckAsync(host)).Data["activity"], "Watching"))
        {
            await Task.Delay(25, cts.Token);
        }

        await host.StopAsync();
        var after = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Equal("NotStarted", before.Data["status"]);
        Assert.Equal(HealthStatus.Healthy, running.Status);
        Assert.Equal("folder watcher", running.Data["mode"]);
        Assert.Equal("Watching", running.Data["activity"]);
        Assert.Contains("ready", running.Tags);
        Assert.Equal(HealthStatus.Unhealthy, after.Status);
        Assert.Equal("Stopped", after.Data["status"]);
    }

    [Fact]
    public async Task Check_QueuePullsFailing_UnhealthyWithConsumerStateAndStreak_ThenHealthyAgain()
    {
        Api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.Forbidden, (10000, "Authentication error")).For("POST", "/messages/pull"), times: 3);
        using var host = BuildHost(queue: true, o => o.Queue.MaxFailureSeconds = 0);
        var state = host.Services.GetRequiredService<LogpushKitWorkerState>();

        await host.StartAsync();
        using var cts = new CancellationTokenSource(Timeout);
        HealthReportEntry failing;
        do
        {
            await Task.Delay(25, cts.Token);
            failing = await CheckAsync(host);
        }
        while (failing.Status != HealthStatus.Unhealthy);

        while (state.Health.Consumer?.Status != LogpushKit.Pipeline.QueueConsumerStatus.Healthy)
        {
            await Task.Delay(25, cts.Token);
        }

        var recovered = await CheckAsync(host);
        await host.StopAsync();

        Assert.StartsWith("The queue consumer is failing since ", failing.Description, StringComparison.Ordinal);
        Assert.Contains("[10000] Authentication error", failing.Description, StringComparison.Ordinal);
        Assert.Equal("Failing", failing.Data["consumer.status"]);
        Assert.True((int)failing.Data["consumer.consecutiveFailures"] >= 1);
        Assert.True(failing.Data.ContainsKey("consumer.failingSince"));
        Assert.DoesNotContain(Api.ApiToken, failing.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, recovered.Status);
        Assert.Equal("Healthy", recovered.Data["consumer.status"]);
        Assert.True(recovered.Data.ContainsKey("consumer.lastSuccess"));
        Assert.Equal("queue consumer", recovered.Data["mode"]);
    }

    [Fact]
    public async Task Check_PipelineFailed_UnhealthyWithTheFailureSecretsMasked()
    {
        using var host = BuildHost(queue: false);
        var state = host.Services.GetRequiredService<LogpushKitWorkerState>();

        state.Failed(new LogpushKitException("the source can no longer be listed: https://x/?secret-access-key=abc123"), summary: null);
        var entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("The LogpushKit worker failed: the source can no longer be listed", entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("abc123", entry.Description, StringComparison.Ordinal);
    }
}
