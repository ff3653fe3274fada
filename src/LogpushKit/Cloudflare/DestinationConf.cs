using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A Logpush <c>destination_conf</c> for an R2 bucket: the native form
/// <c>r2://bucket/path?account-id=…&amp;access-key-id=…&amp;secret-access-key=…</c>, or the S3-compatible form needed for
/// buckets with a jurisdiction (eu, fedramp):
/// <c>s3://bucket/path?region=auto&amp;access-key-id=…&amp;secret-access-key=…&amp;endpoint=&lt;account&gt;.eu.r2.cloudflarestorage.com</c>.
/// <see cref="ToString"/> masks the secret access key; <see cref="ToUnmaskedString"/> gives the value to send to the API.
/// </summary>
public sealed record DestinationConf
{
    /// <summary>What replaces secrets in printed values.</summary>
    public const string MaskedValue = SecretRedactor.MaskedValue;

    private readonly string _secretAccessKey;

    private DestinationConf(DestinationScheme scheme, string bucket, string? path, string accessKeyId, string secretAccessKey)
    {
        Scheme = scheme;
        Bucket = bucket;
        Path = string.IsNullOrEmpty(path) ? null : path.Trim('/');
        AccessKeyId = accessKeyId;
        _secretAccessKey = secretAccessKey;
        SecretRedactor.Register(secretAccessKey);
        SecretRedactor.Register(Uri.EscapeDataString(secretAccessKey));
    }

    /// <summary>Which form this is.</summary>
    public DestinationScheme Scheme { get; }

    /// <summary>The bucket name.</summary>
    public string Bucket { get; }

    /// <summary>The folder inside the bucket without leading or trailing <c>/</c> (may contain <c>{DATE}</c>), or <see langword="null"/>.</summary>
    public string? Path { get; }

    /// <summary>The account id (<c>r2://</c> form only).</summary>
    public string? AccountId { get; private init; }

    /// <summary>The R2 access key id.</summary>
    public string AccessKeyId { get; }

    /// <summary>The region (S3-compatible form; <c>auto</c> for R2).</summary>
    public string? Region { get; private init; }

    /// <summary>The endpoint host without scheme (S3-compatible form), e.g. <c>&lt;account&gt;.eu.r2.cloudflarestorage.com</c>.</summary>
    public string? Endpoint { get; private init; }

    /// <summary>Creates the native R2 form.</summary>
    /// <param name="bucket">The bucket name.</param>
    /// <param name="path">Optional folder; <c>{DATE}</c> is kept and replaced by Logpush with the UTC date (<c>YYYYMMDD</c>).</param>
    /// <param name="accountId">The Cloudflare account id.</param>
    /// <param name="accessKeyId">The R2 access key id.</param>
    /// <param name="secretAccessKey">The R2 secret access key.</param>
    /// <returns>The destination.</returns>
    public static DestinationConf R2(string bucket, string? path, string accountId, string accessKeyId, string secretAccessKey)
    {
        Require(bucket, nameof(bucket));
        Require(accountId, nameof(accountId));
        Require(accessKeyId, nameof(accessKeyId));
        Require(secretAccessKey, nameof(secretAccessKey));
        return new DestinationConf(DestinationScheme.R2, bucket, path, accessKeyId, secretAccessKey) { AccountId = accountId };
    }

    /// <summary>Creates the S3-compatible form (for eu/fedramp buckets, which <c>r2://</c> cannot reach).</summary>
    /// <param name="bucket">The bucket name.</param>
    /// <param name="path">Optional folder (may contain <c>{DATE}</c>).</param>
    /// <param name="accessKeyId">The R2 access key id.</param>
    /// <param name="secretAccessKey">The R2 secret access key.</param>
    /// <param name="endpoint">The endpoint host without scheme, e.g. from <see cref="R2Endpoint"/>.</param>
    /// <param name="region">The region; <c>auto</c> for R2.</param>
    /// <returns>The destination.</returns>
    public static DestinationConf S3Compatible(string bucket, string? path, string accessKeyId, string secretAccessKey, string endpoint, string region = "auto")
    {
        Require(bucket, nameof(bucket));
        Require(accessKeyId, nameof(accessKeyId));
        Require(secretAccessKey, nameof(secretAccessKey));
        Require(endpoint, nameof(endpoint));
        Require(region, nameof(region));
        if (endpoint.Contains("://", StringComparison.Ordinal) || endpoint.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The endpoint must be a host name without scheme or path, e.g. '<account>.eu.r2.cloudflarestorage.com'; got '{endpoint}'.", nameof(endpoint));
        }

        return new DestinationConf(DestinationScheme.S3Compatible, bucket, path, accessKeyId, secretAccessKey) { Endpoint = endpoint, Region = region };
    }

