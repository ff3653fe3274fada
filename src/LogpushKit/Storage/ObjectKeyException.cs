namespace LogpushKit.Storage;

/// <summary>
/// An object key was refused before any I/O: empty, too long, or (for <see cref="FileSystemBucket"/>) a key that
/// does not map to a path inside the bucket's folder. <see cref="R2BucketException.Key"/> names the key.
/// </summary>
public sealed class ObjectKeyException : R2BucketException
{
    /// <summary>Creates the exception.</summary>
    public ObjectKeyException(string message, string bucket, string key)
        : base(message, bucket, key, statusCode: null)
    {
    }
}
