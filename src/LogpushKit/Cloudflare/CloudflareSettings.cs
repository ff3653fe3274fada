using System.Globalization;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The Cloudflare settings a host was given explicitly (command-line flags or configuration values). Every value is
/// optional: an unset or blank value falls back to its environment variable, a set one wins over it. Mutable so that
/// it binds from configuration (<c>IConfiguration.Bind</c>); <see cref="CloudflareSettings.Resolve"/> validates it.
/// </summary>
public sealed class CloudflareConnectionOptions
{
    /// <summary>An API token (<c>Authorization: Bearer …</c>). Falls back to <c>CLOUDFLARE_API_TOKEN</c>. Keep it out of files checked in.</summary>
    public string? ApiToken { get; set; }

    /// <summary>The account email of the legacy global API key. Falls back to <c>CLOUDFLARE_EMAIL</c>.</summary>
    public string? Email { get; set; }

    /// <summary>The legacy global API key. Falls back to <c>CLOUDFLARE_API_KEY</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The account id. Falls back to <c>CLOUDFLARE_ACCOUNT_ID</c>.</summary>
    public string? AccountId { get; set; }

    /// <summary>The zone id (zone-scoped Logpush datasets). Falls back to <c>CLOUDFLARE_ZONE_ID</c>.</summary>
    public string? ZoneId { get; set; }

    /// <summary>The API base URL, an absolute http(s) URL. Falls back to <c>CLOUDFLARE_API_BASE_URL</c>, then Cloudflare's.</summary>
    public string? ApiBaseUrl { get; set; }
}

/// <summary>
/// What the host calls each explicit setting of <see cref="CloudflareConnectionOptions"/> (a command-line flag, a
/// configuration key), so that messages speak the user's names. <see langword="null"/>: the host has no explicit
/// source for it, and messages name only the environment variable.
/// </summary>
public sealed record CloudflareSettingNames
{
    /// <summary>No explicit sources: messages name only environment variables.</summary>
    public static CloudflareSettingNames EnvironmentOnly { get; } = new();

    /// <summary>The name of <see cref="CloudflareConnectionOptions.ApiToken"/>.</summary>
    public string? ApiToken { get; init; }

    /// <summary>The name of <see cref="CloudflareConnectionOptions.Email"/>.</summary>
    public string? Email { get; init; }

    /// <summary>The name of <see cref="CloudflareConnectionOptions.ApiKey"/>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The name of <see cref="CloudflareConnectionOptions.AccountId"/>, e.g. <c>--account-id</c>.</summary>
    public string? AccountId { get; init; }

    /// <summary>The name of <see cref="CloudflareConnectionOptions.ZoneId"/>, e.g. <c>--zone-id</c>.</summary>
    public string? ZoneId { get; init; }

    /// <summary>The name of <see cref="CloudflareConnectionOptions.ApiBaseUrl"/>, e.g. <c>--api-base</c>.</summary>
    public string? ApiBaseUrl { get; init; }

    /// <summary>The keys of a configuration section bound to <see cref="CloudflareConnectionOptions"/>, e.g. <c>LogpushKit:Cloudflare:AccountId</c>.</summary>
    /// <param name="section">The section path, e.g. <c>LogpushKit:Cloudflare</c>.</param>
    /// <returns>The names.</returns>
    public static CloudflareSettingNames ForConfigurationSection(string section)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        var prefix = section.TrimEnd(':') + ":";
        return new CloudflareSettingNames
        {
            ApiToken = prefix + nameof(CloudflareConnectionOptions.ApiToken),
            Email = prefix + nameof(CloudflareConnectionOptions.Email),
            ApiKey = prefix + nameof(CloudflareConnectionOptions.ApiKey),
            AccountId = prefix + nameof(CloudflareConnectionOptions.AccountId),
            ZoneId = prefix + nameof(CloudflareConnectionOptions.ZoneId),
            ApiBaseUrl = prefix + nameof(CloudflareConnectionOptions.ApiBaseUrl),
        };
    }
}

/// <summary>Which Cloudflare settings an operation needs (<see cref="CloudflareSettings.Require"/>).</summary>
[Flags]
public enum CloudflareSettingRequirements
{
    /// <summary>Nothing (only malformed settings are reported).</summary>
    None = 0,

    /// <summary>An API token, or an email + global API key.</summary>
    Credentials = 1,

    /// <summary>The account id (queues, buckets, notification rules, account-scoped Logpush).</summary>
    AccountId = 2,

    /// <summary>The zone id.</summary>
    ZoneId = 4,

    /// <summary>The account id or the zone id (Logpush, whose scope follows the dataset).</summary>
    AccountOrZoneId = 8,
}

