namespace LogpushKit.Pipeline;

/// <summary>
/// The custom metadata keys <see cref="LogpushObjectProcessor"/> stores on every CSV target. They are written with the
/// put, so they hold only what is known when the put starts: the source's identity, not the row counts (those are in
/// <see cref="ObjectProcessingResult"/>, the logs and the metrics). <see cref="SourceETag"/> is what makes processing
/// idempotent: a target recording the source's current ETag is never written again.
/// </summary>
public static class ProvenanceMetadata
{
    /// <summary>The source bucket's name.</summary>
    public const string SourceBucket = "logpushkit-source-bucket";

    /// <summary>The source key, percent-encoded (RFC 3986, UTF-8) because metadata travels in ASCII HTTP headers.</summary>
    public const string SourceKey = "logpushkit-source-key";

    /// <summary>The source object's ETag (without quotes) that the CSV was made from.</summary>
    public const string SourceETag = "logpushkit-source-etag";

    /// <summary>The source object's size in bytes.</summary>
    public const string SourceSize = "logpushkit-source-size";

    /// <summary>The converter and its version, e.g. <c>LogpushKit/0.1.0</c>.</summary>
    public const string Converter = "logpushkit-converter";
}
