using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using LogpushKit.Json;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The Cloudflare v4 API response envelope; the clients unwrap <see cref="Result"/> and raise <see cref="CloudflareApiException"/> on failure.
/// <see cref="Errors"/> and <see cref="Messages"/> items may be objects or plain strings (the Queues API sends strings);
/// a 2xx reply with <c>success: true</c> is a success whatever they hold.
/// </summary>
/// <typeparam name="T">The type of <see cref="Result"/>.</typeparam>
internal sealed record CloudflareEnvelope<T> : CloudflareObject
{
    /// <summary>Whether the call succeeded.</summary>
    [JsonPropertyName("success")]
    public bool Success { get; init; }

    /// <summary>Errors (empty on success, and when the reply omits them).</summary>
    [JsonPropertyName("errors")]
    [JsonConverter(typeof(CloudflareMessageListConverter))]
    [AllowNull]
    public IReadOnlyList<CloudflareMessage> Errors { get => field ?? CloudflareCollections.Absent<CloudflareMessage>(); init; }

    /// <summary>Informational messages (empty when the reply omits them); never a reason to fail.</summary>
    [JsonPropertyName("messages")]
    [JsonConverter(typeof(CloudflareMessageListConverter))]
    [AllowNull]
    public IReadOnlyList<CloudflareMessage> Messages { get => field ?? CloudflareCollections.Absent<CloudflareMessage>(); init; }

    /// <summary>The result (<see langword="null"/> on failure).</summary>
    [JsonPropertyName("result")]
    public T? Result { get; init; }

    /// <summary>Pagination information for collections.</summary>
    [JsonPropertyName("result_info")]
    public CloudflareResultInfo? ResultInfo { get; init; }

    /// <summary>The <c>cf-ray</c> header of the reply this envelope came in (set by the clients).</summary>
    [JsonIgnore]
    internal string? RayId { get; set; }
}

/// <summary>The <c>result_info</c> of a paginated Cloudflare collection.</summary>
internal sealed record CloudflareResultInfo : CloudflareObject
{
    /// <summary>The current page (1-based).</summary>
    [JsonPropertyName("page")]
    public int? Page { get; init; }

    /// <summary>Results per page.</summary>
    [JsonPropertyName("per_page")]
    public int? PerPage { get; init; }

    /// <summary>Results on this page.</summary>
    [JsonPropertyName("count")]
    public int? Count { get; init; }

    /// <summary>Results in the whole set.</summary>
    [JsonPropertyName("total_count")]
    public int? TotalCount { get; init; }

    /// <summary>Pages in the whole set.</summary>
    [JsonPropertyName("total_pages")]
    public int? TotalPages { get; init; }

    /// <summary>The cursor of the next page, for cursor-paginated collections (R2 bucket list).</summary>
    [JsonPropertyName("cursor")]
    public string? Cursor { get; init; }
}
