using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;

namespace LogpushKit.Testing.FakeCloudflare;

/// <summary>
/// The endpoints <c>setup</c> and the operational commands need, beyond the main file's: queue consumers
/// (list/get/update/delete, and the create and update bodies checked against the HTTP pull schema and the
/// Queues limits), R2 bucket lifecycle rules (get/put, per jurisdiction, with R2's default multipart-abort rule on new
/// buckets), deleting notification rules by id, and an ownership challenge that is also written somewhere readable
/// (<see cref="OwnershipChallengeWriter"/>). Shapes follow cloudflare-typescript (<c>queues/consumers.ts</c>,
/// <c>r2/buckets/lifecycle.ts</c>, <c>r2/buckets/event-notifications.ts</c>, <c>logpush/ownership.ts</c>) and Wrangler's
/// rule-delete body.
/// </summary>
public sealed partial class FakeCloudflareApi
{
    /// <summary>The rule R2 gives every new bucket (docs: "Buckets have a default lifecycle rule to expire multipart uploads seven days after initiation").</summary>
    public static readonly JsonObject DefaultMultipartAbortRule = new()
    {
        ["id"] = "Default Multipart Abort Rule",
        ["enabled"] = true,
        ["conditions"] = new JsonObject { ["prefix"] = string.Empty },
        ["abortMultipartUploadsTransition"] = new JsonObject { ["condition"] = new JsonObject { ["maxAge"] = 604800, ["type"] = "Age" } },
    };

    private static readonly HashSet<string> HttpPullSettings = new(StringComparer.Ordinal) { "batch_size", "max_retries", "retry_delay", "visibility_timeout_ms" };
    private static readonly HashSet<string> HttpPullMembers = new(StringComparer.Ordinal) { "type", "dead_letter_queue", "settings" };
    private static readonly HashSet<string> LifecycleRuleMembers = new(StringComparer.Ordinal)
    {
        "id", "conditions", "enabled", "abortMultipartUploadsTransition", "deleteObjectsTransition", "storageClassTransitions",
    };

    private readonly Dictionary<string, JsonObject> _lifecycles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> _queueSettings = new(StringComparer.Ordinal);

    /// <summary>
    /// When set, a <c>POST …/logpush/ownership</c> also hands (bucket, key, token) to this callback, as Cloudflare writes
    /// <c>ownership-challenge.txt</c> into the destination bucket; the reply's <c>filename</c> is the key.
    /// </summary>
    public Action<string, string, string>? OwnershipChallengeWriter { get; set; }

    /// <summary>The lifecycle configuration a bucket without one reports (R2's default rule unless changed; <see langword="null"/>: a reply without <c>rules</c>).</summary>
    public JsonArray? DefaultLifecycleRules { get; set; } = [DefaultMultipartAbortRule.DeepClone()];

    /// <summary>The stored lifecycle rules of a bucket (<see langword="null"/> before any PUT).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="jurisdiction">The jurisdiction.</param>
    /// <returns>The rules array.</returns>
    public JsonArray? LifecycleRules(string bucket, string jurisdiction = "default")
    {
        lock (_gate)
        {
            return _lifecycles.TryGetValue(jurisdiction + "\n" + bucket, out var config) ? (JsonArray?)config["rules"]?.DeepClone() : null;
        }
    }

    /// <summary>Sets a bucket's lifecycle rules (as if set in the dashboard).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="rules">The rules.</param>
    /// <param name="jurisdiction">The jurisdiction.</param>
    public void SetLifecycleRules(string bucket, JsonArray rules, string jurisdiction = "default")
    {
        ArgumentNullException.ThrowIfNull(rules);
        lock (_gate)
        {
            _lifecycles[jurisdiction + "\n" + bucket] = new JsonObject { ["rules"] = rules.DeepClone() };
        }
    }

    /// <summary>The settings a queue reports (<c>delivery_delay</c>, <c>delivery_paused</c>, <c>message_retention_period</c>; 4 days unless changed).</summary>
    /// <param name="queueId">The queue id.</param>
    /// <returns>The settings.</returns>
    public JsonObject QueueSettings(string queueId)
    {
        lock (_gate)
        {
            return (JsonObject)SettingsOf(queueId).DeepClone();
        }
    }

