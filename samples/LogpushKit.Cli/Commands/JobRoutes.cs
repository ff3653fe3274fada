using System.CommandLine;
using System.Globalization;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Datasets;
using LogpushKit.Storage;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// The Logpush jobs <c>run</c> and <c>consume</c> tell datasets by (issue 13, step 2 of the resolution: key path, then the
/// job whose destination path the key is under, then the first record): listed once at start when Cloudflare credentials
/// and an account and/or zone id are set, unless <c>--no-jobs</c> or <c>--dataset NAME</c>. Without credentials or ids
/// nothing is listed and nothing is said. A listing that fails prints one warning line (secrets masked) and the command
/// goes on without those jobs: the objects are still converted, their datasets told by key path and first record; the
/// failure is counted nowhere else and does not change the exit code (the conversion itself did not fail).
/// </summary>
internal static class JobRoutes
{
    /// <summary>The flag that skips the listing.</summary>
    public static Option<bool> CreateNoJobsOption() => new("--no-jobs")
    {
        Description = "Do not list the Logpush jobs at start. By default, when Cloudflare credentials (CLOUDFLARE_API_TOKEN) and an account and/or zone id are set, "
            + "the jobs are listed once and an object under a job's R2 destination path gets that job's dataset, field_names and timestamp_format "
            + "(after a dataset named in the key path, before the first record's keys). A failed listing prints a warning and the command goes on without it.",
    };

    /// <summary>
    /// Whether the listing is wanted: not with <c>--no-jobs</c>, not when <c>--dataset NAME</c> forces one dataset (the jobs
    /// would tell nothing).
    /// </summary>
    public static bool Wanted(ParseResult parseResult, Option<bool> noJobs, TransformOptions transform)
        => !parseResult.GetValue(noJobs) && string.Equals(transform.Dataset ?? TransformOptions.AutoDataset, TransformOptions.AutoDataset, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Lists the jobs of the account and of the zone the <paramref name="settings"/> name and turns those with an R2
    /// destination into routes. For a local folder <paramref name="source"/> (a copy of a bucket), routes match by path
    /// only: their bucket becomes the folder's bucket name. Failures print one warning line on <paramref name="error"/>.
    /// </summary>
    public static async Task<IReadOnlyList<LogpushJobRoute>> ListAsync(
        CloudflareSettings settings, string source, string label, TextWriter error, bool verbose, CancellationToken cancellationToken)
    {
        if (!LogpushJobListing.IsConfigured(settings))
        {
            return [];
        }

        var folderBucket = BucketLocation.TryParse(source, out var location, out _) && !location.IsBucket && location.Path is { } path
            ? new FileSystemBucket(path).Name
            : null;
        var listing = await LogpushJobListing.ListAsync(settings, folderBucket, RetryNotices.WriteTo(error), cancellationToken);
        foreach (var problem in listing.Problems)
        {
            await error.WriteLineAsync(
                $"logpushkit: warning: {label}: {CliText.ForUser(problem)}; going on without them (datasets told by key path and first record).");
        }

        if (verbose && settings.Problems.Count == 0)
        {
            await error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"logpushkit: {label}: {listing.Listed:N0} Logpush jobs listed, {listing.Routes.Count:N0} with an R2 destination tell datasets{(folderBucket is null ? string.Empty : " (matched by path in the folder)")}"));
        }

        return listing.Routes;
    }
}
