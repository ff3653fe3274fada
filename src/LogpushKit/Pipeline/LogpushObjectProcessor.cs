using System.Globalization;
using System.IO.Pipelines;
using System.Reflection;
using LogpushKit.Events;
using LogpushKit.Storage;
using LogpushKit.Transform;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Pipeline;

/// <summary>
/// Converts one Logpush object from the source bucket into a CSV object in the target bucket:
/// event (or key) → filter → target key → skip when the target already records this source ETag → stream the source
/// through <see cref="LogpushCsvTransformer"/> straight into the target's put → result.
/// </summary>
/// <remarks>
/// <para><b>Streaming.</b> The source body, the transformer and the target put are joined by a <see cref="Pipe"/>: the
/// put reads while the transformer writes, so memory stays bounded whatever the object size, and no temporary file is used.</para>
/// <para><b>Atomic.</b> The put is completed only when the transformer succeeded; on any failure the pipe is completed
/// with the error, the put aborts, and no target (and no quarantine object) is left. A redelivered event then converts again.</para>
/// <para><b>Idempotent.</b> The target carries <see cref="ProvenanceMetadata"/>. A target whose recorded source ETag is the
/// source's ETag is not written again (<see cref="ObjectProcessingStatus.SkippedDuplicate"/>); a source with a new ETag is
/// converted again. Row and byte counts are known only at the end of the stream, after the put has sent its metadata,
/// so they are reported in the result, the logs and the metrics, not stored on the object.</para>
/// <para>Thread-safe: one processor serves any number of concurrent calls; calls for the same target key run one after
/// the other, so duplicate events in one process convert once. Separate processes may convert the same object at the same
/// time (a redelivery racing a slow consumer); both write the same bytes, and the put is atomic.</para>
/// </remarks>
public sealed class LogpushObjectProcessor
{
    private static readonly string ConverterVersion = "LogpushKit/" + (typeof(LogpushObjectProcessor).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private static readonly string[] ControlObjectNames = ["ownership-challenge.txt", "test.txt.gz", "test.txt"];

    private readonly LogpushCsvTransformer _transformer;
    private readonly ILogger _logger;
    private readonly LogpushKitMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly string _contentType;
    private readonly KeyedLock _targetLocks = new();

    /// <summary>Creates a processor from <paramref name="source"/> to <paramref name="target"/>.</summary>
    /// <param name="source">The bucket Logpush writes to.</param>
    /// <param name="target">The bucket (or folder) the CSV objects go to. It may be the source bucket.</param>
    /// <param name="options">Filter, naming and transform options; <see cref="LogpushObjectProcessorOptions.Default"/> when <see langword="null"/>.</param>
    /// <param name="logger">One line per object.</param>
    /// <param name="metrics">Where outcomes are counted; <see cref="LogpushKitMetrics.Shared"/> when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for durations and lag; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public LogpushObjectProcessor(
        IR2Bucket source,
        IR2Bucket target,
        LogpushObjectProcessorOptions? options = null,
        ILogger<LogpushObjectProcessor>? logger = null,
        LogpushKitMetrics? metrics = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        Source = source;
        Target = target;
        Options = options ?? LogpushObjectProcessorOptions.Default;
        ArgumentNullException.ThrowIfNull(Options.TargetKeyTemplate, nameof(options));
        ArgumentNullException.ThrowIfNull(Options.Transform, nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(Options.QuarantineSuffix, nameof(options));
        _transformer = new LogpushCsvTransformer(Options.Transform);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _metrics = metrics ?? LogpushKitMetrics.Shared;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _contentType = Options.Transform.Delimiter == '\t' ? "text/tab-separated-values; charset=utf-8" : "text/csv; charset=utf-8";
    }

    /// <summary>The bucket objects are read from.</summary>
    public IR2Bucket Source { get; }

    /// <summary>The bucket CSV objects are written to.</summary>
    public IR2Bucket Target { get; }

    /// <summary>The options in effect.</summary>
    public LogpushObjectProcessorOptions Options { get; }

    /// <summary>
    /// Why <paramref name="key"/> is not converted, or <see langword="null"/> when it is: a folder marker, a key outside the
    /// prefix or suffix, one of Logpush's own non-log objects (<c>ownership-challenge.txt</c>, <c>test.txt.gz</c>), or one of
    /// this pipeline's own outputs (<c>.csv</c>, quarantine objects) when source and target share a bucket.
    /// </summary>
    public string? GetFilterReason(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || key.EndsWith('/'))
        {
            return "not an object (empty key or folder marker)";
        }

        if (!string.IsNullOrEmpty(Options.Prefix) && !key.StartsWith(Options.Prefix, StringComparison.Ordinal))
        {
            return $"key does not start with prefix '{Options.Prefix}'";
        }

        var fileName = key[(key.LastIndexOf('/') + 1)..];
        if (ControlObjectNames.Contains(fileName, StringComparer.OrdinalIgnoreCase))
        {
            return $"'{fileName}' is a Logpush control object, not a log batch";
        }

        if (fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            || fileName.EndsWith(Options.QuarantineSuffix, StringComparison.OrdinalIgnoreCase))
        {
            return "key is an output of this pipeline";
        }

        if (!string.IsNullOrEmpty(Options.Suffix) && !key.EndsWith(Options.Suffix, StringComparison.OrdinalIgnoreCase))
        {
            return $"key does not end with suffix '{Options.Suffix}'";
        }

        return null;
    }

