using LogpushKit.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LogpushKit.R2.Tests;

/// <summary>
/// The one rule by which the CLI and the worker open r2:// and s3:// locations.
/// </summary>
public sealed class R2BucketProviderTests
{
    private const string Secret = "s3cr3t-value";

    [Fact]
    public void Open_S3_EndpointFromTheVariableAndAwsCredentials()
    {
        var bucket = Open("s3://logs/gw", new() { ["LOGPUSHKIT_S3_ENDPOINT"] = "http://127.0.0.1:9000", ["AWS_ACCESS_KEY_ID"] = "id", ["AWS_SECRET_ACCESS_KEY"] = Secret });

        Assert.Equal("logs", bucket.Name);
        Assert.Equal(new Uri("http://127.0.0.1:9000/"), bucket.Endpoint);
    }

    [Fact]
    public void Open_S3_ExplicitEndpointWinsAndR2CredentialsServeWithoutAwsOnes()
    {
        var bucket = Open(
            "s3://logs",
            new() { ["LOGPUSHKIT_S3_ENDPOINT"] = "http://wrong.example", ["R2_ACCESS_KEY_ID"] = "id", ["R2_SECRET_ACCESS_KEY"] = Secret },
            endpoint: "https://s3.example:8443");

        Assert.Equal(new Uri("https://s3.example:8443/"), bucket.Endpoint);
    }

    [Fact]
    public void Open_R2_AccountEndpointFromTheVariable()
    {
        var bucket = Open("r2://logs", new() { ["R2_ACCOUNT_ID"] = "abc123", ["R2_ACCESS_KEY_ID"] = "id", ["R2_SECRET_ACCESS_KEY"] = Secret });

        Assert.Equal(new Uri("https://abc123.r2.cloudflarestorage.com/"), bucket.Endpoint);
    }

    [Fact]
    public void Open_R2_IgnoresAwsCredentials()
    {
        var ex = Assert.Throws<LogpushSettingException>(() => Open("r2://logs", new() { ["R2_ACCOUNT_ID"] = "abc123", ["AWS_ACCESS_KEY_ID"] = "id", ["AWS_SECRET_ACCESS_KEY"] = Secret }));

        Assert.Equal("--source: 'r2://logs/' needs credentials (set the R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY environment variables).", ex.Message);
    }

    [Fact]
    public void Open_S3NothingSet_OneMessageNamingEverythingToSet()
    {
        var ex = Assert.Throws<LogpushSettingException>(() => Open("s3://logs/gw", []));

        Assert.Equal("--source", ex.Setting);
        Assert.Equal(
            "--source: 's3://logs/gw' needs the address of its S3-compatible server (set --endpoint or the LOGPUSHKIT_S3_ENDPOINT environment variable) "
            + "and credentials (set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables, or R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY).",
            ex.Message);
    }

    [Theory]
    [InlineData("ftp://host", "--endpoint: 'ftp://host' is not an absolute http:// or https:// URL.")]
    [InlineData("not a url", "--endpoint: 'not a url' is not an absolute http:// or https:// URL.")]
    [InlineData("https://user:" + Secret + "@host", "--endpoint: the endpoint URL must not contain credentials (user info); use the access key environment variables.")]
    [InlineData("ftp://user:" + Secret + "@host", "--endpoint: the value is not an absolute http:// or https:// URL.")]
    public void Open_BadExplicitEndpoint_NamesTheFlagAndNeverEchoesASecret(string endpoint, string expected)
    {
        var ex = Assert.Throws<LogpushSettingException>(() => Open("s3://logs", new() { ["AWS_ACCESS_KEY_ID"] = "id", ["AWS_SECRET_ACCESS_KEY"] = Secret }, endpoint));

        Assert.Equal(expected, ex.Message);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LOGPUSHKIT_S3_ENDPOINT", "s3://logs")]
    [InlineData("R2_ENDPOINT", "r2://logs")]
    public void Open_BadEndpointVariable_NamesTheVariable(string variable, string location)
    {
        var ex = Assert.Throws<LogpushSettingException>(() => Open(location, new() { [variable] = "nope", ["R2_ACCESS_KEY_ID"] = "id", ["R2_SECRET_ACCESS_KEY"] = Secret }));

        Assert.Equal(variable, ex.Setting);
    }

    [Fact]
    public void Open_HalfACredentialPair_NamesTheMissingVariable()
    {
        var ex = Assert.Throws<LogpushSettingException>(() => Open("s3://logs", new() { ["LOGPUSHKIT_S3_ENDPOINT"] = "http://127.0.0.1:9000", ["AWS_ACCESS_KEY_ID"] = "id" }));

        Assert.Equal("AWS_SECRET_ACCESS_KEY", ex.Setting);
        Assert.DoesNotContain("R2BucketOptions", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ConfiguredCredentials_WinOverTheEnvironment()
    {
        var provider = new R2BucketProvider(
            configure: o => (o.AccessKeyId, o.SecretAccessKey) = ("from-config", Secret),
            getVariable: new Dictionary<string, string> { ["LOGPUSHKIT_S3_ENDPOINT"] = "http://127.0.0.1:9000" }.GetValueOrDefault);

        using var bucket = (R2Bucket)provider.Open(Request("s3://logs", null));

        Assert.Equal("logs", bucket.Name);
    }

    [Fact]
    public void AddLogpushR2Locations_RegistersTheProviderOnce()
    {
        var services = new ServiceCollection().AddLogpushR2Locations().AddLogpushR2Locations();
        using var provider = services.BuildServiceProvider();

        Assert.IsType<R2BucketProvider>(Assert.Single(provider.GetServices<IBucketProvider>()));
    }

    private static R2Bucket Open(string location, Dictionary<string, string> environment, string? endpoint = null)
        => (R2Bucket)new R2BucketProvider(getVariable: environment.GetValueOrDefault).Open(Request(location, endpoint));

    private static BucketRequest Request(string location, string? endpoint) => new()
    {
        Location = BucketLocation.Parse(location),
        Setting = "--source",
        Endpoint = endpoint,
        EndpointSetting = "--endpoint",
    };
}
