using System.Globalization;
using System.Net;
using LogpushKit.Cloudflare;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare;

/// <summary>Retries, errors and the envelope, through the public clients.</summary>
public sealed class CloudflareApiConnectionTests : IAsyncLifetime
{
    private static readonly LogpushScope Account = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);
    private static readonly LogpushJob NewJob = new()
    {
        Dataset = "gateway_http",
        DestinationConf = "r2://b/p?account-id=a&access-key-id=k&secret-access-key=VERYSECRET",
    };

    private readonly ListLogger<LogpushClient> _logger = new();
    private FakeCloudflareApi _api = null!;
    private LogpushClient _client = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _client = new LogpushClient(_api.ClientOptions(new LogpushClientOptions()), _logger);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    private LogpushClient Client(CloudflareRetryOptions retry) => new(_api.ClientOptions(new LogpushClientOptions()) with { Retry = retry }, _logger);

    private List<double> RetryDelaysMs() =>
        [.. _logger.Entries.Where(e => e.Id.Id == 1002).Select(e => double.Parse(e.Message[(e.Message.LastIndexOf(" in ", StringComparison.Ordinal) + 4)..^3], CultureInfo.InvariantCulture))];

    [Fact]
    public async Task TooManyRequests_RetryAfterSeconds_WaitsThatLongThenSucceeds()
    {
        _api.FailNext(FakeFailure.TooManyRequests("1"));

        var fields = await _client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.NotEmpty(fields);
        Assert.Equal(2, _api.Requests.Count);
        Assert.Equal([1000], RetryDelaysMs());
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterHttpDate_Honoured()
    {
        _api.FailNext(FakeFailure.TooManyRequests(DateTimeOffset.UtcNow.AddSeconds(2).ToString("R", CultureInfo.InvariantCulture)));

        await _client.GetDatasetFieldsAsync(Account, "gateway_http");

        var delay = Assert.Single(RetryDelaysMs());
        Assert.InRange(delay, 500, 2000);
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterBeyondLimit_FailsAtOnceWithRetryAfter()
    {
        _api.FailNext(FakeFailure.TooManyRequests("300"));

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.GetDatasetFieldsAsync(Account, "gateway_http"));

        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(300), ex.RetryAfter);
        Assert.Equal([971], ex.ErrorCodes);
        Assert.Equal(1, ex.Attempts);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task ServiceUnavailable_RetryAfterBeyondLimit_FailsAtOnce()
    {
        _api.FailNext(FakeFailure.ServerError(HttpStatusCode.ServiceUnavailable) with { RetryAfter = "600" });

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.GetDatasetFieldsAsync(Account, "gateway_http"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(600), ex.RetryAfter);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task ServiceUnavailable_ShortRetryAfter_Honoured()
    {
        _api.FailNext(FakeFailure.ServerError(HttpStatusCode.ServiceUnavailable) with { RetryAfter = "1" });

        await _client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.Equal([1000], RetryDelaysMs());
    }

    [Fact]
    public async Task ServerError_OnGet_RetriedWithBackoff()
    {
        _api.FailNext(FakeFailure.ServerError(), times: 2);

        await _client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.Equal(3, _api.Requests.Count);
        Assert.Equal(2, RetryDelaysMs().Count);
    }

    [Fact]
    public async Task ServerError_Persistent_ThrowsAfterBoundedAttempts()
    {
        using var client = Client(new CloudflareRetryOptions { MaxRetryAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) });
        _api.FailNext(FakeFailure.HtmlPage(HttpStatusCode.BadGateway), times: 10);

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => client.GetDatasetFieldsAsync(Account, "gateway_http"));

        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(3, _api.Requests.Count);
        Assert.Contains("not a Cloudflare JSON envelope (content-type text/html", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.RayId);
    }

    [Fact]
    public async Task ServerError_OnCreate_NotRetriedSoNoDuplicateJob()
    {
        _api.FailNext(FakeFailure.ServerError().For("POST"));

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.CreateJobAsync(Account, NewJob));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal([10001], ex.ErrorCodes);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task TooManyRequests_OnCreate_Retried()
    {
        _api.FailNext(FakeFailure.TooManyRequests("0").For("POST"));

        var job = await _client.CreateJobAsync(Account, NewJob);

        Assert.NotNull(job.Id);
        Assert.Equal(2, _api.Requests.Count);
        Assert.Single(_api.JobsOf(Account));
    }

    [Fact]
    public async Task ConnectionAbortedAfterRequest_OnGet_Retried()
    {
        _api.FailNext(new FakeFailure { Abort = true });

        await _client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.Equal(2, _api.Requests.Count);
    }

    [Fact]
    public async Task ConnectionAbortedAfterRequest_OnCreate_NotRetried()
    {
        _api.FailNext(new FakeFailure { Abort = true, Method = "POST" });

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.CreateJobAsync(Account, NewJob));

        Assert.Null(ex.StatusCode);
        Assert.Contains("network error", ex.Message, StringComparison.Ordinal);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task ConnectionRefused_OnCreate_RetriedThenFails()
    {
        var port = _api.BaseAddress.Port;
        await _api.DisposeAsync();
        using var client = new LogpushClient(new LogpushClientOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/client/v4/"),
            Credentials = CloudflareCredentials.ApiToken("t"),
            Retry = new CloudflareRetryOptions { MaxRetryAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
        });

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => client.CreateJobAsync(Account, NewJob));

        Assert.Null(ex.StatusCode);
        Assert.Equal(3, ex.Attempts);
        Assert.IsType<HttpRequestException>(ex.InnerException);
        _api = await FakeCloudflareApi.StartAsync();
    }

    [Fact]
    public async Task MalformedJson_On200_ThrowsWithoutRetry()
    {
        _api.FailNext(FakeFailure.MalformedJson());

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.GetDatasetFieldsAsync(Account, "gateway_http"));

        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
        Assert.Contains("not a Cloudflare JSON envelope", ex.Message, StringComparison.Ordinal);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task SuccessFalse_On200_ThrowsWithCodesAndMessages()
    {
        _api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.OK, (1000, "first"), (1001, "second")));

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.GetDatasetFieldsAsync(Account, "gateway_http"));

        Assert.Equal([1000, 1001], ex.ErrorCodes);
        Assert.Contains("[1000] first; [1001] second", ex.Message, StringComparison.Ordinal);
        Assert.Contains("success: false", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRequest_NotRetried_AndEchoedSecretsMasked()
    {
        _api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.BadRequest, (1004, "invalid destination r2://b/p?account-id=a&access-key-id=k&secret-access-key=VERYSECRET")));

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.CreateJobAsync(Account, NewJob));

        Assert.Single(_api.Requests);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.DoesNotContain("VERYSECRET", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeCloudflareApi.DefaultApiToken, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("secret-access-key=***", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TotalTimeout_Exceeded_ThrowsTimedOut()
    {
        // Retries are not the limit (100 allowed): the total is. Attempts of 100 ms within 1 s leave room for at most
        // 10 whole attempts and one cut short; at least two arrive even when a loaded machine delays the first.
        using var client = Client(new CloudflareRetryOptions { MaxRetryAttempts = 100, AttemptTimeout = TimeSpan.FromMilliseconds(100), TotalTimeout = TimeSpan.FromSeconds(1), BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) });
        _api.FailNext(new FakeFailure { Delay = TimeSpan.FromSeconds(5), Status = HttpStatusCode.OK }, times: 100);

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => client.GetDatasetFieldsAsync(Account, "gateway_http"));

        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.StatusCode);
        Assert.InRange(ex.Attempts, 2, 11);
        Assert.InRange(_api.Requests.Count, 1, ex.Attempts);
    }

    [Fact]
    public async Task Cancellation_ThrowsOperationCanceled()
    {
        _api.FailNext(new FakeFailure { Delay = TimeSpan.FromSeconds(5) });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.GetDatasetFieldsAsync(Account, "gateway_http", cts.Token));
    }

    [Fact]
    public void RetryOptions_Invalid_Rejected()
    {
        Assert.Throws<ArgumentException>(() => Client(new CloudflareRetryOptions { MaxRetryAttempts = -1 }));
        Assert.Throws<ArgumentException>(() => Client(new CloudflareRetryOptions { BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(1) }));
    }

    [Fact]
    public async Task HttpClientPassedIn_UsedAndNotDisposed()
    {
        using var http = new HttpClient();
        using (var client = new LogpushClient(http, _api.ClientOptions(new LogpushClientOptions())))
        {
            await client.GetDatasetFieldsAsync(Account, "gateway_http");
        }

        using var response = await http.GetAsync(_api.BaseAddress);
        Assert.Equal(2, _api.Requests.Count);
    }

    [Fact]
    public async Task BaseAddressWithoutTrailingSlash_StillResolvesUnderIt()
    {
        var baseWithoutSlash = new Uri(_api.BaseAddress.AbsoluteUri.TrimEnd('/'));
        using var client = new LogpushClient(_api.ClientOptions(new LogpushClientOptions()) with { BaseAddress = baseWithoutSlash });

        await client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.StartsWith("/client/v4/accounts/", Assert.Single(_api.Requests).Path, StringComparison.Ordinal);
    }
}
