namespace LogpushKit.Storage;

/// <summary>
/// The precondition of a conditional put (<see cref="IR2Bucket.PutIfAsync"/>), the Workers binding's <c>onlyIf</c> and
/// S3's conditional writes: the key must not hold an object yet (<see cref="DoesNotExist"/>, S3 <c>If-None-Match: *</c>),
/// or must still hold the object with a given ETag (<see cref="ETagIs"/>, S3 <c>If-Match</c>). The bucket checks the
/// condition when it commits the object, so between two writers of one key with the same condition exactly one wins.
/// </summary>
public sealed record R2Conditional
{
    private R2Conditional(string? etag) => ETag = etag;

    /// <summary>The put succeeds only when no object has the key.</summary>
    public static R2Conditional DoesNotExist { get; } = new((string?)null);

    /// <summary>
    /// The ETag (without quotes) the current object must have, or <see langword="null"/> for <see cref="DoesNotExist"/>.
    /// </summary>
    public string? ETag { get; }

    /// <summary>The put succeeds only when the key holds an object whose ETag is <paramref name="etag"/>.</summary>
    /// <param name="etag">The ETag as head, list or put report it; surrounding quotes and a weak <c>W/</c> prefix are dropped.</param>
    public static R2Conditional ETagIs(string etag)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(etag);
        var trimmed = etag.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        trimmed = trimmed.Trim('"');
        ArgumentException.ThrowIfNullOrWhiteSpace(trimmed, nameof(etag));
        return new R2Conditional(trimmed);
    }

    /// <summary>Whether an object in the state <paramref name="current"/> (<see langword="null"/>: no object) satisfies the condition.</summary>
    public bool IsSatisfiedBy(R2ObjectInfo? current) => ETag is null
        ? current is null
        : current is not null && string.Equals(current.ETag.Trim('"'), ETag, StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => ETag is null ? "if the object does not exist" : $"if the object's ETag is {ETag}";
}

/// <summary>
/// Identifies the store behind a bucket, so that two bucket objects opened separately (a folder given twice, two clients
/// of one S3 bucket) can be recognised as one: the object <c>key</c> lives at <c><see cref="Store"/> + key</c>.
/// </summary>
/// <param name="Store">
/// Where keys are appended, ending with <c>/</c>: <c>file:///real/path/</c> for a folder (links resolved),
/// <c>s3:https://host:port/bucket/</c> for an S3 or R2 bucket.
/// </param>
/// <param name="IgnoresKeyCase">
/// Whether keys that differ only in case name one object (a folder on a case-insensitive file system: Windows, macOS).
/// </param>
public sealed record R2BucketIdentity(string Store, bool IgnoresKeyCase = false)
{
    /// <summary>
    /// The key in this store of the object <paramref name="key"/> of the store <paramref name="other"/>, or
    /// <see langword="null"/> when that object does not lie in this store. With equal stores this is the key itself;
    /// with a folder inside another folder it is the path below this one.
    /// </summary>
    public string? KeyOf(R2BucketIdentity other, string key)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(key);
        var location = other.Store + key;
        var comparison = IgnoresKeyCase || other.IgnoresKeyCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return location.StartsWith(Store, comparison) && location.Length > Store.Length ? location[Store.Length..] : null;
    }
}

/// <summary>What <see cref="IR2Bucket.CleanUpAsync"/> may remove.</summary>
public sealed record R2CleanupOptions
{
    /// <summary>The default age before a leftover is removed: one hour.</summary>
    public static readonly TimeSpan DefaultOlderThan = TimeSpan.FromHours(1);

    /// <summary>Only leftovers of puts of keys that start with this prefix. Default: the whole bucket.</summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Only leftovers not written to for at least this long (a temporary file's last write, a multipart upload's
    /// start), so that a put still running in another process is not disturbed. Default one hour.
    /// </summary>
    public TimeSpan OlderThan { get; init; } = DefaultOlderThan;

    /// <summary>
    /// Only leftovers of puts of keys for which this returns <see langword="true"/> (e.g. keys the caller's own code
    /// writes). Default: every key under <see cref="Prefix"/>.
    /// </summary>
    public Func<string, bool>? KeyFilter { get; init; }

    /// <summary>Whether <paramref name="key"/> passes <see cref="Prefix"/> and <see cref="KeyFilter"/>.</summary>
    public bool Covers(string key) =>
        (string.IsNullOrEmpty(Prefix) || key.StartsWith(Prefix, StringComparison.Ordinal)) && (KeyFilter?.Invoke(key) ?? true);
}

/// <summary>The kind of leftover a cleanup removed.</summary>
public enum R2LeftoverKind
{
    /// <summary>A folder bucket's hidden temporary file of an interrupted put (<c>.&lt;name&gt;.&lt;guid&gt;.tmp</c>).</summary>
    TemporaryFile,

    /// <summary>An S3/R2 multipart upload that was never completed nor aborted (its parts are stored and billed).</summary>
    MultipartUpload,
}

/// <summary>One leftover of an interrupted put.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Key">The object key the interrupted put was writing.</param>
/// <param name="Id">The temporary file's name or the multipart upload's id.</param>
/// <param name="Size">Bytes it held, when known.</param>
/// <param name="LastModified">When it was last written to (a temporary file) or started (an upload).</param>
public sealed record R2Leftover(R2LeftoverKind Kind, string Key, string Id, long? Size, DateTimeOffset LastModified);

/// <summary>A part of a bucket a listing or a cleanup could not read or change.</summary>
/// <param name="Key">The key, or for a folder the key prefix ending with <c>/</c>.</param>
/// <param name="Reason">What went wrong, in words.</param>
public sealed record R2BucketProblem(string Key, string Reason);

/// <summary>What <see cref="IR2Bucket.CleanUpAsync"/> did.</summary>
/// <param name="Removed">The leftovers removed.</param>
/// <param name="Problems">What could not be looked at or removed (nothing is thrown for these).</param>
public sealed record R2CleanupResult(IReadOnlyList<R2Leftover> Removed, IReadOnlyList<R2BucketProblem> Problems)
{
    /// <summary>Nothing removed, no problems: the result of a bucket whose puts leave nothing behind.</summary>
    public static R2CleanupResult Nothing { get; } = new([], []);

    /// <summary>Bytes the removed leftovers held, as far as known.</summary>
    public long RemovedBytes => Removed.Sum(static r => r.Size ?? 0);
}

/// <summary>
/// A listing could not read part of the bucket (for <see cref="FileSystemBucket"/>: an unreadable folder or file). It is
/// thrown after every readable entry was listed, so a caller that catches it has seen everything else.
/// </summary>
public sealed class R2ListIncompleteException : R2BucketException
{
    /// <summary>Creates the exception.</summary>
    public R2ListIncompleteException(string bucket, IReadOnlyList<R2BucketProblem> problems)
        : base(FormatMessage(bucket, problems), bucket, problems.Count > 0 ? problems[0].Key : null)
    {
        Problems = problems;
    }

    /// <summary>Each part that could not be listed, with the reason.</summary>
    public IReadOnlyList<R2BucketProblem> Problems { get; }

    private static string FormatMessage(string bucket, IReadOnlyList<R2BucketProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var shown = string.Join("; ", problems.Take(5).Select(p => $"'{ObjectKeyText.Escape(p.Key)}': {p.Reason}"));
        var more = problems.Count > 5 ? $" and {problems.Count - 5} more" : string.Empty;
        return $"Bucket '{bucket}': the listing is incomplete, {problems.Count} part(s) could not be read: {shown}{more}.";
    }
}