    /// <summary>Adds a Worker consumer to a queue (as if deployed with wrangler).</summary>
    /// <param name="queueId">The queue id.</param>
    /// <param name="scriptName">The Worker.</param>
    public void AddWorkerConsumer(string queueId, string scriptName)
    {
        lock (_gate)
        {
            _queues[queueId].Consumer = new JsonObject
            {
                ["consumer_id"] = Guid.NewGuid().ToString("N"),
                ["type"] = "worker",
                ["script_name"] = scriptName,
                ["queue_name"] = _queues[queueId].Name,
                ["created_on"] = _timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
                ["settings"] = new JsonObject { ["batch_size"] = 10, ["max_retries"] = 3, ["max_wait_time_ms"] = 5000 },
            };
        }
    }

    // Called first from Route (under _gate): a reply for the setup endpoints, or null to let the main routes answer.
    private (HttpStatusCode, JsonObject)? RouteSetup(RecordedRequest request, string[] s, JsonNode? body)
    {
        var m = request.Method;
        if (s is ["accounts", _, "queues", var editedQueue] && m == "PATCH")
        {
            return EditQueue(editedQueue, body);
        }

        if (s is ["accounts", _, "queues"] or ["accounts", _, "queues", _] && m == "GET")
        {
            // The main route answers; every queue it returns gets its settings, as Cloudflare's Queue has them.
            var (status, envelope) = RouteQueues(m, request, s[3..], body);
            foreach (var queue in envelope["result"] switch { JsonArray all => all.OfType<JsonObject>(), JsonObject one => [one], _ => [] })
            {
                queue["settings"] = SettingsOf(queue["queue_id"]!.GetValue<string>()).DeepClone();
            }

            return (status, envelope);
        }

        if (s is ["accounts", _, "queues", var queueId, "consumers", ..])
        {
            return RouteConsumers(m, queueId, s[5..], body);
        }

        if (s is ["accounts", _, "r2", "buckets", var bucket, "lifecycle"])
        {
            return RouteLifecycle(m, request.Header(R2EventNotificationRulesClient.JurisdictionHeader) ?? "default", bucket, body);
        }

        if (s is ["accounts", _, "event_notifications", "r2", var ruleBucket, "configuration", "queues", var ruleQueue] && m == "DELETE" && body is not null)
        {
            return DeleteRulesById(ruleBucket, ruleQueue, body);
        }

        if (s is [_, _, "logpush", "ownership"] && m == "POST" && OwnershipChallengeWriter is { } writer)
        {
            return WriteOwnershipChallenge(body, writer);
        }

        return null;
    }

    private JsonObject SettingsOf(string queueId) => _queueSettings.TryGetValue(queueId, out var settings)
        ? settings
        : _queueSettings[queueId] = new JsonObject { ["delivery_delay"] = 0, ["delivery_paused"] = false, ["message_retention_period"] = CloudflareQueueSettings.DefaultMessageRetentionSeconds };

    // QueueEditParams of cloudflare-typescript queues/queues.ts: queue_name and settings; retention 60 s to 14 days.
    private (HttpStatusCode, JsonObject) EditQueue(string queueId, JsonNode? body)
    {
        if (!_queues.ContainsKey(queueId))
        {
            return NotFound("queue " + queueId);
        }

        if (body is not JsonObject edit || edit.Any(p => p.Key is not ("settings" or "queue_name")))
        {
            return BadRequest("the body may hold queue_name and settings only");
        }

        if (edit["settings"] is JsonObject settings)
        {
            if (settings.Any(p => p.Key is not ("delivery_delay" or "delivery_paused" or "message_retention_period")))
            {
                return BadRequest("unknown queue setting");
            }

            if (settings["message_retention_period"]?.GetValue<int>() is < 60 or > CloudflareQueueSettings.MaxMessageRetentionSeconds)
            {
                return BadRequest("message_retention_period must be 60-1209600");
            }

            var stored = SettingsOf(queueId);
            foreach (var (name, value) in settings)
            {
                stored[name] = value?.DeepClone();
            }
        }

        var (status, envelope) = RouteQueues("GET", new RecordedRequest("GET", string.Empty, string.Empty, new Dictionary<string, string>(), string.Empty), [queueId], null);
        ((JsonObject)envelope["result"]!)["settings"] = SettingsOf(queueId).DeepClone();
        return (status, envelope);
    }

