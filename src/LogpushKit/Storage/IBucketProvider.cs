namespace LogpushKit.Storage;

/// <summary>
/// Opens the bucket behind a <see cref="BucketLocation"/>: a local folder (<see cref="FolderBucketProvider"/>), or
/// <c>r2://</c> and <c>s3://</c> locations (the <c>R2BucketProvider</c> of the <c>LogpushKit.R2</c> package). Hosts
/// combine providers with <see cref="BucketProviders"/>; the CLI and the worker open their buckets through the same
/// providers, so a location means the same in both.
/// </summary>
/// <remarks>
/// A provider opens the whole bucket (for a folder: the folder). The key of a bucket location names a folder inside
/// it, which the caller applies as a key prefix (see <see cref="BucketRequest.FolderPrefix"/>). The caller owns the
/// returned bucket and disposes it when it implements <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/>.
/// </remarks>
public interface IBucketProvider
{
    /// <summary>Whether this provider opens locations of <paramref name="location"/>'s kind.</summary>
    bool CanOpen(BucketLocation location);

    /// <summary>Opens the bucket <paramref name="request"/> names.</summary>
    /// <exception cref="LogpushSettingException">
    /// The location cannot be opened as asked (a source folder that does not exist or is a file, no endpoint or
    /// credentials, an endpoint that is not an http(s) URL); the message names the setting, flag or environment variable.
    /// </exception>
    IR2Bucket Open(BucketRequest request);
}

/// <summary>What a bucket is opened for.</summary>
public enum BucketRole
{
    /// <summary>Objects are read from it: it must exist already (a missing source folder is an error, never created).</summary>
    Source,

    /// <summary>Objects are written to it: a missing local folder is created.</summary>
    Target,
}

/// <summary>A bucket to open, with the names the user knows its settings by (used in error messages).</summary>
public sealed record BucketRequest
{
    /// <summary>The location.</summary>
    public required BucketLocation Location { get; init; }

    /// <summary>The setting that holds <see cref="Location"/>, as the user named it: <c>--source</c>, <c>LogpushKit:Target</c>, <c>input</c>.</summary>
    public required string Setting { get; init; }

    /// <summary>Whether the bucket is read from (it must exist) or written to (a folder is created).</summary>
    public BucketRole Role { get; init; } = BucketRole.Source;

    /// <summary>
    /// An explicit endpoint URL for <c>r2://</c> and <c>s3://</c> locations (a CLI flag or configuration value); it wins
    /// over the environment. <see langword="null"/> or empty: from the environment.
    /// </summary>
    public string? Endpoint { get; init; }

    /// <summary>The setting that holds <see cref="Endpoint"/>, as the user named it: <c>--endpoint</c>, <c>LogpushKit:Endpoint</c>.</summary>
    public string EndpointSetting { get; init; } = "Endpoint";

    /// <summary>
    /// The key prefix that <see cref="Location"/>'s path names inside its bucket: empty for a folder or a bucket's root,
    /// else the key with exactly one trailing <c>/</c> (<c>r2://logs/gateway_http</c> → <c>gateway_http/</c>), so a
    /// location's path always names a folder, never a prefix of other names (<c>gateway_http_old/</c>).
    /// </summary>
    public string FolderPrefix => ToFolderPrefix(Location.Key);

    /// <summary>The folder prefix of a location key (see <see cref="FolderPrefix"/>).</summary>
    public static string ToFolderPrefix(string? key)
    {
        var trimmed = (key ?? string.Empty).TrimEnd('/');
        return trimmed.Length == 0 ? string.Empty : trimmed + "/";
    }
}
