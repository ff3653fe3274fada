using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Testing.FakeCloudflare;

/// <summary>
/// A stand-in for the Cloudflare v4 API on 127.0.0.1 (Kestrel, ephemeral port): Logpush jobs (account and zone scope),
/// dataset fields, validation and ownership endpoints; Queues (list/get/create, HTTP pull consumers, pull/ack with real
/// leases, visibility timeouts and redelivery); R2 event-notification rules; R2 bucket list/create. Every response is a
/// Cloudflare envelope with a <c>cf-ray</c> header. Every request is recorded. Failures can be injected
/// (<see cref="FailNext"/>). Auth: <c>Authorization: Bearer {ApiToken}</c> or <c>X-Auth-Email</c> + <c>X-Auth-Key</c>.
/// Error codes it invents where Cloudflare's are undocumented: 10000 authentication, 7003 no route, 1003 not found, 1004 bad request.
/// </summary>
public sealed partial class FakeCloudflareApi : IAsyncDisposable
{
    /// <summary>The API base path.</summary>
    public const string BasePath = "/client/v4/";

    /// <summary>The default account id.</summary>
    public const string DefaultAccountId = "023e105f4ecef8ad9ca31a8372d0c353";

    /// <summary>The default zone id.</summary>
    public const string DefaultZoneId = "9a7806061c88ada191ed06f989cc3dac";

    /// <summary>The default API token.</summary>
    public const string DefaultApiToken = "fake-api-token-Zk3q9";

    private readonly WebApplication _app;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly List<FakeFailure> _failures = [];
    private readonly object _gate = new();
    private readonly Dictionary<string, List<JsonObject>> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OrderedDictionary<string, string>> _fields = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeQueue> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> _notificationRules = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _buckets = [];
    private readonly Dictionary<string, string> _ownershipTokens = new(StringComparer.Ordinal);
    private long _nextJobId = 100000;
    private long _rayCounter;

    private FakeCloudflareApi(WebApplication app, TimeProvider timeProvider)
    {
        _app = app;
        _timeProvider = timeProvider;
        SetDatasetFields("gateway_http", new Dictionary<string, string>
        {
            ["AccountID"] = "Cloudflare account tag.",
            ["Action"] = "Action performed by gateway on the HTTP request.",
            ["Datetime"] = "The date and time the corresponding HTTP request was made.",
            ["SourceIP"] = "Source IP of the request.",
            ["URL"] = "HTTP request URL.",
        });
    }

    /// <summary>The API base address, e.g. <c>http://127.0.0.1:5123/client/v4/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The accepted API token.</summary>
    public string ApiToken { get; set; } = DefaultApiToken;

    /// <summary>The accepted legacy email.</summary>
    public string Email { get; set; } = "ops@example.com";

    /// <summary>The accepted legacy global API key.</summary>
    public string GlobalApiKey { get; set; } = "fake-global-key-7Yc2";

    /// <summary>
    /// When set, Logpush job lists are paginated with this page size (<c>page</c> query parameter and
    /// <c>result_info</c>); Cloudflare documents these lists as unpaginated, so it is off by default.
    /// </summary>
    public int? LogpushJobsPageSize { get; set; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>
    /// Rewrites every answer before it is sent (success and failure envelopes alike): a test serves a schema-valid variation
    /// this way (strings in <c>messages</c>, omitted lists, a bare array as pull result, the older rule-configuration form …).
    /// Called with the request and the envelope; returns the JSON to send.
    /// </summary>
    public Func<RecordedRequest, JsonObject, JsonNode>? ResponseShaper { get; set; }

    /// <summary>
    /// Whether job create/update bodies may hold only the members of Cloudflare's request schemas (logpush_job_create /
    /// logpush_job_update): anything else is answered 400. On by default.
    /// </summary>
    public bool StrictJobBodies { get; set; } = true;

    /// <summary>Jobs per scope path (<c>accounts/{id}</c> or <c>zones/{id}</c>), as stored JSON.</summary>
    public IReadOnlyList<JsonObject> JobsOf(LogpushScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (_gate)
        {
            return _jobs.TryGetValue(scope.PathPrefix, out var list) ? [.. list.Select(j => (JsonObject)j.DeepClone())] : [];
        }
    }

    /// <summary>Ownership-challenge tokens written per destination_conf.</summary>
    public string? OwnershipTokenFor(string destinationConf)
    {
        lock (_gate)
        {
            return _ownershipTokens.TryGetValue(destinationConf, out var token) ? token : null;
        }
    }

    /// <summary>Starts the server on 127.0.0.1 with an ephemeral port.</summary>
    /// <param name="timeProvider">The clock for leases and timestamps (system clock by default).</param>
    /// <returns>The running fake.</returns>
    public static async Task<FakeCloudflareApi> StartAsync(TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeCloudflareApi(app, timeProvider ?? TimeProvider.System);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + BasePath);
        return fake;
    }