/// <summary>
/// The Cloudflare settings every host resolves the same way: credentials (<c>CLOUDFLARE_API_TOKEN</c>, or
/// <c>CLOUDFLARE_EMAIL</c> + <c>CLOUDFLARE_API_KEY</c>), account id, zone id and API base URL, from explicit values
/// (flags, configuration) that win over the environment. <see cref="Resolve"/> never throws for a bad or missing
/// setting; <see cref="Require"/> throws one <see cref="CloudflareSettingsException"/> naming every missing or malformed
/// setting at once, by the host's names (<see cref="CloudflareSettingNames"/>) and the environment variables. Secrets
/// never appear in messages.
/// </summary>
public sealed class CloudflareSettings
{
    /// <summary>The environment variable of the account id.</summary>
    public const string AccountIdVariable = "CLOUDFLARE_ACCOUNT_ID";

    /// <summary>The environment variable of the zone id.</summary>
    public const string ZoneIdVariable = "CLOUDFLARE_ZONE_ID";

    /// <summary>The environment variable of the API base URL.</summary>
    public const string ApiBaseUrlVariable = "CLOUDFLARE_API_BASE_URL";

    private const int MaxIdLength = 64;

    private readonly List<Problem> _malformed;

    private CloudflareSettings(CloudflareSettingNames names, List<Problem> malformed)
    {
        Names = names;
        _malformed = malformed;
    }

    /// <summary>The credentials, or <see langword="null"/> when none (or only half a legacy pair) are set.</summary>
    public CloudflareCredentials? Credentials { get; private init; }

    /// <summary>The account id, or <see langword="null"/>.</summary>
    public string? AccountId { get; private init; }

    /// <summary>Whether <see cref="AccountId"/> was given explicitly (not from the environment).</summary>
    public bool AccountIdIsExplicit { get; private init; }

    /// <summary>The zone id, or <see langword="null"/>.</summary>
    public string? ZoneId { get; private init; }

    /// <summary>Whether <see cref="ZoneId"/> was given explicitly (not from the environment).</summary>
    public bool ZoneIdIsExplicit { get; private init; }

    /// <summary>The API base address (<see cref="CloudflareClientOptions.DefaultBaseAddress"/> unless set, or when malformed).</summary>
    public Uri BaseAddress { get; private init; } = CloudflareClientOptions.DefaultBaseAddress;

    /// <summary>What the host calls its explicit settings.</summary>
    public CloudflareSettingNames Names { get; }

    /// <summary>The malformed settings found while resolving, as messages (empty when all are well-formed).</summary>
    public IReadOnlyList<string> Problems => [.. _malformed.Select(p => p.Message)];

    /// <summary>Resolves the settings: each explicit value wins over its environment variable; nothing is thrown here.</summary>
    /// <param name="explicitValues">Values from flags or configuration; <see langword="null"/> for none.</param>
    /// <param name="names">What the host calls them (for messages); <see cref="CloudflareSettingNames.EnvironmentOnly"/> by default.</param>
    /// <param name="getVariable">Reads an environment variable; <see cref="Environment.GetEnvironmentVariable(string)"/> by default.</param>
    /// <returns>The settings; check them with <see cref="Require"/>.</returns>
    public static CloudflareSettings Resolve(CloudflareConnectionOptions? explicitValues = null, CloudflareSettingNames? names = null, Func<string, string?>? getVariable = null)
    {
        explicitValues ??= new CloudflareConnectionOptions();
        names ??= CloudflareSettingNames.EnvironmentOnly;
        getVariable ??= Environment.GetEnvironmentVariable;
        // every secret the process was given is masked wherever a server echoes it back
        SecretRedactor.RegisterEnvironmentSecrets(getVariable);
        var malformed = new List<Problem>();

        var (accountId, accountExplicit) = ResolveId(explicitValues.AccountId, names.AccountId, AccountIdVariable, "account id", CloudflareSettingRequirements.AccountId, getVariable, malformed);
        var (zoneId, zoneExplicit) = ResolveId(explicitValues.ZoneId, names.ZoneId, ZoneIdVariable, "zone id", CloudflareSettingRequirements.ZoneId, getVariable, malformed);
        return new CloudflareSettings(names, malformed)
        {
            Credentials = ResolveCredentials(explicitValues, names, getVariable, malformed),
            AccountId = accountId,
            AccountIdIsExplicit = accountExplicit,
            ZoneId = zoneId,
            ZoneIdIsExplicit = zoneExplicit,
            BaseAddress = ResolveBaseAddress(explicitValues.ApiBaseUrl, names.ApiBaseUrl, getVariable, malformed),
        };
    }

