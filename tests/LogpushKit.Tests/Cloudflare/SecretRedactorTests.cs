using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Json;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("https://user:PASS-w0rd@logs.example.com/in", "https://user:***@logs.example.com/in")]
    [InlineData("https://TOKEN123456@logs.example.com/in?x=1", "https://***@logs.example.com/in?x=***")]
    [InlineData("https://logs.example.com/in?header_Authorization=Basic%20SECRET&tags=a,b", "https://logs.example.com/in?header_Authorization=***&tags=a,b")]
    [InlineData("https://logs.example.com/in?HEADER_X-Api-Key=k1&token=t1&unknown_param=u1", "https://logs.example.com/in?HEADER_X-Api-Key=***&token=***&unknown_param=***")]
    [InlineData("r2://b/{DATE}?account-id=acc&access-key-id=AKID&secret-access-key=S3CR3T", "r2://b/{DATE}?account-id=acc&access-key-id=AKID&secret-access-key=***")]
    [InlineData("s3://b/p?region=auto&access-key-id=k&secret-access-key=s&endpoint=acc.eu.r2.cloudflarestorage.com", "s3://b/p?region=auto&access-key-id=k&secret-access-key=***&endpoint=acc.eu.r2.cloudflarestorage.com")]
    [InlineData("azure://c/dir?sv=2022-11-02&ss=b&srt=co&sp=w&se=2030-01-01&sig=SIGNATURE", "azure://c/dir?sv=2022-11-02&ss=b&srt=co&sp=w&se=2030-01-01&sig=***")]
    [InlineData("splunk://hec.example.com:8088/services/collector/raw?channel=c1&insecure-skip-verify=false&sourcetype=cloudflare:json&header_Authorization=Splunk%20TOKEN", "splunk://hec.example.com:8088/services/collector/raw?channel=c1&insecure-skip-verify=false&sourcetype=cloudflare:json&header_Authorization=***")]
    [InlineData("sumo://endpoint1.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV0xSECRET", "sumo://endpoint1.collection.sumologic.com/receiver/v1/http/***")]
    [InlineData("gs://bucket/dir", "gs://bucket/dir")]
    [InlineData("https://logs.example.com/in?flag&empty=", "https://logs.example.com/in?flag&empty=")]
    public void MaskDestination_EverySchemeAndPart_HidesSecretsOnly(string input, string expected)
    {
        Assert.Equal(expected, SecretRedactor.MaskDestination(input));
        Assert.Equal(expected, DestinationConf.Mask(input));
    }

    [Theory]
    [InlineData("error writing to https://u:hunter2hunter2@h/p: 403", "error writing to https://u:***@h/p: 403")]
    [InlineData("destination r2://b?account-id=a&access-key-id=k&secret-access-key=SECRET is invalid", "destination r2://b?account-id=a&access-key-id=k&secret-access-key=*** is invalid")]
    [InlineData("upload failed: header_Authorization=Bearer abcdefghijkl rejected", "upload failed: header_Authorization=*** *** rejected")]
    [InlineData("sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "sent Authorization: *** ***")]
    [InlineData("password=hunter2 and api_key: k-123", "password=*** and api_key: ***")]
    [InlineData("no secret here: 5 objects, 10 s", "no secret here: 5 objects, 10 s")]
    public void MaskText_FreeText_HidesUrlsAndSecretPairs(string input, string expected)
    {
        Assert.Equal(expected, SecretRedactor.MaskText(input));
    }

    [Fact]
    public void MaskText_RegisteredSecretEchoed_HiddenInAnyForm()
    {
        const string secret = "reg+istered/secret=value-9f8e7d";
        SecretRedactor.Register(secret);

        var text = $"server said: token {secret} is invalid; also as {Uri.EscapeDataString(secret)} in a URL path /x/{Uri.EscapeDataString(secret)}/y";

        var masked = SecretRedactor.MaskText(text);
        Assert.DoesNotContain(secret, masked, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(secret), masked, StringComparison.Ordinal);
        Assert.Equal("server said: token *** is invalid; also as *** in a URL path /x/***/y", masked);
    }

    [Fact]
    public void Register_ShortValue_Ignored()
    {
        SecretRedactor.Register("abc");

        Assert.Equal("abc is a word", SecretRedactor.MaskText("abc is a word"));
    }

    [Fact]
    public void Credentials_Created_TheirSecretIsMaskedEverywhere()
    {
        var token = "tok-" + Guid.NewGuid().ToString("N");
        _ = CloudflareCredentials.ApiToken(token);
        var key = "key-" + Guid.NewGuid().ToString("N");
        _ = CloudflareCredentials.GlobalApiKey("ops@example.com", key);

        Assert.Equal("echo *** and ***", SecretRedactor.MaskText($"echo {token} and {key}"));
    }

    [Fact]
    public void FromEnvironment_RegistersTheR2SecretToo()
    {
        var r2 = "r2s-" + Guid.NewGuid().ToString("N");
        var env = new Dictionary<string, string> { ["CLOUDFLARE_API_TOKEN"] = "tok-" + Guid.NewGuid().ToString("N"), ["R2_SECRET_ACCESS_KEY"] = r2 };

        _ = CloudflareCredentials.FromEnvironment(n => env.GetValueOrDefault(n));

        Assert.Equal("*** leaked", SecretRedactor.MaskText($"{r2} leaked"));
    }

    [Fact]
    public void WithMaskedSecrets_EveryTextMemberMasked_AlsoUnknownOnes()
    {
        var r2Secret = "job-secret-" + Guid.NewGuid().ToString("N");
        var destination = DestinationConf.R2("b", "p", "acc", "AKID", r2Secret).ToUnmaskedString();
        var job = CloudflareJson.Deserialize<LogpushJob>(new JsonObject
        {
            ["id"] = 1,
            ["destination_conf"] = "https://user:pw-123456@logs.example.com/in?header_Authorization=Basic%20abc&tags=t",
            ["error_message"] = $"could not write to {destination}: access denied for https://u:p4ssw0rd!@h/x",
            ["name"] = $"job with {r2Secret} in its name",
            ["ownership_challenge"] = "eyJ0eXAiOiJKV1QifQ.challenge",
            ["future_text"] = $"echo {r2Secret}",
            ["output_options"] = new JsonObject { ["batch_prefix"] = r2Secret, ["future_nested"] = new JsonArray($"x {r2Secret}") },
        }.ToJsonString())!;

        var masked = job.WithMaskedSecrets();
        var json = CloudflareJson.Serialize(masked);
        var text = job.ToString();

        foreach (var output in new[] { json, text })
        {
            Assert.DoesNotContain(r2Secret, output, StringComparison.Ordinal);
            Assert.DoesNotContain("pw-123456", output, StringComparison.Ordinal);
            Assert.DoesNotContain("p4ssw0rd", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Basic%20abc", output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("eyJ0eXAiOiJKV1QifQ", json, StringComparison.Ordinal);
        Assert.Equal("https://user:***@logs.example.com/in?header_Authorization=***&tags=t", masked.DestinationConf);
        Assert.Equal(1, masked.Id);
    }

    [Fact]
    public async Task ApiError_EchoesTheClientsToken_ExceptionMessageMasksIt()
    {
        await using var api = await FakeCloudflareApi.StartAsync();
        api.ApiToken = "echoed-token-" + Guid.NewGuid().ToString("N");
        using var client = new LogpushClient(api.ClientOptions(new LogpushClientOptions()) with { Retry = CloudflareRetryOptions.None });
        api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.BadRequest, (1004, $"token {api.ApiToken} lacks Logs Edit; destination https://a:b-secret-1@h/?header_X=y")));

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => client.ListJobsAsync(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId)).ToListAsync().AsTask());

        Assert.DoesNotContain(api.ApiToken, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("b-secret-1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("token *** lacks Logs Edit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientOptions_Printed_BaseAddressUserinfoMasked()
    {
        var options = new LogpushClientOptions { BaseAddress = new Uri("https://proxy-user:proxy-pass@proxy.example.com/client/v4/"), Credentials = CloudflareCredentials.ApiToken("options-token-0123456789") };

        var text = options.ToString();

        Assert.DoesNotContain("proxy-pass", text, StringComparison.Ordinal);
        Assert.DoesNotContain("options-token-0123456789", text, StringComparison.Ordinal);
        Assert.Contains("proxy-user:***@proxy.example.com", text, StringComparison.Ordinal);
    }
}
