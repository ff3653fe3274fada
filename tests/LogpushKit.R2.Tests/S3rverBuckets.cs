using LogpushKit.Testing.S3;


namespace LogpushKit.R2.Tests;

/// <summary>Creates <see cref="R2Bucket"/> clients for fresh buckets on the test s3rver instances.</summary>
internal static class S3rverBuckets
{
    public static R2BucketOptions Options(S3rverServer server, Uri endpoint, string bucket, Action<R2BucketOptions>? configure = null)
    {
        var options = new R2BucketOptions
        {
            Bucket = bucket,
            Endpoint = endpoint,
            AccessKeyId = S3rverServer.AccessKeyId,
            SecretAccessKey = S3rverServer.SecretAccessKey,
            HttpMessageHandlerFactory = server.CreateTrustingHandler,
            GetEnvironmentVariable = static _ => null,
        };
        configure?.Invoke(options);
        return options;
    }

    public static async Task<R2Bucket> CreateAsync(S3rverServer server, bool tls = true, Action<R2BucketOptions>? configure = null, Microsoft.Extensions.Logging.ILogger<R2Bucket>? logger = null)
    {
        var endpoint = tls ? server.HttpsEndpoint : server.HttpEndpoint;
        var name = server.NewBucketName(tls ? "tls" : "http");
        await server.CreateBucketAsync(endpoint, name);
        return new R2Bucket(Options(server, endpoint, name, configure), logger);
    }
}
