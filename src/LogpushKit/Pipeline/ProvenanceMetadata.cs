using LogpushKit.Storage;

namespace LogpushKit.Pipeline;

/// <summary>
/// The custom metadata keys <see cref="LogpushObjectProcessor"/> stores on every CSV target. They are written with the
/// put, so they hold only what is known when the put starts: the source's identity, not the row counts (those are in
/// <see cref="ObjectProcessingResult"/>, the logs and the metrics).
/// </summary>
/// <remarks>
/// <see cref="SourceBucket"/> and <see cref="SourceKey"/> say which source object a target belongs to: a target that
/// records another source is never overwritten (two source keys mapping to one target key are a collision, reported as
/// a failure naming both). <see cref="SourceETag"/> makes processing idempotent: a target recording the source's current
/// ETag is never written again.
/// </remarks>
public static class ProvenanceMetadata
{
    /// <summary>The source bucket's name, percent-encoded (RFC 3986, UTF-8).</summary>
    public const string SourceBucket = "logpushkit-source-bucket";

    /// <summary>The source key, percent-encoded (RFC 3986, UTF-8) because metadata travels in ASCII HTTP headers.</summary>
    public const string SourceKey = "logpushkit-source-key";

    /// <summary>The source object's ETag (without quotes) that the CSV was made from.</summary>
    public const string SourceETag = "logpushkit-source-etag";

    /// <summary>The source object's size in bytes.</summary>
    public const string SourceSize = "logpushkit-source-size";

    /// <summary>The converter and its version, e.g. <c>LogpushKit/0.1.0</c>.</summary>
    public const string Converter = "logpushkit-converter";

    /// <summary>The <see cref="Pipeline.OptionsFingerprint"/> of the options the CSV was made with; a target without it (or with another) is converted again.</summary>
    public const string OptionsFingerprint = "logpushkit-options";

    /// <summary>What a target's metadata says about its source; <see langword="null"/> for a target without provenance.</summary>
    internal static Recorded? Read(R2ObjectInfo? target)
    {
        if (target is null || !target.CustomMetadata.TryGetValue(SourceKey, out var key))
        {
            return null;
        }

        target.CustomMetadata.TryGetValue(SourceBucket, out var bucket);
        target.CustomMetadata.TryGetValue(SourceETag, out var etag);
        target.CustomMetadata.TryGetValue(OptionsFingerprint, out var fingerprint);
        return new Recorded(Decode(bucket), Decode(key) ?? string.Empty, LogpushObjectProcessor.NormalizeETag(etag)) { Fingerprint = fingerprint };
    }

    private static string? Decode(string? value)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value;
        }
    }

    /// <summary>The source a target records.</summary>
    internal sealed record Recorded(string? Bucket, string Key, string? ETag)
    {
        /// <summary>The options fingerprint recorded, or <see langword="null"/> (a target written before fingerprints).</summary>
        public string? Fingerprint { get; init; }

        /// <summary>Whether this names the source object <paramref name="key"/> of the bucket <paramref name="bucket"/>.</summary>
        public bool Is(string bucket, string key) =>
            string.Equals(Key, key, StringComparison.Ordinal) && (Bucket is null || string.Equals(Bucket, bucket, StringComparison.Ordinal));
    }
}
