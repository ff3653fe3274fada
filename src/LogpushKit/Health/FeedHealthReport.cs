using System.Text.Json.Serialization;

namespace LogpushKit.Health;

/// <summary>How healthy a feed is, worst of its <see cref="FeedHealthReport.Problems"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FeedStatus>))]
public enum FeedStatus
{
    /// <summary>Nothing is wrong: every object older than the allowed lag is converted, no job fails, nothing failed.</summary>
    [JsonStringEnumMemberName("healthy")]
    Healthy = 0,

    /// <summary>Something needs a look but no data is known lost or stuck: objects being retried, a disabled job, a part of the check that could not be made.</summary>
    [JsonStringEnumMemberName("degraded")]
    Degraded,

    /// <summary>The feed is incomplete now: an object older than the allowed lag was never converted, a Logpush job is failing, an object was given up (quarantined).</summary>
    [JsonStringEnumMemberName("critical")]
    Critical,
}

/// <summary>
/// What <see cref="FeedHealth.CheckAsync"/> found: is the SIEM feed from this source to this target complete and fresh?
/// Secrets are masked in every text (destinations, error messages). <see cref="ToJson"/> writes the documented JSON shape.
/// </summary>
public sealed record FeedHealthReport
{
    /// <summary>The worst severity among <see cref="Problems"/>; <see cref="FeedStatus.Healthy"/> when there are none.</summary>
    [JsonPropertyName("status")]
    public required FeedStatus Status { get; init; }

    /// <summary>When the check ran (the <see cref="TimeProvider"/>'s now).</summary>
    [JsonPropertyName("checkedAt")]
    public required DateTimeOffset CheckedAt { get; init; }

    /// <summary>The source, as named by the caller (location text or bucket name).</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    /// <summary>The target, as named by the caller.</summary>
    [JsonPropertyName("target")]
    public required string Target { get; init; }

    /// <summary>The allowed lag: an object older than this that is not converted is overdue.</summary>
    [JsonPropertyName("maxLagSeconds")]
    [JsonConverter(typeof(SecondsConverter))]
    public required TimeSpan MaxLag { get; init; }

    /// <summary>Where "converted" was read: the state store's location, or <see langword="null"/> when read from the targets' provenance metadata.</summary>
    [JsonPropertyName("state")]
    public string? State { get; init; }

    /// <summary>The counts of the source listing.</summary>
    [JsonPropertyName("objects")]
    public required FeedObjectCounts Objects { get; init; }

    /// <summary>Source objects with no current output, oldest first (at most <see cref="FeedHealthOptions.MaxListedObjects"/>; <see cref="FeedObjectCounts.Unconverted"/> has the count).</summary>
    [JsonPropertyName("unconverted")]
    public required IReadOnlyList<FeedUnconvertedObject> Unconverted { get; init; }

    /// <summary>Per dataset and Logpush job: the newest converted window and its lag to now.</summary>
    [JsonPropertyName("datasets")]
    public required IReadOnlyList<FeedDatasetHealth> Datasets { get; init; }

    /// <summary>The Logpush jobs writing to the source; <see langword="null"/> when not checked (no API client or scopes).</summary>
    [JsonPropertyName("jobs")]
    public IReadOnlyList<FeedJobHealth>? Jobs { get; init; }

    /// <summary>The queue of R2 event notifications; <see langword="null"/> when no queue was named.</summary>
    [JsonPropertyName("queue")]
    public FeedQueueHealth? Queue { get; init; }

    /// <summary>Failed and quarantined objects from the state store; <see langword="null"/> without a state store (not known).</summary>
    [JsonPropertyName("failures")]
    public IReadOnlyList<FeedFailedObject>? Failures { get; init; }

    /// <summary>Everything that makes the feed less than healthy, worst first; empty when healthy.</summary>
    [JsonPropertyName("problems")]
    public required IReadOnlyList<FeedProblem> Problems { get; init; }

