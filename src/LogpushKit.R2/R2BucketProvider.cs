using LogpushKit.Storage;
using Microsoft.Extensions.Logging;

namespace LogpushKit.R2;

/// <summary>
/// Opens <c>r2://bucket/…</c> and <c>s3://bucket/…</c> locations as <see cref="R2Bucket"/>s, by one rule that the CLI and
/// the worker share.
/// </summary>
/// <remarks>
/// <para><b>Endpoint.</b> The request's explicit endpoint (<c>--endpoint</c>, <c>LogpushKit:Endpoint</c>) wins. Otherwise an
/// <c>s3://</c> location takes <c>LOGPUSHKIT_S3_ENDPOINT</c> and an <c>r2://</c> location <c>R2_ENDPOINT</c>, else the
/// account endpoint of <c>R2_ACCOUNT_ID</c>. Every endpoint must be an absolute <c>http://</c> or <c>https://</c> URL without
/// user info.</para>
/// <para><b>Credentials.</b> An <c>s3://</c> location takes <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c>, else
/// <c>R2_ACCESS_KEY_ID</c> and <c>R2_SECRET_ACCESS_KEY</c>; an <c>r2://</c> location takes the <c>R2_</c> pair. Values set
/// by the <c>configure</c> callback (e.g. from user secrets) win over the environment.</para>
/// <para>Every problem is a <see cref="LogpushSettingException"/> naming the setting, flag or environment variable to fix,
/// never a secret.</para>
/// </remarks>
public sealed class R2BucketProvider : IBucketProvider
{
    /// <summary>The environment variable that gives the endpoint of <c>s3://</c> locations.</summary>
    public const string S3EndpointVariable = "LOGPUSHKIT_S3_ENDPOINT";

    /// <summary>The environment variable with the access key id of <c>s3://</c> locations.</summary>
    public const string AwsAccessKeyIdVariable = "AWS_ACCESS_KEY_ID";

    /// <summary>The environment variable with the secret access key of <c>s3://</c> locations.</summary>
    public const string AwsSecretAccessKeyVariable = "AWS_SECRET_ACCESS_KEY";

    private readonly Action<R2BucketOptions>? _configure;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeProvider? _timeProvider;
    private readonly Func<string, string?> _getVariable;

    /// <summary>Creates a provider.</summary>
    /// <param name="configure">Sets options of every bucket opened (part size, retries, an HTTP handler, or credentials from configuration); the rule above fills in what it leaves unset.</param>
    /// <param name="loggerFactory">Loggers for the buckets.</param>
    /// <param name="timeProvider">The buckets' clock.</param>
    /// <param name="getVariable">
    /// Where the variables of the rule (<c>R2_*</c>, <c>AWS_*</c>, <c>LOGPUSHKIT_S3_ENDPOINT</c>) are read; default
    /// <see cref="Environment.GetEnvironmentVariable(string)"/>. A host may read them from its configuration instead (which
    /// then can include user secrets).
    /// </param>
    public R2BucketProvider(Action<R2BucketOptions>? configure = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, Func<string, string?>? getVariable = null)
    {
        _configure = configure;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _getVariable = getVariable ?? Environment.GetEnvironmentVariable;
    }

    /// <inheritdoc />
    public bool CanOpen(BucketLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Kind is BucketLocationKind.R2 or BucketLocationKind.S3;
    }

