using System.Net;
using System.Text.Json.Nodes;
using LogpushKit.Cloudflare;
using LogpushKit.Testing.FakeCloudflare;

namespace LogpushKit.Cli.Tests.Commands;

/// <summary>
/// No secret reaches the terminal: URL userinfo, query values of any destination, secrets inside a job's error_message,
/// and the CLI's own credentials (API token, R2 secret) when the server echoes them — in tables, <c>--json</c> and errors.
/// </summary>
public sealed class SecretMaskingTests : IAsyncLifetime
{
    private static readonly LogpushScope Account = LogpushScope.Account(FakeCloudflareApi.DefaultAccountId);
    private readonly string _r2Secret = "r2-env-secret-" + Guid.NewGuid().ToString("N");
    private FakeCloudflareApi _api = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeCloudflareApi.StartAsync();
        _api.ApiToken = "cli-token-" + Guid.NewGuid().ToString("N");
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private string[] Secrets => [_api.ApiToken, _r2Secret, "http-pass-1234", "Basic%20c2VjcmV0", "dd-key-5678", "errpw-9876"];

    private Dictionary<string, string?> Env()
    {
        var env = CloudflareCli.Environment(_api);
        env["R2_SECRET_ACCESS_KEY"] = _r2Secret;
        return env;
    }

    [Theory]
    [InlineData("get")]
    [InlineData("get --json")]
    [InlineData("list")]
    [InlineData("list --json")]
    public async Task Jobs_ServerEchoesSecrets_NoneIsPrinted(string command)
    {
        var id = _api.AddJob(Account, new JsonObject
        {
            ["dataset"] = "gateway_http",
            ["name"] = $"copy of {_r2Secret}",
            ["destination_conf"] = "https://logger:http-pass-1234@siem.example.com/in?header_Authorization=Basic%20c2VjcmV0&header_DD-API-KEY=dd-key-5678&tags=prod",
            ["error_message"] = $"push failed: https://u:errpw-9876@siem.example.com/in rejected token {_api.ApiToken} and key {_r2Secret}",
            ["last_error"] = "2025-06-01T10:16:00Z",
            ["future_member"] = $"also {_api.ApiToken}",
        });
        var args = command.Split(' ').ToList();
        args.Insert(0, "jobs");
        if (args[1] == "get")
        {
            args.Insert(2, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var run = await CloudflareCli.RunAsync(Env(), [.. args]);

        Assert.True(run.ExitCode == 0, run.StandardError);
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, run.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, run.StandardError, StringComparison.Ordinal);
        }

        Assert.Contains("siem.example.com", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("tags=prod", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiError_EchoesTheToken_ErrorLineMasksIt()
    {
        _api.FailNext(FakeFailure.CloudflareErrors(HttpStatusCode.BadRequest, (1004, $"token {_api.ApiToken} cannot write to https://a:errpw-9876@h/?header_X=dd-key-5678 (R2 key {_r2Secret})")));

        var run = await CloudflareCli.RunAsync(Env(), "jobs", "list");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("[1004] token *** cannot write", run.StandardError, StringComparison.Ordinal);
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, run.StandardError, StringComparison.Ordinal);
        }
    }
}