    /// <summary>What the check could not tell, and why (e.g. the queue backlog the API does not expose).</summary>
    [JsonPropertyName("notes")]
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>The report as JSON (camelCase members, times in ISO 8601, durations in seconds, enums in lower case).</summary>
    public string ToJson(bool indented = true)
        => System.Text.Json.JsonSerializer.Serialize(this, indented ? FeedHealthJsonContext.Indented.FeedHealthReport : FeedHealthJsonContext.Default.FeedHealthReport);
}

/// <summary>The counts of a source listing.</summary>
public sealed record FeedObjectCounts
{
    /// <summary>Objects listed under the source.</summary>
    [JsonPropertyName("listed")]
    public long Listed { get; init; }

    /// <summary>Objects the pipeline's filter skips (not Logpush batches, outside prefix or suffix, outputs in a shared bucket).</summary>
    [JsonPropertyName("filtered")]
    public long Filtered { get; init; }

    /// <summary>Objects whose current version is converted.</summary>
    [JsonPropertyName("converted")]
    public long Converted { get; init; }

    /// <summary>Objects with no current output.</summary>
    [JsonPropertyName("unconverted")]
    public long Unconverted { get; init; }

    /// <summary>Of <see cref="Unconverted"/>, those older than the allowed lag.</summary>
    [JsonPropertyName("overdue")]
    public long Overdue { get; init; }
}

/// <summary>A source object with no current output.</summary>
public sealed record FeedUnconvertedObject
{
    /// <summary>The source key (escaped for printing).</summary>
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    /// <summary>The target key it would be written to, when the template can name it.</summary>
    [JsonPropertyName("targetKey")]
    public string? TargetKey { get; init; }

    /// <summary>When the object landed in the source.</summary>
    [JsonPropertyName("lastModified")]
    public DateTimeOffset LastModified { get; init; }

    /// <summary>Its age now.</summary>
    [JsonPropertyName("ageSeconds")]
    [JsonConverter(typeof(SecondsConverter))]
    public TimeSpan Age { get; init; }

    /// <summary>Older than the allowed lag: a lost notification or a stuck consumer.</summary>
    [JsonPropertyName("overdue")]
    public bool Overdue { get; init; }

    /// <summary>Why it counts as unconverted: <c>no target</c>, <c>source changed since converted</c>, …</summary>
    [JsonPropertyName("reason")]
    public required string Reason { get; init; }
}

/// <summary>One dataset (and Logpush job, when told by one) of the source.</summary>
public sealed record FeedDatasetHealth
{
    /// <summary>The dataset, or <c>unknown</c> when neither the key path, the job nor the state tells it.</summary>
    [JsonPropertyName("dataset")]
    public required string Dataset { get; init; }

    /// <summary>The Logpush job whose destination path holds these objects, when known.</summary>
    [JsonPropertyName("jobId")]
    public long? JobId { get; init; }

    /// <summary>Objects of this dataset in the source (after the filter).</summary>
    [JsonPropertyName("objects")]
    public long Objects { get; init; }

    /// <summary>Of those, converted.</summary>
    [JsonPropertyName("converted")]
    public long Converted { get; init; }

    /// <summary>Of those, unconverted.</summary>
    [JsonPropertyName("unconverted")]
    public long Unconverted { get; init; }

    /// <summary>The newest converted object's key (escaped).</summary>
    [JsonPropertyName("newestKey")]
    public string? NewestKey { get; init; }

    /// <summary>The end of the newest converted Logpush window (from its name; its start, else its last-modified time, when the name has no end).</summary>
    [JsonPropertyName("newestWindowEnd")]
    public DateTimeOffset? NewestWindowEnd { get; init; }

    /// <summary>Now minus <see cref="NewestWindowEnd"/>; <see langword="null"/> when nothing is converted.</summary>
    [JsonPropertyName("lagSeconds")]
    [JsonConverter(typeof(NullableSecondsConverter))]
    public TimeSpan? Lag { get; init; }
}

/// <summary>A Logpush job writing to the source.</summary>
public sealed record FeedJobHealth
{
    /// <summary>The job id.</summary>
    [JsonPropertyName("id")]
    public long? Id { get; init; }

    /// <summary>The job's name (masked).</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>The job's dataset.</summary>
    [JsonPropertyName("dataset")]
    public string? Dataset { get; init; }

