using Microsoft.Extensions.Logging;

namespace LogpushKit;

/// <summary>
/// The LogpushKit package's log messages, source-generated, once per object or batch and never per row. Event ids
/// 1000-1999, a hundred per area; every message has an event name. LogpushKit.R2 uses 2000-2999, LogpushKit.Hosting 3000-3999.
/// </summary>
internal static partial class Log
{
    // 1000-1099: the Cloudflare API transport (one Debug line per request).
    [LoggerMessage(EventId = 1000, EventName = "ApiRequest", Level = LogLevel.Debug, Message = "Cloudflare API {Method} {Path} -> {Status} in {ElapsedMs:0.0} ms, cf-ray {RayId}, {Attempts} attempt(s)")]
    public static partial void ApiRequest(ILogger logger, string method, string path, int status, double elapsedMs, string rayId, int attempts);

    [LoggerMessage(EventId = 1001, EventName = "ApiRequestFailed", Level = LogLevel.Debug, Message = "Cloudflare API {Method} {Path} failed without a response ({Error}) in {ElapsedMs:0.0} ms after {Attempts} attempt(s)")]
    public static partial void ApiRequestFailed(ILogger logger, string method, string path, string error, double elapsedMs, int attempts);

    [LoggerMessage(EventId = 1002, EventName = "ApiRetry", Level = LogLevel.Debug, Message = "Cloudflare API {Method} {Path}: {Reason}, retry {Retry} in {DelayMs:0} ms")]
    public static partial void ApiRetry(ILogger logger, string method, string path, string reason, int retry, double delayMs);

    [LoggerMessage(EventId = 1003, EventName = "ApiMessage", Level = LogLevel.Debug, Message = "Cloudflare API {Method} {Path} succeeded with a message: {Text}")]
    public static partial void ApiMessage(ILogger logger, string method, string path, string text);

    // 1100-1199: the Cloudflare API clients.
    [LoggerMessage(EventId = 1100, EventName = "NotificationRulesPutTookEffect", Level = LogLevel.Information, Message = "PUT of notification rules for bucket {Bucket} and queue {QueueId} failed with HTTP {Status} or no reply, but the rules are stored: the request took effect")]
    public static partial void NotificationRulesPutTookEffect(ILogger logger, string bucket, string queueId, int status);

    [LoggerMessage(EventId = 1101, EventName = "NotificationRulesReadBackFailed", Level = LogLevel.Warning, Message = "Could not read back the notification rules of bucket {Bucket} for queue {QueueId} after a failed PUT: {Reason}")]
    public static partial void NotificationRulesReadBackFailed(ILogger logger, string bucket, string queueId, string reason);

    // 1200-1299: the object processor (once per object).
    [LoggerMessage(EventId = 1200, EventName = "Converted", Level = LogLevel.Information, Message = "Converted {SourceKey} (ETag {SourceETag}; {ConversionReason}; dataset {Dataset}) to {TargetKey}: {Records} records, {Rows} rows, {BadLines} bad lines, {BytesIn} bytes in, {BytesOut} bytes out in {ElapsedMs} ms")]
    public static partial void Converted(ILogger logger, string sourceKey, string? sourceETag, string conversionReason, string dataset, string? targetKey, long records, long rows, long badLines, long bytesIn, long bytesOut, long elapsedMs);

    [LoggerMessage(EventId = 1201, EventName = "SkippedDuplicate", Level = LogLevel.Debug, Message = "Skipped {SourceKey}: {TargetKey} already records source ETag {SourceETag}")]
    public static partial void SkippedDuplicate(ILogger logger, string sourceKey, string? targetKey, string? sourceETag);

    [LoggerMessage(EventId = 1202, EventName = "SkippedFiltered", Level = LogLevel.Debug, Message = "Skipped {SourceKey}: {Reason}")]
    public static partial void SkippedFiltered(ILogger logger, string sourceKey, string? reason);

    [LoggerMessage(EventId = 1203, EventName = "SkippedNotFound", Level = LogLevel.Warning, Message = "Skipped {SourceKey}: the source object does not exist (deleted after its event?)")]
    public static partial void SkippedNotFound(ILogger logger, string sourceKey);

