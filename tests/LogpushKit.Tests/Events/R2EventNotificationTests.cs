using System.Text;
using LogpushKit.Cloudflare;
using LogpushKit.Events;
using LogpushKit.Tests.Cloudflare;

namespace LogpushKit.Tests.Events;

public sealed class R2EventNotificationTests
{
    [Theory]
    [InlineData("r2-event-put-object.json", R2EventAction.PutObject, true, false)]
    [InlineData("r2-event-copy-object.json", R2EventAction.CopyObject, true, false)]
    [InlineData("r2-event-complete-multipart-upload.json", R2EventAction.CompleteMultipartUpload, true, false)]
    [InlineData("r2-event-delete-object.json", R2EventAction.DeleteObject, false, true)]
    [InlineData("r2-event-lifecycle-deletion.json", R2EventAction.LifecycleDeletion, false, true)]
    public void Parse_EveryAction_MapsActionAndHelpers(string fixture, R2EventAction action, bool isCreate, bool isDelete)
    {
        var n = R2EventNotification.Parse(CloudflareFixture.Read(fixture));

        Assert.Equal(action, n.Action);
        Assert.Equal(action.ToString(), n.ActionName);
        Assert.Equal(isCreate, n.IsObjectCreate);
        Assert.Equal(isDelete, n.IsObjectDelete);
        Assert.Equal("3f4b7e3dcab231cbfdaa90a6a28bd548", n.Account);
        Assert.Equal(isDelete, n.Object.Size is null);
        Assert.Equal(isDelete, n.Object.ETag is null);
    }

