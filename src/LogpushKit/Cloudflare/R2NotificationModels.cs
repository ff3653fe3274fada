using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using LogpushKit.Events;
using LogpushKit.Json;

namespace LogpushKit.Cloudflare;

/// <summary>The event-notification configuration of a bucket: the queues it notifies and their rules.</summary>
public sealed record R2NotificationConfiguration : CloudflareObject
{
    /// <summary>The bucket name.</summary>
    [JsonPropertyName("bucketName")]
    public string? BucketName { get; init; }

    /// <summary>The queues notified by the bucket, each with its rules.</summary>
    [JsonPropertyName("queues")]
    [AllowNull]
    public IReadOnlyList<R2QueueNotificationRules> Queues { get => field ?? CloudflareCollections.Absent<R2QueueNotificationRules>(); init; }
}

/// <summary>The notification rules of one bucket for one queue.</summary>
public sealed record R2QueueNotificationRules : CloudflareObject
{
    /// <summary>The queue id.</summary>
    [JsonPropertyName("queueId")]
    public string? QueueId { get; init; }

    /// <summary>The queue name.</summary>
    [JsonPropertyName("queueName")]
    public string? QueueName { get; init; }

    /// <summary>The rules.</summary>
    [JsonPropertyName("rules")]
    [AllowNull]
    public IReadOnlyList<R2NotificationRule> Rules { get => field ?? CloudflareCollections.Absent<R2NotificationRule>(); init; }
}

/// <summary>
/// An event-notification rule: actions + optional literal prefix and suffix (both must match when both are set) + an
/// optional description. Actions are kept as their wire names so that actions unknown to this version survive a
/// round trip; build them with <see cref="ForEventTypes"/> or <see cref="R2EventActions"/>.
/// </summary>
public sealed record R2NotificationRule : CloudflareObject
{
    /// <summary>The actions that fire the rule, e.g. <c>PutObject</c>, <c>CompleteMultipartUpload</c>.</summary>
    [JsonPropertyName("actions")]
    [AllowNull]
    public IReadOnlyList<string> Actions { get => field ?? CloudflareCollections.Absent<string>(); init; }

    /// <summary>Only keys starting with this (literal, no wildcards).</summary>
    [JsonPropertyName("prefix")]
    public string? Prefix { get; init; }

    /// <summary>Only keys ending with this (literal, no wildcards), e.g. <c>.log.gz</c>.</summary>
    [JsonPropertyName("suffix")]
    public string? Suffix { get; init; }

    /// <summary>A description.</summary>
    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary>The rule id (read-only, assigned by Cloudflare).</summary>
    [JsonPropertyName("ruleId")]
    public string? RuleId { get; init; }

    /// <summary>When the rule was created (read-only, as Cloudflare sends it).</summary>
    [JsonPropertyName("createdAt")]
    public string? CreatedAt { get; init; }

    /// <summary>A rule for whole event types, e.g. <see cref="R2EventType.ObjectCreate"/> (what <c>wrangler --event-type object-create</c> does).</summary>
    /// <param name="eventTypes">The event types.</param>
    /// <returns>A rule with the actions of those event types and no prefix or suffix.</returns>
    public static R2NotificationRule ForEventTypes(params IEnumerable<R2EventType> eventTypes)
    {
        ArgumentNullException.ThrowIfNull(eventTypes);
        var actions = new List<string>();
        foreach (var type in eventTypes)
        {
            foreach (var action in R2EventActions.Of(type))
            {
                if (!actions.Contains(action))
                {
                    actions.Add(action);
                }
            }
        }

        if (actions.Count == 0)
        {
            throw new ArgumentException("At least one event type is required.", nameof(eventTypes));
        }

        return new R2NotificationRule { Actions = actions };
    }
}

/// <summary>R2 event types, as named by Wrangler.</summary>
public enum R2EventType
{
    /// <summary><c>object-create</c>: PutObject, CopyObject, CompleteMultipartUpload.</summary>
    ObjectCreate,

    /// <summary><c>object-delete</c>: DeleteObject, LifecycleDeletion.</summary>
    ObjectDelete,
}

/// <summary>The wire names of R2 event actions.</summary>
public static class R2EventActions
{
    /// <summary>Actions of the <c>object-create</c> event type.</summary>
    public static IReadOnlyList<string> ObjectCreate { get; } =
        [nameof(R2EventAction.PutObject), nameof(R2EventAction.CopyObject), nameof(R2EventAction.CompleteMultipartUpload)];

    /// <summary>Actions of the <c>object-delete</c> event type.</summary>
    public static IReadOnlyList<string> ObjectDelete { get; } =
        [nameof(R2EventAction.DeleteObject), nameof(R2EventAction.LifecycleDeletion)];