    private (HttpStatusCode, JsonObject)? RouteConsumers(string method, string queueId, string[] rest, JsonNode? body)
    {
        if (!_queues.TryGetValue(queueId, out var queue))
        {
            return NotFound("queue " + queueId);
        }

        switch (rest)
        {
            case [] when method == "GET":
                return (HttpStatusCode.OK, Success(queue.Consumer is null ? new JsonArray() : new JsonArray(ConsumerJson(queue))));
            case [] when method == "POST":
                // Checked here, stored by the main route.
                return CheckConsumerBody(body) is { } invalid ? invalid : null;
            case [var consumerId] when (queue.Consumer?["consumer_id"]?.GetValue<string>()) != consumerId:
                return NotFound("consumer " + consumerId);
            case [_] when method == "GET":
                return (HttpStatusCode.OK, Success(ConsumerJson(queue)));
            case [_] when method == "DELETE":
                queue.Consumer = null;
                return (HttpStatusCode.OK, Success(null));
            case [var consumerId] when method == "PUT":
                if (CheckConsumerBody(body) is { } bad)
                {
                    return bad;
                }

                var stored = (JsonObject)body!.DeepClone();
                stored["consumer_id"] = consumerId;
                stored["created_on"] = queue.Consumer!["created_on"]?.DeepClone();
                queue.Consumer = stored;
                queue.MaxRetries = stored["settings"]?["max_retries"]?.GetValue<int>() ?? 3;
                queue.DefaultRetryDelaySeconds = stored["settings"]?["retry_delay"]?.GetValue<int>() ?? 0;
                return (HttpStatusCode.OK, Success(ConsumerJson(queue)));
        }

        return (HttpStatusCode.NotFound, Failure((7003, "No route for the URI")));
    }

    private static JsonObject ConsumerJson(FakeQueue queue)
    {
        var consumer = (JsonObject)queue.Consumer!.DeepClone();
        consumer["queue_name"] ??= queue.Name;
        consumer["dead_letter_queue"] ??= string.Empty;
        return consumer;
    }

    // The consumer schema of cloudflare-typescript queues/consumers.ts, plus the limits of the Queues docs.
    private static (HttpStatusCode, JsonObject)? CheckConsumerBody(JsonNode? body)
    {
        if (body is not JsonObject consumer)
        {
            return BadRequest("a consumer object is required");
        }

        if (consumer["type"]?.GetValue<string>() != "http_pull")
        {
            return consumer["type"]?.GetValue<string>() == "worker" ? null : BadRequest("type must be http_pull or worker");
        }

        if (consumer.Select(p => p.Key).FirstOrDefault(k => !HttpPullMembers.Contains(k)) is { } unknown)
        {
            return BadRequest($"unknown member '{unknown}' for an http_pull consumer");
        }

        if (consumer["settings"] is JsonObject settings)
        {
            if (settings.Select(p => p.Key).FirstOrDefault(k => !HttpPullSettings.Contains(k)) is { } unknownSetting)
            {
                return BadRequest($"unknown setting '{unknownSetting}' for an http_pull consumer");
            }

            long Value(string name) => settings[name]?.GetValue<long>() ?? 0;
            if (settings["batch_size"] is not null && Value("batch_size") is < 1 or > 100)
            {
                return BadRequest("batch_size must be 1-100");
            }

            if (Value("max_retries") is < 0 or > 100 || Value("retry_delay") is < 0 or > 43_200 || Value("visibility_timeout_ms") is < 0 or > 43_200_000)
            {
                return BadRequest("max_retries 0-100, retry_delay 0-43200 s, visibility_timeout_ms at most 43200000");
            }
        }

        return null;
    }

