using LogpushKit.Testing;

namespace LogpushKit.R2.Tests.Internal;

/// <summary>The package logs through one source-generated <c>Log</c> class, its event ids in the package's range, each event named.</summary>
public sealed class LogTests
{
    [Fact]
    public void LogMessages_OneClassInThePackageRange_IdsAndNamesUnique() =>
        LogMessages.AssertOneClassInRange(typeof(R2Bucket).Assembly, "LogpushKit.R2.Log", 2000, 2999);
}
