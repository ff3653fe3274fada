using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace LogpushKit.Cloudflare;

/// <summary>
/// Masks secrets in anything LogpushKit prints: destination_conf values, API error messages, job fields, exception
/// messages, CLI tables and <c>--json</c> output. What it masks:
/// <list type="bullet">
/// <item>URL userinfo: <c>https://user:PASS@host</c> becomes <c>https://user:***@host</c> (a lone user part, often a token, is masked whole);</item>
/// <item>every query value of a URL except a known-safe list (<see cref="SafeQueryParameters"/>: identifiers and switches such as
/// <c>account-id</c>, <c>access-key-id</c>, <c>region</c>, <c>endpoint</c>, SAS fields other than <c>sig</c>) — so
/// <c>header_*</c> values of HTTP destinations, <c>secret-access-key</c>, <c>sig</c>, tokens and any parameter this version does
/// not know are masked;</item>
/// <item>the collector code in the path of a Sumo Logic destination;</item>
/// <item><c>name=value</c> pairs with a secret-looking name and <c>Bearer</c> tokens in free text;</item>
/// <item>every secret this process was given (<see cref="Register"/>): the API token, the global API key, R2 secret access keys —
/// wherever a server echoes them, in any form (plain or URL-encoded).</item>
/// </list>
/// </summary>
public static partial class SecretRedactor
{
    /// <summary>What replaces a secret.</summary>
    public const string MaskedValue = "***";

    /// <summary>The shortest value <see cref="Register"/> accepts (shorter values would mask ordinary words).</summary>
    public const int MinimumSecretLength = 8;

    private static readonly Lock Gate = new();
    private static string[] _secrets = [];

