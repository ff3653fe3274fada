using Microsoft.Extensions.Logging;

namespace LogpushKit.Pipeline;

/// <summary>The pipeline's log messages (source-generated; once per object or batch, never per row).</summary>
internal static partial class PipelineLog
{
    [LoggerMessage(1, LogLevel.Information, "Converted {SourceKey} (ETag {SourceETag}; {ConversionReason}; dataset {Dataset}) to {TargetKey}: {Records} records, {Rows} rows, {BadLines} bad lines, {BytesIn} bytes in, {BytesOut} bytes out in {ElapsedMs} ms")]
    public static partial void Converted(ILogger logger, string sourceKey, string? sourceETag, string conversionReason, string dataset, string? targetKey, long records, long rows, long badLines, long bytesIn, long bytesOut, long elapsedMs);

    [LoggerMessage(2, LogLevel.Debug, "Skipped {SourceKey}: {TargetKey} already records source ETag {SourceETag}")]
    public static partial void SkippedDuplicate(ILogger logger, string sourceKey, string? targetKey, string? sourceETag);

    [LoggerMessage(3, LogLevel.Debug, "Skipped {SourceKey}: {Reason}")]
    public static partial void SkippedFiltered(ILogger logger, string sourceKey, string? reason);

    [LoggerMessage(4, LogLevel.Warning, "Skipped {SourceKey}: the source object does not exist (deleted after its event?)")]
    public static partial void SkippedNotFound(ILogger logger, string sourceKey);

    [LoggerMessage(5, LogLevel.Error, "Failed to convert {SourceKey}: {Reason}")]
    public static partial void Failed(ILogger logger, string sourceKey, string? reason, Exception? exception);

    [LoggerMessage(6, LogLevel.Warning, "Quarantined {BadLines} bad lines of {SourceKey} to {QuarantineKey}")]
    public static partial void Quarantined(ILogger logger, string sourceKey, long badLines, string quarantineKey);

    [LoggerMessage(7, LogLevel.Warning, "Could not remove {Key} after a failed conversion of {SourceKey}")]
    public static partial void CleanupFailed(ILogger logger, string key, string sourceKey, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Skipped {SourceKey}: {TargetKey} was {Reason}")]
    public static partial void SkippedConcurrent(ILogger logger, string sourceKey, string? targetKey, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Target bucket {Bucket} ({BucketType}) has no conditional puts: targets are written unconditionally, so two processes converting the same object at once may both write it")]
    public static partial void UnconditionalPuts(ILogger logger, string bucket, string bucketType);

    [LoggerMessage(10, LogLevel.Information, "Removed a leftover {Kind} of an interrupted put of {Key} from bucket {Bucket}: {Id}, {Size} bytes, last written {LastModified:O}")]
    public static partial void LeftoverRemoved(ILogger logger, string bucket, string kind, string key, string id, long size, DateTimeOffset lastModified);

    [LoggerMessage(11, LogLevel.Warning, "Could not clean up leftovers under {Key} in bucket {Bucket}: {Reason}")]
    public static partial void CleanupProblem(ILogger logger, string bucket, string key, string reason);

    [LoggerMessage(21, LogLevel.Error, "Reconcile of bucket {Bucket}: {Key} could not be listed: {Reason}")]
    public static partial void ListProblem(ILogger logger, string bucket, string key, string reason);

    [LoggerMessage(22, LogLevel.Information, "Reconcile of bucket {Bucket}: removed {Count} leftovers of interrupted puts ({Bytes} bytes) from target bucket {Target}")]
    public static partial void LeftoversRemoved(ILogger logger, string bucket, int count, long bytes, string target);

    [LoggerMessage(20, LogLevel.Information, "Reconcile of bucket {Bucket} (prefix '{Prefix}') done: {Converted} converted, {Duplicates} up to date, {Filtered} filtered, {Failed} failed in {ElapsedMs} ms")]
    public static partial void ReconcileDone(ILogger logger, string bucket, string? prefix, long converted, long duplicates, long filtered, long failed, long elapsedMs);

    [LoggerMessage(30, LogLevel.Warning, "Message {MessageId} for {SourceKey} failed on attempt {Attempt} (of {MaxAttempts} before the queue's retry limit / dead-letter queue); retrying in {DelaySeconds} s: {Reason}")]
    public static partial void MessageRetry(ILogger logger, string messageId, string? sourceKey, int attempt, int maxAttempts, double delaySeconds, string? reason);

    [LoggerMessage(31, LogLevel.Error, "Poison message {MessageId} for {SourceKey} failed on attempt {Attempt} (retry limit {MaxAttempts}): the queue now moves it to its dead-letter queue, or drops it without one. Reason: {Reason}")]
    public static partial void MessagePoison(ILogger logger, string messageId, string? sourceKey, int attempt, int maxAttempts, string? reason);

    [LoggerMessage(32, LogLevel.Information, "Released {Count} unstarted message leases")]
    public static partial void LeasesReleased(ILogger logger, int count);

    [LoggerMessage(33, LogLevel.Warning, "Could not settle {Acks} acks and {Retries} retries: {Reason}")]
    public static partial void SettleFailed(ILogger logger, int acks, int retries, string reason, Exception exception);

    [LoggerMessage(34, LogLevel.Warning, "Receiving messages failed; trying again in {DelaySeconds} s: {Reason}")]
    public static partial void ReceiveFailed(ILogger logger, double delaySeconds, string reason, Exception exception);

    [LoggerMessage(35, LogLevel.Warning, "Message {MessageId} for {SourceKey} ({Size} bytes) may outlive its lease: about {EstimatedSeconds} s of work, {RemainingSeconds} s of lease left; another consumer may convert it too (harmless, processing is idempotent)")]
    public static partial void LeaseTooShort(ILogger logger, string messageId, string? sourceKey, long size, double estimatedSeconds, double remainingSeconds);

    [LoggerMessage(36, LogLevel.Information, "Queue consumer stopping: waiting up to {DrainSeconds} s for {InFlight} in-flight objects")]
    public static partial void Draining(ILogger logger, double drainSeconds, int inFlight);

    [LoggerMessage(40, LogLevel.Warning, "The folder watcher of {Root} lost events ({Reason}); reconciling the folder")]
    public static partial void WatcherOverflow(ILogger logger, string root, string reason);

    [LoggerMessage(41, LogLevel.Debug, "Object {Key} appeared in the source folder")]
    public static partial void ObjectAppeared(ILogger logger, string key);

    [LoggerMessage(42, LogLevel.Error, "The folder watcher of {Root} could not read {Key}: {Reason}; trying again in {RetrySeconds} s")]
    public static partial void WatcherProblem(ILogger logger, string root, string key, string reason, double retrySeconds);

    [LoggerMessage(43, LogLevel.Error, "The folder watcher of {Root} failed: {Reason}; it keeps watching and rescans in {RetrySeconds} s")]
    public static partial void WatcherFailed(ILogger logger, string root, string reason, double retrySeconds, Exception exception);
}
