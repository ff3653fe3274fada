using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LogpushKit.Cloudflare;

namespace LogpushKit.Json;

/// <summary>
/// Reads RFC 3339 / ISO 8601 date-times; writes UTC as <c>Z</c> with only as many fractional digits as needed
/// (<c>2025-06-01T10:16:00Z</c>), other offsets as <c>±hh:mm</c>. An empty string reads as <see langword="null"/>.
/// </summary>
internal sealed class Rfc3339DateTimeOffsetConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => false;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        var text = reader.GetString();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new JsonException($"'{text}' is not an RFC 3339 date-time.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is not { } v)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStringValue(Format(v, fixedMilliseconds: false));
    }

    internal static string Format(DateTimeOffset value, bool fixedMilliseconds)
    {
        var fraction = fixedMilliseconds ? ".fff" : (value.Ticks % TimeSpan.TicksPerSecond == 0 ? string.Empty : ".FFFFFFF");
        return value.Offset == TimeSpan.Zero
            ? value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss" + fraction + "'Z'", CultureInfo.InvariantCulture)
            : value.ToString("yyyy-MM-dd'T'HH:mm:ss" + fraction + "zzz", CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// The R2 notification <c>eventTime</c>: ISO 8601 UTC with milliseconds (<c>2024-05-24T19:36:44.379Z</c>), written back
/// in the same shape.
/// </summary>
internal sealed class Rfc3339MillisecondsConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new JsonException($"'{text ?? reader.TokenType.ToString()}' is not an ISO 8601 date-time.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Rfc3339DateTimeOffsetConverter.Format(value, fixedMilliseconds: value.Ticks % TimeSpan.TicksPerMillisecond == 0));
}

/// <summary>Reads a JSON string as its value and any other JSON value as its raw JSON text; writes a string.</summary>
internal sealed class StringOrRawJsonConverter : JsonConverter<string?>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.GetString();
            default:
                using (var document = JsonDocument.ParseValue(ref reader))
                {
                    return document.RootElement.GetRawText();
                }
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}

/// <summary>
/// Reads an integer however a JSON producer writes it: <c>5</c>, <c>5.0</c>, <c>5e0</c> or <c>"5"</c> (Cloudflare's schemas
/// type many counts as <c>number</c>, so a float form is schema-valid); a fraction is truncated toward zero. Registered
/// for every <see cref="int"/> member of the Cloudflare models. Writes a plain integer.
/// </summary>
internal sealed class FlexibleInt32Converter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
        {
            return value;
        }

        var number = FlexibleNumber.Read(ref reader);
        return number is >= int.MinValue and <= int.MaxValue
            ? (int)number
            : throw new JsonException(string.Create(CultureInfo.InvariantCulture, $"The number {number} is outside the range of a 32-bit integer."));
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>The 64-bit form of <see cref="FlexibleInt32Converter"/> (ids, sizes, millisecond timestamps).</summary>
internal sealed class FlexibleInt64Converter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
        {
            return value;
        }

        var number = FlexibleNumber.Read(ref reader);
        return number is >= -9.2233720368547758E+18 and < 9.2233720368547758E+18
            ? (long)number
            : throw new JsonException(string.Create(CultureInfo.InvariantCulture, $"The number {number} is outside the range of a 64-bit integer."));
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

internal static class FlexibleNumber
{
    public static double Read(ref Utf8JsonReader reader)
    {
        double number;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                number = reader.GetDouble();
                break;
            case JsonTokenType.String:
                var text = reader.GetString();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
                {
                    throw new JsonException($"'{text}' is not a number.");
                }

                break;
            default:
                throw new JsonException($"Expected a number, got {reader.TokenType}.");
        }

        return double.IsFinite(number) ? Math.Truncate(number) : throw new JsonException("Expected a finite number.");
    }
}

/// <summary>
/// The <c>errors</c> and <c>messages</c> of a Cloudflare envelope. Cloudflare's common schema makes each item an object
/// (<c>{code, message, documentation_url, source}</c>); the Queues and other APIs type <c>messages</c> as an array of
/// strings. Both are read (a string becomes a <see cref="CloudflareMessage"/> with <see cref="CloudflareMessage.Code"/>
/// 0), and so are a lone object or string instead of an array; any other item keeps its JSON text. A plain-text item is
/// written back as a string.
/// </summary>
internal sealed class CloudflareMessageListConverter : JsonConverter<IReadOnlyList<CloudflareMessage>>
{
    public override IReadOnlyList<CloudflareMessage>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var items = new List<CloudflareMessage>();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            items.Add(ReadItem(ref reader, options));
            return items;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Null)
            {
                items.Add(ReadItem(ref reader, options));
            }
        }

        return items;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<CloudflareMessage> value, JsonSerializerOptions options)
    {
        var typeInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<CloudflareMessage>)options.GetTypeInfo(typeof(CloudflareMessage));
        writer.WriteStartArray();
        foreach (var item in value)
        {
            if (item.IsPlainText)
            {
                writer.WriteStringValue(item.Message);
            }
            else
            {
                JsonSerializer.Serialize(writer, item, typeInfo);
            }
        }

        writer.WriteEndArray();
    }

    private static CloudflareMessage ReadItem(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return new CloudflareMessage { Message = reader.GetString(), IsPlainText = true };
            case JsonTokenType.StartObject:
                var typeInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<CloudflareMessage>)options.GetTypeInfo(typeof(CloudflareMessage));
                return JsonSerializer.Deserialize(ref reader, typeInfo) ?? new CloudflareMessage();
            default:
                using (var document = JsonDocument.ParseValue(ref reader))
                {
                    return new CloudflareMessage { Message = document.RootElement.GetRawText(), IsPlainText = true };
                }
        }
    }
}

/// <summary>
/// A JSON object read as a map of its members; any other JSON value (the SDK types a queue message's <c>metadata</c> as
/// <c>unknown</c>) reads as an empty map instead of failing the whole reply.
/// </summary>
internal sealed class ObjectOrEmptyMapConverter : JsonConverter<IReadOnlyDictionary<string, JsonElement>>
{
    public override IReadOnlyDictionary<string, JsonElement>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var map = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in document.RootElement.EnumerateObject())
        {
            map[member.Name] = member.Value.Clone();
        }

        return map;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, JsonElement> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, element) in value)
        {
            writer.WritePropertyName(name);
            element.WriteTo(writer);
        }

        writer.WriteEndObject();
    }
}