    /// <inheritdoc />
    public IR2Bucket Open(BucketRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = CreateOptions(request);
        try
        {
            return new R2Bucket(options, _loggerFactory?.CreateLogger<R2Bucket>(), _timeProvider);
        }
        catch (ArgumentException ex)
        {
            // what is left after the checks above comes from the configure callback's values (part size, retries...)
            throw new LogpushSettingException(request.Setting, $"'{request.Location}': {ex.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>The options <see cref="Open"/> creates the bucket with (endpoint and credentials resolved and checked).</summary>
    private R2BucketOptions CreateOptions(BucketRequest request)
    {
        var location = request.Location;
        if (!CanOpen(location))
        {
            throw new ArgumentException($"'{location}' is not an r2:// or s3:// location.", nameof(request));
        }

        var isS3 = location.Kind == BucketLocationKind.S3;
        var options = new R2BucketOptions { GetEnvironmentVariable = _getVariable };
        _configure?.Invoke(options);
        options.Bucket = location.Bucket!;
        options.GetEnvironmentVariable = _getVariable;

        var missing = new List<string>();
        if (!string.IsNullOrWhiteSpace(request.Endpoint))
        {
            options.Endpoint = ParseEndpoint(request.Endpoint, request.EndpointSetting);
        }
        else if (options.Endpoint is not null)
        {
            options.Endpoint = ParseEndpoint(options.Endpoint.OriginalString, request.Setting);
        }
        else if (isS3)
        {
            if (Variable(S3EndpointVariable) is { } s3Endpoint)
            {
                options.Endpoint = ParseEndpoint(s3Endpoint, S3EndpointVariable);
            }
            else
            {
                missing.Add($"the address of its S3-compatible server (set {request.EndpointSetting} or the {S3EndpointVariable} environment variable)");
            }
        }
        else if (string.IsNullOrWhiteSpace(options.AccountId))
        {
            if (Variable(R2BucketOptions.EndpointVariable) is { } r2Endpoint)
            {
                options.Endpoint = ParseEndpoint(r2Endpoint, R2BucketOptions.EndpointVariable);
            }
            else if (Variable(R2BucketOptions.AccountIdVariable) is { } accountId)
            {
                options.AccountId = R2BucketOptionsValidator.IsHostLabel(accountId)
                    ? accountId
                    : throw new LogpushSettingException(R2BucketOptions.AccountIdVariable, "not a Cloudflare account id (letters, digits and '-').");
            }
            else
            {
                missing.Add($"its account (set the {R2BucketOptions.AccountIdVariable} environment variable, or {R2BucketOptions.EndpointVariable}, or {request.EndpointSetting})");
            }
        }

        if (string.IsNullOrWhiteSpace(options.AccessKeyId) && string.IsNullOrWhiteSpace(options.SecretAccessKey))
        {
            if (Credentials(request, isS3) is { } credentials)
            {
                (options.AccessKeyId, options.SecretAccessKey) = credentials;
            }
            else
            {
                var r2Pair = $"{R2BucketOptions.AccessKeyIdVariable} and {R2BucketOptions.SecretAccessKeyVariable}";
                missing.Add(isS3
                    ? $"credentials (set the {AwsAccessKeyIdVariable} and {AwsSecretAccessKeyVariable} environment variables, or {r2Pair})"
                    : $"credentials (set the {r2Pair} environment variables)");
            }
        }
        else if (string.IsNullOrWhiteSpace(options.AccessKeyId) || string.IsNullOrWhiteSpace(options.SecretAccessKey))
        {
            throw new LogpushSettingException(request.Setting, $"'{location}': the configured R2 credentials need both an access key id and a secret access key.");
        }

        // everything that is missing in one message, so one run shows all there is to set
        return missing.Count == 0
            ? options
            : throw new LogpushSettingException(request.Setting, $"'{location}' needs {string.Join(" and ", missing)}.");
    }

    private (string Id, string Secret)? Credentials(BucketRequest request, bool isS3)
        => (isS3 ? Pair(AwsAccessKeyIdVariable, AwsSecretAccessKeyVariable, request) : null)
            ?? Pair(R2BucketOptions.AccessKeyIdVariable, R2BucketOptions.SecretAccessKeyVariable, request);

    private (string, string)? Pair(string idVariable, string secretVariable, BucketRequest request)
    {
        var (id, secret) = (Variable(idVariable), Variable(secretVariable));
        return (id, secret) switch
        {
            ({ } i, { } s) => (i, s),
            (null, null) => null,
            (null, _) => throw new LogpushSettingException(idVariable, $"not set, but {secretVariable} is (needed for '{request.Location}')."),
            _ => throw new LogpushSettingException(secretVariable, $"not set, but {idVariable} is (needed for '{request.Location}')."),
        };
    }

    private string? Variable(string name) => _getVariable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>Parses an endpoint; a problem names <paramref name="setting"/>, the flag, key or variable it came from.</summary>
    private static Uri ParseEndpoint(string text, string setting)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            // a value with '@' may hold a password: not echoed
            var shown = text.Contains('@', StringComparison.Ordinal) ? "the value" : $"'{text}'";
            throw new LogpushSettingException(setting, $"{shown} is not an absolute http:// or https:// URL.");
        }

        return string.IsNullOrEmpty(uri.UserInfo)
            ? uri
            : throw new LogpushSettingException(setting, "the endpoint URL must not contain credentials (user info); use the access key environment variables.");
    }
}
