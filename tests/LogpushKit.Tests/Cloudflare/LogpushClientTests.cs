using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Tests.Cloudflare;

public sealed class LogpushClientTests : FakeApiClientTest<LogpushClient>
{
    private const string Secret = "d6f8e1b2a3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0";
    private static readonly LogpushScope Account = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);
    private static readonly string Destination = DestinationConf.R2("logpush-bucket", "gateway_http/{DATE}", FakeCloudflareApi.DefaultAccountId, "AKID", Secret).ToUnmaskedString();
    private readonly ListLogger<LogpushClient> _logger = new();

    protected override LogpushClient CreateClient(FakeCloudflareApi api) => new LogpushClient(api.ClientOptions(new LogpushClientOptions()), _logger);

    private string AccountPath(string tail) => $"/client/v4/accounts/{FakeCloudflareApi.DefaultAccountId}/{tail}";

    [Fact]
    public async Task ListJobsAsync_SendsAuthenticatedGetWithoutQuery()
    {
        Api.AddJob(Account, new JsonObject { ["dataset"] = "gateway_http", ["destination_conf"] = Destination });

        var jobs = await Client.ListJobsAsync(Account).ToListAsync();

        var job = Assert.Single(jobs);
        Assert.Equal("gateway_http", job.Dataset);
        var request = Assert.Single(Api.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal(AccountPath("logpush/jobs"), request.Path);
        Assert.Equal(string.Empty, request.Query);
        Assert.Equal("Bearer " + FakeCloudflareApi.DefaultApiToken, request.Header("Authorization"));
        Assert.Equal("application/json", request.Header("Accept"));
        Assert.Equal(string.Empty, request.Body);
    }

    [Fact]
    public async Task ListJobsAsync_ServerPaginates_FollowsResultInfo()
    {
        Api.LogpushJobsPageSize = 2;
        for (var i = 0; i < 5; i++)
        {
            Api.AddJob(Account, new JsonObject { ["dataset"] = "gateway_http", ["name"] = $"j{i}", ["destination_conf"] = Destination });
        }

        var jobs = await Client.ListJobsAsync(Account).ToListAsync();

        Assert.Equal(["j0", "j1", "j2", "j3", "j4"], jobs.Select(j => j.Name));
        Assert.Equal(["", "?page=2&per_page=2", "?page=3&per_page=2"], Api.Requests.Select(r => r.Query));
    }

    [Fact]
    public async Task UpdateJobAsync_JobReadFromApi_SendsOnlyUpdateSchemaMembers()
    {
        var id = Api.AddJob(Account, new JsonObject
        {
            ["dataset"] = "gateway_http",
            ["destination_conf"] = Destination,
            ["enabled"] = false,
            ["last_complete"] = "2025-06-01T10:16:00Z",
            ["last_error"] = null,
            ["error_message"] = null,
            ["kind"] = "",
            ["future_member"] = 1,
            ["output_options"] = new JsonObject { ["output_type"] = "csv", ["future_option"] = true },
        });
        var job = await Client.GetJobAsync(Account, id);
        Api.ClearRequests();

        await Client.UpdateJobAsync(Account, id, job with { Enabled = true });

        var body = JsonNode.Parse(Assert.Single(Api.Requests).Body)!.AsObject();
        // dataset and kind are create-time members, future_member is unknown (maybe read-only): none is sent;
        // output_options is sent whole, with the setting this version does not know
        Assert.Equal(["destination_conf", "enabled", "output_options"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(body["enabled"]!.GetValue<bool>());
        Assert.True(body["output_options"]!["future_option"]!.GetValue<bool>());
        Assert.Contains("\"last_error\":null", LogpushKit.Json.CloudflareJson.Serialize(job), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListJobsAsync_ZoneScope_UsesZonePath()
    {
        await Client.ListJobsAsync(LogpushScope.Zone(FakeCloudflareApi.DefaultZoneId)).ToListAsync();

        Assert.Equal($"/client/v4/zones/{FakeCloudflareApi.DefaultZoneId}/logpush/jobs", Assert.Single(Api.Requests).Path);
    }

    [Fact]
    public async Task ListJobsAsync_GlobalApiKey_SendsEmailAndKeyHeaders()
    {
        using var client = new LogpushClient(Api.ClientOptions(new LogpushClientOptions()) with { Credentials = CloudflareCredentials.GlobalApiKey(Api.Email, Api.GlobalApiKey) });

        await client.ListJobsAsync(Account).ToListAsync();

        var request = Assert.Single(Api.Requests);
        Assert.Equal(Api.Email, request.Header("X-Auth-Email"));
        Assert.Equal(Api.GlobalApiKey, request.Header("X-Auth-Key"));
        Assert.Null(request.Header("Authorization"));
    }

    [Fact]
    public async Task CreateJobAsync_PostsExactBodyAndReturnsCreatedJob()
    {
        var job = new LogpushJob
        {
            Name = "gw",
            Dataset = "gateway_http",
            Enabled = true,
            DestinationConf = Destination,
            MaxUploadBytes = 5_000_000,
            MaxUploadRecords = 1000,
            OutputOptions = new LogpushOutputOptions { OutputType = "csv", TimestampFormat = "unix", FieldNames = ["Datetime", "Action"] },
        };

        var created = await Client.CreateJobAsync(Account, job);

        var request = Assert.Single(Api.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal(AccountPath("logpush/jobs"), request.Path);
        CloudflareFixture.AssertJsonEqual(
            new JsonObject
            {
                ["name"] = "gw",
                ["dataset"] = "gateway_http",
                ["enabled"] = true,
                ["destination_conf"] = Destination,
                ["output_options"] = new JsonObject { ["field_names"] = new JsonArray("Datetime", "Action"), ["output_type"] = "csv", ["timestamp_format"] = "unix" },
                ["max_upload_bytes"] = 5_000_000,
                ["max_upload_records"] = 1000,
            }.ToJsonString(),
            request.Body);
        Assert.True(created.Id > 0);
        Assert.Equal(Destination, created.DestinationConf);
        Assert.Single(Api.JobsOf(Account));
    }

    [Fact]
    public async Task CreateJobWithAllFieldsAsync_FetchesFieldsThenPostsThemInOrder()
    {
        Api.SetDatasetFields("gateway_http", [new("Zeta", "z"), new("Action", "a"), new("Datetime", "d")]);

        var created = await Client.CreateJobWithAllFieldsAsync(Account, new LogpushJob
        {
            Dataset = "gateway_http",
            DestinationConf = Destination,
            OutputOptions = new LogpushOutputOptions { OutputType = "csv" },
        });

        Assert.Collection(
            Api.Requests,
            r => Assert.Equal(("GET", AccountPath("logpush/datasets/gateway_http/fields")), (r.Method, r.Path)),
            r =>
            {
                Assert.Equal(("POST", AccountPath("logpush/jobs")), (r.Method, r.Path));
                Assert.Equal("""["Zeta","Action","Datetime"]""", JsonNode.Parse(r.Body)!["output_options"]!["field_names"]!.ToJsonString());
                Assert.Equal("csv", JsonNode.Parse(r.Body)!["output_options"]!["output_type"]!.GetValue<string>());
            });
        Assert.Equal(["Zeta", "Action", "Datetime"], created.OutputOptions!.FieldNames);
    }

    [Fact]
    public async Task GetDatasetFieldsAsync_ReturnsNameToDescriptionInOrder()
    {
        var fields = await Client.GetDatasetFieldsAsync(Account, "gateway_http");

        Assert.Equal(["AccountID", "Action", "Datetime", "SourceIP", "URL"], fields.Keys);
        Assert.Equal("Cloudflare account tag.", fields["AccountID"]);
    }

    [Fact]
    public async Task GetDatasetAsync_LiveFieldsWithDocumentedTypes()
    {
        Api.SetDatasetFields("gateway_http", [new("Datetime", "d"), new("BrandNewField", "n")]);

        var dataset = await Client.GetDatasetAsync(Account, "gateway_http");

        Assert.Equal(["Datetime", "BrandNewField"], dataset.FieldNames);
        Assert.Equal(LogpushKit.Datasets.LogpushDatasetScope.Account, dataset.Scope);
        Assert.True(dataset.Fields[0].IsTimestamp);
        Assert.Null(dataset.Fields[1].Type);
        Assert.Equal("n", dataset.Fields[1].Description);
        Assert.Equal(["Datetime"], dataset.TimestampFields);
    }

    [Fact]
    public async Task GetJobAsync_UpdateJobAsync_DeleteJobAsync_UseJobPath()
    {
        var id = Api.AddJob(Account, new JsonObject { ["dataset"] = "gateway_http", ["destination_conf"] = Destination, ["enabled"] = false });

        var got = await Client.GetJobAsync(Account, id);
        var updated = await Client.UpdateJobAsync(Account, id, new LogpushJob { Enabled = true });
        await Client.DeleteJobAsync(Account, id);

        Assert.False(got.Enabled);
        Assert.True(updated.Enabled);
        Assert.Equal("gateway_http", updated.Dataset);
        var path = AccountPath($"logpush/jobs/{id}");
        Assert.Equal([("GET", path, ""), ("PUT", path, """{"enabled":true}"""), ("DELETE", path, "")], Api.Requests.Select(r => (r.Method, r.Path, r.Body)));
        Assert.Empty(Api.JobsOf(Account));
    }

    [Fact]
    public async Task GetJobAsync_Unknown_ThrowsWithStatusCodesAndRay()
    {
        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.GetJobAsync(Account, 424242));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal([1003], ex.ErrorCodes);
        Assert.Matches("^[0-9a-f]{16}-LHR$", ex.RayId!);
        Assert.Contains(ex.RayId!, ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 404", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[1003] job 424242 not found", ex.Message, StringComparison.Ordinal);
        Assert.Single(Api.Requests);
    }

    [Fact]
    public async Task ListDatasetJobsAsync_FiltersByDataset()
    {
        Api.AddJob(Account, new JsonObject { ["dataset"] = "gateway_http", ["destination_conf"] = Destination });
        Api.AddJob(Account, new JsonObject { ["dataset"] = "gateway_dns", ["destination_conf"] = Destination });

        var jobs = await Client.ListDatasetJobsAsync(Account, "gateway_dns").ToListAsync();

        Assert.Equal("gateway_dns", Assert.Single(jobs).Dataset);
        Assert.Equal(AccountPath("logpush/datasets/gateway_dns/jobs"), Assert.Single(Api.Requests).Path);
    }

    [Fact]
    public async Task ValidateEndpoints_PostDestinationBodies()
    {
        var valid = await Client.ValidateDestinationAsync(Account, Destination);
        var exists = await Client.ValidateDestinationExistsAsync(Account, Destination);
        var origin = await Client.ValidateOriginAsync(Account, "fields=RayID,ClientIP&timestamps=rfc3339");

        Assert.True(valid?.Valid);
        Assert.False(exists?.Exists);
        Assert.True(origin?.Valid);
        var r = Api.Requests;
        Assert.Equal(AccountPath("logpush/validate/destination"), r[0].Path);
        CloudflareFixture.AssertJsonEqual(new JsonObject { ["destination_conf"] = Destination }.ToJsonString(), r[0].Body);
        Assert.Equal(AccountPath("logpush/validate/destination/exists"), r[1].Path);
        CloudflareFixture.AssertJsonEqual(new JsonObject { ["destination_conf"] = Destination }.ToJsonString(), r[1].Body);
        Assert.Equal(AccountPath("logpush/validate/origin"), r[2].Path);
        CloudflareFixture.AssertJsonEqual("""{"logpull_options":"fields=RayID,ClientIP&timestamps=rfc3339"}""", r[2].Body);
        Assert.All(r, x => Assert.Equal("POST", x.Method));
    }

    [Fact]
    public async Task OwnershipChallenge_RequestThenValidate()
    {
        var challenge = await Client.RequestOwnershipChallengeAsync(Account, Destination);
        var token = Api.OwnershipTokenFor(Destination)!;
        var validation = await Client.ValidateOwnershipChallengeAsync(Account, Destination, token);

        Assert.Equal("logpush-bucket/gateway_http/{DATE}/ownership-challenge.txt", challenge?.FileName);
        Assert.True(validation?.Valid);
        Assert.Equal(AccountPath("logpush/ownership"), Api.Requests[0].Path);
        Assert.Equal(AccountPath("logpush/ownership/validate"), Api.Requests[1].Path);
        CloudflareFixture.AssertJsonEqual(new JsonObject { ["destination_conf"] = Destination, ["ownership_challenge"] = token }.ToJsonString(), Api.Requests[1].Body);
    }

    [Fact]
    public async Task ValidateOwnershipChallengeAsync_WrongToken_Throws1002()
    {
        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.ValidateOwnershipChallengeAsync(Account, Destination, "wrong"));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal([1002], ex.ErrorCodes);
        Assert.Equal("incorrect ownership challenge", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public async Task AnyCall_LogsOneDebugLinePerRequestWithoutSecrets()
    {
        await Client.ValidateDestinationAsync(Account, Destination);

        var entry = Assert.Single(_logger.Entries);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.Contains("POST", entry.Message, StringComparison.Ordinal);
        Assert.Contains($"accounts/{FakeCloudflareApi.DefaultAccountId}/logpush/validate/destination", entry.Message, StringComparison.Ordinal);
        Assert.Contains("-> 200", entry.Message, StringComparison.Ordinal);
        Assert.Contains("-LHR", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeCloudflareApi.DefaultApiToken, entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongToken_ThrowsAuthenticationErrorWithoutToken()
    {
        using var client = new LogpushClient(Api.ClientOptions(new LogpushClientOptions()) with { Credentials = CloudflareCredentials.ApiToken("wrong-token-value") });

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => client.ListJobsAsync(Account).ToListAsync().AsTask());

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal([10000], ex.ErrorCodes);
        Assert.DoesNotContain("wrong-token-value", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WithoutCredentials_ThrowsNamingTheFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LogpushClient(new LogpushClientOptions()));

        Assert.Contains("CLOUDFLARE_API_TOKEN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteJobAsync_5xxAfterTheDeleteTookEffect_RetryFinds404AndSucceeds()
    {
        var id = Api.AddJob(Account, new JsonObject { ["dataset"] = "gateway_http", ["destination_conf"] = Destination });
        Api.FailNext(FakeFailure.ServerError().For("DELETE").AfterTheRequestTookEffect());

        await Client.DeleteJobAsync(Account, id);

        // the first DELETE deleted the job but answered 500; the retry found nothing (404), which means deleted
        Assert.Equal(["DELETE", "DELETE"], Api.Requests.Select(r => r.Method));
        Assert.Empty(Api.JobsOf(Account));
    }

    [Fact]
    public async Task DeleteJobAsync_NoSuchJob_Still404()
    {
        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.DeleteJobAsync(Account, 777777));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.False(ex.MayHaveSucceeded);
        Assert.Single(Api.Requests);
    }

    [Fact]
    public async Task CreateJobAsync_5xxAfterTheJobWasCreated_NotRepeatedAndSaysItMayHaveSucceeded()
    {
        Api.FailNext(FakeFailure.ServerError().For("POST").AfterTheRequestTookEffect());

        var ex = await Assert.ThrowsAsync<CloudflareApiException>(() => Client.CreateJobAsync(Account, new LogpushJob { Dataset = "gateway_http", DestinationConf = Destination }));

        Assert.True(ex.MayHaveSucceeded);
        Assert.Single(Api.Requests);
        Assert.Single(Api.JobsOf(Account));
    }

    [Fact]
    public async Task GetDatasetAsync_LiveTypesWin_CatalogIsTheFallback()
    {
        Api.SetDatasetFields("gateway_http", [
            new("Datetime", "The date and time."),
            new("BrandNewTimestamp", "int or string; When something new happened."),
            new("Action", "int; Action, typed differently by the API than by the docs."),
            new("Untyped", "n"),
        ]);

        var dataset = await Client.GetDatasetAsync(Account, "gateway_http");

        Assert.Equal(
            [("Datetime", "int or string", "The date and time."), ("BrandNewTimestamp", "int or string", "When something new happened."), ("Action", "int", "Action, typed differently by the API than by the docs."), ("Untyped", null, "n")],
            dataset.Fields.Select(f => (f.Name, f.Type, f.Description)));
        Assert.Equal(["Datetime", "BrandNewTimestamp"], dataset.TimestampFields);
    }

    [Fact]
    public async Task GetDatasetCatalogAsync_LiveTimestampFieldUnknownToTheCatalog_IsConverted()
    {
        Api.SetDatasetFields("gateway_http", [new("Datetime", "int or string; d"), new("BrandNewTimestamp", "int or string; n")]);
        Assert.DoesNotContain("BrandNewTimestamp", LogpushKit.Datasets.LogpushDatasetCatalog.Default.Get("gateway_http").TimestampFields);

        var catalog = await Client.GetDatasetCatalogAsync(Account, ["gateway_http"]);
        var options = LogpushKit.Transform.TransformOptions.Default with
        {
            Dataset = "gateway_http",
            DatasetCatalog = catalog,
            TimestampOutput = LogpushKit.Transform.TimestampOutputFormat.Rfc3339,
        };
        using var input = new MemoryStream("{\"Datetime\":1724219319,\"BrandNewTimestamp\":1724219320}\n"u8.ToArray());
        using var output = new MemoryStream();

        await new LogpushKit.Transform.LogpushCsvTransformer(options).TransformAsync(input, output);

        Assert.Equal("Datetime,BrandNewTimestamp\n2024-08-21T05:48:39Z,2024-08-21T05:48:40Z\n", System.Text.Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal(["Datetime", "BrandNewTimestamp"], catalog.Get("gateway_http").TimestampFields);
        Assert.Equal(LogpushKit.Datasets.LogpushDatasetCatalog.Default.Get("http_requests").Fields.Count, catalog.Get("http_requests").Fields.Count);
    }
}
