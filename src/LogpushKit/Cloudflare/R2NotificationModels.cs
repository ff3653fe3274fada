using System.Text.Json.Serialization;
using LogpushKit.Events;

namespace LogpushKit.Cloudflare;

/// <summary>The event-notification configuration of a bucket: the queues it notifies and their rules.</summary>
public sealed record R2NotificationConfiguration : CloudflareObject
{
    /// <summary>The bucket name.</summary>
    [JsonPropertyName("bucketName")]
    public string? BucketName { get; init; }

    /// <summary>The queues notified by the bucket, each with its rules.</summary>
    [JsonPropertyName("queues")]
    public IReadOnlyList<R2QueueNotificationRules> Queues { get; init; } = [];
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
    public IReadOnlyList<R2NotificationRule> Rules { get; init; } = [];
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
    public IReadOnlyList<string> Actions { get; init; } = [];

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

internal sealed record R2NotificationRulesRequest
{
    [JsonPropertyName("rules")]
    public required IReadOnlyList<R2NotificationRule> Rules { get; init; }
}
