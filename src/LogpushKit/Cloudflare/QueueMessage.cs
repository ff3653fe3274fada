using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LogpushKit.Json;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A message pulled from a Cloudflare Queue by an HTTP pull consumer. Keep <see cref="LeaseId"/> to ack or retry it.
/// The body is decoded according to <see cref="ContentType"/> (the <c>CF-Content-Type</c> metadata, or a
/// <c>contentType</c> member): <c>json</c> and <c>bytes</c> arrive base64 encoded, <c>text</c> as plain UTF-8, <c>v8</c>
/// cannot be decoded outside Workers. A <c>json</c> body that arrives as raw JSON (a JSON value, or JSON text instead
/// of base64) is accepted as it is.
/// </summary>
public sealed record QueueMessage : CloudflareObject
{
    /// <summary>The metadata key holding the content type.</summary>
    public const string ContentTypeMetadataKey = "CF-Content-Type";

    // Other spellings of the content type seen in SDKs and stand-ins: in the metadata or on the message itself.
    private static readonly string[] ContentTypeKeys = [ContentTypeMetadataKey, "contentType", "content_type", "content-type"];

    /// <summary>The message id (ephemeral).</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>The lease to ack or retry this delivery with.</summary>
    [JsonPropertyName("lease_id")]
    public string? LeaseId { get; init; }

    /// <summary>How many times the message has been delivered (1 on the first delivery; 0 when the reply does not say).</summary>
    [JsonPropertyName("attempts")]
    public int Attempts { get; init; }

    /// <summary>Publish time in milliseconds since the Unix epoch.</summary>
    [JsonPropertyName("timestamp_ms")]
    public long? TimestampMs { get; init; }

    /// <summary>
    /// Metadata, e.g. <c>{"CF-Content-Type":"json","CF-sourceMessageSource":"dash"}</c>; empty when the reply has none
    /// (or a metadata value that is not a JSON object).
    /// </summary>
    [JsonPropertyName("metadata")]
    [JsonConverter(typeof(ObjectOrEmptyMapConverter))]
    [AllowNull]
    public IReadOnlyDictionary<string, JsonElement> Metadata { get => field ?? CloudflareCollections.AbsentMap<string, JsonElement>(); init; }

    /// <summary>The body as received (base64 for json/bytes, plain for text; a raw JSON value is kept as its JSON text).</summary>
    [JsonPropertyName("body")]
    [JsonConverter(typeof(StringOrRawJsonConverter))]
    public string? Body { get; init; }

    /// <summary>The publish time, when known.</summary>
    [JsonIgnore]
    public DateTimeOffset? Timestamp => TimestampMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>The content type as sent (<see langword="null"/> when the message does not say, which means <c>json</c>).</summary>
    [JsonIgnore]
    public string? ContentTypeName
    {
        get
        {
            foreach (var key in ContentTypeKeys)
            {
                if (Find(Metadata, key) is { ValueKind: JsonValueKind.String } value)
                {
                    return value.GetString();
                }
            }

            foreach (var key in ContentTypeKeys)
            {
                if (AdditionalProperties is { } extra && Find(extra, key) is { ValueKind: JsonValueKind.String } value)
                {
                    return value.GetString();
                }
            }

            return null;
        }
    }

    /// <summary>The content type (<c>json</c> when the message does not say, the Queues default).</summary>
    [JsonIgnore]
    public QueueContentType ContentType => ContentTypeName?.Trim().ToUpperInvariant() switch
    {
        null or "" or "JSON" or "APPLICATION/JSON" => QueueContentType.Json,
        "BYTES" or "APPLICATION/OCTET-STREAM" => QueueContentType.Bytes,
        "TEXT" or "TEXT/PLAIN" => QueueContentType.Text,
        "V8" => QueueContentType.V8,
        _ => QueueContentType.Unknown,
    };

    /// <summary>Why the message (as the pull reply had it) did not fit the schema, when it did not; then only its id and lease were read.</summary>
    [JsonIgnore]
    public string? ShapeError { get; init; }

    /// <summary>The decoded body bytes: the JSON text for <c>json</c>, the raw bytes for <c>bytes</c>, UTF-8 for <c>text</c>.</summary>
    /// <returns>The decoded bytes.</returns>
    /// <exception cref="CloudflarePayloadException">The body is <c>v8</c>, of an unknown type, or not valid base64, or the message did not fit the schema (<see cref="ShapeError"/>).</exception>
    public byte[] DecodeBody()
    {
        if (ShapeError is not null)
        {
            throw new CloudflarePayloadException($"Queue message {Id ?? "(no id)"} in the pull reply does not have the documented shape: {ShapeError}", Id);
        }

        var body = Body ?? string.Empty;
        switch (ContentType)
        {
            case QueueContentType.Text:
                return Encoding.UTF8.GetBytes(body);
            case QueueContentType.Json:
                return DecodeJsonBody(body);
            case QueueContentType.Bytes:
                return FromBase64(body);
            case QueueContentType.V8:
                throw new CloudflarePayloadException(
                    $"Queue message {Id ?? "(no id)"} has content type 'v8' (structured clone), which only a Worker can decode; publish it as json, text or bytes.",
                    Id);
            default:
                throw new CloudflarePayloadException(
                    $"Queue message {Id ?? "(no id)"} has an unknown content type '{ContentTypeName}'; expected json, bytes, text or v8.",
                    Id);
        }
    }

    /// <summary>The decoded body as text (UTF-8).</summary>
    /// <returns>The text.</returns>
    /// <exception cref="CloudflarePayloadException">See <see cref="DecodeBody"/>.</exception>
    public string DecodeBodyAsString() => Encoding.UTF8.GetString(DecodeBody());

