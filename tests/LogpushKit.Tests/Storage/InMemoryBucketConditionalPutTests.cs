using LogpushKit.Storage;
using LogpushKit.Testing.Storage;

namespace LogpushKit.Tests.Storage;

/// <summary>The conditional-put contract for <see cref="InMemoryBucket"/>.</summary>
public sealed class InMemoryBucketConditionalPutTests : ConditionalPutBehaviourTests
{
    protected override IR2Bucket Bucket { get; } = new InMemoryBucket("memory-cond");
}
