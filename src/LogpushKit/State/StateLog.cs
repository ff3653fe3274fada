using Microsoft.Extensions.Logging;

namespace LogpushKit;

/// <summary>The conversion state's log messages (1290-1299, in the object processor's range).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1290, EventName = "StateFailureNotRecorded", Level = LogLevel.Warning, Message = "The failure of {SourceKey} could not be recorded in the state {State}: {Reason}")]
    public static partial void StateFailureNotRecorded(ILogger logger, string sourceKey, string state, string reason);
}
