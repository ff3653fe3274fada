using System.Text.Json.Serialization;

namespace LogpushKit.Storage;

/// <summary>
/// What <see cref="FileSystemBucket"/> stores next to an object: the object's size and last-write time (which tie
/// the record to one version of the file), its ETag, content type and custom metadata.
/// </summary>
internal sealed record SidecarRecord(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("lastWriteTicks")] long LastWriteTicks,
    [property: JsonPropertyName("etag")] string ETag,
    [property: JsonPropertyName("contentType")] string? ContentType,
    [property: JsonPropertyName("metadata")] Dictionary<string, string>? Metadata);

/// <summary>Source-generated (trimming- and AOT-safe) serialization of <see cref="SidecarRecord"/>.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SidecarRecord))]
internal sealed partial class SidecarJsonContext : JsonSerializerContext;