    /// <summary>
    /// Checks that the settings an operation needs are present and that none is malformed; otherwise throws one
    /// exception that names all of them.
    /// </summary>
    /// <param name="requirements">What the operation needs.</param>
    /// <returns>This instance, for chaining.</returns>
    /// <exception cref="CloudflareSettingsException">Something is missing or malformed; <see cref="CloudflareSettingsException.Problems"/> lists each.</exception>
    public CloudflareSettings Require(CloudflareSettingRequirements requirements)
    {
        var problems = new List<string>();
        if (requirements.HasFlag(CloudflareSettingRequirements.Credentials) && Credentials is null && !IsMalformed(CloudflareSettingRequirements.Credentials))
        {
            problems.Add($"no Cloudflare credentials: set {Either(Names.ApiToken, CloudflareCredentials.ApiTokenVariable)} (or {Either(Names.Email, CloudflareCredentials.EmailVariable)} and {Either(Names.ApiKey, CloudflareCredentials.ApiKeyVariable)})");
        }

        if (requirements.HasFlag(CloudflareSettingRequirements.AccountId) && AccountId is null && !IsMalformed(CloudflareSettingRequirements.AccountId))
        {
            problems.Add($"no account id: set {Either(Names.AccountId, AccountIdVariable)}");
        }

        if (requirements.HasFlag(CloudflareSettingRequirements.ZoneId) && ZoneId is null && !IsMalformed(CloudflareSettingRequirements.ZoneId))
        {
            problems.Add($"no zone id: set {Either(Names.ZoneId, ZoneIdVariable)}");
        }

        if (requirements.HasFlag(CloudflareSettingRequirements.AccountOrZoneId) && AccountId is null && ZoneId is null
            && !IsMalformed(CloudflareSettingRequirements.AccountId) && !IsMalformed(CloudflareSettingRequirements.ZoneId))
        {
            problems.Add(
                $"no account or zone id: set {Either(Names.AccountId, AccountIdVariable)} (account datasets such as gateway_http), "
                + $"or {Either(Names.ZoneId, ZoneIdVariable)} (zone datasets such as http_requests)");
        }

        problems.AddRange(_malformed.Select(p => p.Message));
        return problems.Count == 0 ? this : throw new CloudflareSettingsException(problems);
    }

    /// <summary>
    /// The Logpush scope for a dataset: an explicit zone or account id wins (both explicit: the dataset's documented
    /// scope decides); from the environment, the dataset's documented scope decides when both ids are set, else the
    /// one that is set.
    /// </summary>
    /// <param name="datasetScope">The dataset's documented scope, or <see langword="null"/> when unknown or ambiguous.</param>
    /// <param name="also">Further settings the caller needs (by default the credentials), checked in the same pass.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="CloudflareSettingsException">No id (or a needed setting) is set, or one is malformed.</exception>
    public LogpushScope ResolveScope(LogpushScopeKind? datasetScope, CloudflareSettingRequirements also = CloudflareSettingRequirements.Credentials)
    {
        Require(also | CloudflareSettingRequirements.AccountOrZoneId);
        if (ZoneIdIsExplicit && (!AccountIdIsExplicit || datasetScope != LogpushScopeKind.Account))
        {
            return LogpushScope.Zone(ZoneId!);
        }

        if (AccountIdIsExplicit)
        {
            return LogpushScope.Account(AccountId!);
        }

        return (ZoneId, AccountId, datasetScope) switch
        {
            (not null, null, _) => LogpushScope.Zone(ZoneId),
            (not null, not null, LogpushScopeKind.Zone) => LogpushScope.Zone(ZoneId),
            _ => LogpushScope.Account(AccountId!),
        };
    }

    /// <summary>Client options with these credentials and base address.</summary>
    /// <typeparam name="T">The client options type, e.g. <see cref="QueuesClientOptions"/>.</typeparam>
    /// <returns>The options.</returns>
    /// <exception cref="CloudflareSettingsException">No credentials, or a malformed setting.</exception>
    public T CreateClientOptions<T>()
        where T : CloudflareClientOptions, new()
    {
        Require(CloudflareSettingRequirements.Credentials);
        return new T { Credentials = Credentials, BaseAddress = BaseAddress };
    }

    private static string Either(string? name, string variable) => name is null ? variable : $"{name} or {variable}";

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private bool IsMalformed(CloudflareSettingRequirements setting) => _malformed.Any(p => p.Setting == setting);

