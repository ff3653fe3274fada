using System.CommandLine;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Datasets;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// The Cloudflare connection options shared by every command that calls the API (<c>jobs</c>, <c>fields</c>,
/// <c>consume</c>, <c>setup</c>, <c>notifications</c>, <c>queues</c>): <c>--account-id</c>, <c>--zone-id</c>,
/// <c>--api-base</c>, <c>--json</c>, resolved with their environment variables by the library's
/// <see cref="CloudflareSettings"/>, so every command (and the worker) reads them the same way. Credentials come only
/// from the environment (a token on the command line would show in process lists). A missing or malformed setting is a
/// usage error naming every such setting at once.
/// </summary>
internal sealed class CloudflareCommandOptions
{
    public const string AccountIdVariable = CloudflareSettings.AccountIdVariable;
    public const string ZoneIdVariable = CloudflareSettings.ZoneIdVariable;
    public const string ApiBaseVariable = CloudflareSettings.ApiBaseUrlVariable;

    /// <summary>What a command's description ends with: the credentials, ids and exit codes are explained once, by <c>logpushkit --help</c>.</summary>
    public const string HelpText = CliHelp.Reference;

    /// <summary>The flag of each explicit setting, for messages.</summary>
    public static readonly CloudflareSettingNames FlagNames = new() { AccountId = "--account-id", ZoneId = "--zone-id", ApiBaseUrl = "--api-base" };

    private CloudflareCommandOptions()
    {
    }

    public Option<string?> AccountIdOption { get; } = new("--account-id") { Description = "The account id (default: CLOUDFLARE_ACCOUNT_ID).", HelpName = "ID" };

    public Option<string?> ZoneIdOption { get; } = new("--zone-id") { Description = "The zone id, for zone-scoped datasets (default: CLOUDFLARE_ZONE_ID).", HelpName = "ID" };

    public Option<string?> ApiBase { get; } = new("--api-base")
    {
        Description = "The API base URL (default: CLOUDFLARE_API_BASE_URL, else https://api.cloudflare.com/client/v4/).",
        HelpName = "URL",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON for scripts instead of a table (secrets masked)." };

    /// <summary>
    /// Adds the options to <paramref name="command"/>: <c>--zone-id</c> only where a zone can apply (Logpush), <c>--json</c>
    /// only where the command prints something a script reads, so that no option is accepted and then ignored;
    /// <paramref name="bothIds"/> where both ids serve at once (<c>run</c> and <c>consume</c> list the jobs of both).
    /// </summary>
    public static CloudflareCommandOptions AddTo(Command command, bool json = true, bool zone = true, bool bothIds = false)
    {
        var o = new CloudflareCommandOptions();
        command.Options.Add(o.AccountIdOption);
        if (zone)
        {
            command.Options.Add(o.ZoneIdOption);
        }

        command.Options.Add(o.ApiBase);
        if (json)
        {
            command.Options.Add(o.Json);
        }

        command.Validators.Add(result =>
        {
            if (result.GetResult(o.AccountIdOption) is not null && result.GetResult(o.ZoneIdOption) is not null && !bothIds && command.Name != "create")
            {
                result.AddError("Use either --account-id or --zone-id, not both.");
            }
        });
        return o;
    }

    /// <summary>The settings from the flags and the environment (nothing checked yet).</summary>
    public CloudflareSettings Settings(ParseResult p) => CloudflareSettings.Resolve(
        new CloudflareConnectionOptions { AccountId = p.GetValue(AccountIdOption), ZoneId = p.GetValue(ZoneIdOption), ApiBaseUrl = p.GetValue(ApiBase) },
        FlagNames);

    /// <summary>
    /// The account id. Every caller goes on to call the API, so the credentials are checked in the same pass: when
    /// either is missing (or any setting is malformed), a usage error names all of them.
    /// </summary>
    public string? AccountId(ParseResult p) =>
        Checked(() => Settings(p).Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId).AccountId);

    /// <summary>
    /// The scope: an explicit --zone-id or --account-id wins (both: the dataset's documented scope decides); from the
    /// environment, the dataset's documented scope decides when both ids are set, else the one that is set. The
    /// credentials are checked in the same pass.
    /// </summary>
    public LogpushScope ResolveScope(ParseResult p, string? dataset)
    {
        var datasetScope = dataset is not null && LogpushDatasetCatalog.Default.FindAll(dataset) is [var only]
            ? only.Scope == LogpushDatasetScope.Account ? LogpushScopeKind.Account : LogpushScopeKind.Zone
            : (LogpushScopeKind?)null;
        return Checked(() => Settings(p).ResolveScope(datasetScope));
    }

    /// <summary>Client options with the credentials and base address, retries printed on stderr; a usage error names what is missing or malformed.</summary>
    public T ClientOptions<T>(ParseResult p)
        where T : CloudflareClientOptions, new() => Checked(() => Settings(p).CreateClientOptions<T>()).PrintedOn(p.InvocationConfiguration.Error);

    /// <summary>Runs <paramref name="resolve"/>, turning missing or malformed settings into one usage error (exit 2).</summary>
    public static T Checked<T>(Func<T> resolve)
    {
        try
        {
            return resolve();
        }
        catch (CloudflareSettingsException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
