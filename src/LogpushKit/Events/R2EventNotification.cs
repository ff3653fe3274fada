namespace LogpushKit.Events;

/// <summary>
/// An R2 event notification, as delivered to a queue (one message body). CONTRACT SKETCH — the Cloudflare API issue adds
/// JSON (source-generated), the parser from raw JSON and from pulled queue messages, and unknown-member round-tripping.
/// </summary>
public sealed record R2EventNotification
{
    /// <summary>The account id.</summary>
    public required string Account { get; init; }

    /// <summary>The action, e.g. <c>PutObject</c>.</summary>
    public required R2EventAction Action { get; init; }

    /// <summary>The bucket name.</summary>
    public required string Bucket { get; init; }

    /// <summary>The object the event is about.</summary>
    public required R2EventObject Object { get; init; }

    /// <summary>When the event happened (UTC).</summary>
    public DateTimeOffset EventTime { get; init; }

    /// <summary>For <c>CopyObject</c>: where the object was copied from.</summary>
    public R2CopySource? CopySource { get; init; }

    /// <summary><see langword="true"/> for PutObject, CopyObject and CompleteMultipartUpload.</summary>
    public bool IsObjectCreate => Action is R2EventAction.PutObject or R2EventAction.CopyObject or R2EventAction.CompleteMultipartUpload;

    /// <summary><see langword="true"/> for DeleteObject and LifecycleDeletion.</summary>
    public bool IsObjectDelete => Action is R2EventAction.DeleteObject or R2EventAction.LifecycleDeletion;
}

/// <summary>The object of an R2 event. <see cref="Size"/> and <see cref="ETag"/> are absent on deletes.</summary>
public sealed record R2EventObject(string Key, long? Size = null, string? ETag = null);

/// <summary>The source of a copy.</summary>
public sealed record R2CopySource(string Bucket, string Object);

/// <summary>R2 event-notification actions.</summary>
public enum R2EventAction
{
    /// <summary>An action this version does not know.</summary>
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
