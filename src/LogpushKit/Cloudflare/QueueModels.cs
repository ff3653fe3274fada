using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using LogpushKit.Json;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A Cloudflare Queue (cloudflare-typescript <c>src/resources/queues/queues.ts</c>, <c>Queue</c>); members a later API adds
/// are kept in <see cref="CloudflareObject.AdditionalProperties"/>.
/// </summary>
public sealed record CloudflareQueue : CloudflareObject
{
    /// <summary>The queue id (32 hex characters).</summary>
    [JsonPropertyName("queue_id")]
    public string? QueueId { get; init; }

    /// <summary>The queue name.</summary>
    [JsonPropertyName("queue_name")]
    public string? QueueName { get; init; }

    /// <summary>When the queue was created, as Cloudflare sends it.</summary>
    [JsonPropertyName("created_on")]
    public string? CreatedOn { get; init; }

    /// <summary>When the queue was last modified, as Cloudflare sends it.</summary>
    [JsonPropertyName("modified_on")]
    public string? ModifiedOn { get; init; }

    /// <summary>The queue's consumers (a queue has at most one active consumer).</summary>
    [JsonPropertyName("consumers")]
    [AllowNull]
    public IReadOnlyList<QueueConsumer> Consumers { get => field ?? CloudflareCollections.Absent<QueueConsumer>(); init; }

    /// <summary>How many consumers the queue has.</summary>
    [JsonPropertyName("consumers_total_count")]
    public int? ConsumersTotalCount { get; init; }

    /// <summary>What sends messages to the queue: Workers and R2 buckets (event notifications).</summary>
    [JsonPropertyName("producers")]
    [AllowNull]
    public IReadOnlyList<QueueProducer> Producers { get => field ?? CloudflareCollections.Absent<QueueProducer>(); init; }

    /// <summary>How many producers the queue has.</summary>
    [JsonPropertyName("producers_total_count")]
    public int? ProducersTotalCount { get; init; }

    /// <summary>The queue's settings (delivery delay, paused delivery, retention), or <see langword="null"/> when the reply has none.</summary>
    [JsonPropertyName("settings")]
    public CloudflareQueueSettings? Settings { get; init; }
}

/// <summary>A producer of a queue (cloudflare-typescript <c>Queue.MqWorkerProducer</c> / <c>Queue.MqR2Producer</c>).</summary>
public sealed record QueueProducer : CloudflareObject
{
    /// <summary><c>worker</c> or <c>r2_bucket</c>.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    /// <summary>The Worker's script name (a <c>worker</c> producer).</summary>
    [JsonPropertyName("script")]
    public string? Script { get; init; }

    /// <summary>The bucket whose event notifications go to the queue (an <c>r2_bucket</c> producer).</summary>
    [JsonPropertyName("bucket_name")]
    public string? BucketName { get; init; }
}

/// <summary>
/// A queue consumer, Worker or HTTP pull (cloudflare-typescript <c>src/resources/queues/consumers.ts</c>, <c>Consumer</c>:
/// the members of both forms).
/// </summary>
public sealed record QueueConsumer : CloudflareObject
{
    /// <summary>The consumer id.</summary>
    [JsonPropertyName("consumer_id")]
    public string? ConsumerId { get; init; }

    /// <summary><c>http_pull</c> or <c>worker</c>.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    /// <summary>The name of the queue it consumes.</summary>
    [JsonPropertyName("queue_name")]
    public string? QueueName { get; init; }

    /// <summary>The Worker's script name (a <c>worker</c> consumer).</summary>
    [JsonPropertyName("script_name")]
    public string? ScriptName { get; init; }

    /// <summary>When the consumer was created, as Cloudflare sends it.</summary>
    [JsonPropertyName("created_on")]
    public string? CreatedOn { get; init; }

    /// <summary>The dead-letter queue name, if any.</summary>
    [JsonPropertyName("dead_letter_queue")]
    public string? DeadLetterQueue { get; init; }

    /// <summary>The consumer settings.</summary>
    [JsonPropertyName("settings")]
    public QueueConsumerSettings? Settings { get; init; }
}

/// <summary>Settings of a queue consumer.</summary>
public sealed record QueueConsumerSettings : CloudflareObject
{
    /// <summary>Messages per batch (pull default 5, max 100).</summary>
    [JsonPropertyName("batch_size")]
    public int? BatchSize { get; init; }

    /// <summary>Deliveries before a message goes to the dead-letter queue or is dropped (default 3, max 100).</summary>
    [JsonPropertyName("max_retries")]
    public int? MaxRetries { get; init; }

    /// <summary>Default retry delay in seconds.</summary>
    [JsonPropertyName("retry_delay")]
    public int? RetryDelay { get; init; }

    /// <summary>Default lease length in milliseconds (max 12 h); an HTTP pull consumer's.</summary>
    [JsonPropertyName("visibility_timeout_ms")]
    public long? VisibilityTimeoutMs { get; init; }

    /// <summary>The most concurrent invocations of a Worker consumer (<see langword="null"/>: the platform's maximum).</summary>
    [JsonPropertyName("max_concurrency")]
    public int? MaxConcurrency { get; init; }

    /// <summary>How long a Worker consumer's batch may wait to fill up, in milliseconds.</summary>
    [JsonPropertyName("max_wait_time_ms")]
    public long? MaxWaitTimeMs { get; init; }
}

/// <summary>An R2 bucket as the bucket-management API lists it.</summary>
public sealed record R2BucketInfo : CloudflareObject
{
    /// <summary>The bucket name.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>When it was created, as Cloudflare sends it.</summary>
    [JsonPropertyName("creation_date")]
    public string? CreationDate { get; init; }

    /// <summary>The location hint, e.g. <c>weur</c>.</summary>
    [JsonPropertyName("location")]
    public string? Location { get; init; }

    /// <summary>The jurisdiction (<c>default</c>, <c>eu</c>, <c>fedramp</c>), if returned.</summary>
    [JsonPropertyName("jurisdiction")]
    public string? Jurisdiction { get; init; }

    /// <summary>The default storage class, e.g. <c>Standard</c>.</summary>
    [JsonPropertyName("storage_class")]
    public string? StorageClass { get; init; }
}

internal sealed record R2BucketListResult : CloudflareObject
{
    [JsonPropertyName("buckets")]
    [AllowNull]
    public IReadOnlyList<R2BucketInfo> Buckets { get => field ?? CloudflareCollections.Absent<R2BucketInfo>(); init; }
}

internal sealed record CreateQueueRequest
{
    [JsonPropertyName("queue_name")]
    public required string QueueName { get; init; }
}

internal sealed record CreateBucketRequest
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("locationHint")]
    public string? LocationHint { get; init; }

    [JsonPropertyName("storageClass")]
    public string? StorageClass { get; init; }
}
