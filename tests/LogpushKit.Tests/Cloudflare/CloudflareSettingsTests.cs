using LogpushKit.Cloudflare;

namespace LogpushKit.Tests.Cloudflare;

public sealed class CloudflareSettingsTests
{
    private const string Account = "023e105f4ecef8ad9ca31a8372d0c353";
    private const string Zone = "9a7806061c88ada191ed06f989cc3dac";
    private static readonly CloudflareSettingNames Flags = new() { AccountId = "--account-id", ZoneId = "--zone-id", ApiBaseUrl = "--api-base" };

    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    [Fact]
    public void Resolve_TokenAndIdsFromEnvironment_AreUsed()
    {
        var settings = CloudflareSettings.Resolve(getVariable: Env(
            ("CLOUDFLARE_API_TOKEN", " tok "), ("CLOUDFLARE_ACCOUNT_ID", Account), ("CLOUDFLARE_ZONE_ID", Zone), ("CLOUDFLARE_API_BASE_URL", "http://127.0.0.1:8080/client/v4/")));

        Assert.False(settings.Credentials!.IsGlobalApiKey);
        Assert.Equal((Account, false, Zone, false), (settings.AccountId, settings.AccountIdIsExplicit, settings.ZoneId, settings.ZoneIdIsExplicit));
        Assert.Equal(new Uri("http://127.0.0.1:8080/client/v4/"), settings.BaseAddress);
        Assert.Empty(settings.Problems);
    }

    [Fact]
    public void Resolve_ExplicitValues_WinOverEnvironment_BlankExplicitFallsBack()
    {
        var settings = CloudflareSettings.Resolve(
            new CloudflareConnectionOptions { AccountId = "explicitaccount", ZoneId = "  ", ApiBaseUrl = "https://proxy.example/client/v4/" },
            Flags,
            Env(("CLOUDFLARE_API_TOKEN", "tok"), ("CLOUDFLARE_ACCOUNT_ID", Account), ("CLOUDFLARE_ZONE_ID", Zone), ("CLOUDFLARE_API_BASE_URL", "http://127.0.0.1:9/")));

        Assert.Equal(("explicitaccount", true), (settings.AccountId, settings.AccountIdIsExplicit));
        Assert.Equal((Zone, false), (settings.ZoneId, settings.ZoneIdIsExplicit));
        Assert.Equal(new Uri("https://proxy.example/client/v4/"), settings.BaseAddress);
    }

    [Fact]
    public void Resolve_ExplicitGlobalKey_WinsOverTokenInEnvironment()
    {
        var settings = CloudflareSettings.Resolve(
            new CloudflareConnectionOptions { Email = "ops@example.com", ApiKey = "key" },
            getVariable: Env(("CLOUDFLARE_API_TOKEN", "tok")));

        Assert.True(settings.Credentials!.IsGlobalApiKey);
        Assert.Equal("global API key of ops@example.com (***)", settings.Credentials.ToString());
    }

    [Fact]
    public void Resolve_GlobalKeyFromEnvironment_IsUsedWithoutToken()
    {
        var settings = CloudflareSettings.Resolve(getVariable: Env(("CLOUDFLARE_EMAIL", "ops@example.com"), ("CLOUDFLARE_API_KEY", "key")));

        Assert.True(settings.Credentials!.IsGlobalApiKey);
    }

    [Fact]
    public void Require_NothingSet_NamesEveryMissingSettingAtOnce()
    {
        var settings = CloudflareSettings.Resolve(names: Flags, getVariable: Env());

        var ex = Assert.Throws<CloudflareSettingsException>(() => settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId));

        Assert.Equal(2, ex.Problems.Count);
        Assert.Contains("CLOUDFLARE_API_TOKEN", ex.Problems[0], StringComparison.Ordinal);
        Assert.Contains("CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY", ex.Problems[0], StringComparison.Ordinal);
        Assert.Equal("no account id: set --account-id or CLOUDFLARE_ACCOUNT_ID", ex.Problems[1]);
        Assert.Contains(ex.Problems[1], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Require_MissingAndMalformed_AreReportedTogether()
    {
        var settings = CloudflareSettings.Resolve(
            new CloudflareConnectionOptions { ApiBaseUrl = "api.cloudflare.com/client/v4" },
            Flags,
            Env(("CLOUDFLARE_EMAIL", "ops@example.com"), ("CLOUDFLARE_ZONE_ID", "zone id with spaces")));

        var ex = Assert.Throws<CloudflareSettingsException>(() => settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountOrZoneId));

        Assert.Collection(
            ex.Problems,
            p => Assert.Equal("CLOUDFLARE_ZONE_ID: 'zone id with spaces' is not a Cloudflare zone id (letters and digits, like 023e105f4ecef8ad9ca31a8372d0c353)", p),
            p => Assert.Equal("CLOUDFLARE_EMAIL is set but CLOUDFLARE_API_KEY is not (a global API key needs both; or use an API token)", p),
            p => Assert.Equal("--api-base must be an absolute http(s) URL, e.g. https://api.cloudflare.com/client/v4/; got 'api.cloudflare.com/client/v4'", p));
    }

    [Fact]
    public void Require_MalformedSettingNotNeeded_IsStillReported()
    {
        var settings = CloudflareSettings.Resolve(getVariable: Env(("CLOUDFLARE_API_TOKEN", "tok"), ("CLOUDFLARE_ACCOUNT_ID", Account), ("CLOUDFLARE_API_BASE_URL", "ftp://x/")));

        var ex = Assert.Throws<CloudflareSettingsException>(() => settings.Require(CloudflareSettingRequirements.Credentials));

        Assert.Equal("CLOUDFLARE_API_BASE_URL must be an absolute http(s) URL, e.g. https://api.cloudflare.com/client/v4/; got 'ftp://x/'", Assert.Single(ex.Problems));
    }