    private static JsonElement? Find(IEnumerable<KeyValuePair<string, JsonElement>> map, string key)
    {
        foreach (var (name, value) in map)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    // A json body is base64 of JSON text for pull consumers; tolerated: raw JSON instead (a JSON value, or JSON text).
    // Base64 never starts with '{', '[' or '"'; otherwise the form that yields valid JSON wins, base64 first.
    private byte[] DecodeJsonBody(string body)
    {
        var raw = Encoding.UTF8.GetBytes(body);
        var trimmed = body.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] is '{' or '[' or '"')
        {
            return raw;
        }

        var decoded = TryFromBase64(body);
        if (decoded is not null && IsJson(decoded))
        {
            return decoded;
        }

        return IsJson(raw) || decoded is null ? raw : decoded;
    }

    private static bool IsJson(byte[] utf8)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private byte[] FromBase64(string body) => TryFromBase64(body) ?? throw new CloudflarePayloadException(
        string.Create(CultureInfo.InvariantCulture, $"Queue message {Id ?? "(no id)"} ({ContentType}) has a body of {body.Length} characters that is not valid base64."),
        Id);

    // Standard base64 (RFC 4648 section 4), tolerating missing padding, line breaks and the URL-safe alphabet (section 5).
    private static byte[]? TryFromBase64(string body)
    {
        var text = body.Trim();
        if (Base64.IsValid(text, out _))
        {
            return Convert.FromBase64String(text);
        }

        var normalized = new StringBuilder(text.Length + 3);
        foreach (var c in text)
        {
            switch (c)
            {
                case '-':
                    normalized.Append('+');
                    break;
                case '_':
                    normalized.Append('/');
                    break;
                case '\r' or '\n' or ' ':
                    break;
                default:
                    normalized.Append(c);
                    break;
            }
        }

        while (normalized.Length % 4 != 0)
        {
            normalized.Append('=');
        }

        var buffer = new byte[normalized.Length / 4 * 3];
        return Convert.TryFromBase64String(normalized.ToString(), buffer, out var written) ? buffer[..written] : null;
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
    /// <summary>
    /// The unacknowledged messages the reply reports (visible, leased or delayed): <see cref="MessageBacklogCount"/>, else
    /// the metrics' <see cref="QueueBacklogMetrics.BacklogCount"/>, else <see langword="null"/> (not reported).
    /// </summary>
    [JsonIgnore]
    public long? Backlog => MessageBacklogCount ?? Metadata?.Metrics?.BacklogCount;

    /// <summary>Messages in the queue, as Cloudflare counted them.</summary>
    [JsonPropertyName("message_backlog_count")]
    public long? MessageBacklogCount { get; init; }

    /// <summary>The leased messages (possibly none: pulling is short polling).</summary>
    [JsonPropertyName("messages")]
    [AllowNull]
    public IReadOnlyList<QueueMessage> Messages { get => field ?? CloudflareCollections.Absent<QueueMessage>(); init; }

    /// <summary>Backlog metrics (newer API versions).</summary>
    [JsonPropertyName("metadata")]
    public QueuePullMetadata? Metadata { get; init; }

    /// <summary>The <c>cf-ray</c> of the reply, when it came from the API.</summary>
    [JsonIgnore]
    public string? RayId { get; init; }

    /// <summary>
    /// Reads a pull reply's <c>result</c> in either form: an object with <c>messages</c> or a bare array of messages;
    /// absent or null is an empty result. Each message is read on its own, so one that does not fit the schema is kept
    /// with its id, lease and <see cref="QueueMessage.ShapeError"/> instead of failing the pull.
    /// </summary>
    /// <returns>The result, or <see langword="null"/> when <paramref name="result"/> is neither form.</returns>
    internal static QueuePullResult? Read(JsonElement result)
    {
        switch (result.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return new QueuePullResult();
            case JsonValueKind.Array:
                return new QueuePullResult { Messages = ReadMessages(result) };
            case JsonValueKind.Object:
                var rest = JsonObject.Create(result)!;
                rest.Remove("messages");
                QueuePullResult parsed;
                try
                {
                    parsed = CloudflareJson.Deserialize(JsonSerializer.SerializeToElement(rest, CloudflareJsonContext.Default.JsonObject), CloudflareJsonContext.Default.QueuePullResult)!;
                }
                catch (JsonException)
                {
                    // the backlog figures are informative; a malformed one must not cost the messages
                    parsed = new QueuePullResult();
                }

                return result.TryGetProperty("messages", out var messages) ? parsed with { Messages = ReadMessages(messages) } : parsed;
            default:
                return null;
        }
    }

    private static List<QueueMessage> ReadMessages(JsonElement messages)
    {
        var list = new List<QueueMessage>();
        if (messages.ValueKind == JsonValueKind.Object)
        {
            list.Add(ReadMessage(messages));
        }
        else if (messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in messages.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Null)
                {
                    list.Add(ReadMessage(item));
                }
            }
        }

        return list;
    }

    private static QueueMessage ReadMessage(JsonElement item)
    {
        if (item.ValueKind == JsonValueKind.Object)
        {
            try
            {
                return CloudflareJson.Deserialize(item, CloudflareJsonContext.Default.QueueMessage)!;
            }
            catch (JsonException ex)
            {
                return new QueueMessage { Id = Text(item, "id"), LeaseId = Text(item, "lease_id"), ShapeError = ex.Message };
            }
        }

        return new QueueMessage { ShapeError = $"a message is JSON {item.ValueKind}, not an object" };
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
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

    /// <summary>Warnings per lease id (e.g. an unknown or expired lease); empty when there are none.</summary>
    [JsonPropertyName("warnings")]
    [AllowNull]
    public IReadOnlyDictionary<string, string> Warnings { get => field ?? CloudflareCollections.AbsentMap<string, string>(); init; }
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
