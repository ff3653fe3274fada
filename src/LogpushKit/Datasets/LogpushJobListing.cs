using System.Text.Json;
using LogpushKit.Cloudflare;

namespace LogpushKit.Datasets;

/// <summary>
/// The Logpush jobs a host tells datasets by (issue 13, step 2 of the resolution): the jobs of the account and of the zone
/// the settings name, listed once, those with an R2 destination turned into <see cref="LogpushJobRoute"/>s. The CLI's
/// <c>run</c>/<c>consume</c> and the worker call this one implementation.
/// </summary>
/// <param name="Routes">The routes of the jobs with an R2 destination.</param>
/// <param name="Listed">How many jobs were listed (all destinations).</param>
/// <param name="Problems">One line per scope that could not be listed, or for settings that cannot be used; secrets masked. Empty when all went well or nothing was to be listed.</param>
public sealed record LogpushJobListing(IReadOnlyList<LogpushJobRoute> Routes, int Listed, IReadOnlyList<string> Problems)
{
    /// <summary>Nothing listed, nothing wrong (no credentials, or no account or zone id).</summary>
    public static LogpushJobListing None { get; } = new([], 0, []);

    /// <summary>Whether the settings ask for a listing: credentials and an account and/or zone id (or settings that are malformed, which are reported).</summary>
    public static bool IsConfigured(CloudflareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Problems.Count > 0 || (settings.Credentials is not null && (settings.AccountId is not null || settings.ZoneId is not null));
    }

    /// <summary>
    /// Lists the jobs of the account and of the zone <paramref name="settings"/> name. A scope that fails (HTTP error,
    /// timeout, malformed answer) becomes a line in <see cref="Problems"/> and the others are still listed; nothing throws
    /// but cancellation. Without credentials or ids nothing is listed (<see cref="None"/>).
    /// </summary>
    /// <param name="settings">The resolved Cloudflare connection settings.</param>
    /// <param name="folderBucket">For a local folder source (a copy of a bucket), the folder's bucket name: routes then match by path only. <see langword="null"/> for a bucket source.</param>
    /// <param name="onRetry">Told of each retried API call (see <see cref="CloudflareClientOptions.OnRetry"/>), e.g. to print it; <see langword="null"/>: not told.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    /// <returns>The routes, the count, the problems.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public static async Task<LogpushJobListing> ListAsync(CloudflareSettings settings, string? folderBucket, Action<CloudflareRetryNotice>? onRetry = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Problems.Count > 0)
        {
            return new LogpushJobListing([], 0, [$"Logpush jobs not listed ({SecretRedactor.MaskText(string.Join("; ", settings.Problems))})"]);
        }

        if (settings.Credentials is null || (settings.AccountId is null && settings.ZoneId is null))
        {
            return None;
        }

        var scopes = new List<LogpushScope>(2);
        if (settings.AccountId is { } account)
        {
            scopes.Add(LogpushScope.Account(account));
        }

        if (settings.ZoneId is { } zone)
        {
            scopes.Add(LogpushScope.Zone(zone));
        }

        var routes = new List<LogpushJobRoute>();
        var problems = new List<string>();
        var listed = 0;
        using var client = new LogpushClient(settings.CreateClientOptions<LogpushClientOptions>() with { OnRetry = onRetry });
        foreach (var scope in scopes)
        {
            try
            {
                await foreach (var job in client.ListJobsAsync(scope, cancellationToken).ConfigureAwait(false))
                {
                    listed++;
                    if (LogpushJobRoute.TryFrom(job, out var route))
                    {
                        routes.Add(folderBucket is null ? route : route with { Bucket = folderBucket });
                    }
                }
            }
            catch (Exception ex) when (ex is LogpushKitException or HttpRequestException or TimeoutException or JsonException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var what = scope.Kind == LogpushScopeKind.Account ? $"account {scope.Id}" : $"zone {scope.Id}";
                problems.Add($"could not list the Logpush jobs of {what}: {SecretRedactor.MaskText(ex.Message)}");
            }
        }

        return new LogpushJobListing(routes, listed, problems);
    }
}
