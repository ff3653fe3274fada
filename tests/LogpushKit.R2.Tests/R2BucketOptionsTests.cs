using Amazon.Runtime;

namespace LogpushKit.R2.Tests;

public sealed class R2BucketOptionsTests
{
    private const string Secret = "s3cr3t-value-never-shown";

    [Theory]
    [InlineData(R2Jurisdiction.Default, "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com/")]
    [InlineData(R2Jurisdiction.Eu, "https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com/")]
    [InlineData(R2Jurisdiction.FedRamp, "https://0123456789abcdef0123456789abcdef.fedramp.r2.cloudflarestorage.com/")]
    public void Constructor_AccountIdAndJurisdiction_BuildsAccountEndpoint(R2Jurisdiction jurisdiction, string expected)
    {
        using var bucket = new R2Bucket(Valid(o =>
        {
            o.Endpoint = null;
            o.AccountId = "0123456789abcdef0123456789abcdef";
            o.Jurisdiction = jurisdiction;
        }));

        Assert.Equal(new Uri(expected), bucket.Endpoint);
        Assert.Equal(expected, bucket.Config.ServiceURL);
        Assert.False(bucket.SignsPayload);
    }

    [Fact]
    public void Constructor_AppliesR2Settings()
    {
        using var bucket = new R2Bucket(Valid(o => o.MaxRetries = 3));

        Assert.Equal("auto", bucket.Config.AuthenticationRegion);
        Assert.Equal(RequestChecksumCalculation.WHEN_REQUIRED, bucket.Config.RequestChecksumCalculation);
        Assert.Equal(ResponseChecksumValidation.WHEN_REQUIRED, bucket.Config.ResponseChecksumValidation);
        Assert.Equal(RequestRetryMode.Standard, bucket.Config.RetryMode);
        Assert.Equal(3, bucket.Config.MaxErrorRetry);
        Assert.True(bucket.Config.ForcePathStyle);
        Assert.True(bucket.Config.IgnoreConfiguredEndpointUrls);
    }

    [Theory]
    [InlineData("https://r2.example/", false)]
    [InlineData("http://127.0.0.1:9000/", true)]
    public void UploadRequests_NeverChunkedAndSignedOnlyOverHttp(string endpoint, bool signed)
    {
        using var bucket = new R2Bucket(Valid(o => o.Endpoint = new Uri(endpoint)));
        using var body = new MemoryStream([1, 2, 3]);

        var put = bucket.CreatePutObjectRequest("k", body, "text/csv", new Dictionary<string, string> { ["a"] = "ü" });
        var part = bucket.CreateUploadPartRequest("k", "upload", 1, body, 3);

        Assert.False(put.UseChunkEncoding);
        Assert.False(part.UseChunkEncoding);
        Assert.Equal(!signed, put.DisablePayloadSigning);
        Assert.Equal(!signed, part.DisablePayloadSigning);
        Assert.True(put.DisableDefaultChecksumValidation);
        Assert.True(part.DisableDefaultChecksumValidation);
        Assert.Equal("text/csv", put.ContentType);
        Assert.Equal("=?UTF-8?B?w7w=?=", put.Metadata["a"]);
        Assert.Equal(3, part.PartSize);
    }

    [Fact]
    public void Constructor_CredentialsFromEnvironment_AreUsed()
    {
        var environment = new Dictionary<string, string>
        {
            ["R2_ACCOUNT_ID"] = "abc123",
            ["R2_ACCESS_KEY_ID"] = "key-from-env",
            ["R2_SECRET_ACCESS_KEY"] = Secret,
        };
        var options = new R2BucketOptions { Bucket = "logs", GetEnvironmentVariable = environment.GetValueOrDefault };

        using var bucket = new R2Bucket(options);

        Assert.Equal(new Uri("https://abc123.r2.cloudflarestorage.com/"), bucket.Endpoint);
        Assert.Equal("key-from-env", options.ResolveAccessKeyId());
        Assert.Equal(Secret, options.ResolveSecretAccessKey());
    }

