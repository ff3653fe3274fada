using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LogpushKit.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The transport shared by the Cloudflare clients: auth headers, the resilience pipeline (Polly), the envelope,
/// errors, pagination and one log line per request.
/// </summary>
internal sealed class CloudflareApiConnection : IDisposable
{
    private static readonly ResiliencePropertyKey<bool> RetryOnServerErrorKey = new("LogpushKit.Cloudflare.RetryOnServerError");
    private static readonly ResiliencePropertyKey<RequestState> StateKey = new("LogpushKit.Cloudflare.RequestState");

    private readonly HttpClient _httpClient;
    private readonly bool _ownsHttpClient;
    private readonly CloudflareClientOptions _options;
    private readonly Uri _baseAddress;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public CloudflareApiConnection(HttpClient? httpClient, CloudflareClientOptions options, ILogger? logger, string clientName)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(clientName);
        _ownsHttpClient = httpClient is null;
        // An owned client pools its connections for five minutes at most, so a long-lived client follows DNS changes.
        // No HttpClient timeout: the retry options bound each attempt.
        _httpClient = httpClient ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _options = options;
        _baseAddress = options.NormalizedBaseAddress;
        _logger = logger ?? NullLogger.Instance;
        _pipeline = BuildPipeline(options.Retry, options.TimeProvider);
    }

    /// <summary>The options of the client (retry limits, clock).</summary>
    public CloudflareClientOptions Options => _options;

    /// <summary>The client's logger.</summary>
    public ILogger Logger => _logger;

    /// <summary>
    /// Waits before a client-level repeat of a call (one whose outcome had to be read back first): the retry options'
    /// exponential backoff for the given repeat (1-based), capped by their maximum delay.
    /// </summary>
    public Task DelayBeforeRepeatAsync(int repeat, CancellationToken cancellationToken)
    {
        var retry = _options.Retry;
        var delay = TimeSpan.FromTicks(Math.Min(retry.MaxDelay.Ticks, retry.BaseDelay.Ticks * (1L << Math.Clamp(repeat - 1, 0, 20))));
        return Task.Delay(delay, _options.TimeProvider, cancellationToken);
    }

    public void Dispose()
    {
        if (_ownsHttpClient)
        {
            _httpClient.Dispose();
        }
    }

    /// <summary>Sends a request and returns the unwrapped <c>result</c>.</summary>
    public async Task<TResult?> SendAsync<TRequest, TResult>(
        HttpMethod method,
        string path,
        TRequest? body,
        JsonTypeInfo<TRequest>? bodyType,
        JsonTypeInfo<CloudflareEnvelope<TResult>> resultType,
        bool retryOnServerError,
        IReadOnlyDictionary<string, string>? headers,
        CancellationToken cancellationToken)
    {
        var envelope = await SendForEnvelopeAsync(method, path, body, bodyType, resultType, retryOnServerError, headers, cancellationToken).ConfigureAwait(false);
        return envelope.Result;
    }

    public Task<TResult?> GetAsync<TResult>(string path, JsonTypeInfo<CloudflareEnvelope<TResult>> resultType, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken) =>
        SendAsync<object, TResult>(HttpMethod.Get, path, null, null, resultType, retryOnServerError: true, headers, cancellationToken);

    /// <summary>Lists a page-numbered collection. Without <paramref name="perPage"/> the first request carries no paging parameters and further pages are fetched only when <c>result_info</c> announces them.</summary>
    public async IAsyncEnumerable<T> PaginateAsync<T>(
        string path,
        JsonTypeInfo<CloudflareEnvelope<IReadOnlyList<T>>> resultType,
        int? perPage,
        IReadOnlyDictionary<string, string>? headers,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var page = 1;
        while (true)
        {
            var query = perPage is { } size
                ? string.Create(CultureInfo.InvariantCulture, $"page={page}&per_page={size}")
                : page == 1 ? null : string.Create(CultureInfo.InvariantCulture, $"page={page}");
            var url = query is null ? path : path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
            var envelope = await SendForEnvelopeAsync<object, IReadOnlyList<T>>(HttpMethod.Get, url, null, null, resultType, true, headers, cancellationToken).ConfigureAwait(false);
            var items = envelope.Result ?? [];
            foreach (var item in items)
            {
                yield return item;
            }

            var info = envelope.ResultInfo;
            if (items.Count == 0 || info is null)
            {
                yield break;
            }

            var more = info.TotalPages is { } totalPages
                ? (info.Page ?? page) < totalPages
                : perPage is { } pageSize && items.Count >= pageSize;
            if (!more)
            {
                yield break;
            }

            page = (info.Page ?? page) + 1;
            if (perPage is null && info.PerPage is { } serverPerPage)
            {
                perPage = serverPerPage;
            }
        }
    }

    public async Task<CloudflareEnvelope<TResult>> SendForEnvelopeAsync<TRequest, TResult>(
        HttpMethod method,
        string path,
        TRequest? body,
        JsonTypeInfo<TRequest>? bodyType,
        JsonTypeInfo<CloudflareEnvelope<TResult>> resultType,
        bool retryOnServerError,
        IReadOnlyDictionary<string, string>? headers,
        CancellationToken cancellationToken)
    {
        byte[]? content = body is not null && bodyType is not null ? JsonSerializer.SerializeToUtf8Bytes(body, bodyType) : null;
        var state = new RequestState(this, method, new Uri(_baseAddress, path), content, headers) { Path = path };
        var started = _options.TimeProvider.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RetryOnServerErrorKey, retryOnServerError);
        context.Properties.Set(StateKey, state);
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                static async (ctx, s) =>
                {
                    s.Attempts++;
                    using var request = s.CreateRequest();
                    return await s.Connection._httpClient.SendAsync(request, HttpCompletionOption.ResponseContentRead, ctx.CancellationToken).ConfigureAwait(ctx.ContinueOnCapturedContext);
                },
                context,
                state).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException)
        {
            Log.ApiRequestFailed(_logger, method.Method, path, ex.GetType().Name, Elapsed(started), state.Attempts);
            var detail = ex is HttpRequestException hre
                ? $"network error ({hre.HttpRequestError}): {hre.Message}"
                : "timed out";
            var neverSent = ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError };
            throw new CloudflareApiException(method.Method, path, null, null, null, detail, attempts: state.Attempts, innerException: ex)
            {
                MayHaveSucceeded = state.Uncertain || !neverSent,
            };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        using (response)
        {
            var rayId = response.Headers.TryGetValues("cf-ray", out var rays) ? rays.FirstOrDefault() : null;
            Log.ApiRequest(_logger, method.Method, path, (int)response.StatusCode, Elapsed(started), rayId ?? "-", state.Attempts);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var status = response.StatusCode;
            var uncertain = state.Uncertain || (int)status >= 500;
            var retryAfter = GetRetryAfter(response, _options.TimeProvider);
            JsonDocument? document = null;
            string? detail = null;
            try
            {
                document = bytes.Length == 0 ? null : JsonDocument.Parse(bytes);
                if (document is null || document.RootElement.ValueKind == JsonValueKind.Null)
                {
                    detail = "the response body is empty or JSON null, not a Cloudflare envelope";
                }
                else if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    detail = $"the response is JSON {document.RootElement.ValueKind}, not a Cloudflare envelope object";
                }
            }
            catch (JsonException ex)
            {
                detail = $"the response is not a Cloudflare JSON envelope (content-type {response.Content.Headers.ContentType?.MediaType ?? "none"}, {bytes.Length} bytes): {ex.Message}";
            }

            using (document)
            {
                IReadOnlyList<CloudflareMessage>? errors = null;
                if (detail is null)
                {
                    var root = document!.RootElement;
                    var success = root.TryGetProperty("success", out var flag) && flag.ValueKind == JsonValueKind.True;
                    if (response.IsSuccessStatusCode && success)
                    {
                        CloudflareEnvelope<TResult>? envelope;
                        try
                        {
                            envelope = CloudflareJson.Deserialize(root, resultType);
                        }
                        catch (JsonException ex)
                        {
                            throw new CloudflareApiException(
                                method.Method, path, status, null, rayId, $"the reply's result does not have the documented shape: {ex.Message}", retryAfter, state.Attempts, ex);
                        }

                        envelope!.RayId = rayId;
                        foreach (var message in envelope.Messages)
                        {
                            Log.ApiMessage(_logger, method.Method, path, SecretRedactor.MaskText(message.ToString()));
                        }

                        return envelope;
                    }

                    errors = TryReadErrors(root);
                    detail = !response.IsSuccessStatusCode ? null
                        : flag.ValueKind == JsonValueKind.Undefined ? "the envelope has no 'success' member"
                        : "the envelope says success: false";
                }

                throw new CloudflareApiException(method.Method, path, status, errors, rayId, detail, retryAfter, state.Attempts)
                {
                    MayHaveSucceeded = uncertain,
                };
            }
        }
    }

    private static IReadOnlyList<CloudflareMessage>? TryReadErrors(JsonElement root)
    {
        try
        {
            return CloudflareJson.Deserialize(root, CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement)?.Errors;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private double Elapsed(long started) => _options.TimeProvider.GetElapsedTime(started).TotalMilliseconds;

    internal static TimeSpan? GetRetryAfter(HttpResponseMessage response, TimeProvider timeProvider)
    {
        var header = response.Headers.RetryAfter;
        if (header is null)
        {
            return null;
        }

        if (header.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline(CloudflareRetryOptions retry, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        builder.AddTimeout(new TimeoutStrategyOptions { Timeout = retry.TotalTimeout });
        if (retry.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, retry, timeProvider)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result is { } r && GetRetryAfter(r, timeProvider) is { } wait ? (TimeSpan?)wait : null),
                OnRetry = args =>
                {
                    var state = args.Context.Properties.GetValue(StateKey, null!);
                    var reason = args.Outcome.Result is { } r
                        ? ((int)r.StatusCode).ToString(CultureInfo.InvariantCulture)
                        : args.Outcome.Exception?.GetType().Name ?? "unknown";
                    state.Uncertain |= args.Outcome.Result is { } failed
                        ? (int)failed.StatusCode >= 500
                        : args.Outcome.Exception is not HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError };
                    Log.ApiRetry(_logger, state.Method.Method, state.Uri.AbsolutePath, reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    _options.OnRetry?.Invoke(new CloudflareRetryNotice(
                        state.Method.Method,
                        SecretRedactor.MaskText("/" + state.Path.Split('?', 2)[0].TrimStart('/')),
                        args.Outcome.Result is { } response ? (int)response.StatusCode : null,
                        args.Outcome.Result is not null ? null
                            : args.Outcome.Exception is HttpRequestException network ? $"network error ({network.HttpRequestError})"
                            : args.Outcome.Exception is TimeoutRejectedException ? "timed out"
                            : args.Outcome.Exception?.GetType().Name,
                        args.AttemptNumber + 2,
                        retry.MaxRetryAttempts + 1,
                        args.RetryDelay));
                    return ValueTask.CompletedTask;
                },
            });
        }

        builder.AddTimeout(new TimeoutStrategyOptions { Timeout = retry.AttemptTimeout });
        return builder.Build();
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, CloudflareRetryOptions retry, TimeProvider timeProvider)
    {
        var retryOnServerError = context.Properties.GetValue(RetryOnServerErrorKey, false);
        if (outcome.Exception is { } exception)
        {
            if (context.CancellationToken.IsCancellationRequested && exception is OperationCanceledException)
            {
                return false;
            }

            return exception switch
            {
                // The request certainly never reached the server: safe to retry even a create.
                HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError } => true,
                HttpRequestException => retryOnServerError,
                TimeoutRejectedException => retryOnServerError,
                _ => false,
            };
        }

        if (outcome.Result is not { } response)
        {
            return false;
        }

        var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (retryOnServerError && (int)response.StatusCode >= 500);

        // A Retry-After longer than the caller accepts (the global rate limit blocks for 5 minutes) fails at once.
        return retryable && !(GetRetryAfter(response, timeProvider) > retry.MaxRetryAfter);
    }

    private sealed class RequestState(CloudflareApiConnection connection, HttpMethod method, Uri uri, byte[]? content, IReadOnlyDictionary<string, string>? headers)
    {
        public CloudflareApiConnection Connection { get; } = connection;

        public HttpMethod Method { get; } = method;

        public Uri Uri { get; } = uri;

        // The path as the caller gave it, relative to the API base (for retry notices).
        public required string Path { get; init; }

        public int Attempts { get; set; }

        // An earlier attempt may have taken effect on the server (a 5xx, a timeout, a connection lost after sending).
        public bool Uncertain { get; set; }

        public HttpRequestMessage CreateRequest()
        {
            var request = new HttpRequestMessage(Method, Uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            Connection._options.Credentials!.Apply(request.Headers);
            if (headers is not null)
            {
                foreach (var (name, value) in headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            if (content is not null)
            {
                request.Content = new ByteArrayContent(content);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            return request;
        }
    }
}