    /// <summary>The target key of <paramref name="sourceKey"/> (see <see cref="TargetKeyTemplate"/>).</summary>
    /// <exception cref="LogpushKitException">The template cannot name this key.</exception>
    public string GetTargetKey(string sourceKey) => Options.TargetKeyTemplate.Apply(sourceKey, Options.TargetPrefix);

    /// <summary>The key of the quarantine side object of <paramref name="targetKey"/>.</summary>
    public string GetQuarantineKey(string targetKey) => targetKey + Options.QuarantineSuffix;

    /// <summary>Processes the object an R2 event notification is about. Only object-create actions are converted.</summary>
    /// <remarks>Never throws for a failed object (the result says <see cref="ObjectProcessingStatus.Failed"/>); throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires, leaving no target.</remarks>
    public Task<ObjectProcessingResult> ProcessAsync(R2EventNotification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var key = notification.Object.Key;
        if (!notification.IsObjectCreate)
        {
            return Task.FromResult(Filtered(key, $"action {(notification.ActionName.Length > 0 ? notification.ActionName : notification.Action.ToString())} is not an object-create"));
        }

        if (Options.RequireMatchingBucket && !string.Equals(notification.Bucket, Source.Name, StringComparison.Ordinal))
        {
            return Task.FromResult(Filtered(key, $"event is for bucket '{notification.Bucket}', the source bucket is '{Source.Name}'"));
        }

        var eventTime = notification.EventTime == default ? (DateTimeOffset?)null : notification.EventTime;
        return ProcessCoreAsync(key, notification.Object.ETag, notification.Object.Size, eventTime, cancellationToken);
    }

    /// <summary>Processes the source object <paramref name="key"/>; with <paramref name="sourceETag"/> (e.g. from a listing)
    /// an up-to-date target is recognised without reading the source.</summary>
    /// <remarks>Never throws for a failed object; throws <see cref="OperationCanceledException"/> on cancellation.</remarks>
    public Task<ObjectProcessingResult> ProcessAsync(string key, string? sourceETag = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ProcessCoreAsync(key, sourceETag, null, null, cancellationToken);
    }

    private ObjectProcessingResult Filtered(string key, string reason)
    {
        var result = new ObjectProcessingResult(ObjectProcessingStatus.SkippedFiltered, key) { Reason = reason };
        PipelineLog.SkippedFiltered(_logger, key, reason);
        _metrics.Record(result);
        return result;
    }

