using LogpushKit.Cloudflare;
using LogpushKit.Json;

namespace LogpushKit.Tests.Cloudflare;

public sealed class LogpushJobTests
{
    private static readonly LogpushJob Job = new()
    {
        Id = 9,
        Dataset = "gateway_http",
        DestinationConf = "r2://b/p?account-id=a&access-key-id=k&secret-access-key=SUPERSECRET",
        OwnershipChallenge = "JWT-SECRET",
        ErrorMessage = "could not write to r2://b/p?account-id=a&access-key-id=k&secret-access-key=SUPERSECRET",
        OutputOptions = new LogpushOutputOptions { OutputType = "csv", FieldNames = ["A", "B"] },
    };

    [Fact]
    public void ToString_MasksDestinationSecretsAndChallenge()
    {
        var text = Job.ToString();

        Assert.DoesNotContain("SUPERSECRET", text, StringComparison.Ordinal);
        Assert.DoesNotContain("JWT-SECRET", text, StringComparison.Ordinal);
        Assert.Contains("secret-access-key=***", text, StringComparison.Ordinal);
        Assert.Contains("Dataset = gateway_http", text, StringComparison.Ordinal);
        Assert.StartsWith("LogpushJob { Id = 9", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_WithUnknownMembers_NamesThemWithoutValues()
    {
        var job = CloudflareJson.Deserialize<LogpushJob>("""{"id":1,"extra_secret_holder":"xyz"}""")!;

        var text = job.ToString();

        Assert.Contains("AdditionalProperties = [extra_secret_holder]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("xyz", text, StringComparison.Ordinal);
    }

    [Fact]
    public void WithMaskedSecrets_JsonHasNoSecret()
    {
        var json = CloudflareJson.Serialize(Job.WithMaskedSecrets());

        Assert.DoesNotContain("SUPERSECRET", json, StringComparison.Ordinal);
        Assert.Contains("secret-access-key=***", json, StringComparison.Ordinal);
        Assert.Equal(Job.DestinationConf, CloudflareJson.Deserialize<LogpushJob>(CloudflareJson.Serialize(Job))!.DestinationConf);
    }
}
