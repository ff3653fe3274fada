namespace LogpushKit.Storage;

/// <summary>
/// Opens local folders as <see cref="FileSystemBucket"/>s. A source folder must exist and be a folder (it is never
/// created: a mistyped source would otherwise be watched forever, empty); a target folder is created when missing.
/// </summary>
public sealed class FolderBucketProvider : IBucketProvider
{
    /// <summary>The one instance (the provider has no state).</summary>
    public static FolderBucketProvider Instance { get; } = new();

    /// <inheritdoc />
    public bool CanOpen(BucketLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Kind == BucketLocationKind.FileSystem;
    }

    /// <inheritdoc />
    public IR2Bucket Open(BucketRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!CanOpen(request.Location))
        {
            throw new ArgumentException($"'{request.Location}' is not a local folder.", nameof(request));
        }

        var path = request.Location.Path!;
        if (request.Role == BucketRole.Source)
        {
            RequireFolder(path, request.Setting);
        }
        else
        {
            if (File.Exists(path))
            {
                throw new LogpushSettingException(request.Setting, $"'{path}' is a file, not a folder.");
            }

            try
            {
                Directory.CreateDirectory(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new LogpushSettingException(request.Setting, $"cannot create the folder '{path}': {ex.Message}");
            }
        }

        return new FileSystemBucket(path);
    }

    /// <summary>Throws a <see cref="LogpushSettingException"/> naming <paramref name="setting"/> unless <paramref name="path"/> is an existing folder.</summary>
    internal static void RequireFolder(string path, string setting)
    {
        if (File.Exists(path))
        {
            throw new LogpushSettingException(setting, $"'{path}' is a file, not a folder.");
        }

        if (!Directory.Exists(path))
        {
            throw new LogpushSettingException(setting, $"the folder '{path}' does not exist.");
        }
    }
}

/// <summary>
/// The bucket providers of a host, asked in order; local folders are always handled (by
/// <see cref="FolderBucketProvider"/>, last unless given earlier). A location no provider handles is a
/// <see cref="LogpushSettingException"/> that says which package opens it.
/// </summary>
public sealed class BucketProviders : IBucketProvider
{
    /// <summary>Creates the list: <paramref name="providers"/> in order, then <see cref="FolderBucketProvider"/> when not among them.</summary>
    public BucketProviders(params IEnumerable<IBucketProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        List<IBucketProvider> list = [.. providers];
        if (list.Any(p => p is null))
        {
            throw new ArgumentException("A provider is null.", nameof(providers));
        }

        if (!list.Any(p => p is FolderBucketProvider))
        {
            list.Add(FolderBucketProvider.Instance);
        }

        Providers = list;
    }

    /// <summary>The providers, in the order they are asked.</summary>
    public IReadOnlyList<IBucketProvider> Providers { get; }

    /// <inheritdoc />
    public bool CanOpen(BucketLocation location) => Providers.Any(p => p.CanOpen(location));

    /// <inheritdoc />
    public IR2Bucket Open(BucketRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var provider = Providers.FirstOrDefault(p => p.CanOpen(request.Location))
            ?? throw new LogpushSettingException(
                request.Setting,
                $"'{request.Location}': nothing here opens {request.Location.Kind.ToString().ToLowerInvariant()}:// locations; "
                + "they need the LogpushKit.R2 package (R2BucketProvider, or services.AddLogpushR2Locations() in a host).");
        return provider.Open(request);
    }
}
