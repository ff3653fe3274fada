using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

/// <summary><see cref="CloudflareClientOptions.OnRetry"/>: one notice per retry, what a host prints, through the fake API.</summary>
public sealed class CloudflareRetryNoticeTests : IAsyncLifetime
{
    private static readonly LogpushScope Account = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);
    private readonly List<CloudflareRetryNotice> _notices = [];
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeCloudflareApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private LogpushClient Client() => new(_api.ClientOptions(new LogpushClientOptions()) with
    {
        Retry = CloudflareRetryOptions.Default with { MaxRetryAttempts = 3 },
        OnRetry = n =>
        {
            lock (_notices)
            {
                _notices.Add(n);
            }
        },
    });

    [Fact]
    public async Task OnRetry_503Then429ThenSuccess_OneNoticePerRetryWithStatusAttemptAndDelay()
    {
        _api.FailNext(FakeFailure.ServerError(HttpStatusCode.ServiceUnavailable) with { RetryAfter = "0" });
        _api.FailNext(FakeFailure.TooManyRequests("0"));
        using var client = Client();

        await client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.Equal(3, _api.Requests.Count);
        Assert.Collection(
            _notices,
            n => Assert.Equal(new CloudflareRetryNotice("GET", $"/accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/datasets/gateway_http/fields", 503, null, 2, 4, TimeSpan.Zero), n),
            n => Assert.Equal((429, 3, 4), (n.StatusCode!.Value, n.NextAttempt, n.MaxAttempts)));
        Assert.Equal(
            $"retrying GET /accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/datasets/gateway_http/fields in 0 s (HTTP 503, attempt 2 of 4)",
            _notices[0].ToString());
    }

    [Fact]
    public async Task OnRetry_CallSucceedsAtOnce_NoNotice()
    {
        using var client = Client();

        await client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.Empty(_notices);
    }

    [Fact]
    public async Task OnRetry_NoResponse_SaysWhyWithoutAStatus()
    {
        _api.FailNext(new FakeFailure { Abort = true });
        using var client = Client();

        await client.GetDatasetFieldsAsync(Account, "gateway_http");

        var notice = Assert.Single(_notices);
        Assert.Null(notice.StatusCode);
        Assert.StartsWith("network error (", notice.Error, StringComparison.Ordinal);
        Assert.Contains($"({notice.Error}, attempt 2 of 4)", notice.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.25, "in 0.3 s")]
    [InlineData(2, "in 2 s")]
    [InlineData(12.6, "in 13 s")]
    public void ToString_Delay_ReadableSeconds(double seconds, string expected)
    {
        var notice = new CloudflareRetryNotice("POST", "/accounts/a/queues", 500, null, 2, 5, TimeSpan.FromSeconds(seconds));

        Assert.Contains(expected + " (HTTP 500, attempt 2 of 5)", notice.ToString(), StringComparison.Ordinal);
    }
}
