using Microsoft.Extensions.Logging;

namespace LogpushKit;

/// <summary>The conversion state's log messages (1290-1299, in the object processor's range).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1290, EventName = "StateFailureNotRecorded", Level = LogLevel.Warning, Message = "The failure of {SourceKey} could not be recorded in the state {State}: {Reason}")]
    public static partial void StateFailureNotRecorded(ILogger logger, string sourceKey, string state, string reason);

    [LoggerMessage(EventId = 1291, EventName = "EarlierTargetRecordsForgotten", Level = LogLevel.Information, Message = "Forgot {Count} records of earlier versions of the target folder {Folder} (removed and made again) in the state {State}")]
    public static partial void EarlierTargetRecordsForgotten(ILogger logger, int count, string folder, string state);

    [LoggerMessage(EventId = 1292, EventName = "EarlierTargetRecordsNotForgotten", Level = LogLevel.Warning, Message = "The records of earlier versions of the target folder {Folder} could not be forgotten in the state {State} (they stay, unused): {Reason}")]
    public static partial void EarlierTargetRecordsNotForgotten(ILogger logger, string folder, string state, string reason);
}
