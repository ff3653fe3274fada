using LogpushKit.Storage;

namespace LogpushKit.Hosting;

/// <summary>
/// Opens the buckets named by <see cref="LogpushKitOptions.Source"/> and <see cref="LogpushKitOptions.Target"/>.
/// <see cref="ServiceCollectionExtensions.AddLogpushKit(Microsoft.Extensions.DependencyInjection.IServiceCollection)"/>
/// registers one for local folders; register another (before or after) for <c>r2://</c> and <c>s3://</c> locations,
/// e.g. over the bucket of the <c>LogpushKit.R2</c> package. The first provider that opens a location wins.
/// </summary>
public interface ILogpushBucketProvider
{
    /// <summary>Opens <paramref name="location"/>, or returns <see langword="null"/> when this provider does not handle its kind.</summary>
    IR2Bucket? Open(BucketLocation location);
}

/// <summary>Opens local folders as <see cref="FileSystemBucket"/>s.</summary>
internal sealed class FolderBucketProvider : ILogpushBucketProvider
{
    public IR2Bucket? Open(BucketLocation location)
        => location.Kind == BucketLocationKind.FileSystem ? new FileSystemBucket(location.Path!) : null;
}
