using System.Net.Http.Headers;

namespace LogpushKit.Cloudflare;

/// <summary>
/// Cloudflare API credentials: an API token (<c>Authorization: Bearer …</c>, preferred) or the legacy email + global API
/// key pair (<c>X-Auth-Email</c> / <c>X-Auth-Key</c>). <see cref="ToString"/> never shows the secret, and creating
/// credentials registers the secret with <see cref="SecretRedactor"/>, so no LogpushKit output ever shows it.
/// </summary>
public sealed class CloudflareCredentials
{
    /// <summary>The environment variable of the API token.</summary>
    public const string ApiTokenVariable = "CLOUDFLARE_API_TOKEN";

    /// <summary>The environment variable of the legacy account email.</summary>
    public const string EmailVariable = "CLOUDFLARE_EMAIL";

    /// <summary>The environment variable of the legacy global API key.</summary>
    public const string ApiKeyVariable = "CLOUDFLARE_API_KEY";

    private readonly string? _token;
    private readonly string? _email;
    private readonly string? _key;

    private CloudflareCredentials(string? token, string? email, string? key)
    {
        _token = token;
        _email = email;
        _key = key;
    }

    /// <summary>Whether these are the legacy email + global key.</summary>
    public bool IsGlobalApiKey => _token is null;

    /// <summary>An API token.</summary>
    /// <param name="token">The token.</param>
    /// <returns>The credentials.</returns>
    public static CloudflareCredentials ApiToken(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        SecretRedactor.Register(token);
        return new CloudflareCredentials(token.Trim(), null, null);
    }

    /// <summary>The legacy email + global API key.</summary>
    /// <param name="email">The account email.</param>
    /// <param name="apiKey">The global API key.</param>
    /// <returns>The credentials.</returns>
    public static CloudflareCredentials GlobalApiKey(string email, string apiKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        SecretRedactor.Register(apiKey);
        return new CloudflareCredentials(null, email.Trim(), apiKey.Trim());
    }

    /// <summary>
    /// Reads <c>CLOUDFLARE_API_TOKEN</c>, or else <c>CLOUDFLARE_EMAIL</c> + <c>CLOUDFLARE_API_KEY</c>. Also registers the
    /// other secrets of the environment (R2 and AWS secret keys) with <see cref="SecretRedactor"/>, so that a server
    /// echoing any of them never gets it printed.
    /// </summary>
    /// <param name="getVariable">Reads a variable; <see cref="Environment.GetEnvironmentVariable(string)"/> by default.</param>
    /// <returns>The credentials, or <see langword="null"/> when none are set.</returns>
    public static CloudflareCredentials? FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        SecretRedactor.RegisterEnvironmentSecrets(getVariable);
        var token = getVariable(ApiTokenVariable);
        if (!string.IsNullOrWhiteSpace(token))
        {
            return ApiToken(token);
        }

        var email = getVariable(EmailVariable);
        var key = getVariable(ApiKeyVariable);
        return !string.IsNullOrWhiteSpace(email) && !string.IsNullOrWhiteSpace(key) ? GlobalApiKey(email, key) : null;
    }

    /// <summary>Describes the kind of credentials without the secret.</summary>
    /// <returns>E.g. <c>API token (***)</c>.</returns>
    public override string ToString() => _token is not null ? "API token (***)" : $"global API key of {_email} (***)";

    internal void Apply(HttpRequestHeaders headers)
    {
        if (_token is not null)
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }
        else
        {
            headers.TryAddWithoutValidation("X-Auth-Email", _email);
            headers.TryAddWithoutValidation("X-Auth-Key", _key);
        }
    }
}
