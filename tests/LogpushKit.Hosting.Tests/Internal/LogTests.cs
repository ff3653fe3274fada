using LogpushKit.Testing;

namespace LogpushKit.Hosting.Tests.Internal;

/// <summary>The package logs through one source-generated <c>Log</c> class, its event ids in the package's range, each event named.</summary>
public sealed class LogTests
{
    [Fact]
    public void LogMessages_OneClassInThePackageRange_IdsAndNamesUnique() =>
        LogMessages.AssertOneClassInRange(typeof(LogpushKitOptions).Assembly, "LogpushKit.Hosting.Log", 3000, 3999);
}