    private (HttpStatusCode, JsonObject) RouteLifecycle(string method, string jurisdiction, string bucket, JsonNode? body)
    {
        if (!_buckets.Any(b => b["name"]?.GetValue<string>() == bucket && b["jurisdiction"]?.GetValue<string>() == jurisdiction))
        {
            return (HttpStatusCode.NotFound, Failure((10006, "The specified bucket does not exist.")));
        }

        var key = jurisdiction + "\n" + bucket;
        if (method == "GET")
        {
            return (HttpStatusCode.OK, Success(_lifecycles.TryGetValue(key, out var config)
                ? config.DeepClone()
                : DefaultLifecycleRules is { } rules ? new JsonObject { ["rules"] = rules.DeepClone() } : new JsonObject()));
        }

        if (method != "PUT")
        {
            return (HttpStatusCode.NotFound, Failure((7003, "No route for the URI")));
        }

        if (body is not JsonObject put || put.Any(p => p.Key != "rules") || put["rules"] is not JsonArray newRules)
        {
            return BadRequest("the body must be {\"rules\":[…]}");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in newRules)
        {
            if (rule is not JsonObject r || r["id"]?.GetValue<string>() is not { Length: > 0 } id || r["conditions"]?["prefix"] is null || r["enabled"] is null)
            {
                return BadRequest("every rule needs id, conditions.prefix and enabled");
            }

            if (r.Select(p => p.Key).FirstOrDefault(k => !LifecycleRuleMembers.Contains(k)) is { } unknown)
            {
                return BadRequest($"unknown lifecycle rule member '{unknown}'");
            }

            if (!ids.Add(id))
            {
                return BadRequest($"duplicate rule id '{id}'");
            }
        }

        _lifecycles[key] = new JsonObject { ["rules"] = newRules.DeepClone() };
        return (HttpStatusCode.OK, Success(new JsonObject()));
    }

    private (HttpStatusCode, JsonObject) DeleteRulesById(string bucket, string queueId, JsonNode body)
    {
        if (body is not JsonObject request || request["ruleIds"] is not JsonArray { Count: > 0 } ids)
        {
            return BadRequest("ruleIds must be a non-empty array");
        }

        var wanted = ids.Select(i => i!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        if (!_notificationRules.TryGetValue(bucket + "\n" + queueId, out var entry) || entry["rules"] is not JsonArray rules
            || !rules.OfType<JsonObject>().Any(r => wanted.Contains(r["ruleId"]?.GetValue<string>() ?? string.Empty)))
        {
            return (HttpStatusCode.NotFound, Failure((11016, "No matching event notification rule")));
        }

        foreach (var rule in rules.OfType<JsonObject>().Where(r => wanted.Contains(r["ruleId"]?.GetValue<string>() ?? string.Empty)).ToList())
        {
            rules.Remove(rule);
        }

        if (rules.Count == 0)
        {
            _notificationRules.Remove(bucket + "\n" + queueId);
        }

        return (HttpStatusCode.OK, Success(new JsonObject()));
    }

    private (HttpStatusCode, JsonObject) WriteOwnershipChallenge(JsonNode? body, Action<string, string, string> writer)
    {
        var destination = body?["destination_conf"]?.GetValue<string>();
        if (string.IsNullOrEmpty(destination) || !DestinationConf.TryParse(destination, out var parsed))
        {
            return BadRequest("destination_conf is required");
        }

        var token = "eyJfake." + Convert.ToBase64String(Encoding.UTF8.GetBytes(parsed.Bucket + "/" + parsed.Path)).TrimEnd('=') + "." + _ownershipTokens.Count.ToString(CultureInfo.InvariantCulture);
        _ownershipTokens[destination] = token;
        var path = parsed.Path is { } p ? p.Replace("{DATE}", _timeProvider.GetUtcNow().ToString("yyyyMMdd", CultureInfo.InvariantCulture), StringComparison.Ordinal) + "/" : string.Empty;
        var key = path + "ownership-challenge.txt";
        writer(parsed.Bucket, key, token);
        return (HttpStatusCode.OK, Success(new JsonObject { ["filename"] = key, ["valid"] = true, ["message"] = string.Empty }));
    }
}
