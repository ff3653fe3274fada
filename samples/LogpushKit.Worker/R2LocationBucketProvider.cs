using LogpushKit.Hosting;
using LogpushKit.R2;
using LogpushKit.Storage;

namespace LogpushKit.Worker;

/// <summary>
/// Opens <c>r2://bucket/prefix</c> and <c>s3://bucket/prefix</c> locations as <see cref="R2Bucket"/>s. Credentials and the
/// account come from R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY (user secrets or the environment);
/// s3:// needs R2_ENDPOINT (or LOGPUSHKIT_S3_ENDPOINT).
/// </summary>
internal sealed class R2LocationBucketProvider : ILogpushBucketProvider
{
    public IR2Bucket? Open(BucketLocation location)
    {
        if (!location.IsBucket)
        {
            return null;
        }

        var options = new R2BucketOptions { Bucket = location.Bucket! };
        if (location.Kind == BucketLocationKind.S3 && Environment.GetEnvironmentVariable("LOGPUSHKIT_S3_ENDPOINT") is { Length: > 0 } endpoint)
        {
            options.Endpoint = new Uri(endpoint);
        }

        return new R2Bucket(options);
    }
}
