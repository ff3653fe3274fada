namespace LogpushKit.Storage;

/// <summary>An object's metadata, as returned by head, put and list.</summary>
/// <param name="Key">The object key.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="ETag">The entity tag without surrounding quotes.</param>
/// <param name="LastModified">When the object was last written.</param>
public sealed record R2ObjectInfo(string Key, long Size, string ETag, DateTimeOffset LastModified)
{
    /// <summary>The object's content type, if one was stored.</summary>
    public string? ContentType { get; init; }

    /// <summary>User metadata stored with the object (the S3 <c>x-amz-meta-*</c> headers). Empty from list.</summary>
    public IReadOnlyDictionary<string, string> CustomMetadata { get; init; } = EmptyMetadata;

    internal static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();
}

/// <summary>An open object body. Dispose it to release the underlying file or connection.</summary>
public sealed class R2ObjectBody : IAsyncDisposable, IDisposable
{
    /// <summary>Creates a body for an object.</summary>
    public R2ObjectBody(R2ObjectInfo info, Stream body)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(body);
        Info = info;
        Body = body;
    }

    /// <summary>The object's metadata.</summary>
    public R2ObjectInfo Info { get; }

    /// <summary>The body (or the requested range of it), read once, front to back.</summary>
    public Stream Body { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Body.DisposeAsync();

    /// <inheritdoc />
    public void Dispose() => Body.Dispose();
}

/// <summary>A byte range of an object: <paramref name="Offset"/> and, optionally, <paramref name="Length"/> bytes.</summary>
public sealed record R2Range(long Offset, long? Length = null);

/// <summary>Options of a put.</summary>
public sealed record R2PutOptions
{
    /// <summary>The content type stored with the object, e.g. <c>text/csv; charset=utf-8</c>.</summary>
    public string? ContentType { get; init; }

    /// <summary>User metadata stored with the object. Keys are lower-case ASCII.</summary>
    public IReadOnlyDictionary<string, string>? CustomMetadata { get; init; }
}

/// <summary>Options of a list.</summary>
public sealed record R2ListOptions
{
    /// <summary>Only keys that start with this prefix.</summary>
    public string? Prefix { get; init; }

    /// <summary>Only keys after this one (exclusive), in key order.</summary>
    public string? StartAfter { get; init; }

    /// <summary>Roll keys up to the first occurrence of this delimiter after the prefix (usually <c>/</c>).</summary>
    public string? Delimiter { get; init; }
}

/// <summary>One entry of a listing: an object, or a rolled-up prefix when a delimiter was given.</summary>
/// <param name="Key">The object key, or the common prefix (ending with the delimiter).</param>
/// <param name="Object">The object's metadata; <see langword="null"/> for a prefix.</param>
public sealed record R2ListItem(string Key, R2ObjectInfo? Object)
{
    /// <summary><see langword="true"/> when this entry is a rolled-up prefix rather than an object.</summary>
    public bool IsPrefix => Object is null;
}

/// <summary>A bucket operation failed for a reason other than "not found".</summary>
public class R2BucketException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    public R2BucketException(string message, string bucket, string? key, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Bucket = bucket;
        Key = key;
        StatusCode = statusCode;
    }

    /// <summary>The bucket's name.</summary>
    public string Bucket { get; }

    /// <summary>The object key, when the operation had one.</summary>
    public string? Key { get; }

    /// <summary>The HTTP status of a remote bucket, when there was one.</summary>
    public int? StatusCode { get; }
}
