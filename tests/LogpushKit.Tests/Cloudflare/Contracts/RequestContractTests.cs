using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Json;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Tests.Cloudflare.Contracts;

/// <summary>
/// Every request body a client sends holds only the members Cloudflare's request schema lists
/// (<c>schema.json</c> "requests"), also when the input is a model read from the API with every member, read-only ones
/// and unknown ones included.
/// </summary>
public sealed class RequestContractTests(CloudflareContractFixture fixture) : IClassFixture<CloudflareContractFixture>
{
    private static readonly ContractSchema Schema = ContractSchema.Load();

    private static readonly string Destination = DestinationConf.R2("logs", "gw/{DATE}", FakeCloudflareApi.DefaultAccountId, "AKID", "request-secret-4c1d9e").ToUnmaskedString();

    private static readonly Dictionary<string, Func<CloudflareContractFixture, Task>> Calls = new(StringComparer.Ordinal)
    {
        ["logpush.jobs.create"] = f => f.Logpush.CreateJobAsync(CloudflareContractFixture.Account, JobReadFromApi() with { Id = null }),
        ["logpush.jobs.update"] = async f =>
        {
            var id = f.Api.AddJob(CloudflareContractFixture.Account, new JsonObject { ["dataset"] = "gateway_http", ["destination_conf"] = Destination });
            f.Api.ClearRequests();
            await f.Logpush.UpdateJobAsync(CloudflareContractFixture.Account, id, JobReadFromApi());
        },
        ["logpush.validate.destination"] = f => f.Logpush.ValidateDestinationAsync(CloudflareContractFixture.Account, Destination),
        ["logpush.validate.destination.exists"] = f => f.Logpush.ValidateDestinationExistsAsync(CloudflareContractFixture.Account, Destination),
        ["logpush.validate.origin"] = f => f.Logpush.ValidateOriginAsync(CloudflareContractFixture.Account, "fields=RayID&timestamps=rfc3339"),
        ["logpush.ownership.create"] = f => f.Logpush.RequestOwnershipChallengeAsync(CloudflareContractFixture.Account, Destination),
        ["logpush.ownership.validate"] = async f =>
        {
            await f.Logpush.RequestOwnershipChallengeAsync(CloudflareContractFixture.Account, Destination);
            f.Api.ClearRequests();
            await f.Logpush.ValidateOwnershipChallengeAsync(CloudflareContractFixture.Account, Destination, f.Api.OwnershipTokenFor(Destination)!);
        },
        ["queues.messages.pull"] = f => f.Pull.PullAsync(Queue(f), 10, TimeSpan.FromMinutes(5)),
        ["queues.messages.ack"] = f => f.Pull.AckAsync(Queue(f), ["lease-1"], [new QueueRetry("lease-2", 30), new QueueRetry("lease-3")]),
        ["queues.create"] = f => f.Queues.CreateQueueAsync("q-" + Guid.NewGuid().ToString("N")),
        ["queues.consumers.create"] = f => f.Queues.CreateHttpPullConsumerAsync(
            Queue(f),
            CloudflareJson.Deserialize<QueueConsumerSettings>("""{"batch_size":10,"max_retries":5,"retry_delay":30,"visibility_timeout_ms":60000,"max_wait_time_ms":5,"max_concurrency":2}"""),
            "dlq"),
        ["r2.buckets.create"] = f => f.Buckets.CreateBucketAsync("b-" + Guid.NewGuid().ToString("N")[..8], "eu", "weur"),
        ["r2.event_notifications.update"] = f => f.Rules.PutRulesAsync(
            "logs-" + Guid.NewGuid().ToString("N")[..6],
            Queue(f),
            [CloudflareJson.Deserialize<R2NotificationRule>("""{"actions":["PutObject"],"prefix":"gw/","suffix":".log.gz","description":"d","ruleId":"r1","createdAt":"2025-06-01T09:00:00Z","x_added_later":1}""")!]),
    };

