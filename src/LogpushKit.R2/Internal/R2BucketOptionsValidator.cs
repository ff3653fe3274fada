using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace LogpushKit.R2;

/// <summary>
/// Checks <see cref="R2BucketOptions"/> at start-up (and when an <see cref="R2Bucket"/> is created). Messages name the
/// setting and the environment variable to use, and never contain the secret.
/// </summary>
internal sealed partial class R2BucketOptionsValidator : IValidateOptions<R2BucketOptions>
{
    public ValidateOptionsResult Validate(string? name, R2BucketOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem with <paramref name="options"/>, empty when they are usable.</summary>
    public static List<string> Check(R2BucketOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            failures.Add("R2BucketOptions.Bucket is required.");
        }
        else if (!BucketName().IsMatch(options.Bucket))
        {
            failures.Add($"R2BucketOptions.Bucket '{options.Bucket}' is not a valid bucket name (3-63 characters: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit).");
        }

        if (options.Endpoint is { } endpoint)
        {
            if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"R2BucketOptions.Endpoint '{endpoint}' must be an absolute http:// or https:// URL.");
            }
            else if (!string.IsNullOrEmpty(endpoint.UserInfo))
            {
                failures.Add("R2BucketOptions.Endpoint must not contain credentials (user info); use AccessKeyId and SecretAccessKey.");
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.AccountId))
        {
            if (!IsHostLabel(options.AccountId))
            {
                failures.Add("R2BucketOptions.AccountId must be a Cloudflare account id (letters, digits and '-').");
            }
        }
        else if (options.GetEnvironmentVariable(R2BucketOptions.EndpointVariable) is { Length: > 0 } environmentEndpoint)
        {
            if (!Uri.TryCreate(environmentEndpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(uri.UserInfo))
            {
                failures.Add($"The {R2BucketOptions.EndpointVariable} environment variable must be an absolute http:// or https:// URL without credentials.");
            }
        }
        else if (options.GetEnvironmentVariable(R2BucketOptions.AccountIdVariable) is { Length: > 0 } environmentAccount)
        {
            if (!IsHostLabel(environmentAccount))
            {
                failures.Add($"The {R2BucketOptions.AccountIdVariable} environment variable must be a Cloudflare account id (letters, digits and '-').");
            }
        }
        else
        {
            failures.Add($"No endpoint: set R2BucketOptions.AccountId (or the {R2BucketOptions.AccountIdVariable} environment variable) for R2, or R2BucketOptions.Endpoint (or {R2BucketOptions.EndpointVariable}) for another S3-compatible server.");
        }

        if (string.IsNullOrWhiteSpace(options.ResolveAccessKeyId()))
        {
            failures.Add($"R2BucketOptions.AccessKeyId is missing: set it or the {R2BucketOptions.AccessKeyIdVariable} environment variable.");
        }

        if (string.IsNullOrWhiteSpace(options.ResolveSecretAccessKey()))
        {
            failures.Add($"R2BucketOptions.SecretAccessKey is missing: set it or the {R2BucketOptions.SecretAccessKeyVariable} environment variable.");
        }

        if (options.PartSize is < R2BucketOptions.MinPartSize or > R2BucketOptions.MaxPartSize)
        {
            failures.Add($"R2BucketOptions.PartSize {options.PartSize} must be between {R2BucketOptions.MinPartSize} (5 MiB) and {R2BucketOptions.MaxPartSize} bytes.");
        }

        if (options.PartsInFlight is < 1 or > 16)
        {
            failures.Add($"R2BucketOptions.PartsInFlight {options.PartsInFlight} must be between 1 and 16.");
        }

        if (options.SinglePutThreshold is { } threshold && (threshold < 0 || threshold > options.PartSize))
        {
            failures.Add($"R2BucketOptions.SinglePutThreshold {threshold} must be between 0 and PartSize ({options.PartSize}).");
        }

        if (options.MaxRetries is < 0 or > 10)
        {
            failures.Add($"R2BucketOptions.MaxRetries {options.MaxRetries} must be between 0 and 10.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add("R2BucketOptions.RequestTimeout must be positive.");
        }

        return failures;
    }

    /// <summary>Whether <paramref name="value"/> can be one label of a host name.</summary>
    public static bool IsHostLabel(string value) => HostLabel().IsMatch(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex HostLabel();
}
