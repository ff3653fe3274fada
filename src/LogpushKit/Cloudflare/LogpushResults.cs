using System.Text.Json.Serialization;

namespace LogpushKit.Cloudflare;

/// <summary>The result of validating a destination or legacy origin options.</summary>
public sealed record LogpushValidationResult : CloudflareObject
{
    /// <summary>Whether it is valid.</summary>
    [JsonPropertyName("valid")]
    public bool Valid { get; init; }

    /// <summary>Why not (may be empty).</summary>
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

/// <summary>The result of asking whether a destination is already used by a job.</summary>
public sealed record LogpushDestinationExistsResult : CloudflareObject
{
    /// <summary>Whether a job already writes there.</summary>
    [JsonPropertyName("exists")]
    public bool Exists { get; init; }
}

/// <summary>The result of requesting an ownership challenge (the file Logpush wrote into the destination).</summary>
public sealed record LogpushOwnershipChallenge : CloudflareObject
{
    /// <summary>The path of the challenge file, e.g. <c>logs/ownership-challenge.txt</c>.</summary>
    [JsonPropertyName("filename")]
    public string? FileName { get; init; }

    /// <summary>Whether writing it worked.</summary>
    [JsonPropertyName("valid")]
    public bool Valid { get; init; }

    /// <summary>A message (may be empty).</summary>
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

/// <summary>The result of validating an ownership-challenge token.</summary>
public sealed record LogpushOwnershipValidation : CloudflareObject
{
    /// <summary>Whether the token matches the destination.</summary>
    [JsonPropertyName("valid")]
    public bool Valid { get; init; }
}

/// <summary>The result of deleting a job (<c>{"id":…}</c> per the SDK, <c>{}</c> per the docs).</summary>
public sealed record LogpushJobDeleted : CloudflareObject
{
    /// <summary>The id of the deleted job, when Cloudflare returns it.</summary>
    [JsonPropertyName("id")]
    public long? Id { get; init; }
}

internal sealed class LogpushDestinationRequest
{
    [JsonPropertyName("destination_conf")]
    public required string DestinationConf { get; init; }

    [JsonPropertyName("ownership_challenge")]
    public string? OwnershipChallenge { get; init; }
}

internal sealed class LogpushOriginRequest
{
    [JsonPropertyName("logpull_options")]
    public required string LogpullOptions { get; init; }
}
