using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LogpushKit.Cloudflare;
using LogpushKit.Json;

namespace LogpushKit.Events;

/// <summary>
/// An R2 event notification, as delivered to a queue (one message body). Parse one with <see cref="Parse(ReadOnlySpan{byte})"/>
/// or <see cref="FromQueueMessage"/>; write one back with <see cref="ToJson"/>. Unknown actions are kept as text
/// (<see cref="ActionName"/>) with <see cref="Action"/> = <see cref="R2EventAction.Unknown"/>, and unknown members are
/// kept in <see cref="CloudflareObject.AdditionalProperties"/>.
/// </summary>
/// <remarks>
/// Object keys are exactly as stored in R2: the R2 docs do not document any percent-encoding of <c>object.key</c> in
/// notifications (unlike S3 event notifications, which URL-encode keys), so LogpushKit does not decode it. A key that
/// contains <c>%20</c> means an object whose name contains <c>%20</c>.
/// </remarks>
public sealed record R2EventNotification : CloudflareObject
{
    private readonly string _actionName = string.Empty;

    /// <summary>The account id.</summary>
    [JsonPropertyName("account")]
    public required string Account { get; init; }

    /// <summary>The action as sent on the wire, e.g. <c>PutObject</c> (kept verbatim, also when unknown).</summary>
    [JsonPropertyName("action")]
    public string ActionName
    {
        get => _actionName;
        init => _actionName = value ?? string.Empty;
    }

    /// <summary>The action, e.g. <see cref="R2EventAction.PutObject"/>; <see cref="R2EventAction.Unknown"/> for actions this version does not know.</summary>
    [JsonIgnore]
    public R2EventAction Action
    {
        get => ParseAction(_actionName);
        init => _actionName = value == R2EventAction.Unknown
            ? throw new ArgumentException("Set ActionName to send an action that R2EventAction does not name.", nameof(value))
            : value.ToString();
    }

    /// <summary>The bucket name.</summary>
    [JsonPropertyName("bucket")]
    public required string Bucket { get; init; }

    /// <summary>The object the event is about.</summary>
    [JsonPropertyName("object")]
    public required R2EventObject Object { get; init; }

    /// <summary>When the event happened (UTC, millisecond precision on the wire).</summary>
    [JsonPropertyName("eventTime")]
    [JsonConverter(typeof(Rfc3339MillisecondsConverter))]
    public DateTimeOffset EventTime { get; init; }

    /// <summary>For <c>CopyObject</c>: where the object was copied from.</summary>
    [JsonPropertyName("copySource")]
    public R2CopySource? CopySource { get; init; }

    /// <summary><see langword="true"/> for PutObject, CopyObject and CompleteMultipartUpload (the <c>object-create</c> event type).</summary>
    [JsonIgnore]
    public bool IsObjectCreate => Action is R2EventAction.PutObject or R2EventAction.CopyObject or R2EventAction.CompleteMultipartUpload;

    /// <summary><see langword="true"/> for DeleteObject and LifecycleDeletion (the <c>object-delete</c> event type).</summary>
    [JsonIgnore]
    public bool IsObjectDelete => Action is R2EventAction.DeleteObject or R2EventAction.LifecycleDeletion;

    /// <summary>Parses a notification from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The message body.</param>
    /// <returns>The notification.</returns>
    /// <exception cref="CloudflarePayloadException">Not JSON, or a required member (account, action, bucket, object.key) is missing.</exception>
    public static R2EventNotification Parse(ReadOnlySpan<byte> utf8Json) => ParseCore(utf8Json, messageId: null);

    /// <summary>Parses a notification from JSON text.</summary>
    /// <param name="json">The message body.</param>
    /// <returns>The notification.</returns>
    /// <exception cref="CloudflarePayloadException">Not JSON, or a required member is missing.</exception>
    public static R2EventNotification Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseCore(Encoding.UTF8.GetBytes(json), messageId: null);
    }

    /// <summary>Parses the notification carried by a pulled queue message (body decoded by its content type).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The notification.</returns>
    /// <exception cref="CloudflarePayloadException">The body cannot be decoded or is not an R2 event notification; the message names the queue message id.</exception>
    public static R2EventNotification FromQueueMessage(QueueMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ParseCore(message.DecodeBody(), message.Id);
    }

    /// <summary>Writes the notification as JSON (as R2 sends it), including unknown members.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => CloudflareJson.Serialize(this);

    private static R2EventNotification ParseCore(ReadOnlySpan<byte> utf8Json, string? messageId)
    {
        var where = messageId is null ? "R2 event notification" : $"R2 event notification in queue message {messageId}";
        R2EventNotification? result;
        try
        {
            result = CloudflareJson.Deserialize<R2EventNotification>(utf8Json);
        }
        catch (JsonException ex)
        {
            var at = ex.Path is null ? string.Empty : $" at {ex.Path}";
            var pos = ex.BytePositionInLine is { } b ? $" (line {ex.LineNumber + 1}, byte {b})" : string.Empty;
            throw new CloudflarePayloadException($"{where} is not valid{at}{pos}: {ex.Message}", messageId, ex);
        }

        if (result is null)
        {
            throw new CloudflarePayloadException($"{where} is JSON null.", messageId);
        }

        var missing = result.Account is null ? "account"
            : result.ActionName.Length == 0 ? "action"
            : result.Bucket is null ? "bucket"
            : result.Object is null ? "object"
            : result.Object.Key is null ? "object.key"
            : result.EventTime == default ? "eventTime"
            : null;
        if (missing is not null)
        {
            throw new CloudflarePayloadException($"{where} has no '{missing}'.", messageId);
        }

        return result;
    }

    private static R2EventAction ParseAction(string name) => name switch
    {
        "PutObject" => R2EventAction.PutObject,
        "CopyObject" => R2EventAction.CopyObject,
        "CompleteMultipartUpload" => R2EventAction.CompleteMultipartUpload,
        "DeleteObject" => R2EventAction.DeleteObject,
        "LifecycleDeletion" => R2EventAction.LifecycleDeletion,
        _ => R2EventAction.Unknown,
    };
}

/// <summary>The object of an R2 event. <see cref="Size"/> and <see cref="ETag"/> are absent on deletes.</summary>
/// <param name="Key">The object key, exactly as stored (not percent-decoded).</param>
/// <param name="Size">The size in bytes (absent on deletes).</param>
/// <param name="ETag">The ETag (absent on deletes; multipart ETags look like <c>&lt;md5&gt;-&lt;parts&gt;</c>).</param>
public sealed record R2EventObject(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("size")] long? Size = null,
    [property: JsonPropertyName("eTag")] string? ETag = null) : CloudflareObject;

/// <summary>The source of a copy.</summary>
/// <param name="Bucket">The source bucket.</param>
/// <param name="Object">The source key.</param>
public sealed record R2CopySource(
    [property: JsonPropertyName("bucket")] string Bucket,
    [property: JsonPropertyName("object")] string Object) : CloudflareObject;

/// <summary>R2 event-notification actions.</summary>
public enum R2EventAction
{
    /// <summary>An action this version does not know (see <see cref="R2EventNotification.ActionName"/>).</summary>
    Unknown = 0,

    /// <summary>An object was written by PutObject.</summary>
    PutObject,

    /// <summary>An object was written by CopyObject.</summary>
    CopyObject,

    /// <summary>A multipart upload was completed.</summary>
    CompleteMultipartUpload,

    /// <summary>An object was deleted.</summary>
    DeleteObject,

    /// <summary>An object was deleted by a lifecycle rule.</summary>
    LifecycleDeletion,
}