    public static TheoryData<string> Requests() => new(Calls.Keys);

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Request_FromFullModels_SendsOnlySchemaMembers(string request)
    {
        fixture.Reset();
        await Calls[request](fixture);

        var sent = fixture.Api.Requests.Where(r => r.Method is "POST" or "PUT").Select(r => JsonNode.Parse(r.Body)!.AsObject()).Last();
        var spec = Schema.Request(request);
        AssertOnly(sent, spec["members"]!.AsArray().Select(m => m!.GetValue<string>()), request);
        foreach (var (member, model) in spec["nested"]?.AsObject() ?? [])
        {
            // a nested model: its schema members, plus the unknown members the input had there (output settings added
            // after this version are sent back whole; see LogpushClient.UpdateJobAsync)
            if (sent[member] is JsonObject nested)
            {
                AssertOnly(nested, [.. Schema.Members(model!.GetValue<string>()), ContractSchema.UnknownMember], $"{request}.{member}");
            }
        }

        foreach (var (member, items) in spec["items"]?.AsObject() ?? [])
        {
            foreach (var item in sent[member]?.AsArray() ?? [])
            {
                AssertOnly(item!.AsObject(), items!.AsArray().Select(m => m!.GetValue<string>()), $"{request}.{member}[]");
            }
        }

        foreach (var (member, allowed) in spec["objects"]?.AsObject() ?? [])
        {
            if (sent[member] is JsonObject nested)
            {
                AssertOnly(nested, allowed!.AsArray().Select(m => m!.GetValue<string>()), $"{request}.{member}");
            }
        }
    }

    [Fact]
    public void Requests_CoverEveryRequestOfTheSchema()
    {
        Assert.Equal(Schema.RequestNames.Order(StringComparer.Ordinal), Calls.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UpdateJob_FullJobReadFromApi_SendsTheSettableMembersWithTheirValues()
    {
        fixture.Reset();
        await Calls["logpush.jobs.update"](fixture);

        var sent = JsonNode.Parse(fixture.Api.Requests.Single(r => r.Method == "PUT").Body)!.AsObject();

        Assert.Equal(
            ["destination_conf", "enabled", "filter", "frequency", "logpull_options", "max_upload_bytes", "max_upload_interval_seconds", "max_upload_records", "name", "output_options"],
            sent.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(Destination, sent["destination_conf"]!.GetValue<string>());
        Assert.True(sent["output_options"]![ContractSchema.UnknownMember] is JsonObject, "an output setting unknown to this version must be sent back");
    }

    [Fact]
    public async Task UpdateJob_ExplicitNullsReadFromApi_SentOnlyWhereTheSchemaAllowsNull()
    {
        fixture.Reset();
        var id = fixture.Api.AddJob(CloudflareContractFixture.Account, new JsonObject { ["dataset"] = "gateway_http", ["destination_conf"] = Destination });
        var job = CloudflareJson.Deserialize<LogpushJob>("""{"id":5,"name":null,"filter":null,"enabled":null,"destination_conf":null,"kind":null,"last_error":null,"output_options":null}""")!;
        fixture.Api.ClearRequests();

        await fixture.Logpush.UpdateJobAsync(CloudflareContractFixture.Account, id, job with { Enabled = true });

        CloudflareFixture.AssertJsonEqual("""{"name":null,"filter":null,"enabled":true,"output_options":null}""", fixture.Api.Requests.Single().Body);
    }

    private static void AssertOnly(JsonObject body, IEnumerable<string> allowed, string what)
    {
        var extra = body.Select(p => p.Key).Except(allowed, StringComparer.Ordinal).ToList();
        Assert.True(extra.Count == 0, $"{what} sent members its schema does not have: {string.Join(", ", extra)}. Body: {body.ToJsonString()}");
    }

    private static string Queue(CloudflareContractFixture f) => f.Api.CreateQueue("q-" + Guid.NewGuid().ToString("N")[..6]).Id;

    // A job as the API returns it: every member of the schema (read-only ones included), with unknown members at the
    // top and inside output_options.
    private static LogpushJob JobReadFromApi()
    {
        var json = Schema.Generate("LogpushJob", PayloadForm.Unknown);
        json["destination_conf"] = Destination;
        json["dataset"] = "gateway_http";
        return CloudflareJson.Deserialize<LogpushJob>(json.ToJsonString())!;
    }
}