    /// <summary>
    /// The R2 S3 endpoint host of an account and jurisdiction: <c>&lt;id&gt;.r2.cloudflarestorage.com</c>,
    /// <c>&lt;id&gt;.eu.r2.cloudflarestorage.com</c> or <c>&lt;id&gt;.fedramp.r2.cloudflarestorage.com</c> (the R2 data-location
    /// page; the R2 Logpush page names <c>&lt;id&gt;.r2.fed.cloudflarestorage.com</c> for FedRAMP High — verify before use).
    /// </summary>
    /// <param name="accountId">The account id.</param>
    /// <param name="jurisdiction"><see langword="null"/> or <c>default</c>, <c>eu</c>, <c>fedramp</c>.</param>
    /// <returns>The host name.</returns>
    public static string R2Endpoint(string accountId, string? jurisdiction = null)
    {
        Require(accountId, nameof(accountId));
        return jurisdiction?.ToUpperInvariant() switch
        {
            null or "" or "DEFAULT" => $"{accountId}.r2.cloudflarestorage.com",
            "EU" => $"{accountId}.eu.r2.cloudflarestorage.com",
            "FEDRAMP" => $"{accountId}.fedramp.r2.cloudflarestorage.com",
            _ => throw new ArgumentException($"Unknown R2 jurisdiction '{jurisdiction}' (expected default, eu or fedramp).", nameof(jurisdiction)),
        };
    }

