using Microsoft.Extensions.Logging;

namespace LogpushKit.R2;

/// <summary>
/// The LogpushKit.R2 package's log messages, source-generated, once per object or upload. Event ids 2000-2999; every
/// message has an event name.
/// </summary>
internal static partial class Log
{
    // 2000-2099: R2Bucket.
    [LoggerMessage(EventId = 2000, EventName = "ObjectPut", Level = LogLevel.Debug, Message = "R2 bucket {Bucket}: put {Key} ({Size} bytes) in one request")]
    public static partial void ObjectPut(ILogger logger, string bucket, string key, long size);

    [LoggerMessage(EventId = 2001, EventName = "MultipartStarted", Level = LogLevel.Debug, Message = "R2 bucket {Bucket}: multipart upload of {Key} started ({PartSize}-byte parts)")]
    public static partial void MultipartStarted(ILogger logger, string bucket, string key, int partSize);

    [LoggerMessage(EventId = 2002, EventName = "MultipartCompleted", Level = LogLevel.Information, Message = "R2 bucket {Bucket}: multipart upload of {Key} completed ({Size} bytes in {Parts} parts)")]
    public static partial void MultipartCompleted(ILogger logger, string bucket, string key, long size, int parts);

    [LoggerMessage(EventId = 2003, EventName = "MultipartAborted", Level = LogLevel.Information, Message = "R2 bucket {Bucket}: multipart upload of {Key} aborted after {Parts} parts were started")]
    public static partial void MultipartAborted(ILogger logger, string bucket, string key, int parts);

    [LoggerMessage(EventId = 2004, EventName = "AbortRefused", Level = LogLevel.Warning, Message = "R2 bucket {Bucket}: the server refused to abort the multipart upload of {Key} (HTTP {Status} {ErrorCode}); its parts may remain until the bucket's lifecycle removes them")]
    public static partial void AbortRefused(ILogger logger, string bucket, string key, int status, string? errorCode);

    [LoggerMessage(EventId = 2005, EventName = "AbortFailed", Level = LogLevel.Warning, Message = "R2 bucket {Bucket}: could not abort the multipart upload of {Key}; its parts may remain until the bucket's lifecycle removes them")]
    public static partial void AbortFailed(ILogger logger, string bucket, string key, Exception exception);

    [LoggerMessage(EventId = 2006, EventName = "ConditionalWritesRefused", Level = LogLevel.Warning, Message = "R2 bucket {Bucket}: the server at {Server} does not implement conditional writes (HTTP {Status} {ErrorCode} to If-None-Match/If-Match); puts are made unconditionally from now on, so two processes converting one object at once may both write it")]
    public static partial void ConditionalWritesRefused(ILogger logger, string bucket, string server, int status, string? errorCode);
}
