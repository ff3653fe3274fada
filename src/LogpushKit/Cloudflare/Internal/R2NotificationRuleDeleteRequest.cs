using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The body of <c>DELETE …/event_notifications/r2/{bucket}/configuration/queues/{queue_id}</c> that deletes some rules
/// only: <c>{"ruleIds":[…]}</c> (Wrangler's <c>DeleteNotificationRequestBody</c>, workers-sdk
/// <c>packages/wrangler/src/r2/helpers/notification.ts</c>). Without a body the API deletes every rule of the queue.
/// </summary>
internal sealed record R2NotificationRuleDeleteRequest
{
    [JsonPropertyName("ruleIds")]
    public required IReadOnlyList<string> RuleIds { get; init; }
}
