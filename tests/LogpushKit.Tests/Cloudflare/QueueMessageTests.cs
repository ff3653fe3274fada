using System.Text;
using System.Text.Json;
using LogpushKit.Cloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class QueueMessageTests
{
    private static QueueMessage Message(string? body, string? contentType) => new()
    {
        Id = "m-1",
        Body = body,
        Metadata = contentType is null ? null : new Dictionary<string, JsonElement> { ["CF-Content-Type"] = JsonSerializer.SerializeToElement(contentType) },
    };

    [Fact]
    public void DecodeBody_Json_IsBase64Decoded()
    {
        var m = Message(Convert.ToBase64String("{\"a\":1}"u8.ToArray()), "json");

        Assert.Equal(QueueContentType.Json, m.ContentType);
        Assert.Equal("{\"a\":1}", m.DecodeBodyAsString());
    }

    [Fact]
    public void DecodeBody_NoMetadata_DefaultsToJson()
    {
        Assert.Equal(QueueContentType.Json, Message(null, null).ContentType);
        Assert.Equal("[1]", Message(Convert.ToBase64String("[1]"u8.ToArray()), null).DecodeBodyAsString());
    }

    [Fact]
    public void DecodeBody_Bytes_IsBase64Decoded()
    {
        byte[] raw = [0, 1, 2, 255, 0x1f, 0x8b];

        Assert.Equal(raw, Message(Convert.ToBase64String(raw), "bytes").DecodeBody());
    }

    [Fact]
    public void DecodeBody_Text_IsPlain()
    {
        Assert.Equal("héllo wörld", Message("héllo wörld", "text").DecodeBodyAsString());
    }

    [Fact]
    public void DecodeBody_RawJsonWithJsonType_Tolerated()
    {
        Assert.Equal("{\"a\":1}", Message("{\"a\":1}", "json").DecodeBodyAsString());
        Assert.Equal("hello", Message("hello", "json").DecodeBodyAsString());
    }

    [Fact]
    public void DecodeBody_V8_ThrowsClearError()
    {
        var ex = Assert.Throws<CloudflarePayloadException>(() => Message("AAAA", "v8").DecodeBody());

        Assert.Contains("v8", ex.Message, StringComparison.Ordinal);
        Assert.Contains("m-1", ex.Message, StringComparison.Ordinal);
        Assert.Equal("m-1", ex.MessageId);
    }

    [Fact]
    public void DecodeBody_UnknownType_Throws()
    {
        var ex = Assert.Throws<CloudflarePayloadException>(() => Message("x", "protobuf").DecodeBody());

        Assert.Contains("protobuf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeBody_BytesNotBase64_Throws()
    {
        var ex = Assert.Throws<CloudflarePayloadException>(() => Message("not base64!", "bytes").DecodeBody());

        Assert.Contains("base64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_BodyAsJsonObject_KeptAsRawText()
    {
        var m = LogpushKit.Json.CloudflareJson.Deserialize<QueueMessage>("""{"id":"x","body":{"account":"a"},"attempts":1,"timestamp_ms":1689615013586}""")!;

        Assert.Equal("""{"account":"a"}""", m.Body);
        Assert.Equal("{\"account\":\"a\"}", Encoding.UTF8.GetString(m.DecodeBody()));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1689615013586), m.Timestamp);
    }
}
