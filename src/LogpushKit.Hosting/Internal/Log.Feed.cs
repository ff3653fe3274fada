using Microsoft.Extensions.Logging;

namespace LogpushKit.Hosting;

internal static partial class Log
{
    // 3100-3199: the feed health monitor (one line per check).
    [LoggerMessage(EventId = 3100, EventName = "FeedChecked", Level = LogLevel.Information, Message = "LogpushKit feed checked: {Status}, {Unconverted} unconverted objects ({Overdue} overdue), {Problems} problems")]
    public static partial void FeedChecked(ILogger logger, string status, long unconverted, long overdue, int problems);

    [LoggerMessage(EventId = 3101, EventName = "FeedCheckFailed", Level = LogLevel.Warning, Message = "LogpushKit feed could not be checked: {Reason}")]
    public static partial void FeedCheckFailed(ILogger logger, string reason);
}