    [LoggerMessage(EventId = 1204, EventName = "ConversionFailed", Level = LogLevel.Error, Message = "Failed to convert {SourceKey}: {Reason}")]
    public static partial void ConversionFailed(ILogger logger, string sourceKey, string? reason, Exception? exception);

    [LoggerMessage(EventId = 1205, EventName = "Quarantined", Level = LogLevel.Warning, Message = "Quarantined {BadLines} bad lines of {SourceKey} to {QuarantineKey}")]
    public static partial void Quarantined(ILogger logger, string sourceKey, long badLines, string quarantineKey);

    [LoggerMessage(EventId = 1206, EventName = "CleanupFailed", Level = LogLevel.Warning, Message = "Could not remove {Key} after a failed conversion of {SourceKey}")]
    public static partial void CleanupFailed(ILogger logger, string key, string sourceKey, Exception exception);

    [LoggerMessage(EventId = 1207, EventName = "SkippedConcurrent", Level = LogLevel.Information, Message = "Skipped {SourceKey}: {TargetKey} was {Reason}")]
    public static partial void SkippedConcurrent(ILogger logger, string sourceKey, string? targetKey, string reason);

    [LoggerMessage(EventId = 1208, EventName = "UnconditionalPuts", Level = LogLevel.Warning, Message = "Target bucket {Bucket} ({BucketType}) has no conditional puts: targets are written unconditionally, so two processes converting the same object at once may both write it")]
    public static partial void UnconditionalPuts(ILogger logger, string bucket, string bucketType);

    [LoggerMessage(EventId = 1209, EventName = "LeftoverRemoved", Level = LogLevel.Information, Message = "Removed a leftover {Kind} of an interrupted put of {Key} from bucket {Bucket}: {Id}, {Size} bytes, last written {LastModified:O}")]
    public static partial void LeftoverRemoved(ILogger logger, string bucket, string kind, string key, string id, long size, DateTimeOffset lastModified);

    [LoggerMessage(EventId = 1210, EventName = "CleanupProblem", Level = LogLevel.Warning, Message = "Could not clean up leftovers under {Key} in bucket {Bucket}: {Reason}")]
    public static partial void CleanupProblem(ILogger logger, string bucket, string key, string reason);

    // 1300-1399: reconcile (once per pass).
    [LoggerMessage(EventId = 1300, EventName = "ReconcileDone", Level = LogLevel.Information, Message = "Reconcile of bucket {Bucket} (prefix '{Prefix}') done: {Converted} converted, {Duplicates} up to date, {Filtered} filtered, {Failed} failed in {ElapsedMs} ms")]
    public static partial void ReconcileDone(ILogger logger, string bucket, string? prefix, long converted, long duplicates, long filtered, long failed, long elapsedMs);

    [LoggerMessage(EventId = 1301, EventName = "ListProblem", Level = LogLevel.Error, Message = "Reconcile of bucket {Bucket}: {Key} could not be listed: {Reason}")]
    public static partial void ListProblem(ILogger logger, string bucket, string key, string reason);

    [LoggerMessage(EventId = 1303, EventName = "SkippedUnsettled", Level = LogLevel.Warning, Message = "Skipped {SourceKey}: {Reason}")]
    public static partial void SkippedUnsettled(ILogger logger, string sourceKey, string reason);

    [LoggerMessage(EventId = 1302, EventName = "LeftoversRemoved", Level = LogLevel.Information, Message = "Reconcile of bucket {Bucket}: removed {Count} leftovers of interrupted puts ({Bytes} bytes) from target bucket {Target}")]
    public static partial void LeftoversRemoved(ILogger logger, string bucket, int count, long bytes, string target);

    // 1400-1499: the queue consumer (once per message or batch) and its event sources.
    [LoggerMessage(EventId = 1400, EventName = "MessageRetry", Level = LogLevel.Warning, Message = "Message {MessageId} for {SourceKey} failed on attempt {Attempt} (of {MaxAttempts} before the queue's retry limit / dead-letter queue); retrying in {DelaySeconds} s: {Reason}")]
    public static partial void MessageRetry(ILogger logger, string messageId, string? sourceKey, int attempt, int maxAttempts, double delaySeconds, string? reason);

