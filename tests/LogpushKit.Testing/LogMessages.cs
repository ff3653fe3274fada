using System.Reflection;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Testing;

/// <summary>
/// Each package logs through one source-generated <c>Log</c> class, with event ids in its own range (LogpushKit
/// 1000-1999, LogpushKit.R2 2000-2999, LogpushKit.Hosting 3000-3999) and a name on every event.
/// </summary>
public static class LogMessages
{
    /// <summary>Asserts that every <see cref="LoggerMessageAttribute"/> method of <paramref name="assembly"/> is on <paramref name="logClass"/>, with a unique id in the range and a unique name.</summary>
    public static void AssertOneClassInRange(Assembly assembly, string logClass, int firstId, int lastId)
    {
        ArgumentNullException.ThrowIfNull(assembly);
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
