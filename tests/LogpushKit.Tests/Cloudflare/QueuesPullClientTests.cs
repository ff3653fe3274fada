using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Events;
using LogpushKit.Testing.FakeCloudflare;
using Microsoft.Extensions.Time.Testing;

namespace LogpushKit.Tests.Cloudflare;

public sealed class QueuesPullClientTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 6, 1, 10, 0, 0, TimeSpan.Zero));
    private FakeCloudflareApi _api = null!;
    private FakeQueue _queue = null!;
    private QueuesPullClient _client = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync(_clock);
        _queue = _api.CreateQueue("logpush-events");
        _client = new QueuesPullClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new QueuesPullClientOptions()));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task PullAsync_SendsDocumentedRequest()
    {
        await _client.PullAsync(_queue.Id, batchSize: 50, visibilityTimeout: TimeSpan.FromMinutes(1));

        var request = Assert.Single(_api.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal($"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/queues/{_queue.Id}/messages/pull", request.Path);
        Assert.Equal(string.Empty, request.Query);
        Assert.Equal("Bearer " + FakeCloudflareApi.DefaultApiToken, request.Header("authorization"));
        Assert.StartsWith("application/json", request.Header("content-type"), StringComparison.Ordinal);
        CloudflareFixture.AssertJsonEqual(CloudflareFixture.Read("queues-pull-request.json"), request.Body);
    }

    [Fact]
    public async Task PullAsync_PublishedR2Event_ParsedFromBase64Json()
    {
        var id = _queue.PublishObjectCreated("logpush-bucket", "gateway_http/20250601/a b ü.log.gz", 48213, "9b2c");

        var result = await _client.PullAsync(_queue.Id, 10, TimeSpan.FromSeconds(30));

        var message = Assert.Single(result.Messages);
        Assert.Equal(id, message.Id);
        Assert.Equal(1, message.Attempts);
        Assert.Equal(QueueContentType.Json, message.ContentType);
        Assert.NotNull(message.LeaseId);
        Assert.DoesNotContain("{", message.Body, StringComparison.Ordinal);
        var n = QueuesPullClient.ParseR2EventNotification(message);
        Assert.Equal(R2EventAction.PutObject, n.Action);
        Assert.Equal("gateway_http/20250601/a b ü.log.gz", n.Object.Key);
        Assert.Equal(48213, n.Object.Size);
        Assert.Equal(_clock.GetUtcNow(), n.EventTime);
    }

    [Fact]
    public async Task PullAsync_BatchSize_LeasesAtMostThatMany()
    {
        for (var i = 0; i < 7; i++)
        {
            _queue.PublishObjectCreated("b", $"k{i}", 1, "e");
        }

        var first = await _client.PullAsync(_queue.Id, 5, TimeSpan.FromSeconds(30));
        var second = await _client.PullAsync(_queue.Id, 5, TimeSpan.FromSeconds(30));
        var third = await _client.PullAsync(_queue.Id, 5, TimeSpan.FromSeconds(30));

        Assert.Equal(5, first.Messages.Count);
        Assert.Equal(2, second.Messages.Count);
        Assert.Empty(third.Messages);
        Assert.Equal(7, _queue.InFlightCount);
        Assert.Equal(7, first.Messages.Concat(second.Messages).Select(m => m.Id).Distinct().Count());
    }

    [Fact]
    public async Task PullAsync_LeaseExpired_RedeliveredWithAttemptsPlusOne()
    {
        var id = _queue.PublishObjectCreated("b", "k", 1, "e");
        var first = Assert.Single((await _client.PullAsync(_queue.Id, 1, TimeSpan.FromSeconds(30))).Messages);

        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty((await _client.PullAsync(_queue.Id, 1, TimeSpan.FromSeconds(30))).Messages);
        _clock.Advance(TimeSpan.FromSeconds(2));
        var again = Assert.Single((await _client.PullAsync(_queue.Id, 1, TimeSpan.FromSeconds(30))).Messages);

        Assert.Equal(id, again.Id);
        Assert.Equal(2, again.Attempts);
        Assert.NotEqual(first.LeaseId, again.LeaseId);
    }

    [Fact]
    public async Task AckAsync_AcksAndRetriesInOneCall()
    {
        _queue.PublishObjectCreated("b", "ok", 1, "e");
        _queue.PublishObjectCreated("b", "fail", 1, "e");
        var pulled = (await _client.PullAsync(_queue.Id, 10, TimeSpan.FromSeconds(30))).Messages;
        var ok = pulled.Single(m => QueuesPullClient.ParseR2EventNotification(m).Object.Key == "ok");
        var fail = pulled.Single(m => m != ok);
        _api.ClearRequests();

        var result = await _client.AckAsync(_queue.Id, [ok.LeaseId!], [new QueueRetry(fail.LeaseId!, 600)]);

        Assert.Equal(1, result.AckCount);
        Assert.Equal(1, result.RetryCount);
        var request = Assert.Single(_api.Requests);
        Assert.Equal($"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/queues/{_queue.Id}/messages/ack", request.Path);
        CloudflareFixture.AssertJsonEqual(
            new JsonObject
            {
                ["acks"] = new JsonArray(new JsonObject { ["lease_id"] = ok.LeaseId }),
                ["retries"] = new JsonArray(new JsonObject { ["lease_id"] = fail.LeaseId, ["delay_seconds"] = 600 }),
            }.ToJsonString(),
            request.Body);
        Assert.Equal(1, _queue.AckedCount);
        Assert.Equal(1, _queue.Count);

        _clock.Advance(TimeSpan.FromSeconds(599));
        Assert.Empty((await _client.PullAsync(_queue.Id, 10)).Messages);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var redelivered = Assert.Single((await _client.PullAsync(_queue.Id, 10)).Messages);
        Assert.Equal(fail.Id, redelivered.Id);
        Assert.Equal(2, redelivered.Attempts);
    }

    [Fact]
    public async Task AckAsync_RetryWithoutDelay_OmitsDelaySeconds()
    {
        _queue.PublishObjectCreated("b", "k", 1, "e");
        var m = Assert.Single((await _client.PullAsync(_queue.Id, 1)).Messages);
        _api.ClearRequests();

        await _client.AckAsync(_queue.Id, [], [new QueueRetry(m.LeaseId!)]);

        CloudflareFixture.AssertJsonEqual($$"""{"acks":[],"retries":[{"lease_id":"{{m.LeaseId}}"}]}""", Assert.Single(_api.Requests).Body);
        Assert.Single((await _client.PullAsync(_queue.Id, 1)).Messages);
    }

    [Fact]
    public async Task AckAsync_LateAckAfterLeaseExpired_StillAccepted()
    {
        _queue.PublishObjectCreated("b", "k", 1, "e");
        var m = Assert.Single((await _client.PullAsync(_queue.Id, 1, TimeSpan.FromSeconds(1))).Messages);
        _clock.Advance(TimeSpan.FromSeconds(5));

        var result = await _client.AckAsync(_queue.Id, [m.LeaseId!]);

        Assert.Equal(1, result.AckCount);
        Assert.Equal(0, _queue.Count);
    }

    [Fact]
    public async Task AckAsync_UnknownLease_ReturnsWarning()
    {
        var result = await _client.AckAsync(_queue.Id, ["nope"]);

        Assert.Equal(0, result.AckCount);
        Assert.True(result.Warnings!.ContainsKey("nope"));
    }

    [Fact]
    public async Task AckAsync_Nothing_SendsNoRequest()
    {
        var result = await _client.AckAsync(_queue.Id, [], []);

        Assert.Equal(0, result.AckCount);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task PullAsync_PoisonMessage_DeadLetteredAfterMaxRetries()
    {
        _queue.MaxRetries = 2;
        _queue.PublishObjectCreated("b", "poison", 1, "e");

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var m = Assert.Single((await _client.PullAsync(_queue.Id, 1)).Messages);
            Assert.Equal(attempt, m.Attempts);
            await _client.AckAsync(_queue.Id, [], [new QueueRetry(m.LeaseId!, 0)]);
        }

        Assert.Empty((await _client.PullAsync(_queue.Id, 1)).Messages);
        Assert.Equal(3, Assert.Single(_queue.DeadLettered).Attempts);
    }

    [Fact]
    public async Task PullAsync_TwoConsumers_GetDistinctMessages()
    {
        using var other = new QueuesPullClient(FakeCloudflareApi.DefaultAccountId, _api.ClientOptions(new QueuesPullClientOptions()));
        for (var i = 0; i < 10; i++)
        {
            _queue.PublishObjectCreated("b", $"k{i}", 1, "e");
        }

        var a = _client.PullAsync(_queue.Id, 6);
        var b = other.PullAsync(_queue.Id, 6);
        var all = (await a).Messages.Concat((await b).Messages).Select(m => m.Id).ToList();

        Assert.Equal(10, all.Count);
        Assert.Equal(10, all.Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task PullAsync_BatchSizeOutOfRange_Throws(int batchSize)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.PullAsync(_queue.Id, batchSize));
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task PullAsync_ServerError_RetriedAndSucceeds()
    {
        _queue.PublishObjectCreated("b", "k", 1, "e");
        _api.FailNext(FakeFailure.ServerError(System.Net.HttpStatusCode.ServiceUnavailable));

        var result = await _client.PullAsync(_queue.Id, 1);

        Assert.Single(result.Messages);
        Assert.Equal(2, _api.Requests.Count);
    }

    [Theory]
    [InlineData("array")]
    [InlineData("object")]
    public async Task PullAsync_BothResultForms_ReadTheMessages(string form)
    {
        _queue.PublishObjectCreated("b", "k1", 1, "e1");
        _queue.PublishObjectCreated("b", "k2", 2, "e2");
        _api.ResponseShaper = (request, envelope) =>
        {
            if (form == "array" && request.ApiPath.EndsWith("/pull", StringComparison.Ordinal))
            {
                envelope["result"] = envelope["result"]!["messages"]!.DeepClone();
            }

            return envelope;
        };

        var result = await _client.PullAsync(_queue.Id, 10);

        Assert.Equal(["k1", "k2"], result.Messages.Select(m => QueuesPullClient.ParseR2EventNotification(m).Object.Key));
        Assert.Equal(form == "object" ? 2 : null, result.Backlog);
    }

    [Theory]
    [InlineData("""{"success":true,"errors":[],"messages":[],"result":{}}""")]
    [InlineData("""{"success":true,"errors":[],"messages":[],"result":{"messages":null,"message_backlog_count":0}}""")]
    [InlineData("""{"success":true,"result":null}""")]
    [InlineData("""{"success":true,"result":[]}""")]
    [InlineData("""{"success":true,"errors":[],"messages":["Successfully pulled"],"result":{"metadata":{"metrics":{"backlog_count":0,"backlog_bytes":0,"oldest_message_timestamp_ms":0}}}}""")]
    public async Task PullAsync_NoMessagesInAnyForm_EmptyNotNull(string reply)
    {
        _api.ResponseShaper = (_, _) => JsonNode.Parse(reply)!;

        var result = await _client.PullAsync(_queue.Id);

        Assert.Empty(result.Messages);
    }

    [Fact]
    public async Task PullAsync_MessageNotFittingTheSchema_KeepsItsLeaseAndFailsOnlyItsDecode()
    {
        _queue.PublishObjectCreated("b", "good", 1, "e1");
        _queue.PublishObjectCreated("b", "bad", 1, "e2");
        _api.ResponseShaper = (_, envelope) =>
        {
            if (envelope["result"]?["messages"] is JsonArray { Count: 2 } messages)
            {
                messages[1]!["attempts"] = "many";
                messages[1]!["metadata"] = "not an object";
            }

            return envelope;
        };

        var result = await _client.PullAsync(_queue.Id, 10);

        Assert.Equal(2, result.Messages.Count);
        Assert.Equal("good", QueuesPullClient.ParseR2EventNotification(result.Messages[0]).Object.Key);
        Assert.NotNull(result.Messages[1].LeaseId);
        var ex = Assert.Throws<CloudflarePayloadException>(() => result.Messages[1].DecodeBody());
        Assert.Contains("documented shape", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_ResultOfNeitherForm_ThrowsWithRay()
    {
        _api.ResponseShaper = (_, envelope) =>
        {
            envelope["result"] = "pulled";
            return envelope;
        };

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => _client.PullAsync(_queue.Id));

        Assert.Contains("neither an object with messages nor an array", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.RayId);
    }

    [Theory]
    [InlineData(FakeBodyForm.Documented, "CF-Content-Type", false, false)]
    [InlineData(FakeBodyForm.RawJsonValue, "CF-Content-Type", false, false)]
    [InlineData(FakeBodyForm.JsonText, "CF-Content-Type", false, false)]
    [InlineData(FakeBodyForm.Base64Unpadded, "CF-Content-Type", false, false)]
    [InlineData(FakeBodyForm.Base64Url, "cf-content-type", false, true)]
    [InlineData(FakeBodyForm.Documented, "contentType", true, false)]
    [InlineData(FakeBodyForm.Documented, "content_type", false, true)]
    public async Task PullAsync_BodyForms_DecodedToTheSameNotification(FakeBodyForm body, string key, bool onMessage, bool floats)
    {
        var notification = new R2EventNotification
        {
            Account = "acct",
            Action = R2EventAction.CompleteMultipartUpload,
            Bucket = "b",
            Object = new R2EventObject("dir/ü +?.log.gz", 123456789, "abc-3"),
            EventTime = new DateTimeOffset(2025, 6, 1, 10, 0, 0, 5, TimeSpan.Zero),
        };
        _queue.PublishR2Event(notification, new FakeMessageShape { Body = body, ContentTypeKey = key, ContentTypeOnMessage = onMessage, NumbersAsFloats = floats });

        var message = Assert.Single((await _client.PullAsync(_queue.Id)).Messages);

        Assert.Equal(notification, QueuesPullClient.ParseR2EventNotification(message));
        Assert.Equal(1, message.Attempts);
    }

    [Fact]
    public async Task PullAsync_BytesBody_Base64Decoded()
    {
        byte[] raw = [0x1f, 0x8b, 0, 255, 1];
        _queue.Publish(raw, "bytes", new FakeMessageShape { Body = FakeBodyForm.Base64Unpadded });

        var message = Assert.Single((await _client.PullAsync(_queue.Id)).Messages);

        Assert.Equal(QueueContentType.Bytes, message.ContentType);
        Assert.Equal(raw, message.DecodeBody());
    }
}