    [Fact]
    public void Require_MalformedBaseUrlWithPassword_NeverEchoesIt()
    {
        var settings = CloudflareSettings.Resolve(getVariable: Env(("CLOUDFLARE_API_BASE_URL", "ftp://user:hunter2@proxy/x")));

        var ex = Assert.Throws<CloudflareSettingsException>(() => settings.Require(CloudflareSettingRequirements.None));

        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ftp://***@proxy/x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Require_TokenIsNeverInAnyMessage()
    {
        var settings = CloudflareSettings.Resolve(getVariable: Env(("CLOUDFLARE_API_TOKEN", "s3cr3t-token"), ("CLOUDFLARE_API_BASE_URL", "nope")));

        var ex = Assert.Throws<CloudflareSettingsException>(() => settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId));

        Assert.DoesNotContain("s3cr3t-token", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Problems.Count);
    }

    [Fact]
    public void Require_ConfigurationNames_SpeakConfigurationKeys()
    {
        var settings = CloudflareSettings.Resolve(
            new CloudflareConnectionOptions { ApiBaseUrl = "relative" },
            CloudflareSettingNames.ForConfigurationSection("LogpushKit:Cloudflare"),
            Env());

        var ex = Assert.Throws<CloudflareSettingsException>(() => settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId));

        Assert.Contains("set LogpushKit:Cloudflare:ApiToken or CLOUDFLARE_API_TOKEN (or LogpushKit:Cloudflare:Email or CLOUDFLARE_EMAIL and LogpushKit:Cloudflare:ApiKey or CLOUDFLARE_API_KEY)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set LogpushKit:Cloudflare:AccountId or CLOUDFLARE_ACCOUNT_ID", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LogpushKit:Cloudflare:ApiBaseUrl must be an absolute http(s) URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ConfigurationValues_ProduceWorkingClientOptions()
    {
        var settings = CloudflareSettings.Resolve(
            new CloudflareConnectionOptions { ApiToken = "tok", AccountId = Account, ApiBaseUrl = "http://127.0.0.1:5000/client/v4/" },
            CloudflareSettingNames.ForConfigurationSection("LogpushKit:Cloudflare"),
            Env());

        var options = settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId).CreateClientOptions<QueuesPullClientOptions>();

        Assert.NotNull(options.Credentials);
        Assert.Equal(new Uri("http://127.0.0.1:5000/client/v4/"), options.BaseAddress);
    }

    [Fact]
    public void CreateClientOptions_WithoutCredentials_Throws()
    {
        var settings = CloudflareSettings.Resolve(getVariable: Env(("CLOUDFLARE_ACCOUNT_ID", Account)));

        Assert.Throws<CloudflareSettingsException>(() => settings.CreateClientOptions<LogpushClientOptions>());
    }

    [Theory]
    [InlineData(true, false, true, false, null, "zones/Z")]
    [InlineData(false, true, false, true, null, "accounts/A")]
    [InlineData(true, true, true, true, LogpushScopeKind.Account, "accounts/A")]
    [InlineData(true, true, true, true, LogpushScopeKind.Zone, "zones/Z")]
    [InlineData(true, true, true, true, null, "zones/Z")]
    [InlineData(true, true, false, false, LogpushScopeKind.Zone, "zones/Z")]
    [InlineData(true, true, false, false, LogpushScopeKind.Account, "accounts/A")]
    [InlineData(true, true, false, false, null, "accounts/A")]
    [InlineData(true, false, false, false, LogpushScopeKind.Account, "zones/Z")]
    [InlineData(true, true, false, true, LogpushScopeKind.Zone, "accounts/A")]
    public void ResolveScope_FollowsExplicitIdsThenDataset(bool zone, bool account, bool zoneExplicit, bool accountExplicit, LogpushScopeKind? dataset, string expected)
    {
        var explicitValues = new CloudflareConnectionOptions { ZoneId = zone && zoneExplicit ? "Z" : null, AccountId = account && accountExplicit ? "A" : null };
        var environment = new List<(string, string)> { ("CLOUDFLARE_API_TOKEN", "tok") };
        if (zone && !zoneExplicit)
        {
            environment.Add(("CLOUDFLARE_ZONE_ID", "Z"));
        }

        if (account && !accountExplicit)
        {
            environment.Add(("CLOUDFLARE_ACCOUNT_ID", "A"));
        }

        var settings = CloudflareSettings.Resolve(explicitValues, Flags, Env([.. environment]));

        Assert.Equal(expected, settings.ResolveScope(dataset).PathPrefix);
    }

    [Fact]
    public void ResolveScope_NoIdsNoToken_NamesBoth()
    {
        var settings = CloudflareSettings.Resolve(names: Flags, getVariable: Env());

        var ex = Assert.Throws<CloudflareSettingsException>(() => settings.ResolveScope(null));

        Assert.Equal(2, ex.Problems.Count);
        Assert.Contains("--account-id or CLOUDFLARE_ACCOUNT_ID", ex.Problems[1], StringComparison.Ordinal);
        Assert.Contains("--zone-id or CLOUDFLARE_ZONE_ID", ex.Problems[1], StringComparison.Ordinal);
    }
}
