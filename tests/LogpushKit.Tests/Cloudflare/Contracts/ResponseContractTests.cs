using System.Text.Json;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Events;
using LogpushKit.Json;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare.Contracts;

/// <summary>
/// Every response model, through the client method that reads it, against payloads generated from the published schema
/// (<c>Fixtures/Cloudflare/Contracts/schema.json</c>): the minimal schema-valid one, the full one, one with unknown members in
/// every object, and the full one with <c>number</c> members as floats. Each must read without error, leave no collection
/// null, and — except the float form, whose numbers come back as integers — write back exactly what was read.
/// </summary>
public sealed class ResponseContractTests(CloudflareContractFixture fixture) : IClassFixture<CloudflareContractFixture>
{
    private static readonly ContractSchema Schema = ContractSchema.Load();

    // schema members a model keeps in AdditionalProperties on purpose (none so far)
    private static readonly string[] UnmappedOnPurpose = [];

    private static readonly string Destination = DestinationConf.R2("logs", "gw/{DATE}", FakeCloudflareApi.DefaultAccountId, "AKID", "contract-secret-2f0a7c").ToUnmaskedString();

    private static readonly Dictionary<string, ResponseCase> Cases = new[]
    {
        Case("logpush.jobs.get", "LogpushJob", "logpush/jobs/", async f => [await f.Logpush.GetJobAsync(CloudflareContractFixture.Account, f.Api.AddJob(CloudflareContractFixture.Account, NewJob()))]),
        Case("logpush.jobs.create", "LogpushJob", "logpush/jobs", async f => [await f.Logpush.CreateJobAsync(CloudflareContractFixture.Account, new LogpushJob { Dataset = "gateway_http", DestinationConf = Destination })]),
        Case("logpush.jobs.update", "LogpushJob", "logpush/jobs/", async f => [await f.Logpush.UpdateJobAsync(CloudflareContractFixture.Account, f.Api.AddJob(CloudflareContractFixture.Account, NewJob()), new LogpushJob { Enabled = true })]),
        Case("logpush.jobs.list", "LogpushJob", "logpush/jobs", async f => [.. await f.Logpush.ListJobsAsync(CloudflareContractFixture.Account).ToListAsync()], list: true),
        Case("logpush.datasets.jobs", "LogpushJob", "datasets/gateway_http/jobs", async f => [.. await f.Logpush.ListDatasetJobsAsync(CloudflareContractFixture.Account, "gateway_http").ToListAsync()], list: true),
        Case("logpush.jobs.delete", "JobDeleteResponse", "logpush/jobs/", async f =>
        {
            await f.Logpush.DeleteJobAsync(CloudflareContractFixture.Account, f.Api.AddJob(CloudflareContractFixture.Account, NewJob()));
            return [];
        }),
        Case("logpush.ownership.create", "OwnershipCreateResponse", "logpush/ownership", async f => [await f.Logpush.RequestOwnershipChallengeAsync(CloudflareContractFixture.Account, Destination)]),
        Case("logpush.ownership.validate", "OwnershipValidation", "ownership/validate", async f =>
        {
            f.Api.ResponseShaper = null;
            await f.Logpush.RequestOwnershipChallengeAsync(CloudflareContractFixture.Account, Destination);
            return [];
        }, then: async f => [await f.Logpush.ValidateOwnershipChallengeAsync(CloudflareContractFixture.Account, Destination, f.Api.OwnershipTokenFor(Destination)!)]),
        Case("logpush.validate.destination", "ValidateDestinationResponse", "validate/destination", async f => [await f.Logpush.ValidateDestinationAsync(CloudflareContractFixture.Account, Destination)]),
        Case("logpush.validate.destination.exists", "ValidateDestinationExistsResponse", "validate/destination/exists", async f => [await f.Logpush.ValidateDestinationExistsAsync(CloudflareContractFixture.Account, Destination)]),
        Case("logpush.validate.origin", "ValidateOriginResponse", "validate/origin", async f => [await f.Logpush.ValidateOriginAsync(CloudflareContractFixture.Account, "fields=RayID")]),
        Case("queues.messages.pull", "MessagePullResponse", "messages/pull", async f => [await f.Pull.PullAsync(f.Api.CreateQueue("q").Id)]),
        Case("queues.messages.ack", "MessageAckResponse", "messages/ack", async f => [await f.Pull.AckAsync(f.Api.CreateQueue("q").Id, ["lease-1"])]),
        Case("queues.get", "Queue", "/queues/", async f => [await f.Queues.GetQueueAsync(f.Api.CreateQueue("q").Id)]),
        Case("queues.list", "Queue", "/queues", async f => [.. await f.Queues.ListQueuesAsync().ToListAsync()], list: true),
        Case("queues.create", "Queue", "/queues", async f => [await f.Queues.CreateQueueAsync("q-" + Guid.NewGuid().ToString("N"))]),
        Case("queues.consumers.create", "Consumer", "/consumers", async f => [await f.Queues.CreateHttpPullConsumerAsync(f.Api.CreateQueue("q").Id)]),
        Case("r2.event_notifications.list", "EventNotificationListResponse", "/configuration", async f => [await f.Rules.GetConfigurationAsync("logs")]),
        Case("r2.event_notifications.get", "EventNotificationGetResponse", "/configuration/queues/", async f => [await f.Rules.GetQueueRulesAsync("logs", f.Api.CreateQueue("q").Id)]),
        Case("r2.buckets.list", "BucketListResponse", "r2/buckets", async f => [await f.Buckets.ListBucketsAsync().ToListAsync()], compareAs: "buckets"),
        Case("r2.buckets.create", "Bucket", "r2/buckets", async f => [await f.Buckets.CreateBucketAsync("b-" + Guid.NewGuid().ToString("N")[..8])]),
    }.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static TheoryData<string> Endpoints() => [.. Cases.Keys];