    /// <summary>The actions of an event type.</summary>
    /// <param name="eventType">The event type.</param>
    /// <returns>The action names.</returns>
    public static IReadOnlyList<string> Of(R2EventType eventType) => eventType switch
    {
        R2EventType.ObjectCreate => ObjectCreate,
        R2EventType.ObjectDelete => ObjectDelete,
        _ => throw new ArgumentOutOfRangeException(nameof(eventType), eventType, "Unknown event type."),
    };
}

/// <summary>
/// The body of the rules PUT (<c>EventNotificationUpdateParams</c>): each rule a fresh <see cref="R2NotificationRule"/>
/// with only the members of the PUT schema's <c>Rule</c> (actions, prefix, suffix, description); the read-only rule id
/// and creation time, and members read from the API besides, are not sent.
/// </summary>
internal sealed record R2NotificationRulesRequest
{
    [JsonPropertyName("rules")]
    public required IReadOnlyList<R2NotificationRule> Rules { get; init; }

    public static R2NotificationRulesRequest From(IEnumerable<R2NotificationRule> rules) => new()
    {
        Rules = [.. rules.Select(rule => new R2NotificationRule { Actions = rule.Actions, Prefix = rule.Prefix, Suffix = rule.Suffix, Description = rule.Description })],
    };
}

/// <summary>
/// Reads the event-notification configuration replies in both forms: the current one
/// (<c>{bucketName, queues:[{queueId, queueName, rules}]}</c>, cloudflare-typescript
/// <c>src/resources/r2/buckets/event-notifications.ts</c>) and the older map
/// (<c>{"&lt;bucket&gt;": {"&lt;id&gt;": {queue, rules}}}</c>, still read by wrangler:
/// <c>packages/wrangler/src/r2/helpers.ts</c> <c>GetNotificationConfigResponseOld</c>).
/// </summary>
internal static class R2NotificationConfigurationReader
{
    /// <summary>The configuration, or <see langword="null"/> when <paramref name="result"/> is in neither form.</summary>
    public static R2NotificationConfiguration? ReadConfiguration(JsonElement result, string bucketName)
    {
        switch (result.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return new R2NotificationConfiguration { BucketName = bucketName };
            case JsonValueKind.Object when result.TryGetProperty("queues", out _) || result.TryGetProperty("bucketName", out _):
                return CloudflareJson.Deserialize(result, CloudflareJsonContext.Default.R2NotificationConfiguration);
            case JsonValueKind.Object when IsOldForm(result):
                var queues = new List<R2QueueNotificationRules>();
                string? name = null;
                foreach (var bucket in result.EnumerateObject())
                {
                    name ??= bucket.Name;
                    queues.AddRange(OldEntries(bucket.Value));
                }

                return new R2NotificationConfiguration { BucketName = name ?? bucketName, Queues = queues };
            default:
                return null;
        }
    }

    /// <summary>The rules for one queue, or <see langword="null"/> when <paramref name="result"/> is in neither form.</summary>
    public static R2QueueNotificationRules? ReadQueueRules(JsonElement result, string queueId)
    {
        switch (result.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return new R2QueueNotificationRules { QueueId = queueId };
            case JsonValueKind.Object when result.TryGetProperty("rules", out _) || result.TryGetProperty("queueId", out _) || result.TryGetProperty("queueName", out _):
                var rules = CloudflareJson.Deserialize(result, CloudflareJsonContext.Default.R2QueueNotificationRules)!;
                return rules.QueueId is null ? rules with { QueueId = queueId } : rules;
            case JsonValueKind.Object when IsOldForm(result):
                var matching = result.EnumerateObject().SelectMany(b => OldEntries(b.Value)).Where(q => q.QueueId == queueId).ToList();
                return new R2QueueNotificationRules { QueueId = queueId, Rules = [.. matching.SelectMany(q => q.Rules)] };
            case JsonValueKind.Object when !result.EnumerateObject().Any():
                return new R2QueueNotificationRules { QueueId = queueId };
            default:
                return null;
        }
    }

    // { "<bucket>": { "<id>": { "queue": "...", "rules": [...] } } } — every value an object of objects (an empty map is empty).
    private static bool IsOldForm(JsonElement result) =>
        result.EnumerateObject().All(b => b.Value.ValueKind == JsonValueKind.Object
            && b.Value.EnumerateObject().All(d => d.Value.ValueKind == JsonValueKind.Object
                && (d.Value.TryGetProperty("queue", out _) || d.Value.TryGetProperty("rules", out _))));

    private static IEnumerable<R2QueueNotificationRules> OldEntries(JsonElement details)
    {
        foreach (var detail in details.EnumerateObject())
        {
            var queue = detail.Value.TryGetProperty("queue", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
            var rules = detail.Value.TryGetProperty("rules", out var r) && r.ValueKind == JsonValueKind.Array
                ? r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object)
                    .Select(x => CloudflareJson.Deserialize(x, CloudflareJsonContext.Default.R2NotificationRule)!).ToList()
                : [];
            yield return new R2QueueNotificationRules { QueueId = queue, Rules = rules };
        }
    }
}