    /// <summary>Parses an <c>r2://</c> or S3-compatible (<c>s3://…&amp;endpoint=…</c>) destination.</summary>
    /// <param name="value">The destination_conf text.</param>
    /// <returns>The destination.</returns>
    /// <exception cref="FormatException">The text is not one of the two forms; the message names what is wrong (never the secret).</exception>
    public static DestinationConf Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParseCore(value, out var result, out var error) ? result : throw new FormatException(error);
    }

    /// <summary>Tries to parse an <c>r2://</c> or S3-compatible destination.</summary>
    /// <param name="value">The destination_conf text.</param>
    /// <param name="result">The destination when parsing succeeded.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out DestinationConf? result)
    {
        if (value is null)
        {
            result = null;
            return false;
        }

        return TryParseCore(value, out result, out _);
    }

    /// <summary>The destination_conf to send to the API, with the real secret access key.</summary>
    /// <returns>The unmasked text.</returns>
    public string ToUnmaskedString() => Format(_secretAccessKey);

    /// <summary>The real secret access key.</summary>
    /// <returns>The secret.</returns>
    public string RevealSecretAccessKey() => _secretAccessKey;

    /// <summary>The destination_conf with the secret access key shown as <c>***</c>.</summary>
    /// <returns>The masked text.</returns>
    public override string ToString() => Format(MaskedValue);

    /// <summary>
    /// Masks the secrets of any destination_conf text (any scheme): URL userinfo and every query value except the
    /// known-safe ones (see <see cref="SecretRedactor.MaskDestination"/>).
    /// </summary>
    /// <param name="destinationConf">The text, or <see langword="null"/>.</param>
    /// <returns>The text with secret values replaced by <c>***</c>.</returns>
    [return: NotNullIfNotNull(nameof(destinationConf))]
    public static string? Mask(string? destinationConf) => SecretRedactor.MaskDestination(destinationConf);

    /// <summary>Masks secrets that appear anywhere in free text (e.g. an API error message echoing a destination); see <see cref="SecretRedactor.MaskText"/>.</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The text with secret values replaced by <c>***</c>.</returns>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? MaskSecretsInText(string? text) => SecretRedactor.MaskText(text);

    private string Format(string secret)
    {
        var builder = new StringBuilder();
        builder.Append(Scheme == DestinationScheme.R2 ? "r2://" : "s3://").Append(Bucket);
        if (Path is not null)
        {
            builder.Append('/').Append(Path);
        }

        builder.Append('?');
        if (Scheme == DestinationScheme.R2)
        {
            builder.Append("account-id=").Append(Escape(AccountId!))
                .Append("&access-key-id=").Append(Escape(AccessKeyId))
                .Append("&secret-access-key=").Append(ReferenceEquals(secret, MaskedValue) ? secret : Escape(secret));
        }
        else
        {
            builder.Append("region=").Append(Escape(Region!))
                .Append("&access-key-id=").Append(Escape(AccessKeyId))
                .Append("&secret-access-key=").Append(ReferenceEquals(secret, MaskedValue) ? secret : Escape(secret))
                .Append("&endpoint=").Append(Escape(Endpoint!));
        }

        return builder.ToString();
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static bool TryParseCore(string value, [NotNullWhen(true)] out DestinationConf? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        DestinationScheme scheme;
        string rest;
        if (value.StartsWith("r2://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = DestinationScheme.R2;
            rest = value[5..];
        }
        else if (value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = DestinationScheme.S3Compatible;
            rest = value[5..];
        }
        else
        {
            var colon = value.IndexOf("://", StringComparison.Ordinal);
            error = colon > 0
                ? $"destination_conf scheme '{value[..colon]}' is not an R2 destination (expected r2:// or s3://…&endpoint=…)."
                : "destination_conf has no scheme (expected r2://bucket/path?… or s3://bucket/path?…).";
            return false;
        }

        var q = rest.IndexOf('?', StringComparison.Ordinal);
        var location = q < 0 ? rest : rest[..q];
        var slash = location.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? location : location[..slash];
        var path = slash < 0 ? null : location[(slash + 1)..];
        if (bucket.Length == 0)
        {
            error = "destination_conf has no bucket name.";
            return false;
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (q >= 0)
        {
            foreach (var part in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
                var v = eq < 0 ? string.Empty : Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
                parameters[name] = v;
            }
        }

        string? Get(string name) => parameters.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
        var missing = new List<string>();
        var accessKeyId = Get("access-key-id");
        var secret = Get("secret-access-key");
        if (accessKeyId is null)
        {
            missing.Add("access-key-id");
        }

        if (secret is null)
        {
            missing.Add("secret-access-key");
        }

        if (scheme == DestinationScheme.R2)
        {
            var accountId = Get("account-id");
            if (accountId is null)
            {
                missing.Insert(0, "account-id");
            }

            if (missing.Count > 0)
            {
                error = $"r2:// destination_conf for bucket '{bucket}' is missing {string.Join(", ", missing)}.";
                return false;
            }

            result = new DestinationConf(scheme, bucket, path, accessKeyId!, secret!) { AccountId = accountId };
        }
        else
        {
            var endpoint = Get("endpoint");
            if (endpoint is null)
            {
                missing.Add("endpoint");
            }

            if (missing.Count > 0)
            {
                error = $"s3:// destination_conf for bucket '{bucket}' is missing {string.Join(", ", missing)} (AWS S3 destinations without an R2 endpoint are not R2 destinations).";
                return false;
            }

            result = new DestinationConf(scheme, bucket, path, accessKeyId!, secret!) { Endpoint = endpoint, Region = Get("region") ?? "auto" };
        }

        error = null;
        return true;
    }

    private static void Require(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Value = ").Append(ToString());
        return true;
    }

    /// <summary>Value equality (including the secret, which is never printed).</summary>
    /// <param name="other">The other destination.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(DestinationConf? other) =>
        other is not null && string.Equals(ToUnmaskedString(), other.ToUnmaskedString(), StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToUnmaskedString());
}

/// <summary>The form of a <see cref="DestinationConf"/>.</summary>
public enum DestinationScheme
{
    /// <summary><c>r2://bucket/path?account-id=…&amp;access-key-id=…&amp;secret-access-key=…</c>.</summary>
    R2,

    /// <summary><c>s3://bucket/path?region=auto&amp;access-key-id=…&amp;secret-access-key=…&amp;endpoint=…</c> (R2 through its S3 API).</summary>
    S3Compatible,
}
