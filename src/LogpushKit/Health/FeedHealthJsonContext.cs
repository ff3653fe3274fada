using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogpushKit.Health;

/// <summary>Source-generated JSON for <see cref="FeedHealthReport"/>: what <c>logpushkit status --json</c> prints.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(FeedHealthReport))]
internal sealed partial class FeedHealthJsonContext : JsonSerializerContext
{
    public static FeedHealthJsonContext Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>A duration as a number of seconds (fractions kept to milliseconds).</summary>
internal sealed class SecondsConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => TimeSpan.FromSeconds(reader.GetDouble());

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options)
        => writer.WriteNumberValue(Math.Round(value.TotalSeconds, 3));
}

/// <summary>A nullable duration as a number of seconds, or <c>null</c>.</summary>
internal sealed class NullableSecondsConverter : JsonConverter<TimeSpan?>
{
    public override bool HandleNull => true;

    public override TimeSpan? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? null : TimeSpan.FromSeconds(reader.GetDouble());

    public override void Write(Utf8JsonWriter writer, TimeSpan? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(Math.Round(v.TotalSeconds, 3));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