    [Fact]
    public void ResolveEndpoint_Precedence_OptionsBeforeEnvironmentEndpointBeforeEnvironmentAccount()
    {
        var environment = new Dictionary<string, string> { ["R2_ACCOUNT_ID"] = "envaccount", ["R2_ENDPOINT"] = "http://127.0.0.1:9000" };
        var options = new R2BucketOptions { Bucket = "logs", GetEnvironmentVariable = environment.GetValueOrDefault };

        Assert.Equal(new Uri("http://127.0.0.1:9000"), options.ResolveEndpoint());
        options.AccountId = "optionaccount";
        Assert.Equal(new Uri("https://optionaccount.r2.cloudflarestorage.com"), options.ResolveEndpoint());
        options.Endpoint = new Uri("https://explicit.example");
        Assert.Equal(new Uri("https://explicit.example"), options.ResolveEndpoint());
        environment.Remove("R2_ENDPOINT");
        options.Endpoint = null;
        options.AccountId = null;
        options.Jurisdiction = R2Jurisdiction.Eu;
        Assert.Equal(new Uri("https://envaccount.eu.r2.cloudflarestorage.com"), options.ResolveEndpoint());
    }

    [Fact]
    public void Check_ExplicitCredentials_WinOverEnvironment()
    {
        var environment = new Dictionary<string, string> { ["R2_ACCESS_KEY_ID"] = "env", ["R2_SECRET_ACCESS_KEY"] = "env-secret" };
        var options = Valid(o => o.GetEnvironmentVariable = environment.GetValueOrDefault);

        Assert.Equal("AKID", options.ResolveAccessKeyId());
        Assert.Equal(Secret, options.ResolveSecretAccessKey());
    }

    [Fact]
    public void Check_NothingConfigured_ListsEveryMissingSettingWithItsVariable()
    {
        var failures = R2BucketOptionsValidator.Check(new R2BucketOptions { GetEnvironmentVariable = static _ => null });

        Assert.Contains(failures, f => f.Contains("Bucket is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("R2_ACCOUNT_ID", StringComparison.Ordinal) && f.Contains("R2_ENDPOINT", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("R2_ACCESS_KEY_ID", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("R2_SECRET_ACCESS_KEY", StringComparison.Ordinal));
    }

    public static TheoryData<string, Action<R2BucketOptions>> InvalidOptions => new()
    {
        { "PartSize", o => o.PartSize = R2BucketOptions.MinPartSize - 1 },
        { "PartsInFlight", o => o.PartsInFlight = 0 },
        { "PartsInFlight", o => o.PartsInFlight = 17 },
        { "SinglePutThreshold", o => o.SinglePutThreshold = R2BucketOptions.DefaultPartSize + 1 },
        { "SinglePutThreshold", o => o.SinglePutThreshold = -1 },
        { "MaxRetries", o => o.MaxRetries = 11 },
        { "RequestTimeout", o => o.RequestTimeout = TimeSpan.Zero },
        { "Bucket", o => o.Bucket = "Not_A_Bucket" },
        { "Endpoint", o => o.Endpoint = new Uri("ftp://example.com") },
        { "Endpoint", o => o.Endpoint = new Uri("https://user:" + Secret + "@example.com") },
        { "AccountId", o => { o.Endpoint = null; o.AccountId = "evil.com/x?"; } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidOption_ThrowsNamingTheSettingButNotTheSecret(string setting, Action<R2BucketOptions> breakIt)
    {
        var ex = Assert.Throws<ArgumentException>(() => new R2Bucket(Valid(breakIt)));

        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    private static R2BucketOptions Valid(Action<R2BucketOptions>? configure = null)
    {
        var options = new R2BucketOptions
        {
            Bucket = "logs",
            Endpoint = new Uri("https://r2.example/"),
            AccessKeyId = "AKID",
            SecretAccessKey = Secret,
            GetEnvironmentVariable = static _ => null,
        };
        configure?.Invoke(options);
        return options;
    }
}
