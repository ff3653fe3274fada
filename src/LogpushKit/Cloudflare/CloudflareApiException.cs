using System.Globalization;
using System.Net;
using System.Text;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A failed Cloudflare API call: a non-success HTTP status, an envelope with <c>success: false</c>, a response that is
/// not a Cloudflare JSON envelope, or a network failure after the retries were spent. Carries the HTTP status, the
/// Cloudflare error codes and messages and the <c>cf-ray</c> id. Never carries the API token or destination secrets.
/// </summary>
public sealed class CloudflareApiException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="path">The request path relative to the API base (no secrets).</param>
    /// <param name="statusCode">The HTTP status, or <see langword="null"/> when no response arrived.</param>
    /// <param name="errors">The envelope errors (may be empty).</param>
    /// <param name="rayId">The <c>cf-ray</c> response header, if any.</param>
    /// <param name="detail">What went wrong when the envelope does not say it (e.g. malformed JSON).</param>
    /// <param name="retryAfter">The server's Retry-After, if any.</param>
    /// <param name="attempts">How many attempts were made.</param>
    /// <param name="innerException">The underlying failure.</param>
    public CloudflareApiException(
        string method,
        string path,
        HttpStatusCode? statusCode,
        IReadOnlyList<CloudflareMessage>? errors,
        string? rayId,
        string? detail = null,
        TimeSpan? retryAfter = null,
        int attempts = 1,
        Exception? innerException = null)
        : base(BuildMessage(method, path, statusCode, errors ?? [], rayId, detail, retryAfter, attempts), innerException)
    {
        Method = method;
        Path = path;
        StatusCode = statusCode;
        Errors = errors ?? [];
        RayId = rayId;
        RetryAfter = retryAfter;
        Attempts = attempts;
    }

    /// <summary>The HTTP method of the failed call.</summary>
    public string Method { get; }

    /// <summary>The request path relative to the API base.</summary>
    public string Path { get; }

    /// <summary>The HTTP status, or <see langword="null"/> when no response arrived (network failure, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The envelope's errors.</summary>
    public IReadOnlyList<CloudflareMessage> Errors { get; }

    /// <summary>The Cloudflare error codes (e.g. 1002 for a wrong ownership challenge); plain-text errors have none.</summary>
    public IReadOnlyList<int> ErrorCodes => [.. Errors.Where(e => e.Code != 0).Select(e => e.Code)];

    /// <summary>The <c>cf-ray</c> id to quote to Cloudflare support.</summary>
    public string? RayId { get; }

    /// <summary>The server's Retry-After on 429/503, if any.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>How many attempts were made (1 when not retried).</summary>
    public int Attempts { get; }

    /// <summary>
    /// Whether the call (this attempt or an earlier one) may have taken effect on the server although it failed: a 5xx,
    /// a timeout, or a connection lost after the request was sent. A non-idempotent call that failed this way must be
    /// checked (read back) before it is repeated.
    /// </summary>
    public bool MayHaveSucceeded { get; init; }

    private static string BuildMessage(
        string method, string path, HttpStatusCode? status, IReadOnlyList<CloudflareMessage> errors, string? rayId, string? detail, TimeSpan? retryAfter, int attempts)
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"Cloudflare API {method} {path} failed");
        if (status is { } s)
        {
            b.Append(CultureInfo.InvariantCulture, $": HTTP {(int)s} ({s})");
        }

        if (errors.Count > 0)
        {
            b.Append("; errors: ");
            for (var i = 0; i < errors.Count; i++)
            {
                if (i > 0)
                {
                    b.Append("; ");
                }

                b.Append(SecretRedactor.MaskText(errors[i].ToString()));
            }
        }

        if (!string.IsNullOrEmpty(detail))
        {
            b.Append("; ").Append(SecretRedactor.MaskText(detail));
        }

        if (retryAfter is { } ra)
        {
            b.Append(CultureInfo.InvariantCulture, $"; retry after {ra.TotalSeconds:0.###} s");
        }

        if (attempts > 1)
        {
            b.Append(CultureInfo.InvariantCulture, $"; after {attempts} attempts");
        }

        b.Append("; cf-ray: ").Append(string.IsNullOrEmpty(rayId) ? "(none)" : rayId);
        return b.ToString();
    }
}

/// <summary>A Cloudflare payload that cannot be decoded: a queue message body (v8, bad base64) or an R2 event notification that is not valid.</summary>
public sealed class CloudflarePayloadException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="messageId">The queue message id, if the payload came from a queue.</param>
    /// <param name="innerException">The underlying failure.</param>
    public CloudflarePayloadException(string message, string? messageId = null, Exception? innerException = null)
        : base(message, innerException)
    {
        MessageId = messageId;
    }

    /// <summary>The queue message id, if the payload came from a queue.</summary>
    public string? MessageId { get; }
}
