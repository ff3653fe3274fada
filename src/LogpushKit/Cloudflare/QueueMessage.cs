using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LogpushKit.Json;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A message pulled from a Cloudflare Queue by an HTTP pull consumer. Keep <see cref="LeaseId"/> to ack or retry it.
/// The body is decoded according to <see cref="ContentType"/> (<c>CF-Content-Type</c> metadata): <c>json</c> and
/// <c>bytes</c> arrive base64 encoded, <c>text</c> as plain UTF-8, <c>v8</c> cannot be decoded outside Workers.
/// </summary>
public sealed record QueueMessage : CloudflareObject
{
    /// <summary>The metadata key holding the content type.</summary>
    public const string ContentTypeMetadataKey = "CF-Content-Type";

    /// <summary>The message id (ephemeral).</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>The lease to ack or retry this delivery with.</summary>
    [JsonPropertyName("lease_id")]
    public string? LeaseId { get; init; }

    /// <summary>How many times the message has been delivered (1 on the first delivery).</summary>
    [JsonPropertyName("attempts")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public int Attempts { get; init; }

    /// <summary>Publish time in milliseconds since the Unix epoch.</summary>
    [JsonPropertyName("timestamp_ms")]
    public long? TimestampMs { get; init; }

    /// <summary>Metadata, e.g. <c>{"CF-Content-Type":"json","CF-sourceMessageSource":"dash"}</c>.</summary>
    [JsonPropertyName("metadata")]
    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }

    /// <summary>The body as received (base64 for json/bytes, plain for text; a raw JSON value is kept as its JSON text).</summary>
    [JsonPropertyName("body")]
    [JsonConverter(typeof(StringOrRawJsonConverter))]
    public string? Body { get; init; }

    /// <summary>The publish time, when known.</summary>
    [JsonIgnore]
    public DateTimeOffset? Timestamp => TimestampMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>The content type from the metadata (<c>json</c> when absent, the Queues default).</summary>
    [JsonIgnore]
    public QueueContentType ContentType
    {
        get
        {
            if (Metadata is null || !Metadata.TryGetValue(ContentTypeMetadataKey, out var value) || value.ValueKind != JsonValueKind.String)
            {
                return QueueContentType.Json;
            }

            return value.GetString()?.ToUpperInvariant() switch
            {
                "JSON" => QueueContentType.Json,
                "BYTES" => QueueContentType.Bytes,
                "TEXT" => QueueContentType.Text,
                "V8" => QueueContentType.V8,
                _ => QueueContentType.Unknown,
            };
        }
    }

    /// <summary>The decoded body bytes: the JSON text for <c>json</c>, the raw bytes for <c>bytes</c>, UTF-8 for <c>text</c>.</summary>
    /// <returns>The decoded bytes.</returns>
    /// <exception cref="CloudflarePayloadException">The body is <c>v8</c>, of an unknown type, or not valid base64.</exception>
    public byte[] DecodeBody()
    {
        var body = Body ?? string.Empty;
        switch (ContentType)
        {
            case QueueContentType.Text:
                return Encoding.UTF8.GetBytes(body);
            case QueueContentType.Json:
                var trimmed = body.AsSpan().TrimStart();
                if (trimmed.Length > 0 && (trimmed[0] is '{' or '[' or '"' || !Base64.IsValid(trimmed)))
                {
                    // Tolerated: a raw JSON body instead of base64 (not valid base64, or starts like JSON).
                    return Encoding.UTF8.GetBytes(body);
                }

                return FromBase64(body);
            case QueueContentType.Bytes:
                return FromBase64(body);
            case QueueContentType.V8:
                throw new CloudflarePayloadException(
                    $"Queue message {Id ?? "(no id)"} has content type 'v8' (structured clone), which only a Worker can decode; publish it as json, text or bytes.",
                    Id);
            default:
                throw new CloudflarePayloadException(
                    $"Queue message {Id ?? "(no id)"} has an unknown content type '{Metadata?[ContentTypeMetadataKey]}'; expected json, bytes, text or v8.",
                    Id);
        }
    }

    /// <summary>The decoded body as text (UTF-8).</summary>
    /// <returns>The text.</returns>
    /// <exception cref="CloudflarePayloadException">See <see cref="DecodeBody"/>.</exception>
    public string DecodeBodyAsString() => Encoding.UTF8.GetString(DecodeBody());

