using System.Reflection;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Hosting.Tests.Internal;

/// <summary>
/// The package logs through one source-generated <c>Log</c> class, with event ids in its own range (LogpushKit
/// 1000-1999, LogpushKit.R2 2000-2999, LogpushKit.Hosting 3000-3999) and a name on every event. Each test project
/// checks its package with the same few lines (test projects do not share code here).
/// </summary>
public sealed class LogTests
{
    [Fact]
    public void LogMessages_OneClassInThePackageRange_IdsAndNamesUnique() =>
        AssertLogMessages(typeof(LogpushKitOptions).Assembly, "LogpushKit.Hosting.Log", 3000, 3999);

    private static void AssertLogMessages(Assembly assembly, string logClass, int firstId, int lastId)
    {
        var messages = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        Assert.NotEmpty(messages);
        Assert.All(messages, x => Assert.Equal(logClass, x.Method.DeclaringType!.FullName));
        Assert.All(messages, x => Assert.InRange(x.Attribute!.EventId, firstId, lastId));
        Assert.All(messages, x => Assert.False(string.IsNullOrWhiteSpace(x.Attribute!.EventName), $"{x.Method.Name} has no event name"));
        Assert.Empty(messages.GroupBy(x => x.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Empty(messages.GroupBy(x => x.Attribute!.EventName, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key));
    }
}
