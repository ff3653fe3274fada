using LogpushKit.Cloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class DestinationConfTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void R2_Build_MatchesDocumentedFormAndKeepsDate()
    {
        var d = DestinationConf.R2("logpush-bucket", "gateway_http/{DATE}", "acc123", "AKID", Secret);

        Assert.Equal($"r2://logpush-bucket/gateway_http/{{DATE}}?account-id=acc123&access-key-id=AKID&secret-access-key={Secret}", d.ToUnmaskedString());
        Assert.Equal("r2://logpush-bucket/gateway_http/{DATE}?account-id=acc123&access-key-id=AKID&secret-access-key=***", d.ToString());
        Assert.Equal(Secret, d.RevealSecretAccessKey());
    }

    [Fact]
    public void R2_WithoutPath_HasNoSlash()
    {
        var d = DestinationConf.R2("b", null, "a", "k", "s");

        Assert.Equal("r2://b?account-id=a&access-key-id=k&secret-access-key=s", d.ToUnmaskedString());
        Assert.Null(d.Path);
    }

    [Fact]
    public void S3Compatible_ForEuBucket_MatchesDocumentedForm()
    {
        var d = DestinationConf.S3Compatible("eu-logs", "http/{DATE}", "AKID", Secret, DestinationConf.R2Endpoint("acc123", "eu"));

        Assert.Equal($"s3://eu-logs/http/{{DATE}}?region=auto&access-key-id=AKID&secret-access-key={Secret}&endpoint=acc123.eu.r2.cloudflarestorage.com", d.ToUnmaskedString());
        Assert.DoesNotContain(Secret, d.ToString(), StringComparison.Ordinal);
        Assert.Equal(DestinationScheme.S3Compatible, d.Scheme);
    }

    [Theory]
    [InlineData(null, "acc.r2.cloudflarestorage.com")]
    [InlineData("default", "acc.r2.cloudflarestorage.com")]
    [InlineData("eu", "acc.eu.r2.cloudflarestorage.com")]
    [InlineData("fedramp", "acc.fedramp.r2.cloudflarestorage.com")]
    public void R2Endpoint_PerJurisdiction(string? jurisdiction, string expected)
    {
        Assert.Equal(expected, DestinationConf.R2Endpoint("acc", jurisdiction));
    }

    [Fact]
    public void Parse_R2_RoundTrips()
    {
        var text = $"r2://logs/gateway_http/{{DATE}}?account-id=acc&access-key-id=AK&secret-access-key={Secret}";

        var d = DestinationConf.Parse(text);

        Assert.Equal(DestinationScheme.R2, d.Scheme);
        Assert.Equal("logs", d.Bucket);
        Assert.Equal("gateway_http/{DATE}", d.Path);
        Assert.Equal("acc", d.AccountId);
        Assert.Equal("AK", d.AccessKeyId);
        Assert.Equal(Secret, d.RevealSecretAccessKey());
        Assert.Equal(text, d.ToUnmaskedString());
        Assert.Equal(d, DestinationConf.Parse(d.ToUnmaskedString()));
    }

    [Fact]
    public void Parse_S3Compatible_ReadsEndpointAndRegion()
    {
        var d = DestinationConf.Parse("s3://b/p?region=auto&access-key-id=k&secret-access-key=s&endpoint=acc.eu.r2.cloudflarestorage.com");

        Assert.Equal("acc.eu.r2.cloudflarestorage.com", d.Endpoint);
        Assert.Equal("auto", d.Region);
        Assert.Equal("p", d.Path);
    }

    [Fact]
    public void Parse_EscapedSecret_Unescaped()
    {
        var d = DestinationConf.R2("b", null, "a", "k", "s/+=&x");

        Assert.Contains("secret-access-key=s%2F%2B%3D%26x", d.ToUnmaskedString(), StringComparison.Ordinal);
        Assert.Equal("s/+=&x", DestinationConf.Parse(d.ToUnmaskedString()).RevealSecretAccessKey());
    }

    [Theory]
    [InlineData("r2://b?access-key-id=k&secret-access-key=s", "account-id")]
    [InlineData("r2://b?account-id=a&secret-access-key=s", "access-key-id")]
    [InlineData("r2://b?account-id=a&access-key-id=k", "secret-access-key")]
    [InlineData("s3://b?region=us-east-1&access-key-id=k&secret-access-key=s", "endpoint")]
    [InlineData("gs://bucket/dir", "gs")]
    [InlineData("bucket/dir", "no scheme")]
    [InlineData("r2://?account-id=a", "bucket")]
    public void Parse_Invalid_ThrowsNamingWhatIsMissing(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => DestinationConf.Parse(text));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.False(DestinationConf.TryParse(text, out _));
    }

    [Fact]
    public void Parse_InvalidWithSecret_MessageDoesNotShowIt()
    {
        var ex = Assert.Throws<FormatException>(() => DestinationConf.Parse("r2://b?secret-access-key=TOPSECRET"));

        Assert.DoesNotContain("TOPSECRET", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("r2://b/p?account-id=a&access-key-id=k&secret-access-key=SECRET", "r2://b/p?account-id=a&access-key-id=k&secret-access-key=***")]
    [InlineData("s3://b?region=us-east-1&sse=AES256", "s3://b?region=us-east-1&sse=AES256")]
    [InlineData("https://logs.example.com/in?header_Authorization=Basic%20SECRET&tags=x", "https://logs.example.com/in?header_Authorization=***&tags=x")]
    [InlineData("azure://c/dir?sv=2022-11-02&ss=b&sig=SECRET", "azure://c/dir?sv=2022-11-02&ss=b&sig=***")]
    [InlineData("datadog://http-intake.logs.datadoghq.com/v1/input?header_DD-API-KEY=SECRET", "datadog://http-intake.logs.datadoghq.com/v1/input?header_DD-API-KEY=***")]
    [InlineData("gs://bucket/dir", "gs://bucket/dir")]
    public void Mask_AnyScheme_HidesSecrets(string input, string expected)
    {
        Assert.Equal(expected, DestinationConf.Mask(input));
    }

    [Fact]
    public void MaskSecretsInText_ErrorMessageEchoingDestination_Masked()
    {
        var text = "destination r2://b?account-id=a&access-key-id=k&secret-access-key=SECRET is invalid";

        Assert.Equal("destination r2://b?account-id=a&access-key-id=k&secret-access-key=*** is invalid", DestinationConf.MaskSecretsInText(text));
    }

    [Fact]
    public void RecordPrinting_DoesNotShowSecret()
    {
        var d = DestinationConf.R2("b", "p", "a", "k", "SECRET");

        Assert.DoesNotContain("SECRET", d.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", $"{new { d }}", StringComparison.Ordinal);
    }
}
