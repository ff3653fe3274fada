using Microsoft.Extensions.Logging;

namespace LogpushKit.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(100, LogLevel.Information, "LogpushKit worker started: {Mode}, source {Source}, target {Target}, {Concurrency} objects at once")]
    public static partial void Started(ILogger logger, string mode, string source, string target, int concurrency);

    [LoggerMessage(101, LogLevel.Information, "LogpushKit worker stopped: {Converted} converted, {Skipped} skipped, {Failed} failed, {Rows} rows, {LeftoversRemoved} leftovers of interrupted puts removed")]
    public static partial void Stopped(ILogger logger, long converted, long skipped, long failed, long rows, long leftoversRemoved);

    [LoggerMessage(102, LogLevel.Error, "LogpushKit worker failed and stops the host: {Reason}")]
    public static partial void Failed(ILogger logger, string reason);
}
