using System.Diagnostics.Metrics;
using LogpushKit.Health;

namespace LogpushKit.Pipeline;

// The feed health gauges (issue 16), kept apart from the per-object instruments: created on the first report, so a host
// that never checks its feed shows no feed gauges (rather than gauges stuck at zero, which would read as "healthy").
public sealed partial class LogpushKitMetrics
{
    private FeedHealthReport? _feedReport;
    private int _feedInstrumentsCreated;

    /// <summary>
    /// Publishes <paramref name="report"/> (from <see cref="FeedHealth.CheckAsync"/>) to the feed gauges, which then read the
    /// newest report: <c>logpushkit.feed.status</c> (0 healthy, 1 degraded, 2 critical), <c>logpushkit.feed.lag</c> (s, the
    /// lag of each dataset's newest converted window, tags <c>dataset</c> and <c>job_id</c> when known),
    /// <c>logpushkit.feed.unconverted</c> (source objects with no current output, tag <c>overdue</c> <c>true</c>/<c>false</c>)
    /// and <c>logpushkit.feed.jobs.failing</c> (Logpush jobs writing to the source whose last error is newer than their last
    /// completion; reported only when the jobs were checked).
    /// </summary>
    /// <param name="report">The newest report.</param>
    public void RecordFeedHealth(FeedHealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Volatile.Write(ref _feedReport, report);
        if (Interlocked.Exchange(ref _feedInstrumentsCreated, 1) != 0)
        {
            return;
        }

        _meter.CreateObservableGauge("logpushkit.feed.status", () => Feed<int>(r => [new Measurement<int>((int)r.Status)]), "{status}", "The feed's health: 0 healthy, 1 degraded, 2 critical.");
        _meter.CreateObservableGauge(
            "logpushkit.feed.lag",
            () => Feed<double>(r => r.Datasets.Where(d => d.Lag is not null).Select(d => new Measurement<double>(
                Math.Max(0, d.Lag!.Value.TotalSeconds),
                new KeyValuePair<string, object?>("dataset", d.Dataset),
                new KeyValuePair<string, object?>("job_id", d.JobId)))),
            "s",
            "Time from the end of each dataset's newest converted Logpush window to the check.");
        _meter.CreateObservableGauge(
            "logpushkit.feed.unconverted",
            () => Feed<long>(r =>
            [
                new Measurement<long>(r.Objects.Overdue, new KeyValuePair<string, object?>("overdue", true)),
                new Measurement<long>(r.Objects.Unconverted - r.Objects.Overdue, new KeyValuePair<string, object?>("overdue", false)),
            ]),
            "{object}",
            "Source objects with no current output; overdue ones are older than the allowed lag.");
        _meter.CreateObservableGauge(
            "logpushkit.feed.jobs.failing",
            () => Feed<long>(r => r.Jobs is { } jobs ? [new Measurement<long>(jobs.LongCount(j => j.Failing))] : []),
            "{job}",
            "Logpush jobs writing to the source that are failing now.");
    }

    private IEnumerable<Measurement<T>> Feed<T>(Func<FeedHealthReport, IEnumerable<Measurement<T>>> read)
        where T : struct
        => Volatile.Read(ref _feedReport) is { } report ? read(report) : [];
}
