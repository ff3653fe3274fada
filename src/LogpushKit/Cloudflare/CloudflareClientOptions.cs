namespace LogpushKit.Cloudflare;

/// <summary>
/// What every Cloudflare API client needs: the API base address, the credentials, retry limits and the clock.
/// Immutable; validated when a client is created.
/// </summary>
public abstract record CloudflareClientOptions
{
    /// <summary>The default API base address, <c>https://api.cloudflare.com/client/v4/</c>.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://api.cloudflare.com/client/v4/");

    /// <summary>The API base address (for tests and proxies); a trailing <c>/</c> is added when missing.</summary>
    public Uri BaseAddress { get; init; } = DefaultBaseAddress;

    /// <summary>The credentials (API token, or legacy email + global API key).</summary>
    public CloudflareCredentials? Credentials { get; init; }

    /// <summary>Retry and timeout limits.</summary>
    public CloudflareRetryOptions Retry { get; init; } = CloudflareRetryOptions.Default;

    /// <summary>The clock (backoff delays, Retry-After dates, elapsed times).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Called once before each retry of a call (after a 429, a 5xx, a timeout or a network failure, see
    /// <see cref="CloudflareRetryOptions"/>), with what is retried, why and when; for hosts that show it (the CLI prints
    /// <see cref="CloudflareRetryNotice.ToString"/> on stderr). The clients also log each retry (event <c>ApiRetry</c>).
    /// Runs on the call's own flow before the delay: keep it short; an exception it throws is not caught.
    /// <see langword="null"/> (the default): nothing is called.
    /// </summary>
    public Action<CloudflareRetryNotice>? OnRetry { get; init; }

    /// <summary>Prints the options with the base address's userinfo and query values masked and the credentials' secret hidden.</summary>
    /// <param name="builder">The builder of <see cref="object.ToString"/>.</param>
    /// <returns><see langword="true"/>.</returns>
    protected virtual bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("BaseAddress = ").Append(SecretRedactor.MaskDestination(BaseAddress.OriginalString))
            .Append(", Credentials = ").Append(Credentials)
            .Append(", Retry = ").Append(Retry)
            .Append(", TimeProvider = ").Append(TimeProvider);
        return true;
    }

    internal void Validate(string clientName)
    {
        if (Credentials is null)
        {
            throw new ArgumentException($"{clientName} needs credentials: set {GetType().Name}.{nameof(Credentials)} to CloudflareCredentials.ApiToken(...) (e.g. from CLOUDFLARE_API_TOKEN) or CloudflareCredentials.GlobalApiKey(email, key).");
        }

        if (!BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttps && BaseAddress.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"{GetType().Name}.{nameof(BaseAddress)} must be an absolute http(s) URI; got '{BaseAddress}'.");
        }

        Retry.Validate();
    }

    internal Uri NormalizedBaseAddress =>
        BaseAddress.AbsoluteUri.EndsWith('/') ? BaseAddress : new Uri(BaseAddress.AbsoluteUri + "/");
}

/// <summary>Options of <see cref="LogpushClient"/>.</summary>
public sealed record LogpushClientOptions : CloudflareClientOptions;

/// <summary>Options of <see cref="QueuesPullClient"/>.</summary>
public sealed record QueuesPullClientOptions : CloudflareClientOptions;

/// <summary>Options of <see cref="QueuesClient"/>.</summary>
public sealed record QueuesClientOptions : CloudflareClientOptions;

/// <summary>Options of <see cref="R2EventNotificationRulesClient"/>.</summary>
public sealed record R2EventNotificationRulesClientOptions : CloudflareClientOptions;

/// <summary>Options of <see cref="R2BucketsClient"/>.</summary>
public sealed record R2BucketsClientOptions : CloudflareClientOptions;

/// <summary>
/// Retries of Cloudflare API calls: 429 and 5xx responses and transient network failures are retried with exponential
/// backoff and jitter, honouring <c>Retry-After</c> (seconds or HTTP date). Other 4xx are never retried. Calls that
/// create something (job, queue, consumer, bucket) are retried only when the server certainly did not act on them:
/// a 429, or a connection that failed before the request was sent — never after a 5xx or a timeout, which could
/// otherwise create a duplicate.
/// </summary>
public sealed record CloudflareRetryOptions
{
    /// <summary>The defaults: 4 retries, 1 s base delay, 30 s maximum delay, Retry-After up to 60 s honoured, 30 s per attempt, 2 min in total.</summary>
    public static CloudflareRetryOptions Default { get; } = new();

    /// <summary>No retries (one attempt).</summary>
    public static CloudflareRetryOptions None { get; } = new() { MaxRetryAttempts = 0 };

    /// <summary>Retries after the first attempt (0 disables retrying). Default 4.</summary>
    public int MaxRetryAttempts { get; init; } = 4;

    /// <summary>The first backoff delay; doubled per retry, with jitter. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest backoff delay. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest <c>Retry-After</c> that is waited for. A longer one (Cloudflare's global rate limit blocks for
    /// 5 minutes) fails at once with <see cref="CloudflareApiException.RetryAfter"/> set. Default 60 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The limit of one attempt. Default 30 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The limit of one call including all retries and delays. Default 2 min.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(2);

    internal void Validate()
    {
        if (MaxRetryAttempts is < 0 or > 100)
        {
            throw new ArgumentException($"{nameof(CloudflareRetryOptions)}.{nameof(MaxRetryAttempts)} must be 0–100; got {MaxRetryAttempts}.");
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay || MaxRetryAfter < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(CloudflareRetryOptions)} delays must be ≥ 0 with {nameof(MaxDelay)} ≥ {nameof(BaseDelay)}.");
        }

        if (AttemptTimeout <= TimeSpan.Zero || TotalTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(CloudflareRetryOptions)} timeouts must be positive.");
        }
    }
}
