using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The object lifecycle rules of an R2 bucket (<c>GET/PUT /accounts/{id}/r2/buckets/{bucket}/lifecycle</c>; shapes of
/// cloudflare-typescript <c>src/resources/r2/buckets/lifecycle.ts</c>). A PUT replaces every rule, so changing one rule
/// means sending all of them back (<see cref="R2BucketsClient.PutLifecycleRulesAsync"/>); members this version does not
/// know are kept and written back.
/// </summary>
public sealed record R2LifecycleConfiguration : CloudflareObject
{
    private readonly IReadOnlyList<R2LifecycleRule> _rules = [];

    /// <summary>The rules (empty when the bucket has none or the reply omits them).</summary>
    [JsonPropertyName("rules")]
    public IReadOnlyList<R2LifecycleRule> Rules { get => _rules; init => _rules = value ?? []; }
}

/// <summary>One lifecycle rule: a prefix condition and up to three transitions.</summary>
public sealed record R2LifecycleRule : CloudflareObject
{
    private readonly IReadOnlyList<R2StorageClassTransition>? _storageClassTransitions;

    /// <summary>The rule's unique id (required by the API), e.g. <c>Default Multipart Abort Rule</c>.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>Which objects and uploads the rule applies to (required by the API).</summary>
    [JsonPropertyName("conditions")]
    public R2LifecycleConditions? Conditions { get; init; }

    /// <summary>Whether the rule is in effect (required by the API).</summary>
    [JsonPropertyName("enabled")]
    public bool Enabled { get; init; }

    /// <summary>Abort multipart uploads that were started this long ago and never completed.</summary>
    [JsonPropertyName("abortMultipartUploadsTransition")]
    public R2LifecycleTransition? AbortMultipartUploadsTransition { get; init; }

    /// <summary>Delete objects after an age or on a date.</summary>
    [JsonPropertyName("deleteObjectsTransition")]
    public R2LifecycleTransition? DeleteObjectsTransition { get; init; }

    /// <summary>Storage-class changes (empty when the rule has none; an absent list is written back absent).</summary>
    [JsonIgnore]
    public IReadOnlyList<R2StorageClassTransition> StorageClassTransitions { get => _storageClassTransitions ?? []; init => _storageClassTransitions = value; }

    // The wire member: absent stays absent when a rule read from the API is written back.
    [JsonPropertyName("storageClassTransitions")]
    [JsonInclude]
    internal IReadOnlyList<R2StorageClassTransition>? StorageClassTransitionsOnWire { get => _storageClassTransitions; init => _storageClassTransitions = value; }

    /// <summary>The prefix the rule applies to; an empty prefix (or none) is the whole bucket.</summary>
    [JsonIgnore]
    public string Prefix => Conditions?.Prefix ?? string.Empty;

    /// <summary>
    /// A rule that aborts every incomplete multipart upload of the bucket (prefix <c>""</c>) once it is
    /// <paramref name="maxAge"/> old.
    /// </summary>
    /// <param name="id">The rule id.</param>
    /// <param name="maxAge">The age, in whole seconds (at least one second).</param>
    /// <param name="prefix">The prefix (<c>""</c>: the whole bucket).</param>
    /// <returns>The rule.</returns>
    public static R2LifecycleRule AbortIncompleteMultipartUploads(string id, TimeSpan maxAge, string prefix = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAge, TimeSpan.FromSeconds(1));
        return new R2LifecycleRule
        {
            Id = id,
            Conditions = new R2LifecycleConditions { Prefix = prefix },
            Enabled = true,
            AbortMultipartUploadsTransition = new R2LifecycleTransition { Condition = R2LifecycleCondition.Age(maxAge) },
        };
    }
}

/// <summary>The conditions of a lifecycle rule.</summary>
public sealed record R2LifecycleConditions : CloudflareObject
{
    /// <summary>Only objects and uploads whose key starts with this; <c>""</c> for the whole bucket (required by the API).</summary>
    [JsonPropertyName("prefix")]
    public string? Prefix { get; init; }
}

/// <summary>An abort-multipart-uploads or delete-objects transition.</summary>
public sealed record R2LifecycleTransition : CloudflareObject
{
    /// <summary>When it applies (an age, or for deletes also a date).</summary>
    [JsonPropertyName("condition")]
    public R2LifecycleCondition? Condition { get; init; }
}

/// <summary>A storage-class transition.</summary>
public sealed record R2StorageClassTransition : CloudflareObject
{
    /// <summary>When it applies (required by the API).</summary>
    [JsonPropertyName("condition")]
    public R2LifecycleCondition? Condition { get; init; }

    /// <summary>The target class, e.g. <c>InfrequentAccess</c> (required by the API).</summary>
    [JsonPropertyName("storageClass")]
    public string? StorageClass { get; init; }
}

/// <summary>A lifecycle condition: <c>{"type":"Age","maxAge":seconds}</c> or <c>{"type":"Date","date":"…"}</c>.</summary>
public sealed record R2LifecycleCondition : CloudflareObject
{
    /// <summary><c>Age</c> or <c>Date</c> (other values are kept as sent).</summary>
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    /// <summary>The age in seconds (type <c>Age</c>).</summary>
    [JsonPropertyName("maxAge")]
    public long? MaxAge { get; init; }

    /// <summary>The date, as Cloudflare sends it (type <c>Date</c>).</summary>
    [JsonPropertyName("date")]
    public string? Date { get; init; }

    /// <summary>An <c>Age</c> condition.</summary>
    /// <param name="maxAge">The age, rounded down to whole seconds.</param>
    /// <returns>The condition.</returns>
    public static R2LifecycleCondition Age(TimeSpan maxAge) => new() { Type = "Age", MaxAge = (long)maxAge.TotalSeconds };
}

internal sealed record R2LifecycleRulesRequest
{
    [JsonPropertyName("rules")]
    public required IReadOnlyList<R2LifecycleRule> Rules { get; init; }
}
