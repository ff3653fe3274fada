using Microsoft.Extensions.Logging;

namespace LogpushKit.Pipeline;

/// <summary><see cref="LogpushPipeline"/>'s log messages (event ids 50-59).</summary>
internal static partial class LogpushPipelineLog
{
    [LoggerMessage(50, LogLevel.Information, "Pipeline opened: source {Source}, target {Target}, {Concurrency} objects at once")]
    public static partial void Opened(ILogger logger, string source, string target, int concurrency);

    [LoggerMessage(51, LogLevel.Information, "Watching {Source} ({How})")]
    public static partial void Watching(ILogger logger, string source, string how);

    [LoggerMessage(52, LogLevel.Error, "A reconcile pass of {Source} failed: {Reason}; the next one runs in {IntervalSeconds} s")]
    public static partial void PassFailed(ILogger logger, string source, double intervalSeconds, string reason, Exception? exception);

    [LoggerMessage(53, LogLevel.Information, "Pipeline stopped: {Converted} converted, {Skipped} skipped, {Failed} failed, {FailedPasses} failed passes, {Rows} rows, {LeftoversRemoved} leftovers of interrupted puts removed")]
    public static partial void Stopped(ILogger logger, long converted, long skipped, long failed, long failedPasses, long rows, long leftoversRemoved);
}
