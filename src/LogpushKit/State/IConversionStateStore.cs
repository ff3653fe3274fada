namespace LogpushKit.State;

/// <summary>
/// What a pipeline converted and what failed, kept apart from the target: a CSV that a SIEM forwarder consumed (deleted
/// or moved) is not produced again, a folder target holds only the CSV files, and <c>logpushkit status</c> can tell which
/// source objects were never converted. Bucket targets shared by many consumers also keep provenance on each object.
/// </summary>
/// <remarks>
/// <para>Stores are identified by <see cref="Storage.R2BucketIdentity.Store"/> text (<c>s3:https://host/bucket/</c>;
/// a folder's also names the folder itself: <c>file:///real/path/#major,minor:inode@birth-time</c>), so one store can serve many
/// pipelines, a folder reached by two paths is one, and a folder removed and made again is another.</para>
/// <para>Implementations are thread-safe and safe across processes sharing one store (the SQLite store: one database
/// file opened by a run and a consumer at once). The caller disposes the store.</para>
/// </remarks>
public interface IConversionStateStore : IAsyncDisposable
{
    /// <summary>Where the state is kept, for messages (e.g. the database file's path).</summary>
    string Location { get; }

    /// <summary>The conversion recorded for target key <paramref name="targetKey"/> of the store <paramref name="target"/>, or <see langword="null"/>.</summary>
    ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey, CancellationToken cancellationToken = default);

    /// <summary>The newest conversion recorded for source key <paramref name="sourceKey"/> of the store <paramref name="source"/> into the store <paramref name="target"/>, or <see langword="null"/>.</summary>
    ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target, CancellationToken cancellationToken = default);

    /// <summary>Records a finished conversion, replacing any earlier record of its target key, and clears the source's failure.</summary>
    ValueTask SaveAsync(ConversionRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records one more failed attempt of a source object and returns the failure with its attempt count. A failure of
    /// another version of the object (both ETags known and different) starts over: one attempt, not quarantined.
    /// </summary>
    ValueTask<ConversionFailure> RecordFailureAsync(string source, string sourceKey, string target, string? sourceETag, string reason, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Marks a failure as given up (quarantined after its last attempt), with where the object's copy or reason went.</summary>
    ValueTask MarkQuarantinedAsync(string source, string sourceKey, string target, string? quarantineKey, CancellationToken cancellationToken = default);

    /// <summary>Every conversion recorded from <paramref name="source"/> into <paramref name="target"/>.</summary>
    IAsyncEnumerable<ConversionRecord> ListAsync(string source, string target, CancellationToken cancellationToken = default);

    /// <summary>Every current failure (not since converted) of objects of <paramref name="source"/> into <paramref name="target"/>.</summary>
    IAsyncEnumerable<ConversionFailure> ListFailuresAsync(string source, string target, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims target key <paramref name="targetKey"/> of <paramref name="target"/> across processes until the returned
    /// handle is disposed: a second claimant waits. Released when the holder's process dies.
    /// </summary>
    ValueTask<IAsyncDisposable> LockAsync(string target, string targetKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets the conversions and failures recorded into earlier versions of a target store: every target named
    /// <paramref name="family"/> followed by a suffix without <c>/</c>, except <paramref name="current"/>. The object
    /// processor calls it once for a target folder, whose store is named <c>file:///path/#folder-id</c>, so that the
    /// records of a folder that was removed (and made again under the same path) do not pile up. Returns how many
    /// records were forgotten. The default forgets nothing.
    /// </summary>
    ValueTask<int> ForgetEarlierTargetsAsync(string family, string current, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);
}

/// <summary>One conversion of a source object into a target object.</summary>
/// <param name="Source">The source store (<see cref="Storage.R2BucketIdentity.Store"/>).</param>
/// <param name="SourceKey">The source object key.</param>
/// <param name="Target">The target store.</param>
/// <param name="TargetKey">The target object key.</param>
public sealed record ConversionRecord(string Source, string SourceKey, string Target, string TargetKey)
{
    /// <summary>
    /// The source's ETag (without quotes) the CSV was made from, when the source has ETags; for a folder source the
    /// processor records <c>xxh128:</c> and the XXH128 of the file's bytes (a file seen under a new time or identity with
    /// the same bytes is then not converted again).
    /// </summary>
    public string? SourceETag { get; init; }

    /// <summary>The source's size in bytes.</summary>
    public long SourceSize { get; init; }

    /// <summary>The source's last-modified time.</summary>
    public DateTimeOffset? SourceLastModified { get; init; }

    /// <summary>For a folder source, the file's identity (<c>device:inode</c>), so an unchanged file is recognised without reading it.</summary>
    public string? SourceFileId { get; init; }

    /// <summary>The <see cref="Pipeline.OptionsFingerprint"/> of the options the CSV was made with.</summary>
    public required string OptionsFingerprint { get; init; }

    /// <summary>The object's dataset, when told.</summary>
    public string? Dataset { get; init; }

    /// <summary>CSV data rows written.</summary>
    public long Rows { get; init; }

    /// <summary>Bytes of CSV written.</summary>
    public long Bytes { get; init; }

    /// <summary>The SHA-256 of the CSV written, lower-case hex, when computed.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Bad lines set aside (quarantined or skipped) by the conversion.</summary>
    public long BadLines { get; init; }

    /// <summary>The key of the quarantine object holding the bad lines, or <see langword="null"/>.</summary>
    public string? QuarantineKey { get; init; }

    /// <summary>When the conversion finished.</summary>
    public DateTimeOffset ConvertedAt { get; init; }
}

/// <summary>The failures of one source object since it was last converted.</summary>
/// <param name="Source">The source store.</param>
/// <param name="SourceKey">The source object key.</param>
/// <param name="Target">The target store.</param>
public sealed record ConversionFailure(string Source, string SourceKey, string Target)
{
    /// <summary>The source's ETag at the last attempt, when known.</summary>
    public string? SourceETag { get; init; }

    /// <summary>Why the last attempt failed.</summary>
    public required string Reason { get; init; }

    /// <summary>Failed attempts so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When the first attempt failed.</summary>
    public DateTimeOffset FirstFailedAt { get; init; }

    /// <summary>When the last attempt failed.</summary>
    public DateTimeOffset LastFailedAt { get; init; }

    /// <summary>Whether retries were given up and the object quarantined.</summary>
    public bool Quarantined { get; init; }

    /// <summary>Where the quarantined object (or its reason) went, when quarantined.</summary>
    public string? QuarantineKey { get; init; }
}