    /// <summary>
    /// Query parameters whose values are shown: identifiers, regions, endpoints and switches of the documented Logpush
    /// destinations (R2, S3, S3-compatible, Azure SAS fields other than <c>sig</c>, Splunk, Datadog, New Relic). Every other
    /// query value is masked.
    /// </summary>
    public static FrozenSet<string> SafeQueryParameters { get; } = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "account-id", "access-key-id", "region", "endpoint", "sse",
        "sv", "ss", "srt", "sp", "se", "st", "spr", "sr", "sip",
        "channel", "insecure-skip-verify", "sourcetype", "index", "source",
        "ddsource", "service", "host", "ddtags", "tags", "format", "compression", "project-id", "dataset");

    /// <summary>
    /// Remembers a secret of this process (API token, global API key, R2 secret access key) so that every text
    /// LogpushKit masks hides it, also when a server echoes it back. Values shorter than <see cref="MinimumSecretLength"/>
    /// are ignored. Process-wide and thread-safe; secrets are never removed.
    /// </summary>
    /// <param name="secret">The secret, or <see langword="null"/>.</param>
    public static void Register(string? secret)
    {
        var value = secret?.Trim();
        if (value is null || value.Length < MinimumSecretLength)
        {
            return;
        }

        lock (Gate)
        {
            var forms = new[] { value, Uri.EscapeDataString(value), value.Replace("+", "%2B", StringComparison.Ordinal) }
                .Where(f => !_secrets.Contains(f, StringComparer.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            if (forms.Length > 0)
            {
                // longest first, so a secret containing another is masked whole
                _secrets = [.. _secrets.Concat(forms).OrderByDescending(s => s.Length)];
            }
        }
    }

    /// <summary>Registers the secrets found in the environment variables LogpushKit reads (API token and key, R2 and AWS secret keys).</summary>
    /// <param name="getVariable">Reads a variable; <see cref="Environment.GetEnvironmentVariable(string)"/> by default.</param>
    public static void RegisterEnvironmentSecrets(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        foreach (var name in (ReadOnlySpan<string>)[CloudflareCredentials.ApiTokenVariable, CloudflareCredentials.ApiKeyVariable, "R2_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
        {
            Register(getVariable(name));
        }
    }

    /// <summary>
    /// Masks a destination_conf (any scheme): userinfo, every query value not in <see cref="SafeQueryParameters"/>, the
    /// Sumo Logic collector code, and registered secrets.
    /// </summary>
    /// <param name="destinationConf">The destination, or <see langword="null"/>.</param>
    /// <returns>The masked text.</returns>
    [return: NotNullIfNotNull(nameof(destinationConf))]
    public static string? MaskDestination(string? destinationConf)
    {
        if (string.IsNullOrEmpty(destinationConf))
        {
            return destinationConf;
        }

        return MaskRegistered(MaskUrl(destinationConf));
    }

    /// <summary>
    /// Masks secrets anywhere in free text (an API error message, a job's <c>error_message</c>, an exception message):
    /// registered secrets, every URL in the text as <see cref="MaskDestination"/> does, secret-looking <c>name=value</c>
    /// pairs and <c>Bearer</c> tokens.
    /// </summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The masked text.</returns>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? MaskText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        var masked = MaskRegistered(text);
        masked = UrlInText().Replace(masked, m => MaskUrl(m.Value));
        masked = BearerInText().Replace(masked, m => m.Groups["scheme"].Value + " " + MaskedValue);
        masked = SecretPairInText().Replace(masked, m => m.Groups["name"].Value + m.Groups["sep"].Value + MaskedValue);
        return masked;
    }

    private static string MaskRegistered(string text)
    {
        var secrets = Volatile.Read(ref _secrets);
        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, MaskedValue, StringComparison.Ordinal);
            }
        }

        return text;
    }

    // scheme://[userinfo@]authority[/path][?query][#fragment]; braces such as {DATE} are kept (Uri would reject them).
    private static string MaskUrl(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return MaskQuery(url, url.IndexOf('?', StringComparison.Ordinal));
        }

        var builder = new StringBuilder(url.Length);
        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        builder.Append(url, 0, authorityStart);
        var at = url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart);
        if (at >= 0)
        {
            var userinfo = url[authorityStart..at];
            var colon = userinfo.IndexOf(':', StringComparison.Ordinal);
            builder.Append(colon >= 0 ? userinfo[..(colon + 1)] + MaskedValue : MaskedValue).Append('@');
            builder.Append(url, at + 1, authorityEnd - at - 1);
        }
        else
        {
            builder.Append(url, authorityStart, authorityEnd - authorityStart);
        }

        var rest = url[authorityEnd..];
        var scheme = url[..schemeEnd];
        if (scheme.Equals("sumo", StringComparison.OrdinalIgnoreCase))
        {
            rest = SumoCollectorCode().Replace(rest, m => m.Groups["prefix"].Value + MaskedValue);
        }

        builder.Append(MaskQuery(rest, rest.IndexOf('?', StringComparison.Ordinal)));
        return builder.ToString();
    }

    private static string MaskQuery(string text, int query)
    {
        if (query < 0)
        {
            return text;
        }

        var fragment = text.IndexOf('#', query);
        var end = fragment < 0 ? text.Length : fragment;
        var builder = new StringBuilder(text.Length);
        builder.Append(text, 0, query + 1);
        var parts = text[(query + 1)..end].Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('&');
            }

            var part = parts[i];
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0 && eq < part.Length - 1 && !IsSafeParameter(part[..eq]))
            {
                builder.Append(part, 0, eq + 1).Append(MaskedValue);
            }
            else
            {
                builder.Append(part);
            }
        }

        builder.Append(text, end, text.Length - end);
        return builder.ToString();
    }

    private static bool IsSafeParameter(string name)
    {
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(name);
        }
        catch (UriFormatException)
        {
            return false;
        }

        return SafeQueryParameters.Contains(decoded.Trim());
    }

    [GeneratedRegex(@"[A-Za-z][A-Za-z0-9+.\-]{0,15}://[^\s""'<>`]+", RegexOptions.CultureInvariant)]
    private static partial Regex UrlInText();

    [GeneratedRegex(
        @"(?<name>[A-Za-z0-9_\-]*(?:secret|password|passwd|token|api[_\-]?key|apikey|auth|signature|credential)[A-Za-z0-9_\-]*|sig|header_[A-Za-z0-9_\-]+|x-auth-key)(?<sep>\s*[=:]\s*""?)(?!\*\*\*)[^&\s""',;]+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretPairInText();

    [GeneratedRegex(@"(?<scheme>\b(?:Bearer|Basic|Splunk))\s+(?!\*\*\*)[A-Za-z0-9\-._~+/=]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex BearerInText();

    [GeneratedRegex(@"(?<prefix>/receiver/v1/http/)[^/?#]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SumoCollectorCode();
}
