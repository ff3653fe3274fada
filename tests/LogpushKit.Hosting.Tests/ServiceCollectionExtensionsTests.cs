using LogpushKit.Testing;
using LogpushKit.Transform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting.Tests;

public sealed class ServiceCollectionExtensionsTests
{
    [Fact]
    public void AddLogpushKit_ConfigurationSection_BindsEveryLevel()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LogpushKit:Source"] = "/data/in",
            ["LogpushKit:Target"] = "r2://csv-bucket/out/",
            ["LogpushKit:Concurrency"] = "3",
            ["LogpushKit:TargetKeyTemplate"] = "{date}/{name}.csv",
            ["LogpushKit:Transform:Fields:0"] = "RayID",
            ["LogpushKit:Transform:Fields:1"] = "ClientIP",
            ["LogpushKit:Transform:OnBadLine"] = "Quarantine",
            ["LogpushKit:Transform:Delimiter"] = "tab",
            ["LogpushKit:Queue:QueueId"] = "q1",
            ["LogpushKit:Queue:BatchSize"] = "25",
            ["LogpushKit:Queue:AccountId"] = "acct",
            ["LogpushKit:Queue:ApiToken"] = "secret-token",
        }).Build();
        var services = new ServiceCollection().AddLogging();

        services.AddLogpushKit(configuration.GetSection("LogpushKit"));
        var options = services.BuildServiceProvider().GetRequiredService<IOptions<LogpushKitOptions>>().Value;

        Assert.Equal("/data/in", options.Source);
        Assert.Equal("r2://csv-bucket/out/", options.Target);
        Assert.Equal(3, options.Concurrency);
        Assert.Equal("{date}/{name}.csv", options.TargetKeyTemplate);
        Assert.Equal(["RayID", "ClientIP"], options.Transform.Fields);
        Assert.Equal(BadLinePolicy.Quarantine, TransformOptionsFactory.Create(options.Transform).OnBadLine);
        Assert.Equal("q1", options.Queue.QueueId);
        Assert.Equal(25, options.Queue.BatchSize);
        Assert.Equal('\t', TransformOptionsFactory.Create(options.Transform).Delimiter);
    }

    [Fact]
    public void AddLogpushKit_NoArguments_BindsTheLogpushKitSectionOfTheHost()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["LogpushKit:Source"] = "/a", ["LogpushKit:Target"] = "/b" });

        builder.Services.AddLogpushKit();
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<LogpushKitOptions>>().Value;
        Assert.Equal("/a", options.Source);
        Assert.Equal("/b", options.Target);
    }

    [Fact]
    public void AddLogpushKit_Action_SetsOptionsAndRegistersOneWorker()
    {
        var services = new ServiceCollection().AddLogging();

        services.AddLogpushKit(o => (o.Source, o.Target) = ("/x", "/y"));
        services.AddLogpushKit(o => o.Concurrency = 7);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<LogpushKitOptions>>().Value;
        Assert.Equal(("/x", "/y", 7), (options.Source, options.Target, options.Concurrency));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService)); // resolving it would open the pipeline (and find no /x)
    }

    [Theory]
    [InlineData(null, "/t", "LogpushKit:Source is required")]
    [InlineData("/s", "ftp://x/y", "unsupported scheme")]
    [InlineData("/s", "r2:///nobucket", "LogpushKit:Target")]
    public async Task StartAsync_BadLocation_FailsNamingTheKey(string? source, string target, string expected)
    {
        using var host = BuildHost(o => (o.Source, o.Target) = (source, target));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SeveralBadValues_ReportsEachOne()
    {
        using var host = BuildHost(o =>
        {
            (o.Source, o.Target) = ("/s", "/t");
            o.Concurrency = 0;
            o.TargetKeyTemplate = "{nope}";
            o.Transform.Delimiter = "ab";
            o.Transform.Timestamps = "rfc3339";
            o.Queue.QueueId = "q";
            o.Queue.AccountId = "a";
            o.Queue.ApiToken = "t";
            o.Queue.BatchSize = 500;
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("LogpushKit:Concurrency must be between 1 and 256", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LogpushKit:TargetKeyTemplate", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LogpushKit:Transform:Delimiter: 'ab'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LogpushKit:Queue:BatchSize must be between 1 and 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_QueueWithoutToken_FailsWithoutEchoingSecrets()
    {
        if (Environment.GetEnvironmentVariable("CLOUDFLARE_API_TOKEN") is not null || Environment.GetEnvironmentVariable("CLOUDFLARE_API_KEY") is not null)
        {
            return; // the environment supplies credentials: nothing to report
        }

        using var host = BuildHost(o => (o.Source, o.Target, o.Queue.QueueId, o.Queue.AccountId) = ("/s", "/t", "q", "acct"));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(
            "LogpushKit:Queue:QueueId is set but no Cloudflare credentials: set LogpushKit:Queue:ApiToken or CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY).",
            ex.Failures);
    }

    [Fact]
    public async Task StartAsync_BucketLocationWithoutProvider_FailsNamingTheKey()
    {
        using var temp = new TempDirectory();
        using var host = BuildHost(o => (o.Source, o.Target) = (temp.Path, "s3://csv-bucket/out/"));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("LogpushKit:Target: 's3://csv-bucket/out/'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AddLogpushR2Locations", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NegativeDrainTimeoutWithoutQueue_FailsNamingTheKey()
    {
        using var temp = new TempDirectory();
        using var host = BuildHost(o => (o.Source, o.Target, o.Queue.DrainTimeoutSeconds) = (temp.Path, temp.Path, -1));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("LogpushKit:Queue:DrainTimeoutSeconds must not be negative.", Assert.Single(ex.Failures));
    }

    internal static IHost BuildHost(Action<LogpushKitOptions> configure, Action<IServiceCollection>? more = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogpushKit(configure);
        more?.Invoke(builder.Services);
        return builder.Build();
    }
}
