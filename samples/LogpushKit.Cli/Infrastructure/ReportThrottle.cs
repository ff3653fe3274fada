using System.Diagnostics;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>Lets one report through per interval, from any number of threads, without a lock on the hot path.</summary>
internal sealed class ReportThrottle(long interval)
{
    private long _next = Stopwatch.GetTimestamp() + interval;

    /// <summary>Whether a report at <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp) is due; exactly one caller per interval gets <see langword="true"/>.</summary>
    public bool TryTake(long now)
    {
        var next = Volatile.Read(ref _next);
        return now >= next && Interlocked.CompareExchange(ref _next, now + interval, next) == next;
    }
}
