using System.Text.Json;
using System.Text.Json.Serialization;
using LogpushKit.Cloudflare;
using LogpushKit.Events;

namespace LogpushKit.Json;

/// <summary>Source-generated (trimming and AOT safe) JSON metadata of the Cloudflare API models.</summary>
/// <remarks>
/// A new model: a <c>sealed record</c> deriving from <see cref="CloudflareObject"/>, <c>[JsonPropertyName]</c> on every
/// member, every collection member in the never-null pattern of <see cref="CloudflareCollections"/>, and its envelope
/// (<c>CloudflareEnvelope&lt;TModel&gt;</c>) listed here. Integers read leniently (<see cref="FlexibleInt32Converter"/>).
/// </remarks>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(FlexibleInt32Converter), typeof(FlexibleInt64Converter)])]
[JsonSerializable(typeof(LogpushJob))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(CloudflareEnvelope<LogpushJob>))]
[JsonSerializable(typeof(CloudflareEnvelope<IReadOnlyList<LogpushJob>>))]
[JsonSerializable(typeof(CloudflareEnvelope<Dictionary<string, JsonElement>>))]
[JsonSerializable(typeof(CloudflareEnvelope<LogpushJobDeleted>))]
[JsonSerializable(typeof(CloudflareEnvelope<LogpushValidationResult>))]
[JsonSerializable(typeof(CloudflareEnvelope<LogpushDestinationExistsResult>))]
[JsonSerializable(typeof(CloudflareEnvelope<LogpushOwnershipChallenge>))]
[JsonSerializable(typeof(CloudflareEnvelope<LogpushOwnershipValidation>))]
[JsonSerializable(typeof(CloudflareEnvelope<JsonElement>))]
[JsonSerializable(typeof(LogpushDestinationRequest))]
[JsonSerializable(typeof(LogpushOriginRequest))]
[JsonSerializable(typeof(R2EventNotification))]
[JsonSerializable(typeof(QueueMessage))]
[JsonSerializable(typeof(QueuePullRequest))]
[JsonSerializable(typeof(QueueAckRequest))]
[JsonSerializable(typeof(CloudflareEnvelope<QueuePullResult>))]
[JsonSerializable(typeof(CloudflareEnvelope<QueueAckResult>))]
[JsonSerializable(typeof(R2NotificationRulesRequest))]
[JsonSerializable(typeof(CloudflareEnvelope<R2NotificationConfiguration>))]
[JsonSerializable(typeof(CloudflareEnvelope<R2QueueNotificationRules>))]
[JsonSerializable(typeof(R2NotificationConfiguration))]
[JsonSerializable(typeof(R2QueueNotificationRules))]
[JsonSerializable(typeof(R2NotificationRule))]
[JsonSerializable(typeof(QueuePullResult))]
[JsonSerializable(typeof(CloudflareEnvelope<CloudflareQueue>))]
[JsonSerializable(typeof(CloudflareEnvelope<IReadOnlyList<CloudflareQueue>>))]
[JsonSerializable(typeof(CloudflareEnvelope<QueueConsumer>))]
[JsonSerializable(typeof(CloudflareEnvelope<R2BucketListResult>))]
[JsonSerializable(typeof(CloudflareEnvelope<R2BucketInfo>))]
[JsonSerializable(typeof(CreateQueueRequest))]
[JsonSerializable(typeof(CreateBucketRequest))]
[JsonSerializable(typeof(CloudflareEnvelope<IReadOnlyList<QueueConsumer>>))]
[JsonSerializable(typeof(HttpPullConsumerRequest))]
[JsonSerializable(typeof(CloudflareEnvelope<R2LifecycleConfiguration>))]
[JsonSerializable(typeof(R2LifecycleRulesRequest))]
[JsonSerializable(typeof(R2NotificationRuleDeleteRequest))]
[JsonSerializable(typeof(CloudflareQueueSettings))]
[JsonSerializable(typeof(QueueEditRequest))]
internal sealed partial class CloudflareJsonContext : JsonSerializerContext;