    private byte[] FromBase64(string body)
    {
        try
        {
            return Convert.FromBase64String(body);
        }
        catch (FormatException ex)
        {
            throw new CloudflarePayloadException(
                string.Create(CultureInfo.InvariantCulture, $"Queue message {Id ?? "(no id)"} ({ContentType}) has a body of {body.Length} characters that is not valid base64."),
                Id,
                ex);
        }
    }
}

/// <summary>Content types of a queue message body.</summary>
public enum QueueContentType
{
    /// <summary>A content type this version does not know.</summary>
    Unknown = 0,

    /// <summary>JSON (the default); base64 encoded for pull consumers.</summary>
    Json,

    /// <summary>Raw bytes; base64 encoded for pull consumers.</summary>
    Bytes,

    /// <summary>Plain UTF-8 text.</summary>
    Text,

    /// <summary>V8 structured clone; cannot be decoded outside Workers.</summary>
    V8,
}

/// <summary>The result of a pull.</summary>
public sealed record QueuePullResult : CloudflareObject
{
    /// <summary>Messages in the queue, as Cloudflare counted them.</summary>
    [JsonPropertyName("message_backlog_count")]
    public long? MessageBacklogCount { get; init; }

    /// <summary>The leased messages (possibly none: pulling is short polling).</summary>
    [JsonPropertyName("messages")]
    public IReadOnlyList<QueueMessage> Messages { get; init; } = [];

    /// <summary>Backlog metrics (newer API versions).</summary>
    [JsonPropertyName("metadata")]
    public QueuePullMetadata? Metadata { get; init; }
}

/// <summary>The <c>metadata</c> of a pull result.</summary>
public sealed record QueuePullMetadata : CloudflareObject
{
    /// <summary>Backlog metrics.</summary>
    [JsonPropertyName("metrics")]
    public QueueBacklogMetrics? Metrics { get; init; }
}

/// <summary>Backlog metrics of a queue.</summary>
public sealed record QueueBacklogMetrics : CloudflareObject
{
    /// <summary>Bytes in the backlog.</summary>
    [JsonPropertyName("backlog_bytes")]
    public long BacklogBytes { get; init; }

    /// <summary>Messages in the backlog.</summary>
    [JsonPropertyName("backlog_count")]
    public long BacklogCount { get; init; }

    /// <summary>Publish time of the oldest message, ms since the epoch.</summary>
    [JsonPropertyName("oldest_message_timestamp_ms")]
    public long OldestMessageTimestampMs { get; init; }
}

/// <summary>A retry (release) of a leased message, redelivered after <see cref="DelaySeconds"/>.</summary>
/// <param name="LeaseId">The lease of the message.</param>
/// <param name="DelaySeconds">Seconds before redelivery (at most 43,200), or <see langword="null"/> for the consumer's default.</param>
public sealed record QueueRetry(
    [property: JsonPropertyName("lease_id")] string LeaseId,
    [property: JsonPropertyName("delay_seconds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? DelaySeconds = null);

/// <summary>The result of an ack/retry call.</summary>
public sealed record QueueAckResult : CloudflareObject
{
    /// <summary>How many acks were accepted.</summary>
    [JsonPropertyName("ackCount")]
    public int AckCount { get; init; }

    /// <summary>How many retries were accepted.</summary>
    [JsonPropertyName("retryCount")]
    public int RetryCount { get; init; }

    /// <summary>Warnings per lease id (e.g. an unknown or expired lease).</summary>
    [JsonPropertyName("warnings")]
    public IReadOnlyDictionary<string, string>? Warnings { get; init; }
}

internal sealed record QueuePullRequest
{
    [JsonPropertyName("batch_size")]
    public int? BatchSize { get; init; }

    [JsonPropertyName("visibility_timeout_ms")]
    public long? VisibilityTimeoutMs { get; init; }
}

internal sealed record QueueAckRequest
{
    [JsonPropertyName("acks")]
    public required IReadOnlyList<QueueAck> Acks { get; init; }

    [JsonPropertyName("retries")]
    public required IReadOnlyList<QueueRetry> Retries { get; init; }
}

internal sealed record QueueAck([property: JsonPropertyName("lease_id")] string LeaseId);
