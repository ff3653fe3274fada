using LogpushKit.Testing.S3;


namespace LogpushKit.R2.Tests;

/// <summary>
/// Tests against the shared s3rver instances. They run one at a time (s3rver and the 2-core budget do not reward
/// parallel uploads) and after the other tests of this assembly, so allocation measurements are not disturbed.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class S3rverCollection : ICollectionFixture<S3rverServer>
{
    public const string Name = "s3rver";
}
