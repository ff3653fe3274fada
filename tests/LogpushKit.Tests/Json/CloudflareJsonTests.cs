using System.Text.Json;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Events;
using LogpushKit.Json;
using LogpushKit.Tests.Cloudflare;

namespace LogpushKit.Tests.Json;

public sealed class CloudflareJsonTests
{
    public static TheoryData<string> FixtureNames() => new(
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Cloudflare"), "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Deserialize_EveryFixture_RoundTripsWithoutLosingAMember(string name)
    {
        var json = CloudflareFixture.Read(name);

        var written = RoundTrip(name, json);

        CloudflareFixture.AssertJsonEqual(json, written);
    }

    [Fact]
    public void FixtureNames_CoverEveryExamplePayload()
    {
        // 24 fixtures derived from the reference examples; a new fixture must get a type in RoundTrip.
        Assert.Equal(24, FixtureNames().Count);
    }

    [Fact]
    public void Deserialize_JobCreateResponse_MapsEveryDocumentedField()
    {
        var envelope = CloudflareJson.Deserialize<CloudflareEnvelope<LogpushJob>>(CloudflareFixture.Read("logpush-job-create-response.json"))!;
        var job = envelope.Result!;

        Assert.True(envelope.Success);
        Assert.Equal(123456, job.Id);
        Assert.Equal("gateway_http", job.Dataset);
        Assert.Equal("example.com gateway_http to R2", job.Name);
        Assert.True(job.Enabled);
        Assert.StartsWith("r2://logpush-bucket/gateway_http/{DATE}?account-id=", job.DestinationConf, StringComparison.Ordinal);
        Assert.Equal("{\"where\":{\"and\":[{\"key\":\"Action\",\"operator\":\"eq\",\"value\":\"block\"}]}}", job.Filter);
        Assert.Equal(5_000_000, job.MaxUploadBytes);
        Assert.Equal(100_000, job.MaxUploadRecords);
        Assert.Equal(30, job.MaxUploadIntervalSeconds);
        Assert.Equal(string.Empty, job.Kind);
        Assert.Equal("high", job.Frequency);
        Assert.Null(job.LogpullOptions);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 10, 16, 0, TimeSpan.Zero), job.LastComplete);
        Assert.Null(job.LastError);
        Assert.Null(job.ErrorMessage);
        var o = job.OutputOptions!;
        Assert.Equal(["Datetime", "Action", "SourceIP", "DestinationIP", "URL", "Email", "PolicyName"], o.FieldNames);
        Assert.Equal("ndjson", o.OutputType);
        Assert.Equal("rfc3339", o.TimestampFormat);
        Assert.Equal(1.0, o.SampleRate);
        Assert.False(o.Cve202144228);
        Assert.Equal(string.Empty, o.BatchPrefix);
        Assert.Equal(string.Empty, o.BatchSuffix);
        Assert.Equal("{", o.RecordPrefix);
        Assert.Equal("}\n", o.RecordSuffix);
        Assert.Equal(string.Empty, o.RecordDelimiter);
        Assert.Equal(",", o.FieldDelimiter);
        Assert.Equal(string.Empty, o.RecordTemplate);
        Assert.Null(job.AdditionalProperties);
    }

    [Fact]
    public void Serialize_JobWithUnknownMembers_WritesThemBack()
    {
        const string json = """
            {"id":7,"dataset":"http_requests","destination_conf":"r2://b?account-id=a&access-key-id=k&secret-access-key=s",
             "new_top_level":{"nested":[1,2,{"x":null}]},"output_options":{"output_type":"csv","future_option":true,"merge_subrequests":true},
             "filter":null}
            """;

        var job = CloudflareJson.Deserialize<LogpushJob>(json)!;
        var written = CloudflareJson.Serialize(job);

        CloudflareFixture.AssertJsonEqual(json, written);
        Assert.True(job.AdditionalProperties!.ContainsKey("new_top_level"));
        Assert.True(job.OutputOptions!.AdditionalProperties!.ContainsKey("future_option"));
        Assert.True(job.OutputOptions.MergeSubrequests);
    }

    [Fact]
    public void Serialize_NewJob_OmitsUnsetMembers()
    {
        var job = new LogpushJob { Dataset = "gateway_http", Enabled = true, OutputOptions = new LogpushOutputOptions { Cve202144228 = true } };

        var written = CloudflareJson.Serialize(job);

        CloudflareFixture.AssertJsonEqual("""{"dataset":"gateway_http","enabled":true,"output_options":{"CVE-2021-44228":true}}""", written);
    }

    [Fact]
    public void Serialize_ModifiedCopy_KeepsExplicitNullsOfTheOriginal()
    {
        var job = CloudflareJson.Deserialize<LogpushJob>("""{"id":1,"last_error":null,"name":"a"}""")!;

        var written = CloudflareJson.Serialize(job with { Name = "b" });

        CloudflareFixture.AssertJsonEqual("""{"id":1,"last_error":null,"name":"b"}""", written);
    }

    [Fact]
    public void With_Copy_OwnsItsAdditionalProperties()
    {
        var job = CloudflareJson.Deserialize<LogpushJob>("""{"id":1,"extra":1}""")!;

        var copy = job with { Name = "n" };
        copy.AdditionalProperties!.Remove("extra");

        Assert.True(job.AdditionalProperties!.ContainsKey("extra"));
        CloudflareFixture.AssertJsonEqual("""{"id":1,"extra":1}""", CloudflareJson.Serialize(job));
    }

    [Fact]
    public void Deserialize_EmptyLastComplete_IsNull()
    {
        var job = CloudflareJson.Deserialize<LogpushJob>("""{"last_complete":"","last_error":"2025-06-01T10:16:00.5+02:00"}""")!;

        Assert.Null(job.LastComplete);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 10, 16, 0, 500, TimeSpan.FromHours(2)), job.LastError);
        Assert.Contains("\"last_error\":\"2025-06-01T10:16:00.5+02:00\"", CloudflareJson.Serialize(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_NotAModel_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => CloudflareJson.Serialize(new Uri("http://x")));
    }

    [Fact]
    public void Equals_SameJsonTwice_IsEqual()
    {
        const string json = """{"id":7,"unknown":{"a":1},"output_options":{"output_type":"csv"}}""";
        var a = CloudflareJson.Deserialize<LogpushJob>(json)!;
        var b = CloudflareJson.Deserialize<LogpushJob>(json)!;

        Assert.Equal(a.AdditionalProperties!["unknown"].GetRawText(), b.AdditionalProperties!["unknown"].GetRawText());
        Assert.Equal(a.OutputOptions, b.OutputOptions);
        Assert.NotEqual(a.OutputOptions, b.OutputOptions! with { OutputType = "ndjson" });
    }

    private static string RoundTrip(string name, string json) => name switch
    {
        "logpush-job-create-request.json" => Rt<LogpushJob>(json),
        "logpush-job-create-response.json" => Rt<CloudflareEnvelope<LogpushJob>>(json),
        "logpush-error-response.json" => Rt<CloudflareEnvelope<LogpushJob>>(json),
        "logpush-delete-response.json" => Rt<CloudflareEnvelope<LogpushJobDeleted>>(json),
        "logpush-ownership-challenge-response.json" => Rt<CloudflareEnvelope<LogpushOwnershipChallenge>>(json),
        "logpush-validate-destination-exists-response.json" => Rt<CloudflareEnvelope<LogpushDestinationExistsResult>>(json),
        "logpush-dataset-fields-response.json" => Rt<CloudflareEnvelope<Dictionary<string, JsonElement>>>(json),
        _ when name.StartsWith("logpush-output-options-", StringComparison.Ordinal) => RtNested(json),
        "queues-pull-request.json" => Rt<QueuePullRequest>(json),
        "queues-pull-response-documented.json" or "queues-pull-response-r2-notification.json" => Rt<CloudflareEnvelope<QueuePullResult>>(json),
        "queues-ack-request.json" => Rt<QueueAckRequest>(json),
        "queues-ack-response.json" => Rt<CloudflareEnvelope<QueueAckResult>>(json),
        "queues-pull-decoded-body.json" => R2EventNotification.Parse(json).ToJson(),
        _ when name.StartsWith("r2-event-", StringComparison.Ordinal) => R2EventNotification.Parse(json).ToJson(),
        "r2-rules-put-request.json" => Rt<R2NotificationRulesRequest>(json),
        "r2-notification-configuration.json" => Rt<R2NotificationConfiguration>(json),
        "r2-queue-rules.json" => Rt<R2QueueNotificationRules>(json),
        _ => throw new InvalidOperationException($"No model mapped for fixture {name}."),
    };

    private static string Rt<T>(string json) => CloudflareJson.Serialize(CloudflareJson.Deserialize<T>(json));

    // Output options are nested in a job; round-trip them through one.
    private static string RtNested(string json)
    {
        var job = CloudflareJson.Deserialize<LogpushJob>($$"""{"output_options":{{json}}}""")!;
        return JsonNode.Parse(CloudflareJson.Serialize(job))!["output_options"]!.ToJsonString();
    }
}
