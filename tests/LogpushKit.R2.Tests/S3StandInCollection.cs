using LogpushKit.Testing.S3;


namespace LogpushKit.R2.Tests;

/// <summary>The S3 stand-in (conditional writes, multipart listing and abort), shared by the tests that need it.</summary>
[CollectionDefinition(Name)]
public sealed class S3StandInCollection : ICollectionFixture<S3StandInFixture>
{
    public const string Name = "s3-stand-in";
}

/// <summary>Starts one <see cref="S3StandInServer"/> for the collection.</summary>
public sealed class S3StandInFixture : IAsyncLifetime
{
    public S3StandInServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await S3StandInServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A client for a fresh bucket on the stand-in (5 MiB parts).</summary>
    public R2Bucket CreateBucket(Microsoft.Extensions.Logging.ILogger<R2Bucket>? logger = null, TimeProvider? timeProvider = null) =>
        new(Options(Server.CreateBucket()), logger, timeProvider);

    public R2BucketOptions Options(string bucket) => new()
    {
        Bucket = bucket,
        Endpoint = Server.Endpoint,
        AccessKeyId = "STANDIN",
        SecretAccessKey = "STANDIN",
        PartSize = R2BucketOptions.MinPartSize,
        GetEnvironmentVariable = static _ => null,
    };
}
