using System.Text;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.R2;
using LogpushKit.Testing.FakeCloudflare;
using LogpushKit.Testing.S3;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// <c>logpushkit setup</c> completes the Logpush ownership challenge itself: the fake Cloudflare API writes
/// <c>ownership-challenge.txt</c> into the source bucket on s3rver (as Logpush does into R2), and the real CLI process
/// reads it through the S3 API with the R2 credentials, validates it and sends it with the job.
/// </summary>
[Collection(S3rverCliCollection.Name)]
public sealed class SetupOwnershipChallengeTests(S3rverServer server) : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Setup_ReadsChallengeFromSourceBucket_ValidatesAndSendsIt_ThenNothingToDo()
    {
        var source = server.NewBucketName("setup-src");
        await server.CreateBucketAsync(server.HttpEndpoint, source);
        using var bucket = new R2Bucket(new R2BucketOptions { Bucket = source, Endpoint = server.HttpEndpoint, AccessKeyId = S3rverServer.AccessKeyId, SecretAccessKey = S3rverServer.SecretAccessKey });
        _api.OwnershipChallengeWriter = (name, key, token) =>
        {
            Assert.Equal(source, name);
            bucket.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(token + "\n"))).GetAwaiter().GetResult();
        };
        var environment = CloudflareCli.Environment(_api);
        environment["R2_ACCESS_KEY_ID"] = S3rverServer.AccessKeyId;
        environment["R2_SECRET_ACCESS_KEY"] = S3rverServer.SecretAccessKey;
        environment["R2_ENDPOINT"] = server.HttpEndpoint.AbsoluteUri;
        string[] args = ["setup", "--source-bucket", source, "--target-bucket", "csv", "--queue", "events"];

        var first = await CloudflareCli.RunAsync(environment, args);
        var second = await CloudflareCli.RunAsync(environment, args);

        Assert.True(first.ExitCode == 0, first.StandardError + first.StandardOutput);
        var today = DateTimeOffset.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"? ownership challenge: r2://{source}/gateway_http/{today}/ownership-challenge.txt — read from the source bucket and validated", first.StandardOutput, StringComparison.Ordinal);
        var create = JsonNode.Parse(_api.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith("/logpush/jobs", StringComparison.Ordinal)).Body)!;
        Assert.Equal(_api.OwnershipTokenFor((string)create["destination_conf"]!), (string?)create["ownership_challenge"]);
        Assert.NotNull((string?)create["ownership_challenge"]);
        Assert.True(second.ExitCode == 0, second.StandardError);
        Assert.Contains("Nothing to do", second.StandardOutput, StringComparison.Ordinal);
        Assert.Single(_api.JobsOf(LogpushScope.Account(FakeCloudflareApi.DefaultAccountId)));
    }
}
