using LogpushKit.Storage;
using LogpushKit.Testing.S3;
using LogpushKit.Testing.Storage;

namespace LogpushKit.R2.Tests;

/// <summary>The shared bucket behaviour suite against s3rver over TLS, with 5 MiB parts (R2's minimum).</summary>
[Collection(S3rverCollection.Name)]
public sealed class R2BucketTlsBehaviourTests(S3rverServer server) : BucketBehaviourTests, IAsyncLifetime
{
    private R2Bucket? _bucket;

    protected override IR2Bucket Bucket => _bucket ?? throw new InvalidOperationException("Not initialised.");

    protected override int PartSize => R2BucketOptions.MinPartSize;

    protected override int SeedParallelism => 16;

    // s3rver 3.7.1 lists by walking its folders, so a folder sorts by its bare name: "a/b" comes before "a-b" and
    // "a.b" (S3 and R2 order by key bytes, "a-b" < "a.b" < "a/b"). The file-system and in-memory buckets run the full
    // key set; the ordering of R2Bucket is the server's own.
    protected override string[] OrderingKeys => ["b", "a/b", "A", "a0", "ä", "日", "😀", "\uFF21", "z/y/x", "a~"];

    // s3rver 3.7.1 does not descend into folders two levels below a rolled-up prefix, so "d/e/f" would be missing
    // from a delimiter listing; "d/f" rolls up to the same "d/".
    protected override string DeepKeyUnderRolledUpPrefix => "d/f";

    public async Task InitializeAsync() =>
        _bucket = await S3rverBuckets.CreateAsync(server, tls: true, o => o.PartSize = R2BucketOptions.MinPartSize);

    public Task DisposeAsync()
    {
        _bucket?.Dispose();
        return Task.CompletedTask;
    }
}