    [LoggerMessage(EventId = 1401, EventName = "MessagePoison", Level = LogLevel.Error, Message = "Poison message {MessageId} for {SourceKey} failed on attempt {Attempt} (retry limit {MaxAttempts}): the queue now moves it to its dead-letter queue, or drops it without one. Reason: {Reason}")]
    public static partial void MessagePoison(ILogger logger, string messageId, string? sourceKey, int attempt, int maxAttempts, string? reason);

    [LoggerMessage(EventId = 1402, EventName = "LeasesReleased", Level = LogLevel.Information, Message = "Released {Count} unstarted message leases")]
    public static partial void LeasesReleased(ILogger logger, int count);

    [LoggerMessage(EventId = 1403, EventName = "SettleFailed", Level = LogLevel.Warning, Message = "Could not settle {Acks} acks and {Retries} retries: {Reason}")]
    public static partial void SettleFailed(ILogger logger, int acks, int retries, string reason, Exception exception);

    [LoggerMessage(EventId = 1404, EventName = "ReceiveFailed", Level = LogLevel.Warning, Message = "Receiving messages failed; trying again in {DelaySeconds} s: {Reason}")]
    public static partial void ReceiveFailed(ILogger logger, double delaySeconds, string reason, Exception exception);

    [LoggerMessage(EventId = 1405, EventName = "LeaseTooShort", Level = LogLevel.Warning, Message = "Message {MessageId} for {SourceKey} ({Size} bytes) may outlive its lease: about {EstimatedSeconds} s of work, {RemainingSeconds} s of lease left; another consumer may convert it too (harmless, processing is idempotent)")]
    public static partial void LeaseTooShort(ILogger logger, string messageId, string? sourceKey, long size, double estimatedSeconds, double remainingSeconds);

    [LoggerMessage(EventId = 1406, EventName = "Draining", Level = LogLevel.Information, Message = "Queue consumer stopping: waiting up to {DrainSeconds} s for {InFlight} in-flight objects")]
    public static partial void Draining(ILogger logger, double drainSeconds, int inFlight);

    [LoggerMessage(EventId = 1410, EventName = "QueueOperationFailed", Level = LogLevel.Warning, Message = "Queue {Operation} failed: {Error}")]
    public static partial void QueueOperationFailed(ILogger logger, string operation, string error, Exception? exception);

    [LoggerMessage(EventId = 1411, EventName = "QueueOperationStillFailing", Level = LogLevel.Warning, Message = "Queue {Operation} still failing: {Count} more failure(s) in the last {Seconds:0} s, {InARow} in a row since {Since:o}; last: {Error}")]
    public static partial void QueueOperationStillFailing(ILogger logger, string operation, int count, double seconds, int inARow, DateTimeOffset since, string error);

    [LoggerMessage(EventId = 1412, EventName = "QueueOperationRecovered", Level = LogLevel.Information, Message = "Queue {Operation} works again after {Failures} failure(s) over {Seconds:0} s")]
    public static partial void QueueOperationRecovered(ILogger logger, string operation, int failures, double seconds);

    [LoggerMessage(EventId = 1413, EventName = "QueueConsumerGivingUp", Level = LogLevel.Error, Message = "Queue consumer gives up: every {Operation} has failed for {Seconds:0} s ({Failures} in a row, limit {LimitSeconds:0} s); last error: {Error}")]
    public static partial void QueueConsumerGivingUp(ILogger logger, string operation, double seconds, int failures, double limitSeconds, string error);

    [LoggerMessage(EventId = 1414, EventName = "QueueDrained", Level = LogLevel.Information, Message = "Queue drained: {EmptyReceives} empty pulls in a row with nothing in flight; {Left} message(s) the queue still holds but does not hand out (retries waiting out their delay, or leased elsewhere) are left for the next run")]
    public static partial void QueueDrained(ILogger logger, int emptyReceives, long left);

    [LoggerMessage(EventId = 1450, EventName = "MessageWithoutLease", Level = LogLevel.Warning, Message = "Queue message {MessageId} of queue {QueueId} has no lease_id, so it cannot be acked or retried; it comes back when its lease expires (cf-ray {RayId})")]
    public static partial void MessageWithoutLease(ILogger logger, string messageId, string queueId, string rayId);

    // 1500-1599: the source-folder watcher.
    [LoggerMessage(EventId = 1500, EventName = "WatcherOverflow", Level = LogLevel.Warning, Message = "The folder watcher of {Root} lost events ({Reason}); reconciling the folder")]
    public static partial void WatcherOverflow(ILogger logger, string root, string reason);

