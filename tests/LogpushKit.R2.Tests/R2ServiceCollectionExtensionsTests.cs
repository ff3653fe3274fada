using LogpushKit.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LogpushKit.R2.Tests;

public sealed class R2ServiceCollectionExtensionsTests
{
    private const string Secret = "s3cr3t-from-config";

    [Fact]
    public void AddLogpushR2_ConfigurationSection_BindsOptionsAndResolvesOneBucket()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["R2:Bucket"] = "logs",
            ["R2:AccountId"] = "abc123",
            ["R2:Jurisdiction"] = "Eu",
            ["R2:AccessKeyId"] = "AKID",
            ["R2:SecretAccessKey"] = Secret,
            ["R2:PartSize"] = "6291456",
            ["R2:PartsInFlight"] = "3",
        }).Build();
        var services = new ServiceCollection().AddLogpushR2(configuration.GetSection("R2"));
        services.Configure<R2BucketOptions>(o => o.GetEnvironmentVariable = static _ => null);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<R2BucketOptions>>().Value;
        var bucket = provider.GetRequiredService<IR2Bucket>();

        Assert.Equal(R2Jurisdiction.Eu, options.Jurisdiction);
        Assert.Equal(6 * 1024 * 1024, options.PartSize);
        Assert.Equal(3, options.PartsInFlight);
        Assert.Same(provider.GetRequiredService<R2Bucket>(), bucket);
        Assert.Equal("logs", bucket.Name);
        Assert.Equal(new Uri("https://abc123.eu.r2.cloudflarestorage.com/"), ((R2Bucket)bucket).Endpoint);
    }

    [Fact]
    public void AddLogpushR2_Action_ConfiguresOptions()
    {
        using var provider = new ServiceCollection()
            .AddLogpushR2(o =>
            {
                o.Bucket = "target";
                o.Endpoint = new Uri("http://127.0.0.1:9000");
                o.AccessKeyId = "AKID";
                o.SecretAccessKey = Secret;
            })
            .BuildServiceProvider();

        var bucket = provider.GetRequiredService<R2Bucket>();

        Assert.Equal("target", bucket.Name);
        Assert.True(bucket.SignsPayload);
    }

    [Fact]
    public void AddLogpushR2_NoArguments_ReadsEnvironment()
    {
        var environment = new Dictionary<string, string> { ["R2_ENDPOINT"] = "https://s3.example", ["R2_ACCESS_KEY_ID"] = "id", ["R2_SECRET_ACCESS_KEY"] = Secret };
        var services = new ServiceCollection().AddLogpushR2();
        services.Configure<R2BucketOptions>(o =>
        {
            o.Bucket = "from-env";
            o.GetEnvironmentVariable = environment.GetValueOrDefault;
        });
        using var provider = services.BuildServiceProvider();

        Assert.Equal(new Uri("https://s3.example/"), provider.GetRequiredService<R2Bucket>().Endpoint);
    }

    [Fact]
    public async Task AddLogpushR2_InvalidOptions_HostFailsAtStartWithClearMessageWithoutSecret()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddLogpushR2(o =>
        {
            o.Bucket = "logs";
            o.SecretAccessKey = Secret;
            o.PartSize = 1024;
            o.GetEnvironmentVariable = static _ => null;
        });
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("PartSize 1024", ex.Message, StringComparison.Ordinal);
        Assert.Contains("R2_ACCESS_KEY_ID", ex.Message, StringComparison.Ordinal);
        Assert.Contains("No endpoint", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddLogpushR2_CalledTwice_RegistersOneValidatorAndOneBucket()
    {
        var services = new ServiceCollection();

        services.AddLogpushR2().AddLogpushR2();

        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<R2BucketOptions>));
        Assert.Single(services, d => d.ServiceType == typeof(IR2Bucket));
    }
}