    /// <summary>Stops the server.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Options for a client of this fake (token auth, fast retries).</summary>
    /// <typeparam name="T">The options type.</typeparam>
    /// <param name="options">Base options.</param>
    /// <returns>The options pointing here.</returns>
    public T ClientOptions<T>(T options)
        where T : CloudflareClientOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with
        {
            BaseAddress = BaseAddress,
            Credentials = CloudflareCredentials.ApiToken(ApiToken),
            Retry = new CloudflareRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), AttemptTimeout = TimeSpan.FromSeconds(10), TotalTimeout = TimeSpan.FromSeconds(30) },
        };
    }

    /// <summary>Queues a failure: the next request that matches it gets it instead of a normal answer (once).</summary>
    /// <param name="failure">The failure.</param>
    /// <param name="times">How many matching requests fail.</param>
    public void FailNext(FakeFailure failure, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(failure);
        lock (_gate)
        {
            for (var i = 0; i < times; i++)
            {
                _failures.Add(failure);
            }
        }
    }

    /// <summary>Clears the recorded requests.</summary>
    public void ClearRequests() => _requests.Clear();

    /// <summary>Drops the queued failures no request has met yet.</summary>
    public void ClearFailures()
    {
        lock (_gate)
        {
            _failures.Clear();
        }
    }

    /// <summary>Sets the fields the fields endpoint returns for a dataset (name → description, in order).</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="fields">The fields.</param>
    public void SetDatasetFields(string dataset, IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        lock (_gate)
        {
            var map = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in fields)
            {
                map[k] = v;
            }

            _fields[dataset] = map;
        }
    }

    /// <summary>Adds a job directly (as if created earlier).</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="job">The job JSON; an id is assigned when missing.</param>
    /// <returns>The job id.</returns>
    public long AddJob(LogpushScope scope, JsonObject job)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            var id = job["id"]?.GetValue<long>() ?? ++_nextJobId;
            job["id"] = id;
            JobList(scope.PathPrefix).Add(job);
            return id;
        }
    }

    /// <summary>Creates a queue (as if created with wrangler).</summary>
    /// <param name="name">The queue name.</param>
    /// <param name="id">The queue id (32 hex characters generated when <see langword="null"/>).</param>
    /// <returns>The queue.</returns>
    public FakeQueue CreateQueue(string name, string? id = null)
    {
        lock (_gate)
        {
            var queue = new FakeQueue(id ?? Guid.NewGuid().ToString("N"), name, _timeProvider);
            _queues[queue.Id] = queue;
            return queue;
        }
    }

    /// <summary>A queue by id.</summary>
    /// <param name="queueId">The id.</param>
    /// <returns>The queue.</returns>
    public FakeQueue Queue(string queueId)
    {
        lock (_gate)
        {
            return _queues[queueId];
        }
    }

    /// <summary>The stored notification configuration of a bucket for a queue (rules as posted), or <see langword="null"/>.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="queueId">The queue id.</param>
    /// <returns>The rules array.</returns>
    public JsonArray? NotificationRules(string bucket, string queueId)
    {
        lock (_gate)
        {
            return _notificationRules.TryGetValue(bucket + "\n" + queueId, out var rules) ? (JsonArray?)rules["rules"]?.DeepClone() : null;
        }
    }

    /// <summary>Names of the buckets created through the API or <see cref="AddBucket"/>.</summary>
    public IReadOnlyList<string> BucketNames
    {
        get
        {
            lock (_gate)
            {
                return [.. _buckets.Select(b => (string)b["name"]!)];
            }
        }
    }

    /// <summary>Adds a bucket.</summary>
    /// <param name="name">The name.</param>
    /// <param name="jurisdiction">The jurisdiction.</param>
    public void AddBucket(string name, string jurisdiction = "default")
    {
        lock (_gate)
        {
            _buckets.Add(new JsonObject { ["name"] = name, ["creation_date"] = "2025-06-01T09:00:00.000Z", ["location"] = "WEUR", ["jurisdiction"] = jurisdiction, ["storage_class"] = "Standard" });
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? string.Empty, request.QueryString.Value ?? string.Empty, headers, body);
        _requests.Enqueue(recorded);
        var ray = string.Create(CultureInfo.InvariantCulture, $"{Interlocked.Increment(ref _rayCounter):x16}-LHR");
        context.Response.Headers["cf-ray"] = ray;

        FakeFailure? failure = null;
        lock (_gate)
        {
            var index = _failures.FindIndex(f => f.Matches(recorded.Method, recorded.ApiPath));
            if (index >= 0)
            {
                failure = _failures[index];
                _failures.RemoveAt(index);
            }
        }

        if (failure is not null && !failure.AfterHandling)
        {
            await FailAsync(context, failure);
            return;
        }

        if (!IsAuthorized(recorded))
        {
            await WriteAsync(context, HttpStatusCode.Forbidden, Failure((10000, "Authentication error")));
            return;
        }

        JsonNode? bodyJson = null;
        if (body.Length > 0)
        {
            try
            {
                bodyJson = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                await WriteAsync(context, HttpStatusCode.BadRequest, Failure((1004, "Malformed JSON in request body")));
                return;
            }
        }

        var (status, envelope) = Route(recorded, bodyJson);
        if (failure is not null)
        {
            // the request took effect; only its answer is lost or replaced
            await FailAsync(context, failure);
            return;
        }

        await WriteAsync(context, status, envelope, recorded);
    }

    private bool IsAuthorized(RecordedRequest request)
    {
        var auth = request.Header("authorization");
        if (auth is not null)
        {
            return string.Equals(auth, "Bearer " + ApiToken, StringComparison.Ordinal);
        }

        return request.Header("x-auth-email") == Email && request.Header("x-auth-key") == GlobalApiKey;
    }

    private static async Task FailAsync(HttpContext context, FakeFailure failure)
    {
        if (failure.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(failure.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (failure.Abort)
        {
            context.Abort();
            return;
        }

        if (failure.RetryAfter is not null)
        {
            context.Response.Headers.RetryAfter = failure.RetryAfter;
        }

        if (failure.RawBody is not null)
        {
            context.Response.StatusCode = (int)failure.Status;
            context.Response.ContentType = failure.RawContentType;
            await context.Response.WriteAsync(failure.RawBody);
            return;
        }

        await WriteAsync(context, failure.Status, Failure([.. failure.Errors]));
    }

    private static async Task WriteAsync(HttpContext context, HttpStatusCode status, JsonObject envelope) => await WriteJsonAsync(context, status, envelope);

    private async Task WriteAsync(HttpContext context, HttpStatusCode status, JsonObject envelope, RecordedRequest request)
    {
        var shaped = ResponseShaper is { } shaper ? shaper(request, envelope) : envelope;
        await WriteJsonAsync(context, status, shaped);
    }

    private static async Task WriteJsonAsync(HttpContext context, HttpStatusCode status, JsonNode envelope)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(envelope.ToJsonString());
    }

    private static JsonObject Success(JsonNode? result, JsonObject? resultInfo = null)
    {
        var envelope = new JsonObject { ["success"] = true, ["errors"] = new JsonArray(), ["messages"] = new JsonArray(), ["result"] = result };
        if (resultInfo is not null)
        {
            envelope["result_info"] = resultInfo;
        }

        return envelope;
    }

    private static JsonObject Failure(params (int Code, string Message)[] errors) => new()
    {
        ["success"] = false,
        ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject { ["code"] = e.Code, ["message"] = e.Message })]),
        ["messages"] = new JsonArray(),
        ["result"] = null,
    };

    private static (HttpStatusCode, JsonObject) NotFound(string what) => (HttpStatusCode.NotFound, Failure((1003, what + " not found")));

    private static (HttpStatusCode, JsonObject) BadRequest(string what) => (HttpStatusCode.BadRequest, Failure((1004, what)));

    private (HttpStatusCode, JsonObject) Route(RecordedRequest request, JsonNode? body)
    {
        var s = request.ApiPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var m = request.Method;
        lock (_gate)
        {
            if (RouteSetup(request, s, body) is { } setup)
            {
                return setup;
            }

            if (s.Length >= 3 && s[0] is "accounts" or "zones" && s[2] == "logpush")
            {
                return RouteLogpush(m, request, $"{s[0]}/{s[1]}", s[3..], body);
            }

            if (s.Length >= 3 && s[0] == "accounts" && s[2] == "queues")
            {
                return RouteQueues(m, request, s[3..], body);
            }

            if (s.Length >= 6 && s[0] == "accounts" && s[2] == "event_notifications" && s[3] == "r2" && s[5] == "configuration")
            {
                return RouteNotifications(m, s[4], s[6..], body);
            }

            if (s.Length == 4 && s[0] == "accounts" && s[2] == "r2" && s[3] == "buckets")
            {
                return RouteBuckets(m, request, body);
            }
        }

        return (HttpStatusCode.NotFound, Failure((7003, "No route for the URI")));
    }

    // cloudflare-typescript src/resources/logpush/jobs.ts JobUpdateParams / JobCreateParams (body members)
    private static readonly HashSet<string> JobUpdateMembers = new(StringComparer.Ordinal)
    {
        "destination_conf", "enabled", "filter", "frequency", "kind", "logpull_options", "max_upload_bytes",
        "max_upload_interval_seconds", "max_upload_records", "name", "output_options", "ownership_challenge",
    };

    private static readonly HashSet<string> JobCreateMembers = new(JobUpdateMembers, StringComparer.Ordinal) { "dataset" };

    private List<JsonObject> JobList(string scope) => _jobs.TryGetValue(scope, out var list) ? list : _jobs[scope] = [];

    private (HttpStatusCode, JsonObject) RouteLogpush(string method, RecordedRequest request, string scope, string[] s, JsonNode? body)
    {
        var jobs = JobList(scope);
        switch (s)
        {
            case ["jobs"] when method == "GET" && LogpushJobsPageSize is { } size:
                {
                    var query = System.Web.HttpUtility.ParseQueryString(request.Query);
                    var page = int.TryParse(query["page"], CultureInfo.InvariantCulture, out var p) ? p : 1;
                    var items = jobs.Skip((page - 1) * size).Take(size).Select(j => j.DeepClone()).ToArray();
                    var info = new JsonObject
                    {
                        ["page"] = page,
                        ["per_page"] = size,
                        ["count"] = items.Length,
                        ["total_count"] = jobs.Count,
                        ["total_pages"] = Math.Max(1, (jobs.Count + size - 1) / size),
                    };
                    return (HttpStatusCode.OK, Success(new JsonArray(items), info));
                }

            case ["jobs"] when method == "GET":
                return (HttpStatusCode.OK, Success(new JsonArray([.. jobs.Select(j => j.DeepClone())])));
            case ["jobs"] when method == "POST":
                if (body is not JsonObject create || create["destination_conf"]?.GetValue<string>() is not { Length: > 0 })
                {
                    return BadRequest("destination_conf is required");
                }

                if (StrictJobBodies && create.Select(p => p.Key).FirstOrDefault(k => !JobCreateMembers.Contains(k)) is { } notCreatable)
                {
                    return BadRequest($"'{notCreatable}' is not a member of a job create request");
                }

                if (scope.StartsWith("zones/", StringComparison.Ordinal) && jobs.Count >= 4)
                {
                    return BadRequest("creating a new job is not allowed: exceeded max jobs allowed");
                }

                var job = (JsonObject)create.DeepClone();
                job.Remove("ownership_challenge");
                job["id"] = ++_nextJobId;
                job["enabled"] ??= false;
                job["kind"] ??= string.Empty;
                job["last_complete"] = null;
                job["last_error"] = null;
                job["error_message"] = null;
                jobs.Add(job);
                return (HttpStatusCode.OK, Success(job.DeepClone()));
            case ["jobs", var id]:
                var existing = jobs.FirstOrDefault(j => j["id"]?.ToJsonString() == id);
                if (existing is null)
                {
                    return NotFound("job " + id);
                }

                switch (method)
                {
                    case "GET":
                        return (HttpStatusCode.OK, Success(existing.DeepClone()));
                    case "DELETE":
                        jobs.Remove(existing);
                        return (HttpStatusCode.OK, Success(new JsonObject { ["id"] = existing["id"]!.DeepClone() }));
                    case "PUT" when body is JsonObject update:
                        if (update["dataset"] is { } ds && ds.ToJsonString() != existing["dataset"]?.ToJsonString())
                        {
                            return BadRequest("dataset cannot be changed");
                        }

                        if (StrictJobBodies && update.Select(p => p.Key).FirstOrDefault(k => !JobUpdateMembers.Contains(k)) is { } notUpdatable)
                        {
                            return BadRequest($"'{notUpdatable}' is not a member of a job update request");
                        }

                        foreach (var (name, value) in update)
                        {
                            if (name != "ownership_challenge")
                            {
                                existing[name] = value?.DeepClone();
                            }
                        }

                        return (HttpStatusCode.OK, Success(existing.DeepClone()));
                }

                break;
            case ["datasets", var dataset, "fields"] when method == "GET":
                if (!_fields.TryGetValue(dataset, out var fields))
                {
                    return NotFound("dataset " + dataset);
                }

                var map = new JsonObject();
                foreach (var (k, v) in fields)
                {
                    map[k] = v;
                }

                return (HttpStatusCode.OK, Success(map));
            case ["datasets", var dataset, "jobs"] when method == "GET":
                return (HttpStatusCode.OK, Success(new JsonArray([.. jobs.Where(j => j["dataset"]?.GetValue<string>() == dataset).Select(j => j.DeepClone())])));
            case ["ownership"] when method == "POST":
                {
                    var destination = body?["destination_conf"]?.GetValue<string>();
                    if (string.IsNullOrEmpty(destination))
                    {
                        return BadRequest("destination_conf is required");
                    }

                    var token = "eyJfake." + Convert.ToBase64String(Encoding.UTF8.GetBytes(destination)).TrimEnd('=')[..Math.Min(16, destination.Length)] + "." + _ownershipTokens.Count.ToString(CultureInfo.InvariantCulture);
                    _ownershipTokens[destination] = token;
                    var path = DestinationConf.TryParse(destination, out var parsed) && parsed.Path is { } p ? parsed.Bucket + "/" + p : "";
                    return (HttpStatusCode.OK, Success(new JsonObject { ["filename"] = (path.Length > 0 ? path + "/" : "") + "ownership-challenge.txt", ["valid"] = true, ["message"] = "" }));
                }

            case ["ownership", "validate"] when method == "POST":
                {
                    var destination = body?["destination_conf"]?.GetValue<string>() ?? "";
                    var token = body?["ownership_challenge"]?.GetValue<string>();
                    return _ownershipTokens.TryGetValue(destination, out var expected) && expected == token
                        ? (HttpStatusCode.OK, Success(new JsonObject { ["valid"] = true }))
                        : (HttpStatusCode.BadRequest, Failure((1002, "incorrect ownership challenge")));
                }

            case ["validate", "destination"] when method == "POST":
                {
                    var destination = body?["destination_conf"]?.GetValue<string>() ?? "";
                    var valid = DestinationConf.TryParse(destination, out _);
                    return (HttpStatusCode.OK, Success(new JsonObject { ["valid"] = valid, ["message"] = valid ? "" : "unsupported or incomplete destination" }));
                }

            case ["validate", "destination", "exists"] when method == "POST":
                {
                    var destination = body?["destination_conf"]?.GetValue<string>() ?? "";
                    return (HttpStatusCode.OK, Success(new JsonObject { ["exists"] = jobs.Any(j => j["destination_conf"]?.GetValue<string>() == destination) }));
                }

            case ["validate", "origin"] when method == "POST":
                {
                    var options = body?["logpull_options"]?.GetValue<string>() ?? "";
                    var valid = options.Contains("fields=", StringComparison.Ordinal);
                    return (HttpStatusCode.OK, Success(new JsonObject { ["valid"] = valid, ["message"] = valid ? "" : "fields are required" }));
                }
        }

        return (HttpStatusCode.NotFound, Failure((7003, "No route for the URI")));
    }

    private (HttpStatusCode, JsonObject) RouteQueues(string method, RecordedRequest request, string[] s, JsonNode? body)
    {
        switch (s)
        {
            case [] when method == "GET":
                {
                    var query = System.Web.HttpUtility.ParseQueryString(request.Query);
                    var page = int.TryParse(query["page"], CultureInfo.InvariantCulture, out var p) ? p : 1;
                    var perPage = int.TryParse(query["per_page"], CultureInfo.InvariantCulture, out var pp) ? pp : 20;
                    var all = _queues.Values.OrderBy(q => q.CreatedOn).ThenBy(q => q.Name, StringComparer.Ordinal).ToList();
                    var items = all.Skip((page - 1) * perPage).Take(perPage).Select(q => (JsonNode)QueueJson(q)).ToArray();
                    var info = new JsonObject
                    {
                        ["page"] = page,
                        ["per_page"] = perPage,
                        ["count"] = items.Length,
                        ["total_count"] = all.Count,
                        ["total_pages"] = Math.Max(1, (all.Count + perPage - 1) / perPage),
                    };
                    return (HttpStatusCode.OK, Success(new JsonArray(items), info));
                }

            case [] when method == "POST":
                {
                    var name = body?["queue_name"]?.GetValue<string>();
                    if (string.IsNullOrEmpty(name))
                    {
                        return BadRequest("queue_name is required");
                    }

                    if (_queues.Values.Any(q => q.Name == name))
                    {
                        return (HttpStatusCode.Conflict, Failure((11009, "A queue with this name already exists")));
                    }

                    var queue = new FakeQueue(Guid.NewGuid().ToString("N"), name, _timeProvider);
                    _queues[queue.Id] = queue;
                    return (HttpStatusCode.OK, Success(QueueJson(queue)));
                }
        }

        if (s.Length == 0 || !_queues.TryGetValue(s[0], out var q))
        {
            return NotFound("queue " + (s.Length > 0 ? s[0] : string.Empty));
        }

        switch (s[1..])
        {
            case [] when method == "GET":
                return (HttpStatusCode.OK, Success(QueueJson(q)));
            case ["consumers"] when method == "POST":
                if (body is not JsonObject consumer || consumer["type"]?.GetValue<string>() is not ("http_pull" or "worker"))
                {
                    return BadRequest("type must be http_pull or worker");
                }

                if (q.Consumer is not null)
                {
                    return BadRequest("queue already has a consumer");
                }

                var stored = (JsonObject)consumer.DeepClone();
                stored["consumer_id"] = Guid.NewGuid().ToString("N");
                stored["created_on"] = _timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
                q.Consumer = stored;
                if (stored["settings"]?["max_retries"] is { } maxRetries)
                {
                    q.MaxRetries = maxRetries.GetValue<int>();
                }

                if (stored["settings"]?["retry_delay"] is { } retryDelay)
                {
                    q.DefaultRetryDelaySeconds = retryDelay.GetValue<int>();
                }

                return (HttpStatusCode.OK, Success(stored.DeepClone()));
            case ["messages", "pull"] when method == "POST":
                {
                    var batch = body?["batch_size"]?.GetValue<int>() ?? 5;
                    var visibility = body?["visibility_timeout_ms"]?.GetValue<long>() ?? 30_000;
                    if (batch is < 1 or > 100 || visibility is < 0 or > 43_200_000)
                    {
                        return BadRequest("batch_size must be 1-100 and visibility_timeout_ms at most 43200000");
                    }

                    return (HttpStatusCode.OK, Success(q.Pull(batch, visibility)));
                }

            case ["messages", "ack"] when method == "POST":
                {
                    var acks = (body?["acks"] as JsonArray ?? []).Select(a => a?["lease_id"]?.GetValue<string>() ?? string.Empty).ToList();
                    var retries = (body?["retries"] as JsonArray ?? [])
                        .Select(r => (r?["lease_id"]?.GetValue<string>() ?? string.Empty, r?["delay_seconds"]?.GetValue<int>())).ToList();
                    return (HttpStatusCode.OK, Success(q.Ack(acks, retries)));
                }
        }

        return (HttpStatusCode.NotFound, Failure((7003, "No route for the URI")));
    }

    private static JsonObject QueueJson(FakeQueue q) => new()
    {
        ["queue_id"] = q.Id,
        ["queue_name"] = q.Name,
        ["created_on"] = q.CreatedOn.ToString("O", CultureInfo.InvariantCulture),
        ["modified_on"] = q.CreatedOn.ToString("O", CultureInfo.InvariantCulture),
        ["producers_total_count"] = 0,
        ["consumers_total_count"] = q.Consumer is null ? 0 : 1,
        ["consumers"] = q.Consumer is null ? new JsonArray() : new JsonArray(q.Consumer.DeepClone()),
    };

    private (HttpStatusCode, JsonObject) RouteNotifications(string method, string bucket, string[] s, JsonNode? body)
    {
        switch (s)
        {
            case [] when method == "GET":
                {
                    var queues = new JsonArray();
                    foreach (var (key, rules) in _notificationRules.Where(kv => kv.Key.StartsWith(bucket + "\n", StringComparison.Ordinal)))
                    {
                        queues.Add(rules.DeepClone());
                    }

                    return (HttpStatusCode.OK, Success(new JsonObject { ["bucketName"] = bucket, ["queues"] = queues }));
                }

            case ["queues", var queueId]:
                var key2 = bucket + "\n" + queueId;
                switch (method)
                {
                    case "GET":
                        return _notificationRules.TryGetValue(key2, out var existing)
                            ? (HttpStatusCode.OK, Success(existing.DeepClone()))
                            : (HttpStatusCode.OK, Success(new JsonObject { ["queueId"] = queueId, ["queueName"] = QueueName(queueId), ["rules"] = new JsonArray() }));
                    case "PUT":
                        if (body?["rules"] is not JsonArray { Count: > 0 } rules)
                        {
                            return BadRequest("rules are required");
                        }

                        var entry = _notificationRules.TryGetValue(key2, out var current)
                            ? current
                            : _notificationRules[key2] = new JsonObject { ["queueId"] = queueId, ["queueName"] = QueueName(queueId), ["rules"] = new JsonArray() };
                        var stored = (JsonArray)entry["rules"]!;
                        foreach (var rule in rules.OfType<JsonObject>())
                        {
                            if (rule["actions"] is not JsonArray { Count: > 0 })
                            {
                                return BadRequest("every rule needs actions");
                            }

                            if (stored.OfType<JsonObject>().Any(r => Overlaps(r, rule)))
                            {
                                return (HttpStatusCode.Conflict, Failure((11017, "Overlapping rules are not allowed")));
                            }

                            var copy = (JsonObject)rule.DeepClone();
                            copy["ruleId"] = Guid.NewGuid().ToString("N");
                            copy["createdAt"] = _timeProvider.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                            stored.Add(copy);
                        }

                        return (HttpStatusCode.OK, Success(new JsonObject()));
                    case "DELETE":
                        _notificationRules.Remove(key2);
                        return (HttpStatusCode.OK, Success(new JsonObject()));
                }

                break;
        }

        return (HttpStatusCode.NotFound, Failure((7003, "No route for the URI")));
    }

    private static bool Overlaps(JsonObject a, JsonObject b)
    {
        var actionsA = ((JsonArray)a["actions"]!).Select(x => x!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        if (!((JsonArray)b["actions"]!).Any(x => actionsA.Contains(x!.GetValue<string>())))
        {
            return false;
        }

        static string Text(JsonObject o, string name) => o[name]?.GetValue<string>() ?? string.Empty;
        var prefixOverlap = Text(a, "prefix").StartsWith(Text(b, "prefix"), StringComparison.Ordinal) || Text(b, "prefix").StartsWith(Text(a, "prefix"), StringComparison.Ordinal);
        var suffixOverlap = Text(a, "suffix").EndsWith(Text(b, "suffix"), StringComparison.Ordinal) || Text(b, "suffix").EndsWith(Text(a, "suffix"), StringComparison.Ordinal);
        return prefixOverlap && suffixOverlap;
    }

    private string QueueName(string queueId) => _queues.TryGetValue(queueId, out var q) ? q.Name : queueId;

    private (HttpStatusCode, JsonObject) RouteBuckets(string method, RecordedRequest request, JsonNode? body)
    {
        var jurisdiction = request.Header(R2EventNotificationRulesClient.JurisdictionHeader) ?? "default";
        if (method == "GET")
        {
            var query = System.Web.HttpUtility.ParseQueryString(request.Query);
            var perPage = int.TryParse(query["per_page"], CultureInfo.InvariantCulture, out var pp) ? pp : 20;
            var start = int.TryParse(query["cursor"], CultureInfo.InvariantCulture, out var c) ? c : 0;
            var all = _buckets.Where(b => b["jurisdiction"]?.GetValue<string>() == jurisdiction).ToList();
            var page = all.Skip(start).Take(perPage).Select(b => (JsonNode)b.DeepClone()).ToArray();
            var info = new JsonObject { ["per_page"] = perPage };
            if (start + perPage < all.Count)
            {
                info["cursor"] = (start + perPage).ToString(CultureInfo.InvariantCulture);
            }

            return (HttpStatusCode.OK, Success(new JsonObject { ["buckets"] = new JsonArray(page) }, info));
        }

        if (method == "POST")
        {
            var name = body?["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
            {
                return BadRequest("name is required");
            }

            if (_buckets.Any(b => b["name"]?.GetValue<string>() == name && b["jurisdiction"]?.GetValue<string>() == jurisdiction))
            {
                return (HttpStatusCode.Conflict, Failure((10004, "The bucket you tried to create already exists, and you own it.")));
            }

            var bucket = new JsonObject
            {
                ["name"] = name,
                ["creation_date"] = _timeProvider.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["location"] = body?["locationHint"]?.GetValue<string>()?.ToUpperInvariant() ?? "WEUR",
                ["jurisdiction"] = jurisdiction,
                ["storage_class"] = "Standard",
            };
            _buckets.Add(bucket);
            return (HttpStatusCode.OK, Success(bucket.DeepClone()));
        }

        return (HttpStatusCode.NotFound, Failure((7003, "No route for the URI")));
    }
}
