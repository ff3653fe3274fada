using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Testing.Storage;

namespace LogpushKit.Tests.Storage;

/// <summary>The conditional-put contract for <see cref="FileSystemBucket"/> (one process; across processes see the lock tests).</summary>
public sealed class FileSystemBucketConditionalPutTests : ConditionalPutBehaviourTests, IDisposable
{
    private readonly TempDirectory _folder = new("fscond");

    public FileSystemBucketConditionalPutTests() => Bucket = new FileSystemBucket(_folder.Path, "fs-cond");

    protected override IR2Bucket Bucket { get; }

    public void Dispose() => _folder.Dispose();
}
