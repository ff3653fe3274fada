using LogpushKit.Cloudflare;

namespace LogpushKit.Health;

/// <summary>What <see cref="FeedHealth"/> checks and how strictly. Immutable; <see cref="Default"/> holds the defaults.</summary>
public sealed record FeedHealthOptions
{
    /// <summary>The default allowed lag, 1 hour.</summary>
    public static TimeSpan DefaultMaxLag { get; } = TimeSpan.FromHours(1);

    /// <summary>The defaults: a lag of <see cref="DefaultMaxLag"/>, 100 objects listed, no jobs, no queue.</summary>
    public static FeedHealthOptions Default { get; } = new();

    /// <summary>
    /// How old an unconverted source object (by its last-modified time) may be before it is overdue and the feed
    /// <see cref="FeedStatus.Critical"/>. Default <see cref="DefaultMaxLag"/>. Must be positive.
    /// </summary>
    public TimeSpan MaxLag { get; init; } = DefaultMaxLag;

    /// <summary>How many unconverted objects the report names (oldest first); the counts cover all. Default 100.</summary>
    public int MaxListedObjects { get; init; } = 100;

    /// <summary>Target HEAD requests at once when "converted" is read from the targets' provenance. Default 8.</summary>
    public int MaxConcurrency { get; init; } = 8;

    /// <summary>The account and/or zone whose Logpush jobs are listed (needs a <see cref="LogpushClient"/>). Default none.</summary>
    public IReadOnlyList<LogpushScope> JobScopes { get; init; } = [];

    /// <summary>
    /// Whether the source is a local folder (a copy of a bucket): every job of <see cref="JobScopes"/> is taken as writing to
    /// it, matched to objects by path only. Otherwise a job writes to the source when its R2 destination names the source
    /// bucket and a path that overlaps the source prefix.
    /// </summary>
    public bool SourceIsFolder { get; init; }

    /// <summary>The queue of R2 event notifications to report (needs a <see cref="QueuesClient"/>). Default none.</summary>
    public string? QueueId { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxLag, TimeSpan.Zero, nameof(MaxLag));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxListedObjects, 0, nameof(MaxListedObjects));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrency, 1, nameof(MaxConcurrency));
        ArgumentNullException.ThrowIfNull(JobScopes, nameof(JobScopes));
    }
}
