using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The <c>settings</c> of a queue (cloudflare-typescript <c>src/resources/queues/queues.ts</c>, <c>Queue.Settings</c>):
/// delivery delay, paused delivery, and how long unconsumed messages are kept.
/// </summary>
public sealed record CloudflareQueueSettings : CloudflareObject
{
    /// <summary>The longest retention Cloudflare allows: 14 days (1,209,600 s).</summary>
    public const int MaxMessageRetentionSeconds = 1_209_600;

    /// <summary>The retention of a queue that was never changed: 4 days (345,600 s).</summary>
    public const int DefaultMessageRetentionSeconds = 345_600;

    /// <summary>Seconds every message's delivery is delayed.</summary>
    [JsonPropertyName("delivery_delay")]
    public int? DeliveryDelay { get; init; }

    /// <summary>Whether delivery to consumers is paused.</summary>
    [JsonPropertyName("delivery_paused")]
    public bool? DeliveryPaused { get; init; }

    /// <summary>Seconds an unconsumed message is kept (60 s to 14 days; 4 days unless changed).</summary>
    [JsonPropertyName("message_retention_period")]
    public int? MessageRetentionPeriod { get; init; }

    /// <summary>The settings of a queue as read from the API (<see cref="CloudflareQueue.Settings"/>), or <see langword="null"/> when it has none.</summary>
    /// <param name="queue">The queue.</param>
    /// <returns>The settings.</returns>
    public static CloudflareQueueSettings? Of(CloudflareQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.Settings;
    }
}

/// <summary>
/// The body of <c>PATCH /accounts/{id}/queues/{queue_id}</c> (<c>QueueEditParams</c>): only <c>settings</c>, a fresh
/// <see cref="CloudflareQueueSettings"/> with the three settings members (no members read from the API besides).
/// </summary>
internal sealed record QueueEditRequest
{
    [JsonPropertyName("settings")]
    public required CloudflareQueueSettings Settings { get; init; }
}