    private static (string? Value, bool IsExplicit) ResolveId(
        string? explicitValue, string? name, string variable, string what, CloudflareSettingRequirements setting, Func<string, string?> getVariable, List<Problem> malformed)
    {
        var given = NonBlank(explicitValue);
        var value = given ?? NonBlank(getVariable(variable));
        if (value is null)
        {
            return (null, false);
        }

        // Ids go into URL paths; Cloudflare's are 32 hex characters. Letters, digits, '-' and '_' keep a pasted URL or
        // a value with spaces from being sent.
        if (value.Length > MaxIdLength || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            var source = given is not null && name is not null ? $"{name} (or {variable})" : variable;
            malformed.Add(new(setting, string.Create(CultureInfo.InvariantCulture, $"{source}: '{Shorten(value)}' is not a Cloudflare {what} (letters and digits, like 023e105f4ecef8ad9ca31a8372d0c353)")));
            return (null, given is not null);
        }

        return (value, given is not null);
    }

    private static CloudflareCredentials? ResolveCredentials(CloudflareConnectionOptions values, CloudflareSettingNames names, Func<string, string?> getVariable, List<Problem> malformed)
    {
        // Explicit values are one source and the environment another: a source is used whole (token, or email + key),
        // the explicit one first, so an explicit pair is never overridden by a token from the environment.
        if (FromSource(NonBlank(values.ApiToken), NonBlank(values.Email), NonBlank(values.ApiKey), names.Email ?? CloudflareCredentials.EmailVariable, names.ApiKey ?? CloudflareCredentials.ApiKeyVariable, malformed, out var explicitCredentials))
        {
            return explicitCredentials;
        }

        FromSource(
            NonBlank(getVariable(CloudflareCredentials.ApiTokenVariable)),
            NonBlank(getVariable(CloudflareCredentials.EmailVariable)),
            NonBlank(getVariable(CloudflareCredentials.ApiKeyVariable)),
            CloudflareCredentials.EmailVariable,
            CloudflareCredentials.ApiKeyVariable,
            malformed,
            out var fromEnvironment);
        return fromEnvironment;
    }

    private static bool FromSource(string? token, string? email, string? key, string emailName, string keyName, List<Problem> malformed, out CloudflareCredentials? credentials)
    {
        credentials = null;
        if (token is not null)
        {
            credentials = CloudflareCredentials.ApiToken(token);
            return true;
        }

        if (email is not null && key is not null)
        {
            credentials = CloudflareCredentials.GlobalApiKey(email, key);
            return true;
        }

        if (email is not null || key is not null)
        {
            malformed.Add(new(CloudflareSettingRequirements.Credentials, email is not null
                ? $"{emailName} is set but {keyName} is not (a global API key needs both; or use an API token)"
                : $"{keyName} is set but {emailName} is not (a global API key needs both; or use an API token)"));
            return true;
        }

        return false;
    }

    private static Uri ResolveBaseAddress(string? explicitValue, string? name, Func<string, string?> getVariable, List<Problem> malformed)
    {
        var given = NonBlank(explicitValue);
        var text = given ?? NonBlank(getVariable(ApiBaseUrlVariable));
        if (text is null)
        {
            return CloudflareClientOptions.DefaultBaseAddress;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && !string.IsNullOrEmpty(uri.Host))
        {
            return uri;
        }

        var source = given is not null && name is not null ? name : ApiBaseUrlVariable;
        malformed.Add(new(CloudflareSettingRequirements.None, $"{source} must be an absolute http(s) URL, e.g. https://api.cloudflare.com/client/v4/; got '{Shorten(WithoutUserInfo(text))}'"));
        return CloudflareClientOptions.DefaultBaseAddress;
    }

    // A URL's user-info may hold a password: never echo it.
    private static string WithoutUserInfo(string text)
    {
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var slash = scheme < 0 ? -1 : text.IndexOf('/', scheme + 3);
        return scheme >= 0 && at > scheme && (slash < 0 || at < slash) ? text[..(scheme + 3)] + "***@" + text[(at + 1)..] : text;
    }

    // Printed values are cut short and their control characters made visible.
    private static string Shorten(string text) => Storage.ObjectKeyText.Escape(text.Length <= 80 ? text : text[..80] + "…");

    private sealed record Problem(CloudflareSettingRequirements Setting, string Message);
}

/// <summary>Cloudflare settings are missing or malformed; <see cref="Problems"/> names each by its flag or configuration key and environment variable.</summary>
public sealed class CloudflareSettingsException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problems">One message per missing or malformed setting.</param>
    public CloudflareSettingsException(IReadOnlyList<string> problems)
        : base("Cloudflare settings: " + string.Join("; ", problems ?? throw new ArgumentNullException(nameof(problems))) + ".")
    {
        Problems = problems;
    }

    /// <summary>One message per missing or malformed setting.</summary>
    public IReadOnlyList<string> Problems { get; }
}
