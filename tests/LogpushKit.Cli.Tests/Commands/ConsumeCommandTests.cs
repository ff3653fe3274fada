using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LogpushKit.Events;
using LogpushKit.Testing;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary><c>logpushkit consume</c> through the real process against the fake Cloudflare API.</summary>
public sealed class ConsumeCommandTests : FakeQueueTest
{
    private readonly TempDirectory _source = new();
    private readonly TempDirectory _target = new();

    protected override void CleanUp()
    {
        _source.Dispose();
        _target.Dispose();
    }

    [Fact]
    public async Task Consume_ExitWhenEmpty_SchemaVariations_ConvertsEachObjectOnceAndExitsZero()
    {
        // strings in the envelope's messages, no errors list, a bare array as pull result, bodies raw and base64
        Api.ResponseShaper = (request, envelope) =>
        {
            envelope["messages"] = new JsonArray("Pulled");
            envelope.Remove("errors");
            if (request.ApiPath.EndsWith("/messages/pull", StringComparison.Ordinal) && envelope["result"]?["messages"] is JsonArray messages)
            {
                envelope["result"] = messages.DeepClone();
            }

            return envelope;
        };
        for (var i = 0; i < 4; i++)
        {
            Publish($"gw/{i}.log.gz", $"{{\"RayID\":\"r{i}\",\"Status\":{200 + i}}}\n", i % 2 == 0 ? FakeBodyForm.Documented : FakeBodyForm.RawJsonValue);
        }

        Publish("gw/0.log.gz", "{\"RayID\":\"r0\",\"Status\":200}\n", FakeBodyForm.JsonText); // a duplicate event

        var run = await CloudflareCli.RunAsync(Environment(), "consume", "--queue-id", Queue.Id, "--source", _source.Path, "--target", _target.Path, "--exit-when-empty", "--empty-pulls", "2");

        Assert.True(run.ExitCode == 0, run.StandardError);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"RayID,Status\nr{i},{200 + i}\n", await File.ReadAllTextAsync(Path.Combine(_target.Path, "gw", $"{i}.csv")));
        }

        Assert.Equal(5, Queue.AckedCount);
        Assert.Equal(0, Queue.Count);
        Assert.Contains("4 converted", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consume_PullsOnlyFail_ReportsCodesAndRayThenExitsOne()
    {
        Api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.Forbidden, (10000, "Authentication error")).For("POST", "/messages/pull"), times: 1000);

        var run = await CloudflareCli.RunAsync(Environment(), "consume", "--queue-id", Queue.Id, "--source", _source.Path, "--target", _target.Path, "--max-failure-duration", "2");

        Assert.Equal(1, run.ExitCode);
        var lines = run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var first = Assert.Single(lines, l => l.Contains("Queue pull failed", StringComparison.Ordinal));
        Assert.Contains("[10000] Authentication error", first, StringComparison.Ordinal);
        Assert.Matches("cf-ray: [0-9a-f]{16}-LHR", first);
        Assert.Contains(lines, l => l.Contains("gave up", StringComparison.Ordinal) && l.Contains("[10000] Authentication error", StringComparison.Ordinal));
        Assert.DoesNotContain(Api.ApiToken, run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consume_RepliesThatCannotBeUsed_ReportedNotSilent()
    {
        Api.ResponseShaper = (request, envelope) => request.ApiPath.EndsWith("/messages/pull", StringComparison.Ordinal)
            ? JsonNode.Parse("""{"success":true,"errors":[],"messages":[],"result":"not a pull result"}""")!
            : envelope;

        var run = await CloudflareCli.RunAsync(Environment(), "consume", "--queue-id", Queue.Id, "--source", _source.Path, "--target", _target.Path, "--max-failure-duration", "2");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("neither an object with messages nor an array of messages", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("cf-ray", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consume_EmptyPullsWithoutExitWhenEmpty_UsageError()
    {
        var run = await CloudflareCli.RunAsync(Environment(), "consume", "--queue-id", Queue.Id, "--source", _source.Path, "--target", _target.Path, "--empty-pulls", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--empty-pulls only applies with --exit-when-empty", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    [Theory]
    [InlineData("--batch-size", "abc")]
    [InlineData("--visibility-timeout", "soon")]
    [InlineData("--max-failure-duration", "5m")]
    [InlineData("--retry-delay", "1.5")]
    public async Task Consume_OptionValueThatDoesNotParse_UsageErrorWithoutStackTrace(string option, string value)
    {
        var run = await CloudflareCli.RunAsync(Environment(), "consume", "--queue-id", Queue.Id, "--source", _source.Path, "--target", _target.Path, option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"'{value}'", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(option, run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Consume_OptionThatCannotApply_RefusedNotIgnored()
    {
        var run = await CloudflareCli.RunAsync(Environment(), ["consume", "--queue-id", Queue.Id, "--source", _source.Path, "--target", _target.Path, "--exit-when-empty", "--json"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unrecognized command or argument '--json'", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task Consume_ZoneIdWithoutTheJobListing_RefusedNotIgnored()
    {
        // --zone-id only adds the zone's Logpush jobs to the listing at start; with --no-jobs it cannot apply.
        var run = await CloudflareCli.RunAsync(Environment(), ["consume", "--queue-id", Queue.Id, "--source", _source.Path, "--target", _target.Path, "--exit-when-empty", "--zone-id", FakeCloudflareApi.DefaultZoneId, "--no-jobs"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--zone-id only serves the Logpush job listing", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    private Dictionary<string, string?> Environment() => CloudflareCli.Environment(Api);

    private void Publish(string key, string ndjson, FakeBodyForm form)
    {
        var path = Path.Combine(_source.Path, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = PipelineTestData.Gzip(ndjson);
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, bytes);
        }

        var data = File.ReadAllBytes(path);
        Queue.PublishR2Event(
            new R2EventNotification
            {
                Account = FakeCloudflareApi.DefaultAccountId,
                Action = R2EventAction.PutObject,
                Bucket = Path.GetFileName(_source.Path),
                Object = new R2EventObject(key, data.Length, Convert.ToHexStringLower(MD5.HashData(data))),
                EventTime = DateTimeOffset.UtcNow,
            },
            new FakeMessageShape { Body = form });
    }
}
