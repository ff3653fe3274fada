using LogpushKit.Testing;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Internal;

/// <summary>The package logs through one source-generated <c>Log</c> class, its event ids in the package's range, each event named.</summary>
public sealed class LogTests
{
    [Fact]
    public void LogMessages_OneClassInThePackageRange_IdsAndNamesUnique() =>
        LogMessages.AssertOneClassInRange(typeof(LogpushCsvTransformer).Assembly, "LogpushKit.Log", 1000, 1999);
}