    /// <summary>The scope it was listed in: <c>accounts/ID</c> or <c>zones/ID</c>.</summary>
    [JsonPropertyName("scope")]
    public required string Scope { get; init; }

    /// <summary>Whether the job pushes logs.</summary>
    [JsonPropertyName("enabled")]
    public bool? Enabled { get; init; }

    /// <summary>Its destination, secrets masked.</summary>
    [JsonPropertyName("destination")]
    public string? Destination { get; init; }

    /// <summary>End of the last successfully pushed time range.</summary>
    [JsonPropertyName("lastComplete")]
    public DateTimeOffset? LastComplete { get; init; }

    /// <summary>Time of the last failure.</summary>
    [JsonPropertyName("lastError")]
    public DateTimeOffset? LastError { get; init; }

    /// <summary>The last failure's text, secrets masked.</summary>
    [JsonPropertyName("errorMessage")]
    public string? ErrorMessage { get; init; }

    /// <summary>Whether the job is failing now: its <see cref="LastError"/> is newer than its <see cref="LastComplete"/> (or it never completed).</summary>
    [JsonPropertyName("failing")]
    public bool Failing { get; init; }
}

/// <summary>The queue of R2 event notifications.</summary>
public sealed record FeedQueueHealth
{
    /// <summary>The queue id.</summary>
    [JsonPropertyName("queueId")]
    public required string QueueId { get; init; }

    /// <summary>The queue's name, when the API answered.</summary>
    [JsonPropertyName("queueName")]
    public string? QueueName { get; init; }

    /// <summary>Its consumers, when the API answered.</summary>
    [JsonPropertyName("consumers")]
    public int? Consumers { get; init; }

    /// <summary>Messages not yet acknowledged; <see langword="null"/> when the API does not expose it (see the report's notes).</summary>
    [JsonPropertyName("backlog")]
    public long? Backlog { get; init; }

    /// <summary>Age of the oldest message; <see langword="null"/> when the API does not expose it.</summary>
    [JsonPropertyName("oldestMessageAgeSeconds")]
    [JsonConverter(typeof(NullableSecondsConverter))]
    public TimeSpan? OldestMessageAge { get; init; }
}

/// <summary>An object whose conversion failed, from the state store.</summary>
public sealed record FeedFailedObject
{
    /// <summary>The source key (escaped).</summary>
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    /// <summary>Why the last attempt failed (secrets masked).</summary>
    [JsonPropertyName("reason")]
    public required string Reason { get; init; }

    /// <summary>Failed attempts so far.</summary>
    [JsonPropertyName("attempts")]
    public int Attempts { get; init; }

    /// <summary>When the first attempt failed.</summary>
    [JsonPropertyName("firstFailedAt")]
    public DateTimeOffset FirstFailedAt { get; init; }

    /// <summary>When the last attempt failed.</summary>
    [JsonPropertyName("lastFailedAt")]
    public DateTimeOffset LastFailedAt { get; init; }

    /// <summary>Whether retries were given up.</summary>
    [JsonPropertyName("quarantined")]
    public bool Quarantined { get; init; }

    /// <summary>Where the quarantined object (or its reason) went.</summary>
    [JsonPropertyName("quarantineKey")]
    public string? QuarantineKey { get; init; }
}

/// <summary>One thing that makes a feed less than healthy.</summary>
/// <param name="Severity">How bad: <see cref="FeedStatus.Degraded"/> or <see cref="FeedStatus.Critical"/>.</param>
/// <param name="Code">A stable code for scripts: <c>overdue_objects</c>, <c>job_failing</c>, <c>job_disabled</c>, <c>quarantined_objects</c>, <c>failing_objects</c>, <c>source_incomplete</c>, <c>jobs_unavailable</c>, <c>queue_unavailable</c>, <c>state_unavailable</c>.</param>
/// <param name="Message">What is wrong, in words (keys escaped, secrets masked).</param>
public sealed record FeedProblem(
    [property: JsonPropertyName("severity")] FeedStatus Severity,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);
