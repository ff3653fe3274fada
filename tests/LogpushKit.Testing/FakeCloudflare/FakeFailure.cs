using System.Net;

namespace LogpushKit.Testing.FakeCloudflare;

/// <summary>A failure the fake API answers with instead of handling a request (consumed once per matching request).</summary>
public sealed record FakeFailure
{
    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; init; } = HttpStatusCode.InternalServerError;

    /// <summary>A Retry-After header value (seconds or HTTP date), or <see langword="null"/>.</summary>
    public string? RetryAfter { get; init; }

    /// <summary>Cloudflare errors of the failure envelope.</summary>
    public IReadOnlyList<(int Code, string Message)> Errors { get; init; } = [];

    /// <summary>A raw body sent as is (e.g. malformed JSON); overrides <see cref="Errors"/>.</summary>
    public string? RawBody { get; init; }

    /// <summary>Content type of <see cref="RawBody"/>.</summary>
    public string RawContentType { get; init; } = "application/json";

    /// <summary>Abort the connection without a response.</summary>
    public bool Abort { get; init; }

    /// <summary>Wait this long before answering.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// Handle the request first (it takes effect: a job is deleted, rules are stored, messages are leased), then answer
    /// with this failure instead: the server acted, the client cannot know.
    /// </summary>
    public bool AfterHandling { get; init; }

    /// <summary>Only requests with this method (any when <see langword="null"/>).</summary>
    public string? Method { get; init; }

    /// <summary>Only requests whose path contains this (any when <see langword="null"/>).</summary>
    public string? PathContains { get; init; }

    /// <summary>429 with a Retry-After.</summary>
    /// <param name="retryAfter">The header value, e.g. <c>1</c> or an HTTP date.</param>
    /// <returns>The failure.</returns>
    public static FakeFailure TooManyRequests(string? retryAfter = "0") =>
        new() { Status = HttpStatusCode.TooManyRequests, RetryAfter = retryAfter, Errors = [(971, "Please wait and consider throttling your request speed")] };

    /// <summary>A 5xx with a failure envelope.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The failure.</returns>
    public static FakeFailure ServerError(HttpStatusCode status = HttpStatusCode.InternalServerError) =>
        new() { Status = status, Errors = [(10001, "Internal server error")] };

    /// <summary>A 200 whose body is not JSON.</summary>
    /// <returns>The failure.</returns>
    public static FakeFailure MalformedJson() => new() { Status = HttpStatusCode.OK, RawBody = "{\"success\": true, \"result\": [" };

    /// <summary>An HTML error page (what a proxy returns).</summary>
    /// <param name="status">The status.</param>
    /// <returns>The failure.</returns>
    public static FakeFailure HtmlPage(HttpStatusCode status = HttpStatusCode.BadGateway) =>
        new() { Status = status, RawBody = "<html><body>502 Bad Gateway</body></html>", RawContentType = "text/html" };

    /// <summary>An envelope with <c>success: false</c> and error codes.</summary>
    /// <param name="status">The status (Cloudflare uses 4xx, sometimes 200).</param>
    /// <param name="errors">The errors.</param>
    /// <returns>The failure.</returns>
    public static FakeFailure CloudflareErrors(HttpStatusCode status, params (int Code, string Message)[] errors) =>
        new() { Status = status, Errors = errors };

    /// <summary>The same failure restricted to a method and path fragment.</summary>
    /// <param name="method">The method.</param>
    /// <param name="pathContains">A path fragment.</param>
    /// <returns>The failure.</returns>
    public FakeFailure For(string? method, string? pathContains = null) => this with { Method = method, PathContains = pathContains };

    /// <summary>The same failure, answered after the request took effect (see <see cref="AfterHandling"/>).</summary>
    /// <returns>The failure.</returns>
    public FakeFailure AfterTheRequestTookEffect() => this with { AfterHandling = true };

    internal bool Matches(string method, string path) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathContains is null || path.Contains(PathContains, StringComparison.Ordinal));
}

/// <summary>A request the fake API received.</summary>
/// <param name="Method">The method.</param>
/// <param name="Path">The path, e.g. <c>/client/v4/accounts/…/logpush/jobs</c>.</param>
/// <param name="Query">The query string including <c>?</c>, or empty.</param>
/// <param name="Headers">The headers (names lower-case; multiple values joined by <c>, </c>).</param>
/// <param name="Body">The body as text (empty when none).</param>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The header value or <see langword="null"/>.</summary>
    /// <param name="name">The header name (any case).</param>
    /// <returns>The value.</returns>
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    /// <summary>The path relative to <c>/client/v4/</c>.</summary>
    public string ApiPath => Path.StartsWith(FakeCloudflareApi.BasePath, StringComparison.Ordinal) ? Path[FakeCloudflareApi.BasePath.Length..] : Path;
}
