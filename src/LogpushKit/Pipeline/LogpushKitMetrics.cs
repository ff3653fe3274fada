using System.Diagnostics;
using System.Diagnostics.Metrics;
using LogpushKit.Storage;

namespace LogpushKit.Pipeline;

/// <summary>
/// The pipeline's instruments on the <see cref="System.Diagnostics.Metrics.Meter"/> named <c>LogpushKit</c>
/// (<see cref="MeterName"/>), readable by OpenTelemetry or <c>dotnet-counters monitor --counters LogpushKit</c>.
/// </summary>
/// <remarks>
/// Instruments: <c>logpushkit.objects</c> (tag <c>status</c>), <c>logpushkit.rows</c>, <c>logpushkit.bytes.read</c>
/// (compressed source bytes), <c>logpushkit.bytes.written</c> (CSV bytes), <c>logpushkit.failures</c>,
/// <c>logpushkit.object.duration</c> (s) and <c>logpushkit.object.lag</c> (s, from the event time to the CSV being visible).
/// <para>Traces: the <see cref="System.Diagnostics.ActivitySource"/> named <c>LogpushKit</c> (<see cref="ActivitySourceName"/>)
/// starts one activity, <c>logpushkit.process_object</c>, per object a <see cref="LogpushObjectProcessor"/> processes, tagged
/// <c>logpushkit.source.bucket</c>, <c>logpushkit.source.key</c> (escaped), <c>logpushkit.target.bucket</c>,
/// <c>logpushkit.target.key</c>, <c>logpushkit.status</c> (the values of the <c>status</c> tag above), and, for a converted
/// object, <c>logpushkit.records</c>, <c>logpushkit.rows</c>, <c>logpushkit.bytes.read</c>, <c>logpushkit.bytes.written</c>
/// and <c>logpushkit.dataset</c>; a skipped object has <c>logpushkit.reason</c> when there is one. A failed object sets the activity's status to <see cref="ActivityStatusCode.Error"/> with
/// the reason, and the tag <c>error.type</c> (the exception's type); a cancelled one ends with <c>logpushkit.status</c>
/// <c>cancelled</c>.</para>
/// </remarks>
public sealed partial class LogpushKitMetrics : IDisposable
{
    /// <summary>The meter's name, <c>LogpushKit</c>.</summary>
    public const string MeterName = "LogpushKit";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of per-object activities, <c>LogpushKit</c>.</summary>
    public const string ActivitySourceName = "LogpushKit";

    /// <summary>The name of the activity started for each object, <c>logpushkit.process_object</c>.</summary>
    internal const string ProcessObjectActivityName = "logpushkit.process_object";

    /// <summary>The source of per-object activities; starting one costs nothing while no listener samples it.</summary>
    internal static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _objects;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _bytesRead;
    private readonly Counter<long> _bytesWritten;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _lag;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of its own.</summary>
    public LogpushKitMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _objects = _meter.CreateCounter<long>("logpushkit.objects", "{object}", "Source objects processed, by status.");
        _rows = _meter.CreateCounter<long>("logpushkit.rows", "{row}", "CSV rows written.");
        _bytesRead = _meter.CreateCounter<long>("logpushkit.bytes.read", "By", "Source bytes read (compressed).");
        _bytesWritten = _meter.CreateCounter<long>("logpushkit.bytes.written", "By", "CSV bytes written.");
        _failures = _meter.CreateCounter<long>("logpushkit.failures", "{object}", "Objects whose conversion failed.");
        _duration = _meter.CreateHistogram<double>("logpushkit.object.duration", "s", "Time to process one object.");
        _lag = _meter.CreateHistogram<double>("logpushkit.object.lag", "s", "Time from the source event to the CSV being visible.");
    }

    /// <summary>A process-wide instance with its own meter, used when none is given.</summary>
    public static LogpushKitMetrics Shared { get; } = new();

    /// <summary>Records one object's outcome; <paramref name="lag"/> when the event time was known.</summary>
    public void Record(ObjectProcessingResult result, TimeSpan? lag = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var status = new KeyValuePair<string, object?>("status", StatusTag(result.Status));
        _objects.Add(1, status);
        _duration.Record(result.Elapsed.TotalSeconds, status);
        if (result.Status == ObjectProcessingStatus.Failed)
        {
            _failures.Add(1);
        }

        if (result.Status == ObjectProcessingStatus.Converted && result.Transform is { } t)
        {
            _rows.Add(t.Rows);
            _bytesRead.Add(t.BytesIn);
            _bytesWritten.Add(t.BytesOut);
            if (lag is { } l)
            {
                _lag.Record(Math.Max(0, l.TotalSeconds));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    /// <summary>Starts the activity of one object, tagged with its source; <see langword="null"/> when nothing listens.</summary>
    internal static Activity? StartObjectActivity(string sourceBucket, string sourceKey)
    {
        var activity = ActivitySource.StartActivity(ProcessObjectActivityName, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("logpushkit.source.bucket", sourceBucket);
            activity.SetTag("logpushkit.source.key", ObjectKeyText.Escape(sourceKey));
        }

        return activity;
    }

    /// <summary>Tags <paramref name="activity"/> with the outcome of its object; an error status with the reason on failure.</summary>
    internal static void CompleteObjectActivity(Activity? activity, ObjectProcessingResult result, string targetBucket)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.SetTag("logpushkit.status", StatusTag(result.Status));
        if (result.TargetKey is { } targetKey)
        {
            activity.SetTag("logpushkit.target.bucket", targetBucket);
            activity.SetTag("logpushkit.target.key", ObjectKeyText.Escape(targetKey));
        }

        if (result.Status == ObjectProcessingStatus.Converted && result.Transform is { } t)
        {
            activity.SetTag("logpushkit.records", t.Records);
            activity.SetTag("logpushkit.rows", t.Rows);
            activity.SetTag("logpushkit.bytes.read", t.BytesIn);
            activity.SetTag("logpushkit.bytes.written", t.BytesOut);
        }

        if (result.Dataset is { } dataset)
        {
            activity.SetTag("logpushkit.dataset", dataset);
        }

        if (result.Status == ObjectProcessingStatus.Failed)
        {
            activity.SetTag("error.type", result.Exception?.GetType().FullName ?? "failed");
            activity.SetStatus(ActivityStatusCode.Error, result.Reason);
        }
        else if (result.Reason is { } reason)
        {
            activity.SetTag("logpushkit.reason", reason);
        }
    }

    internal static string StatusTag(ObjectProcessingStatus status) => status switch
    {
        ObjectProcessingStatus.Converted => "converted",
        ObjectProcessingStatus.SkippedDuplicate => "skipped_duplicate",
        ObjectProcessingStatus.SkippedFiltered => "skipped_filtered",
        ObjectProcessingStatus.SkippedNotFound => "skipped_not_found",
        _ => "failed",
    };
}
