using LogpushKit.Testing.FakeCloudflare;


namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// Every command that calls the Cloudflare API resolves its settings through the library's <c>CloudflareSettings</c>:
/// a missing or malformed setting is one usage error (exit 2) that names all of them by flag and variable.
/// </summary>
public sealed class CloudflareSettingsCliTests : IAsyncLifetime
{
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Theory]
    [InlineData("jobs", "list")]
    [InlineData("fields", "gateway_http")]
    [InlineData("consume", "--queue-id", "q", "--source", "r2://src/", "--target", "out")]
    [InlineData("setup", "--source-bucket", "s", "--target-bucket", "t", "--queue", "q")]
    [InlineData("notifications", "list", "--bucket", "s")]
    [InlineData("queues", "consumers", "list", "--queue", "q")]
    public async Task Command_NoSettingsAndBadApiBase_NamesEveryProblemAtOnce(params string[] args)
    {
        var env = new Dictionary<string, string?> { ["CLOUDFLARE_EMAIL"] = "ops@example.com", ["CLOUDFLARE_API_BASE_URL"] = "not a url" };

        var run = await CloudflareCli.RunAsync(env, args);

        Assert.True(run.ExitCode == 2, run.StandardError);
        var line = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("logpushkit: Cloudflare settings: ", line, StringComparison.Ordinal);
        Assert.Contains("--account-id or CLOUDFLARE_ACCOUNT_ID", line, StringComparison.Ordinal);
        Assert.Contains("CLOUDFLARE_EMAIL is set but CLOUDFLARE_API_KEY is not", line, StringComparison.Ordinal);
        Assert.Contains("CLOUDFLARE_API_BASE_URL must be an absolute http(s) URL", line, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Jobs_NoTokenNoAccount_NamesBoth()
    {
        var run = await CloudflareCli.RunAsync(new Dictionary<string, string?> { ["CLOUDFLARE_API_BASE_URL"] = _api.BaseAddress.AbsoluteUri }, "jobs", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("no account or zone id: set --account-id or CLOUDFLARE_ACCOUNT_ID", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_MalformedApiBaseFlag_NamesTheFlag()
    {
        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "jobs", "list", "--api-base", "ftp://example.com/");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--api-base must be an absolute http(s) URL", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Jobs_MalformedAccountIdFlag_NamesTheFlagAndIsNotSent()
    {
        var run = await CloudflareCli.RunAsync(CloudflareCli.Environment(_api), "jobs", "list", "--account-id", "https://dash.cloudflare.com/abc");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--account-id (or CLOUDFLARE_ACCOUNT_ID): 'https://dash.cloudflare.com/abc' is not a Cloudflare account id", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }
}
