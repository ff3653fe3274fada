using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The body of <c>POST …/queues/{queue_id}/consumers</c> and <c>PUT …/consumers/{consumer_id}</c> for an HTTP pull consumer:
/// exactly the members of cloudflare-typescript's <c>ConsumerCreateParams.MqHTTPConsumerRequest</c> and
/// <c>ConsumerUpdateParams.MqHTTPConsumerRequest</c>, which are the same (<c>type</c>,
/// <c>dead_letter_queue</c>, <c>settings</c> with <c>batch_size</c>, <c>max_retries</c>, <c>retry_delay</c>,
/// <c>visibility_timeout_ms</c>), whatever a settings object read from the API carries besides.
/// </summary>
internal sealed record HttpPullConsumerRequest
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "http_pull";

    [JsonPropertyName("dead_letter_queue")]
    public string? DeadLetterQueue { get; init; }

    /// <summary>A fresh <see cref="QueueConsumerSettings"/> with only the four request members set (nothing else is written).</summary>
    [JsonPropertyName("settings")]
    public QueueConsumerSettings? Settings { get; init; }

    public static HttpPullConsumerRequest From(QueueConsumerSettings? settings, string? deadLetterQueue) => new()
    {
        DeadLetterQueue = string.IsNullOrWhiteSpace(deadLetterQueue) ? null : deadLetterQueue,
        Settings = settings is null ? null : new QueueConsumerSettings
        {
            BatchSize = settings.BatchSize,
            MaxRetries = settings.MaxRetries,
            RetryDelay = settings.RetryDelay,
            VisibilityTimeoutMs = settings.VisibilityTimeoutMs,
        },
    };
}
