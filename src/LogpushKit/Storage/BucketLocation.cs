using System.Text.RegularExpressions;

namespace LogpushKit.Storage;

/// <summary>Where a <see cref="BucketLocation"/> points.</summary>
public enum BucketLocationKind
{
    /// <summary>A local path (a plain path or a <c>file://</c> URI).</summary>
    FileSystem,

    /// <summary>A Cloudflare R2 bucket (<c>r2://bucket/key</c>); credentials come from the environment or options.</summary>
    R2,

    /// <summary>A bucket on any S3-compatible server (<c>s3://bucket/key</c>); the endpoint is given separately.</summary>
    S3,
}

/// <summary>
/// A parsed object or prefix location as the CLI accepts it: <c>r2://bucket/key-or-prefix</c>,
/// <c>s3://bucket/key-or-prefix</c>, <c>file:///path</c> or a plain local path.
/// </summary>
/// <param name="Kind">What kind of location this is.</param>
/// <param name="Bucket">The bucket name (R2/S3), or <see langword="null"/> for a local path.</param>
/// <param name="Key">
/// The object key or prefix after the bucket (possibly empty), taken literally (no percent-decoding), for R2/S3;
/// <see langword="null"/> for a local path.
/// </param>
/// <param name="Path">The full local path for <see cref="BucketLocationKind.FileSystem"/>; otherwise <see langword="null"/>.</param>
public sealed partial record BucketLocation(BucketLocationKind Kind, string? Bucket, string? Key, string? Path)
{
    /// <summary>Whether this location is a bucket (R2 or S3) rather than a local path.</summary>
    public bool IsBucket => Kind != BucketLocationKind.FileSystem;

    /// <summary>Parses <paramref name="value"/>.</summary>
    /// <exception cref="FormatException">
    /// The value is empty, uses an unknown scheme, or is a bucket URI with a missing or invalid bucket name or an
    /// invalid key; the message quotes the value and says what is wrong.
    /// </exception>
    public static BucketLocation Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var location, out var error) ? location : throw new FormatException(error);
    }

    /// <summary>Parses <paramref name="value"/>, returning <see langword="false"/> and a message when it is malformed.</summary>
    public static bool TryParse(string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BucketLocation? location, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        location = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "A location is empty; expected a local path, file:///path, r2://bucket/key or s3://bucket/key.";
            return false;
        }

        var scheme = SchemePattern().Match(value);
        if (!scheme.Success)
        {
            return TryLocal(value, value, out location, out error);
        }

        var name = scheme.Groups[1].Value.ToLowerInvariant();
        var rest = value[scheme.Length..];
        switch (name)
        {
            case "file":
                return TryFileUri(value, out location, out error);
            case "r2":
            case "s3":
                var slash = rest.IndexOf('/', StringComparison.Ordinal);
                var bucket = slash < 0 ? rest : rest[..slash];
                var key = slash < 0 ? string.Empty : rest[(slash + 1)..];
                if (bucket.Length == 0)
                {
                    error = $"Location '{value}' has no bucket name; expected {name}://bucket/key.";
                    return false;
                }

                if (!BucketNamePattern().IsMatch(bucket))
                {
                    error = $"Location '{value}': '{bucket}' is not a valid bucket name (3-63 characters: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit).";
                    return false;
                }

                if (key.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(key) > FileSystemBucket.MaxKeyBytes)
                {
                    error = $"Location '{value}': the key contains NUL or is longer than {FileSystemBucket.MaxKeyBytes} UTF-8 bytes.";
                    return false;
                }

                location = new BucketLocation(name == "r2" ? BucketLocationKind.R2 : BucketLocationKind.S3, bucket, key, null);
                error = null;
                return true;
            default:
                error = $"Location '{value}' uses the unsupported scheme '{name}://'; expected a local path, file:///path, r2://bucket/key or s3://bucket/key.";
                return false;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        BucketLocationKind.R2 => $"r2://{Bucket}/{Key}",
        BucketLocationKind.S3 => $"s3://{Bucket}/{Key}",
        _ => Path!,
    };

    private static bool TryFileUri(string value, out BucketLocation? location, out string? error)
    {
        location = null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || !uri.IsFile)
        {
            error = $"Location '{value}' is not a valid file URI; expected file:///absolute/path.";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Host) && !(uri.IsUnc && OperatingSystem.IsWindows()))
        {
            error = $"Location '{value}' names the host '{uri.Host}'; only local file URIs (file:///path) are supported.";
            return false;
        }

        return TryLocal(value, uri.LocalPath, out location, out error);
    }

    private static bool TryLocal(string value, string path, out BucketLocation? location, out string? error)
    {
        location = null;
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            error = $"Location '{value.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL character.";
            return false;
        }

        try
        {
            location = new BucketLocation(BucketLocationKind.FileSystem, null, null, System.IO.Path.GetFullPath(path));
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"Location '{value}' is not a valid path: {ex.Message}";
            return false;
        }
    }

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]+)://", RegexOptions.CultureInvariant)]
    private static partial Regex SchemePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketNamePattern();
}
