using LogpushKit.Cloudflare;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Every Cloudflare API retry of a command, one line on stderr (<c>logpushkit: retrying GET /accounts/…/logpush/jobs in
/// 2 s (HTTP 503, attempt 2 of 5)</c>), so a slow command says why it is slow. The line is the library's
/// <see cref="CloudflareRetryNotice"/>: relative path, no query, registered secrets masked.
/// </summary>
internal static class RetryNotices
{
    /// <summary>The <see cref="CloudflareClientOptions.OnRetry"/> callback that writes to <paramref name="error"/>.</summary>
    public static Action<CloudflareRetryNotice> WriteTo(TextWriter error) => notice => error.WriteLine($"logpushkit: {notice}");

    /// <summary><paramref name="options"/> with retries printed on <paramref name="error"/>.</summary>
    public static T PrintedOn<T>(this T options, TextWriter error)
        where T : CloudflareClientOptions => options with { OnRetry = WriteTo(error) };
}
