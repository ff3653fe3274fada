namespace LogpushKit.Hosting;

/// <summary>
/// How the worker checks its feed (section <c>LogpushKit:FeedHealth</c>; used once
/// <c>services.AddHealthChecks().AddLogpushKitFeed()</c> is registered): every <see cref="IntervalSeconds"/> the
/// library's <see cref="Health.FeedHealth"/> lists the source as <c>logpushkit status</c> does; the newest report feeds
/// the <c>logpushkit-feed</c> health check and the <c>logpushkit.feed.*</c> gauges.
/// </summary>
public sealed class LogpushKitFeedHealthOptions
{
    /// <summary>The configuration section, <c>LogpushKit:FeedHealth</c>.</summary>
    public const string SectionName = LogpushKitOptions.SectionName + ":FeedHealth";

    /// <summary>Seconds between checks (each lists the whole source and heads every target). Default 300; at least 5.</summary>
    public int IntervalSeconds { get; set; } = 300;

    /// <summary>How old an unconverted object may be before the feed is critical (unhealthy). Default 3600; at least 1.</summary>
    public int MaxLagSeconds { get; set; } = 3600;
}