    public static TheoryData<string, PayloadForm> Responses()
    {
        var data = new TheoryData<string, PayloadForm>();
        foreach (var name in Cases.Keys)
        {
            foreach (var form in Enum.GetValues<PayloadForm>())
            {
                data.Add(name, form);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task Response_SchemaPayload_ReadsAndWritesBackEveryMember(string endpoint, PayloadForm form)
    {
        fixture.Reset();
        var c = Cases[endpoint];
        var one = Schema.Generate(c.Model, form);
        JsonNode result = c.List ? new JsonArray(one, Schema.Generate(c.Model, form == PayloadForm.Minimal ? PayloadForm.Full : form)) : one;
        if (c.Then is not null)
        {
            await c.Call(fixture);
        }

        fixture.Serve(c.PathContains, OnePage(Schema.Envelope(result, form)));
        var models = await (c.Then ?? c.Call)(fixture);

        foreach (var model in models)
        {
            ModelAssert.NoNullCollections(model);
        }

        if (form == PayloadForm.Floats || models.Count == 0)
        {
            return;
        }

        var read = c.CompareAs is { } member ? result[member] ?? new JsonArray() : result;
        var written = c.CompareAs is not null || !c.List ? JsonNode.Parse(Write(models[0])) : new JsonArray([.. models.Select(m => JsonNode.Parse(Write(m)))]);

        // everything read is written back; the minimal form may come back with defaults filled in (valid: false, ...)
        Assert.True(
            form == PayloadForm.Minimal ? JsonContract.Contains(written, read) : JsonNode.DeepEquals(read, written),
            $"{endpoint} ({form}) did not write back what it read.\nRead:    {read.ToJsonString()}\nWritten: {written?.ToJsonString()}");
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task Response_SchemaPayload_FloatNumbersReadAsTheirValue(string endpoint, PayloadForm form)
    {
        // the float form must read the same values as the full form
        if (form != PayloadForm.Floats)
        {
            return;
        }

        fixture.Reset();
        var c = Cases[endpoint];
        JsonNode Payload(PayloadForm f) => c.List ? new JsonArray(Schema.Generate(c.Model, f)) : Schema.Generate(c.Model, f);
        if (c.Then is not null)
        {
            await c.Call(fixture);
        }

        fixture.Serve(c.PathContains, OnePage(Schema.Envelope(Payload(PayloadForm.Full), PayloadForm.Full)));
        var full = await (c.Then ?? c.Call)(fixture);
        if (c.Then is not null)
        {
            fixture.Reset();
            await c.Call(fixture);
        }

        fixture.Serve(c.PathContains, OnePage(Schema.Envelope(Payload(PayloadForm.Floats), PayloadForm.Floats)));
        var floats = await (c.Then ?? c.Call)(fixture);

        Assert.Equal(full.Count, floats.Count);
        foreach (var (a, b) in full.Zip(floats))
        {
            Assert.True(JsonContract.Equivalent(JsonNode.Parse(Write(a)), JsonNode.Parse(Write(b))), $"{endpoint}: floats read differently.\nFull:   {Write(a)}\nFloats: {Write(b)}");
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Response_FullSchemaPayload_EveryMemberReadIntoAProperty(string endpoint)
    {
        // the models follow the published schema: a member it lists is a property, not an unknown member kept aside
        fixture.Reset();
        var c = Cases[endpoint];
        JsonNode result = c.List ? new JsonArray(Schema.Generate(c.Model, PayloadForm.Full)) : Schema.Generate(c.Model, PayloadForm.Full);
        if (c.Then is not null)
        {
            await c.Call(fixture);
        }

        fixture.Serve(c.PathContains, OnePage(Schema.Envelope(result, PayloadForm.Full)));
        var models = await (c.Then ?? c.Call)(fixture);

        Assert.Empty(models.SelectMany(m => ModelAssert.UnmappedMembers(m, c.Model)).Except(UnmappedOnPurpose, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("logpush.validate.destination")]
    [InlineData("logpush.validate.destination.exists")]
    [InlineData("logpush.validate.origin")]
    [InlineData("logpush.ownership.create")]
    [InlineData("logpush.ownership.validate")]
    public async Task Response_ResultNullWhereTheSdkAllowsIt_ReturnsNull(string endpoint)
    {
        // cloudflare-typescript types these results `X | null` (src/resources/logpush/validate.ts, ownership.ts): no answer, not an error
        fixture.Reset();
        var c = Cases[endpoint];
        if (c.Then is not null)
        {
            await c.Call(fixture);
        }

        fixture.Serve(c.PathContains, JsonNode.Parse("""{"success":true,"errors":[],"messages":[],"result":null}""")!.AsObject());
        var models = await (c.Then ?? c.Call)(fixture);

        Assert.Equal([null], models);
    }

    [Fact]
    public void Cases_CoverEveryResponseModelOfTheSchema()
    {
        var covered = Cases.Values.Select(c => c.Model).ToHashSet(StringComparer.Ordinal);
        var nested = new[] { "ResponseInfo", "ResponseInfoSource", "ResultInfo", "OutputOptions", "PulledMessage", "PullMetadata", "Metrics", "Producer", "QueueSettings", "ConsumerSettings", "Rule", "Bucket", "R2EventNotification", "R2EventObject", "R2CopySource" };

        Assert.Empty(Schema.ModelNames.Except(covered).Except(nested));
    }

    [Theory]
    [InlineData(PayloadForm.Minimal)]
    [InlineData(PayloadForm.Full)]
    [InlineData(PayloadForm.Unknown)]
    public void R2EventNotification_SchemaPayload_ParsesAndWritesBack(PayloadForm form)
    {
        var payload = Schema.Generate("R2EventNotification", form);

        var notification = R2EventNotification.Parse(payload.ToJsonString());

        Assert.Equal("PutObject", notification.ActionName);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 10, 16, 0, 123, TimeSpan.Zero), notification.EventTime);
        Assert.True(JsonNode.DeepEquals(payload, JsonNode.Parse(notification.ToJson())), notification.ToJson());
    }

    [Fact]
    public async Task DatasetFields_MapOfTypedAndPlainValues_TypesParsed()
    {
        fixture.Reset();
        var fields = new JsonObject
        {
            ["EdgeStartTimestamp"] = "int or string; Timestamp at which the edge received the request",
            ["ClientIP"] = "string; IP address of the client",
            ["Tags"] = "array[string]; Tags; as a list",
            ["Action"] = "What gateway did; see the docs",
        };
        fixture.Serve("datasets/gateway_http/fields", Schema.Envelope(fields, PayloadForm.Full));

        var dataset = await fixture.Logpush.GetDatasetAsync(CloudflareContractFixture.Account, "gateway_http");

        Assert.Equal(
            [("EdgeStartTimestamp", "int or string", "Timestamp at which the edge received the request"), ("ClientIP", "string", "IP address of the client"), ("Tags", "array[string]", "Tags; as a list"), ("Action", "string", "What gateway did; see the docs")],
            dataset.Fields.Select(f => (f.Name, f.Type, f.Description)));
        Assert.Equal(["EdgeStartTimestamp"], dataset.TimestampFields);
    }

    [Theory]
    [InlineData("""{"success":true,"result":{"exists":true}}""")]
    [InlineData("""{"success":true,"errors":null,"messages":null,"result":{"exists":true}}""")]
    [InlineData("""{"success":true,"errors":[],"messages":["Queue messages pulled","second"],"result":{"exists":true}}""")]
    [InlineData("""{"success":true,"errors":["a warning as text"],"messages":[{"code":10000,"message":"informational"},"text"],"result":{"exists":true}}""")]
    [InlineData("""{"success":true,"errors":[],"messages":"one message, not an array","result":{"exists":true}}""")]
    [InlineData("""{"success":true,"errors":[],"messages":[{"code":1000.0,"message":"float code"},42,true,null],"result":{"exists":true}}""")]
    public async Task Envelope_MessagesAndErrorsOfAnyDocumentedForm_2xxSuccessIsSuccess(string envelope)
    {
        fixture.Reset();
        fixture.Serve("validate/destination/exists", JsonNode.Parse(envelope)!.AsObject());

        var result = await fixture.Logpush.ValidateDestinationExistsAsync(CloudflareContractFixture.Account, Destination);

        Assert.True(result?.Exists);
    }

    [Fact]
    public async Task Envelope_FailureWithStringErrors_ThrowsWithTheirText()
    {
        fixture.Reset();
        fixture.Api.ResponseShaper = (_, _) => JsonNode.Parse("""{"success":false,"errors":["queue is paused",{"code":11000,"message":"structured"}],"messages":[],"result":null}""")!;

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => fixture.Logpush.ValidateDestinationExistsAsync(CloudflareContractFixture.Account, Destination));

        Assert.Contains("queue is paused", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[11000] structured", ex.Message, StringComparison.Ordinal);
        Assert.Equal([11000], ex.ErrorCodes);
        Assert.Matches("cf-ray: [0-9a-f]{16}-LHR", ex.Message);
    }

    [Fact]
    public void EveryModelType_EmptyOrNullMembers_NoNullCollection()
    {
        // every model the library has, also ones added after this test: {} and explicit nulls read as empty collections
        foreach (var type in ModelAssert.ModelTypes())
        {
            if (!CloudflareJson.Options.TryGetTypeInfo(type, out var info) || type == typeof(R2EventNotification) || type == typeof(R2EventObject) || type == typeof(R2CopySource))
            {
                continue;
            }

            var nulls = new JsonObject();
            foreach (var property in ModelAssert.NonNullableCollections(type))
            {
                nulls[info.Properties.First(p => p.AttributeProvider is System.Reflection.PropertyInfo pi && pi.Name == property.Name).Name] = null;
            }

            foreach (var json in new[] { "{}", nulls.ToJsonString() })
            {
                var model = JsonSerializer.Deserialize(json, info);
                ModelAssert.NoNullCollections(model, type.Name);
            }
        }
    }

    private static ResponseCase Case(string name, string model, string pathContains, Func<CloudflareContractFixture, Task<List<object?>>> call, bool list = false, Func<CloudflareContractFixture, Task<List<object?>>>? then = null, string? compareAs = null) =>
        new(name, model, pathContains, call, list, then, compareAs);

    // The generated result_info says page 3 of 3 (so lists stop after this page); a cursor would ask for the same page again.
    private static JsonObject OnePage(JsonObject envelope)
    {
        (envelope["result_info"] as JsonObject)?.Remove("cursor");
        return envelope;
    }

    private static JsonObject NewJob() => new() { ["dataset"] = "gateway_http", ["destination_conf"] = Destination, ["enabled"] = false };

    private static string Write(object? model) => model switch
    {
        LogpushJob m => CloudflareJson.Serialize(m),
        LogpushOwnershipChallenge m => CloudflareJson.Serialize(m),
        LogpushOwnershipValidation m => CloudflareJson.Serialize(m),
        LogpushValidationResult m => CloudflareJson.Serialize(m),
        LogpushDestinationExistsResult m => CloudflareJson.Serialize(m),
        QueuePullResult m => CloudflareJson.Serialize(m),
        QueueAckResult m => CloudflareJson.Serialize(m),
        CloudflareQueue m => CloudflareJson.Serialize(m),
        QueueConsumer m => CloudflareJson.Serialize(m),
        R2NotificationConfiguration m => CloudflareJson.Serialize(m),
        R2QueueNotificationRules m => CloudflareJson.Serialize(m),
        R2BucketInfo m => CloudflareJson.Serialize(m),
        List<R2BucketInfo> m => "[" + string.Join(',', m.Select(b => CloudflareJson.Serialize(b))) + "]",
        _ => throw new InvalidOperationException($"No writer for {model?.GetType()}"),
    };

    private sealed record ResponseCase(
        string Name,
        string Model,
        string PathContains,
        Func<CloudflareContractFixture, Task<List<object?>>> Call,
        bool List,
        Func<CloudflareContractFixture, Task<List<object?>>>? Then,
        string? CompareAs);
}
