using Microsoft.Extensions.Logging;

namespace LogpushKit.Hosting;

/// <summary>
/// The LogpushKit.Hosting package's log messages, source-generated. Event ids 3000-3999; every message has an event name.
/// </summary>
internal static partial class Log
{
    // 3000-3099: the worker.
    [LoggerMessage(EventId = 3000, EventName = "WorkerStarted", Level = LogLevel.Information, Message = "LogpushKit worker started: {Mode}, source {Source}, target {Target}, {Concurrency} objects at once")]
    public static partial void WorkerStarted(ILogger logger, string mode, string source, string target, int concurrency);

    [LoggerMessage(EventId = 3001, EventName = "WorkerStopped", Level = LogLevel.Information, Message = "LogpushKit worker stopped: {Converted} converted, {Skipped} skipped, {Failed} failed, {Rows} rows, {LeftoversRemoved} leftovers of interrupted puts removed")]
    public static partial void WorkerStopped(ILogger logger, long converted, long skipped, long failed, long rows, long leftoversRemoved);

    [LoggerMessage(EventId = 3002, EventName = "WorkerFailed", Level = LogLevel.Error, Message = "LogpushKit worker failed and stops the host: {Reason}")]
    public static partial void WorkerFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3003, EventName = "JobListingFailed", Level = LogLevel.Warning, Message = "LogpushKit worker: {Problem}; going on without those jobs (datasets told by key path and first record)")]
    public static partial void JobListingFailed(ILogger logger, string problem);

    [LoggerMessage(EventId = 3004, EventName = "JobsListed", Level = LogLevel.Information, Message = "LogpushKit worker: {Listed} Logpush jobs listed, {Routes} with an R2 destination tell datasets")]
    public static partial void JobsListed(ILogger logger, int listed, int routes);
}
