using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LogpushKit.Cloudflare;

namespace LogpushKit.Json;

/// <summary>
/// JSON for the Cloudflare models (source-generated metadata, no reflection): reads keep explicit <c>null</c> members
/// and unknown members, writes put them back, so a model read from Cloudflare is written back without losing a member.
/// </summary>
public static class CloudflareJson
{
    /// <summary>The serializer options of the Cloudflare models (source-generated resolver).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes a Cloudflare model (e.g. <see cref="LogpushJob"/>, <see cref="Events.R2EventNotification"/>).</summary>
    /// <typeparam name="T">The model type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="indented">Whether to indent the output.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not a Cloudflare model.</exception>
    public static string Serialize<T>(T value, bool indented = false)
    {
        var typeInfo = GetTypeInfo<T>();
        if (!indented)
        {
            return JsonSerializer.Serialize(value, typeInfo);
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = Options.Encoder }))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Serializes a Cloudflare model to UTF-8.</summary>
    /// <typeparam name="T">The model type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The UTF-8 JSON.</returns>
    public static byte[] SerializeToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, GetTypeInfo<T>());

    /// <summary>Deserializes a Cloudflare model from UTF-8 JSON.</summary>
    /// <typeparam name="T">The model type.</typeparam>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">Invalid JSON or a shape that does not fit <typeparamref name="T"/>.</exception>
    public static T? Deserialize<T>(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        using var document = JsonDocument.ParseValue(ref reader);
        return Deserialize(document.RootElement, GetTypeInfo<T>());
    }

    /// <summary>Deserializes a Cloudflare model from JSON text.</summary>
    /// <typeparam name="T">The model type.</typeparam>
    /// <param name="json">The JSON.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">Invalid JSON or a shape that does not fit <typeparamref name="T"/>.</exception>
    public static T? Deserialize<T>(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        return Deserialize(document.RootElement, GetTypeInfo<T>());
    }

    internal static T? Deserialize<T>(JsonElement element, JsonTypeInfo<T> typeInfo)
    {
        var value = element.Deserialize(typeInfo);
        MarkExplicitNulls(value, element, typeInfo);
        return value;
    }

    internal static JsonTypeInfo<T> GetTypeInfo<T>() =>
        Options.TryGetTypeInfo(typeof(T), out var info) && info is JsonTypeInfo<T> typed
            ? typed
            : throw new NotSupportedException($"{typeof(T)} is not a Cloudflare model known to {nameof(CloudflareJson)}.");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(CloudflareJsonContext.Default.Options)
        {
            TypeInfoResolver = CloudflareJsonContext.Default.WithAddedModifier(KeepExplicitNulls),
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly();
        return options;
    }

    // A null property of a CloudflareObject is omitted, unless it arrived as an explicit null; a collection that stands
    // for an absent member (CloudflareCollections) is omitted too.
    private static void KeepExplicitNulls(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object || !typeof(CloudflareObject).IsAssignableFrom(typeInfo.Type))
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            if (property.IsExtensionData || (property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null))
            {
                continue;
            }

            var name = property.Name;
            property.ShouldSerialize = (owner, value) => value is null ? ((CloudflareObject)owner).IsExplicitNull(name) : !CloudflareCollections.IsAbsent(value);
        }
    }

    private static void MarkExplicitNulls(object? value, JsonElement element, JsonTypeInfo typeInfo)
    {
        if (value is null)
        {
            return;
        }

        switch (typeInfo.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
                var model = value as CloudflareObject;
                foreach (var property in typeInfo.Properties)
                {
                    if (property.IsExtensionData || !element.TryGetProperty(property.Name, out var child))
                    {
                        continue;
                    }

                    if (child.ValueKind == JsonValueKind.Null)
                    {
                        model?.MarkExplicitNull(property.Name);
                    }
                    else if (child.ValueKind is JsonValueKind.Object or JsonValueKind.Array && property.Get is { } get)
                    {
                        MarkExplicitNulls(get(value), child, Options.GetTypeInfo(property.PropertyType));
                    }
                }

                break;
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && value is System.Collections.IEnumerable items && typeInfo.ElementType is { } elementType:
                var elementInfo = Options.GetTypeInfo(elementType);
                if (elementInfo.Kind is not (JsonTypeInfoKind.Object or JsonTypeInfoKind.Enumerable))
                {
                    break;
                }

                using (var jsonItems = element.EnumerateArray())
                {
                    foreach (var item in items)
                    {
                        if (!jsonItems.MoveNext())
                        {
                            break;
                        }

                        MarkExplicitNulls(item, jsonItems.Current, elementInfo);
                    }
                }

                break;
        }
    }
}
