using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>An error or message of the Cloudflare envelope (an object, or a plain string the API sent instead).</summary>
public sealed record CloudflareMessage : CloudflareObject
{
    /// <summary>The Cloudflare code (≥ 1000), or 0 when the item had none (a plain-string message).</summary>
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

    /// <summary>Whether the item arrived as a plain JSON string (then only <see cref="Message"/> is set).</summary>
    [JsonIgnore]
    public bool IsPlainText { get; init; }

    /// <inheritdoc />
    public override string ToString() => IsPlainText || Code == 0 ? Message ?? string.Empty : $"[{Code}] {Message}";
}

/// <summary>The <c>source</c> of a Cloudflare error.</summary>
public sealed record CloudflareMessageSource : CloudflareObject
{
    /// <summary>A JSON pointer into the request.</summary>
    [JsonPropertyName("pointer")]
    public string? Pointer { get; init; }
}
