using System.Globalization;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A Cloudflare API call is about to be retried (<see cref="CloudflareClientOptions.OnRetry"/>): which call, why, when and
/// how many attempts remain. Carries no secrets: the path is relative to the API base, without its query, with
/// registered secrets masked (<see cref="SecretRedactor"/>); account and zone ids stay, as in every other message.
/// </summary>
/// <param name="Method">The HTTP method, e.g. <c>GET</c>.</param>
/// <param name="Path">The path relative to the API base, e.g. <c>/accounts/…/logpush/jobs</c>.</param>
/// <param name="StatusCode">The HTTP status of the failed attempt, or <see langword="null"/> when it had no response.</param>
/// <param name="Error">Why an attempt without a response failed (<c>timed out</c>, <c>network error (ConnectionError)</c>), else <see langword="null"/>.</param>
/// <param name="NextAttempt">The attempt about to be made, 1-based (2 for the first retry).</param>
/// <param name="MaxAttempts">The most attempts the call makes (<see cref="CloudflareRetryOptions.MaxRetryAttempts"/> + 1).</param>
/// <param name="Delay">The wait before the next attempt (backoff with jitter, or the server's <c>Retry-After</c>).</param>
public sealed record CloudflareRetryNotice(string Method, string Path, int? StatusCode, string? Error, int NextAttempt, int MaxAttempts, TimeSpan Delay)
{
    /// <summary>One line: <c>retrying GET /accounts/…/logpush/jobs in 2 s (HTTP 503, attempt 2 of 5)</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString()
    {
        var seconds = Delay.TotalSeconds;
        var delay = seconds >= 10 || seconds == Math.Floor(seconds)
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round(seconds):0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s");
        var reason = StatusCode is { } status ? string.Create(CultureInfo.InvariantCulture, $"HTTP {status}") : Error ?? "no response";
        return string.Create(CultureInfo.InvariantCulture, $"retrying {Method} {Path} in {delay} ({reason}, attempt {NextAttempt} of {MaxAttempts})");
    }
}