    private async Task<ObjectProcessingResult> ProcessCoreAsync(string key, string? expectedETag, long? size, DateTimeOffset? eventTime, CancellationToken cancellationToken)
    {
        var filterReason = GetFilterReason(key);
        if (filterReason is not null)
        {
            return Filtered(key, filterReason);
        }

        var started = _timeProvider.GetTimestamp();
        ObjectProcessingResult result;
        string? targetKey = null;
        try
        {
            targetKey = GetTargetKey(key);

            // one object at a time per target in this process: a duplicate event waits, then finds the target up to date
            using (await _targetLocks.AcquireAsync(targetKey, cancellationToken).ConfigureAwait(false))
            {
                result = await ConvertAsync(key, targetKey, NormalizeETag(expectedETag), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            result = new ObjectProcessingResult(ObjectProcessingStatus.Failed, key)
            {
                TargetKey = targetKey,
                SourceETag = NormalizeETag(expectedETag),
                SourceSize = size,
                Reason = Describe(ex),
                Exception = ex,
            };
        }

        result = result with { Elapsed = _timeProvider.GetElapsedTime(started), SourceSize = result.SourceSize ?? size };
        TimeSpan? lag = eventTime is { } t && result.Status == ObjectProcessingStatus.Converted ? _timeProvider.GetUtcNow() - t : null;
        _metrics.Record(result, lag);
        LogResult(result);
        return result;
    }

    private async Task<ObjectProcessingResult> ConvertAsync(string key, string targetKey, string? expectedETag, CancellationToken cancellationToken)
    {
        var existing = await Target.HeadAsync(targetKey, cancellationToken).ConfigureAwait(false);
        var recordedETag = existing is not null && existing.CustomMetadata.TryGetValue(ProvenanceMetadata.SourceETag, out var r) ? NormalizeETag(r) : null;
        if (expectedETag is not null && string.Equals(expectedETag, recordedETag, StringComparison.Ordinal))
        {
            return new ObjectProcessingResult(ObjectProcessingStatus.SkippedDuplicate, key) { TargetKey = targetKey, SourceETag = expectedETag };
        }

        var body = await Source.GetAsync(key, null, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return new ObjectProcessingResult(ObjectProcessingStatus.SkippedNotFound, key)
            {
                TargetKey = targetKey,
                SourceETag = expectedETag,
                Reason = $"source object '{key}' does not exist in bucket '{Source.Name}'",
            };
        }

        await using (body.ConfigureAwait(false))
        {
            var sourceETag = NormalizeETag(body.Info.ETag);
            if (sourceETag is not null && string.Equals(sourceETag, recordedETag, StringComparison.Ordinal))
            {
                return new ObjectProcessingResult(ObjectProcessingStatus.SkippedDuplicate, key)
                {
                    TargetKey = targetKey,
                    SourceETag = sourceETag,
                    SourceSize = body.Info.Size,
                };
            }

            return await TransformIntoTargetAsync(key, targetKey, body, sourceETag, existing is not null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ObjectProcessingResult> TransformIntoTargetAsync(
        string key, string targetKey, R2ObjectBody body, string? sourceETag, bool targetExisted, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var putOptions = new R2PutOptions
        {
            ContentType = _contentType,
            CustomMetadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ProvenanceMetadata.SourceBucket] = Uri.EscapeDataString(Source.Name),
                [ProvenanceMetadata.SourceKey] = Uri.EscapeDataString(key),
                [ProvenanceMetadata.SourceETag] = sourceETag ?? string.Empty,
                [ProvenanceMetadata.SourceSize] = body.Info.Size.ToString(CultureInfo.InvariantCulture),
                [ProvenanceMetadata.Converter] = ConverterVersion,
            },
        };

        var quarantineKey = GetQuarantineKey(targetKey);
        var quarantine = Options.Transform.OnBadLine == BadLinePolicy.Quarantine
            ? new LazyPutStream(Target, quarantineKey, new R2PutOptions { ContentType = "text/plain; charset=utf-8", CustomMetadata = putOptions.CustomMetadata }, token)
            : null;
        var context = new TransformContext { SourceName = key, Quarantine = quarantine };

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
        var transform = Task.Run(
            async () =>
            {
                var output = pipe.Writer.AsStream(leaveOpen: true);
                try
                {
                    var transformed = await _transformer.TransformAsync(body.Body, output, context, token).ConfigureAwait(false);
                    await output.FlushAsync(token).ConfigureAwait(false);
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                    return transformed;
                }
                catch (Exception ex)
                {
                    // the put sees this error instead of an end of stream, so it aborts and nothing becomes visible
                    await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                    throw;
                }
            },
            CancellationToken.None);

        var input = pipe.Reader.AsStream(leaveOpen: true);
        Exception? putError = null;
        try
        {
            await Target.PutAsync(targetKey, input, putOptions, token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            putError = ex;
            await linked.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
        }

        TransformResult transformed;
        try
        {
            transformed = await transform.ConfigureAwait(false);
        }
        catch (Exception transformError)
        {
            await AbortQuarantineAsync(quarantine, transformError).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (putError is not null && transformError is OperationCanceledException)
            {
                throw new LogpushKitException($"Writing '{targetKey}' to bucket '{Target.Name}' failed: {putError.Message}", putError);
            }

            throw;
        }

        if (putError is not null)
        {
            await AbortQuarantineAsync(quarantine, putError).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new LogpushKitException($"Writing '{targetKey}' to bucket '{Target.Name}' failed: {putError.Message}", putError);
        }

        string? writtenQuarantine = null;
        if (quarantine is not null)
        {
            try
            {
                if (await quarantine.CompleteAsync().ConfigureAwait(false) is not null)
                {
                    writtenQuarantine = quarantineKey;
                }
            }
            catch (Exception ex)
            {
                // the CSV is there but its quarantine is not: remove the CSV so that a retry converts the object again
                await TryDeleteAsync(targetKey, key).ConfigureAwait(false);
                throw new LogpushKitException($"Writing quarantine object '{quarantineKey}' to bucket '{Target.Name}' failed: {ex.Message}", ex);
            }
        }

        if (writtenQuarantine is null && targetExisted)
        {
            // a reconversion with no bad lines must not leave an older version's quarantine behind
            await Target.DeleteAsync(quarantineKey, cancellationToken).ConfigureAwait(false);
        }

        return new ObjectProcessingResult(ObjectProcessingStatus.Converted, key)
        {
            TargetKey = targetKey,
            SourceETag = sourceETag,
            SourceSize = body.Info.Size,
            Transform = transformed,
            QuarantineKey = writtenQuarantine,
        };
    }

    private static async Task AbortQuarantineAsync(LazyPutStream? quarantine, Exception error)
    {
        if (quarantine is not null)
        {
            await quarantine.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private async Task TryDeleteAsync(string key, string sourceKey)
    {
        try
        {
            await Target.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            PipelineLog.CleanupFailed(_logger, key, sourceKey, ex);
        }
    }

    private void LogResult(ObjectProcessingResult result)
    {
        switch (result.Status)
        {
            case ObjectProcessingStatus.Converted:
                var t = result.Transform!;
                PipelineLog.Converted(_logger, result.SourceKey, result.SourceETag, result.TargetKey, t.Records, t.Rows, t.BadLines, t.BytesIn, t.BytesOut, (long)result.Elapsed.TotalMilliseconds);
                if (result.QuarantineKey is not null)
                {
                    PipelineLog.Quarantined(_logger, result.SourceKey, t.BadLines, result.QuarantineKey);
                }

                break;
            case ObjectProcessingStatus.SkippedDuplicate:
                PipelineLog.SkippedDuplicate(_logger, result.SourceKey, result.TargetKey, result.SourceETag);
                break;
            case ObjectProcessingStatus.SkippedNotFound:
                PipelineLog.SkippedNotFound(_logger, result.SourceKey);
                break;
            case ObjectProcessingStatus.Failed:
                PipelineLog.Failed(_logger, result.SourceKey, result.Reason, result.Exception);
                break;
        }
    }

    private string Describe(Exception ex) => ex switch
    {
        LogpushDataException data => data.Message,
        R2BucketException bucket => $"bucket '{bucket.Bucket}'{(bucket.Key is null ? string.Empty : $", key '{bucket.Key}'")}{(bucket.StatusCode is { } s ? FormattableString.Invariant($", HTTP {s}") : string.Empty)}: {bucket.Message}",
        LogpushKitException => ex.Message,
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    internal static string? NormalizeETag(string? etag)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return null;
        }

        var trimmed = etag.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        return trimmed.Trim('"');
    }
}
