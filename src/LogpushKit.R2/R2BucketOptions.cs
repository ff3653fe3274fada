namespace LogpushKit.R2;

/// <summary>The jurisdiction of an R2 bucket; it selects the account endpoint.</summary>
public enum R2Jurisdiction
{
    /// <summary>The default jurisdiction: <c>https://&lt;account&gt;.r2.cloudflarestorage.com</c>.</summary>
    Default,

    /// <summary>The EU jurisdiction: <c>https://&lt;account&gt;.eu.r2.cloudflarestorage.com</c>.</summary>
    Eu,

    /// <summary>FedRAMP: <c>https://&lt;account&gt;.fedramp.r2.cloudflarestorage.com</c>.</summary>
    FedRamp,
}

/// <summary>
/// Settings of an <see cref="R2Bucket"/>: where the bucket is, the credentials, and how puts are split. Bound from
/// configuration by <c>AddLogpushR2</c> and validated at start-up.
/// </summary>
/// <remarks>
/// Unset connection settings fall back to the environment: <c>R2_ACCOUNT_ID</c>, <c>R2_ACCESS_KEY_ID</c>,
/// <c>R2_SECRET_ACCESS_KEY</c> and <c>R2_ENDPOINT</c>. The endpoint is, in order: <see cref="Endpoint"/>; the
/// account endpoint built from <see cref="AccountId"/> and <see cref="Jurisdiction"/>; <c>R2_ENDPOINT</c>; the
/// account endpoint built from <c>R2_ACCOUNT_ID</c>. Requests are signed for region <c>auto</c>.
/// </remarks>
public sealed class R2BucketOptions
{
    /// <summary>The smallest part size R2 and S3 accept (5 MiB).</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The largest part size this client accepts (1 GiB; parts are held in memory).</summary>
    public const int MaxPartSize = 1024 * 1024 * 1024;

    /// <summary>The default part size (8 MiB).</summary>
    public const int DefaultPartSize = 8 * 1024 * 1024;

    /// <summary>The name of the environment variable read when <see cref="AccountId"/> is not set.</summary>
    public const string AccountIdVariable = "R2_ACCOUNT_ID";

    /// <summary>The name of the environment variable read when <see cref="AccessKeyId"/> is not set.</summary>
    public const string AccessKeyIdVariable = "R2_ACCESS_KEY_ID";

    /// <summary>The name of the environment variable read when <see cref="SecretAccessKey"/> is not set.</summary>
    public const string SecretAccessKeyVariable = "R2_SECRET_ACCESS_KEY";

    /// <summary>The name of the environment variable read when neither <see cref="Endpoint"/> nor <see cref="AccountId"/> is set.</summary>
    public const string EndpointVariable = "R2_ENDPOINT";

    /// <summary>The bucket's name (required).</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>The Cloudflare account id; with <see cref="Jurisdiction"/> it gives the endpoint.</summary>
    public string? AccountId { get; set; }

    /// <summary>The bucket's jurisdiction. Default: <see cref="R2Jurisdiction.Default"/>.</summary>
    public R2Jurisdiction Jurisdiction { get; set; } = R2Jurisdiction.Default;

    /// <summary>The access key id (an R2 API token's id).</summary>
    public string? AccessKeyId { get; set; }

    /// <summary>The secret access key (the SHA-256 of the R2 API token's value). Never logged nor put in messages.</summary>
    public string? SecretAccessKey { get; set; }

    /// <summary>
    /// An explicit endpoint (<c>https://…</c> or <c>http://…</c>) for any S3-compatible server; overrides the
    /// account endpoint.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Address buckets in the path (<c>https://host/bucket/key</c>) rather than the host name. Default
    /// <see langword="true"/>: it works with R2 and with S3-compatible servers on an IP address.
    /// </summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>
    /// The size of every multipart part but the last, in bytes. Default 8 MiB; at least 5 MiB (R2 requires all
    /// non-trailing parts to have this one size).
    /// </summary>
    public int PartSize { get; set; } = DefaultPartSize;

    /// <summary>
    /// How many part buffers a put may hold at once (one being read, the others uploading). A put's memory is at
    /// most <see cref="PartSize"/> × this. Default 2; 1 to 16.
    /// </summary>
    public int PartsInFlight { get; set; } = 2;

    /// <summary>
    /// Objects of at most this many bytes are written with one PUT; larger ones with a multipart upload. Default and
    /// maximum: <see cref="PartSize"/> (set <c>0</c> to use multipart for every non-empty object).
    /// </summary>
    public int? SinglePutThreshold { get; set; }

    /// <summary>How many times a request that failed transiently (5xx, throttling, connection reset) is retried. Default 4; 0 to 10.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The timeout of one HTTP request. Default 100 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Creates the HTTP handler the client sends through, e.g. to trust a private certificate authority or use a
    /// proxy. Default: a standard <see cref="SocketsHttpHandler"/>. Called once per <see cref="R2Bucket"/>, which
    /// owns and disposes the handler.
    /// </summary>
    public Func<HttpMessageHandler>? HttpMessageHandlerFactory { get; set; }

    /// <summary>The page size of list requests; <see langword="null"/> for the server's (1,000). Set in tests.</summary>
    internal int? ListPageSize { get; set; }

    /// <summary>Reads environment variables; replaced in tests.</summary>
    internal Func<string, string?> GetEnvironmentVariable { get; set; } = Environment.GetEnvironmentVariable;

    /// <summary>The single-put threshold in effect.</summary>
    internal int EffectiveSinglePutThreshold => SinglePutThreshold ?? PartSize;

    /// <summary>The endpoint in effect, or <see langword="null"/> when none can be determined.</summary>
    internal Uri? ResolveEndpoint()
    {
        if (Endpoint is not null)
        {
            return Endpoint;
        }

        if (!string.IsNullOrWhiteSpace(AccountId))
        {
            return AccountEndpoint(AccountId, Jurisdiction);
        }

        if (GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } endpoint)
        {
            return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;
        }

        return GetEnvironmentVariable(AccountIdVariable) is { Length: > 0 } accountId ? AccountEndpoint(accountId, Jurisdiction) : null;
    }

    /// <summary>The access key id in effect.</summary>
    internal string? ResolveAccessKeyId() =>
        string.IsNullOrWhiteSpace(AccessKeyId) ? GetEnvironmentVariable(AccessKeyIdVariable) : AccessKeyId;

    /// <summary>The secret access key in effect.</summary>
    internal string? ResolveSecretAccessKey() =>
        string.IsNullOrWhiteSpace(SecretAccessKey) ? GetEnvironmentVariable(SecretAccessKeyVariable) : SecretAccessKey;

    /// <summary>The account endpoint for <paramref name="accountId"/> in <paramref name="jurisdiction"/>.</summary>
    internal static Uri? AccountEndpoint(string accountId, R2Jurisdiction jurisdiction)
    {
        if (!R2BucketOptionsValidator.IsHostLabel(accountId))
        {
            return null;
        }

        var jurisdictionLabel = jurisdiction switch
        {
            R2Jurisdiction.Eu => ".eu",
            R2Jurisdiction.FedRamp => ".fedramp",
            _ => string.Empty,
        };
        return new Uri($"https://{accountId}{jurisdictionLabel}.r2.cloudflarestorage.com");
    }
}