    [Fact]
    public void Parse_PutObject_MapsEveryMember()
    {
        var n = R2EventNotification.Parse(CloudflareFixture.Read("r2-event-put-object.json"));

        Assert.Equal("logpush-bucket", n.Bucket);
        Assert.Equal("gateway_http/20250601/20250601T101500Z_20250601T101530Z_6f1c2a9e.log.gz", n.Object.Key);
        Assert.Equal(48213, n.Object.Size);
        Assert.Equal("9b2cf535f27731c974343645a3985328", n.Object.ETag);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 10, 15, 31, 204, TimeSpan.Zero), n.EventTime);
        Assert.Null(n.CopySource);
    }

    [Fact]
    public void Parse_CopyObject_HasCopySource()
    {
        var n = R2EventNotification.Parse(CloudflareFixture.Read("r2-event-copy-object.json"));

        Assert.Equal(new R2CopySource("my-bucket", "my-original-object"), n.CopySource);
        Assert.Equal("my-new-object", n.Object.Key);
        Assert.Equal(65536, n.Object.Size);
    }

    [Fact]
    public void Parse_MultipartETag_KeptVerbatim()
    {
        var n = R2EventNotification.Parse(CloudflareFixture.Read("r2-event-complete-multipart-upload.json"));

        Assert.Equal("f77dc0eecdebcd774a2a22cb393ad2ff-2", n.Object.ETag);
        Assert.Equal(157286400, n.Object.Size);
    }

    [Theory]
    [InlineData("logs/2024.08/file with spaces.log.gz")]
    [InlineData("logs/Ünïcödé/日本語/ファイル 1.log.gz")]
    [InlineData("logs/emoji-😀/a+b=c&d.log.gz")]
    [InlineData("logs/already%20encoded.log.gz")]
    public void Parse_KeysWithSpacesAndUnicode_KeptExactlyAsStored(string key)
    {
        // R2 documents no percent-encoding of object.key (S3 notifications URL-encode keys; R2's do not), so the key
        // is not decoded: "%20" stays "%20".
        var json = $$"""{"account":"a","action":"PutObject","bucket":"b","object":{"key":{{System.Text.Json.JsonSerializer.Serialize(key)}},"size":1,"eTag":"e"},"eventTime":"2025-06-01T10:15:31.204Z"}""";

        var n = R2EventNotification.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(key, n.Object.Key);
        Assert.Equal(key, R2EventNotification.Parse(n.ToJson()).Object.Key);
    }

    [Fact]
    public void Parse_EscapedUnicodeKey_Decoded()
    {
        var n = R2EventNotification.Parse("""{"account":"a","action":"PutObject","bucket":"b","object":{"key":"caf\u00e9 \ud83d\ude00.log.gz"},"eventTime":"2025-06-01T10:15:31.204Z"}""");

        Assert.Equal("café 😀.log.gz", n.Object.Key);
    }

    [Fact]
    public void Parse_UnknownAction_ToleratedAndRoundTripped()
    {
        const string json = """{"account":"a","action":"RestoreObject","bucket":"b","object":{"key":"k","storageClass":"InfrequentAccess"},"eventTime":"2025-06-01T10:15:31.204Z","newMember":[1]}""";

        var n = R2EventNotification.Parse(json);

        Assert.Equal(R2EventAction.Unknown, n.Action);
        Assert.Equal("RestoreObject", n.ActionName);
        Assert.False(n.IsObjectCreate);
        Assert.False(n.IsObjectDelete);
        CloudflareFixture.AssertJsonEqual(json, n.ToJson());
    }

    [Theory]
    [InlineData("""{"action":"PutObject","bucket":"b","object":{"key":"k"},"eventTime":"2025-06-01T10:15:31.204Z"}""", "account")]
    [InlineData("""{"account":"a","bucket":"b","object":{"key":"k"},"eventTime":"2025-06-01T10:15:31.204Z"}""", "action")]
    [InlineData("""{"account":"a","action":"PutObject","bucket":"b","object":{"size":1},"eventTime":"2025-06-01T10:15:31.204Z"}""", "object.key")]
    [InlineData("""{"account":"a","action":"PutObject","bucket":"b","object":{"key":"k"},"eventTime":"yesterday"}""", "eventTime")]
    [InlineData("""{"account":"a",""", "not valid")]
    [InlineData("null", "null")]
    [InlineData("""{"account":"a","action":"PutObject","bucket":"b","object":{"key":"k"}}""", "'eventTime'")]
    [InlineData("""{"account":"a","action":"PutObject","bucket":"b","object":null,"eventTime":"2025-06-01T10:15:31.204Z"}""", "'object'")]
    [InlineData("""{"account":null,"action":"PutObject","bucket":"b","object":{"key":"k"},"eventTime":"2025-06-01T10:15:31.204Z"}""", "'account'")]
    [InlineData("""{"account":"a","action":"PutObject","bucket":null,"object":{"key":"k"},"eventTime":"2025-06-01T10:15:31.204Z"}""", "'bucket'")]
    public void Parse_Invalid_ThrowsPayloadExceptionNamingTheProblem(string json, string expected)
    {
        var ex = Assert.Throws<CloudflarePayloadException>(() => R2EventNotification.Parse(json));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<LogpushKitException>(ex);
    }

    [Fact]
    public void FromQueueMessage_Base64JsonBody_Parsed()
    {
        var envelope = LogpushKit.Json.CloudflareJson.Deserialize<CloudflareEnvelope<QueuePullResult>>(CloudflareFixture.Read("queues-pull-response-r2-notification.json"))!;
        var message = Assert.Single(envelope.Result!.Messages);

        var n = R2EventNotification.FromQueueMessage(message);

        CloudflareFixture.AssertJsonEqual(CloudflareFixture.Read("queues-pull-decoded-body.json"), n.ToJson());
        Assert.Equal(n, QueuesPullClient.ParseR2EventNotification(message));
    }

    [Fact]
    public void FromQueueMessage_RawJsonStringBody_Tolerated()
    {
        var message = new QueueMessage { Id = "m1", Body = CloudflareFixture.Read("r2-event-put-object.json") };

        var n = R2EventNotification.FromQueueMessage(message);

        Assert.Equal(R2EventAction.PutObject, n.Action);
    }

    [Fact]
    public void FromQueueMessage_NotANotification_ErrorNamesMessageId()
    {
        var message = new QueueMessage { Id = "msg-42", Body = Convert.ToBase64String("{\"hello\":1}"u8.ToArray()) };

        var ex = Assert.Throws<CloudflarePayloadException>(() => R2EventNotification.FromQueueMessage(message));

        Assert.Equal("msg-42", ex.MessageId);
        Assert.Contains("msg-42", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Action_SetInCode_WritesWireName()
    {
        var n = new R2EventNotification
        {
            Account = "a",
            Action = R2EventAction.CompleteMultipartUpload,
            Bucket = "b",
            Object = new R2EventObject("k", 5, "e-2"),
            EventTime = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero),
        };

        CloudflareFixture.AssertJsonEqual(
            """{"account":"a","action":"CompleteMultipartUpload","bucket":"b","object":{"key":"k","size":5,"eTag":"e-2"},"eventTime":"2025-06-01T00:00:00.000Z"}""",
            n.ToJson());
        Assert.Throws<ArgumentException>(() => n with { Action = R2EventAction.Unknown });
    }
}
