using LogpushKit.Storage;
using LogpushKit.Testing.Storage;

namespace LogpushKit.R2.Tests;

/// <summary>
/// The conditional-put contract for <see cref="R2Bucket"/>, against the S3 stand-in: s3rver 3.7.1 does not implement
/// conditional writes (see <see cref="R2BucketTests.S3rver_IgnoresIfNoneMatchOnPut_SoConditionalPutsAreTestedAgainstTheStandIn"/>).
/// </summary>
[Collection(S3StandInCollection.Name)]
public sealed class R2BucketConditionalPutTests(S3StandInFixture fixture) : ConditionalPutBehaviourTests, IDisposable
{
    private readonly R2Bucket _bucket = fixture.CreateBucket();

    protected override IR2Bucket Bucket => _bucket;

    protected override int PartSize => R2BucketOptions.MinPartSize;

    public void Dispose() => _bucket.Dispose();
}
