using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

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
