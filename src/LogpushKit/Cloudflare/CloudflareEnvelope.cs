using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>The Cloudflare v4 API response envelope; the clients unwrap <see cref="Result"/> and raise <see cref="CloudflareApiException"/> on failure.</summary>
/// <typeparam name="T">The type of <see cref="Result"/>.</typeparam>
public sealed record CloudflareEnvelope<T> : CloudflareObject
{
    /// <summary>Whether the call succeeded.</summary>
    [JsonPropertyName("success")]
    public bool Success { get; init; }

    /// <summary>Errors (empty on success).</summary>
    [JsonPropertyName("errors")]
    public IReadOnlyList<CloudflareMessage>? Errors { get; init; }

    /// <summary>Informational messages.</summary>
    [JsonPropertyName("messages")]
    public IReadOnlyList<CloudflareMessage>? Messages { get; init; }

    /// <summary>The result (<see langword="null"/> on failure).</summary>
    [JsonPropertyName("result")]
    public T? Result { get; init; }

    /// <summary>Pagination information for collections.</summary>
    [JsonPropertyName("result_info")]
    public CloudflareResultInfo? ResultInfo { get; init; }
}

/// <summary>An error or message of the Cloudflare envelope.</summary>
public sealed record CloudflareMessage : CloudflareObject
{
    /// <summary>The Cloudflare code (≥ 1000).</summary>
    [JsonPropertyName("code")]
    public int Code { get; init; }

    /// <summary>The text.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; init; }

    /// <summary>A link to documentation about the error.</summary>
    [JsonPropertyName("documentation_url")]
    public string? DocumentationUrl { get; init; }

    /// <summary>The part of the request the error is about.</summary>
    [JsonPropertyName("source")]
    public CloudflareMessageSource? Source { get; init; }
}

/// <summary>The <c>source</c> of a Cloudflare error.</summary>
public sealed record CloudflareMessageSource : CloudflareObject
{
    /// <summary>A JSON pointer into the request.</summary>
    [JsonPropertyName("pointer")]
    public string? Pointer { get; init; }
}

/// <summary>The <c>result_info</c> of a paginated Cloudflare collection.</summary>
public sealed record CloudflareResultInfo : CloudflareObject
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