    [LoggerMessage(EventId = 1501, EventName = "ObjectAppeared", Level = LogLevel.Debug, Message = "Object {Key} appeared in the source folder")]
    public static partial void ObjectAppeared(ILogger logger, string key);

    [LoggerMessage(EventId = 1502, EventName = "WatcherProblem", Level = LogLevel.Error, Message = "The folder watcher of {Root} could not read {Key}: {Reason}; trying again in {RetrySeconds} s")]
    public static partial void WatcherProblem(ILogger logger, string root, string key, string reason, double retrySeconds);

    [LoggerMessage(EventId = 1504, EventName = "WatcherGaveUp", Level = LogLevel.Error, Message = "Gave up on {SourceKey} after {Attempts} failed attempts (not tried again until the file changes): {Reason}")]
    public static partial void WatcherGaveUp(ILogger logger, string sourceKey, int attempts, string? reason);

    [LoggerMessage(EventId = 1505, EventName = "WatcherRetryChanged", Level = LogLevel.Information, Message = "{SourceKey} changed since it was given up on; trying it again")]
    public static partial void WatcherRetryChanged(ILogger logger, string sourceKey);

    [LoggerMessage(EventId = 1506, EventName = "WatcherQuarantineNotRecorded", Level = LogLevel.Error, Message = "Gave up on {SourceKey}, but could not mark it quarantined in the state {State}: {Reason}; status reports it as being retried, and a later watch tries it again")]
    public static partial void WatcherQuarantineNotRecorded(ILogger logger, string sourceKey, string state, string reason);

    [LoggerMessage(EventId = 1507, EventName = "WatcherStillQuarantined", Level = LogLevel.Warning, Message = "Still quarantined: {SourceKey} ({Attempts} failed attempts; not tried again until the file changes): {Reason}")]
    public static partial void WatcherStillQuarantined(ILogger logger, string sourceKey, int attempts, string reason);

    [LoggerMessage(EventId = 1508, EventName = "WatcherQuarantinedChanged", Level = LogLevel.Information, Message = "{SourceKey} was quarantined but has changed since; trying it again")]
    public static partial void WatcherQuarantinedChanged(ILogger logger, string sourceKey);

    [LoggerMessage(EventId = 1509, EventName = "WatcherQuarantineNotRead", Level = LogLevel.Error, Message = "Could not read the quarantined objects from the state {State}: {Reason}; they are tried again")]
    public static partial void WatcherQuarantineNotRead(ILogger logger, string state, string reason);

    [LoggerMessage(EventId = 1503, EventName = "WatcherFailed", Level = LogLevel.Error, Message = "The folder watcher of {Root} failed: {Reason}; it keeps watching and rescans in {RetrySeconds} s")]
    public static partial void WatcherFailed(ILogger logger, string root, string reason, double retrySeconds, Exception exception);

    // 1600-1699: the pipeline (open, watch, passes, stop).
    [LoggerMessage(EventId = 1600, EventName = "PipelineOpened", Level = LogLevel.Information, Message = "Pipeline opened: source {Source}, target {Target}, {Concurrency} objects at once")]
    public static partial void PipelineOpened(ILogger logger, string source, string target, int concurrency);

    [LoggerMessage(EventId = 1601, EventName = "Watching", Level = LogLevel.Information, Message = "Watching {Source} ({How})")]
    public static partial void Watching(ILogger logger, string source, string how);

    [LoggerMessage(EventId = 1602, EventName = "ReconcilePassFailed", Level = LogLevel.Error, Message = "A reconcile pass of {Source} failed: {Reason}; the next one runs in {IntervalSeconds} s")]
    public static partial void ReconcilePassFailed(ILogger logger, string source, double intervalSeconds, string reason, Exception? exception);

    [LoggerMessage(EventId = 1603, EventName = "PipelineStopped", Level = LogLevel.Information, Message = "Pipeline stopped: {Converted} converted, {Skipped} skipped, {Failed} failed, {FailedPasses} failed passes, {Rows} rows, {LeftoversRemoved} leftovers of interrupted puts removed")]
    public static partial void PipelineStopped(ILogger logger, long converted, long skipped, long failed, long failedPasses, long rows, long leftoversRemoved);
}
