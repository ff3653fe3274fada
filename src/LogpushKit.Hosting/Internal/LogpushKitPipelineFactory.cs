using LogpushKit.Pipeline;
using LogpushKit.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting;

/// <summary>
/// Builds the worker's <see cref="LogpushPipeline"/> from <see cref="LogpushKitOptions"/>: configuration in, the library's
/// one composition out. A setting the pipeline cannot use becomes an <see cref="OptionsValidationException"/> naming its
/// configuration key, like every other configuration error.
/// </summary>
internal static class LogpushKitPipelineFactory
{
    public static LogpushPipeline Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<LogpushKitOptions>>().Value;
        var loggers = services.GetService<ILoggerFactory>();
        try
        {
            var pipelineOptions = ToPipelineOptions(options);
            pipelineOptions = pipelineOptions with { Jobs = ListJobs(options, pipelineOptions.Transform, loggers) };
            return LogpushPipeline.Open(
                pipelineOptions,
                new BucketProviders(services.GetServices<IBucketProvider>()),
                loggers,
                services.GetRequiredService<LogpushKitMetrics>(),
                services.GetRequiredService<TimeProvider>());
        }
        catch (LogpushSettingException ex)
        {
            throw new OptionsValidationException(LogpushKitOptions.SectionName, typeof(LogpushKitOptions), [ex.Message]);
        }
    }

    /// <summary>
    /// The Logpush jobs that tell datasets (the CLI's <c>run</c>/<c>consume</c> do the same, through the same
    /// <see cref="Datasets.LogpushJobListing"/>): listed once when the host starts, when the dataset is <c>auto</c> and the
    /// Cloudflare settings (<c>LogpushKit:Queue:AccountId</c>/<c>ApiToken</c>/<c>ApiBaseUrl</c>, else
    /// <c>CLOUDFLARE_ACCOUNT_ID</c>, <c>CLOUDFLARE_ZONE_ID</c>, <c>CLOUDFLARE_API_TOKEN</c>) give credentials and an
    /// account and/or zone id. A failed listing logs one warning (secrets masked) and the worker goes on without those jobs.
    /// The start waits for the listing (bounded by the API client's timeout): the pipeline is built from it.
    /// </summary>
    internal static IReadOnlyList<Datasets.LogpushJobRoute> ListJobs(LogpushKitOptions options, Transform.TransformOptions transform, ILoggerFactory? loggers)
    {
        if (!string.Equals(transform.Dataset, Transform.TransformOptions.AutoDataset, StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var settings = options.Queue.ResolveCloudflare();
        if (!Datasets.LogpushJobListing.IsConfigured(settings))
        {
            return [];
        }

        var folderBucket = BucketLocation.TryParse(options.Source, out var location, out _) && !location.IsBucket && location.Path is { } path
            ? new FileSystemBucket(path).Name
            : null;

        // host start-up has no synchronization context: waiting here cannot deadlock
        var listing = Datasets.LogpushJobListing.ListAsync(settings, folderBucket).GetAwaiter().GetResult();
        var logger = (loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger(typeof(LogpushKitWorker).FullName!);
        foreach (var problem in listing.Problems)
        {
            Log.JobListingFailed(logger, problem);
        }

        Log.JobsListed(logger, listing.Listed, listing.Routes.Count);
        return listing.Routes;
    }

    /// <summary>The pipeline options <paramref name="options"/> describe (already validated).</summary>
    public static LogpushPipelineOptions ToPipelineOptions(LogpushKitOptions options) => new()
    {
        Source = options.Source!,
        Target = options.Target!,
        Endpoint = string.IsNullOrWhiteSpace(options.Endpoint) ? null : options.Endpoint,
        State = !string.IsNullOrWhiteSpace(options.State) ? options.State
            : BucketLocation.TryParse(options.Target, out var target, out _) && !target.IsBucket ? LogpushKit.State.SqliteConversionStateStore.DefaultPath() : null,
        Quarantine = string.IsNullOrWhiteSpace(options.Quarantine) ? null : options.Quarantine,
        Prefix = string.IsNullOrEmpty(options.Prefix) ? null : options.Prefix,
        Suffix = options.Suffix,
        TargetKeyTemplate = new TargetKeyTemplate(options.TargetKeyTemplate),
        Transform = TransformOptionsFactory.Create(options.Transform),
        Datasets = DatasetSettingsFactory.TryCreate(options.Datasets, run: null, string.Empty, []),
        MaxConcurrency = options.Concurrency,
        ReconcileFirst = options.ReconcileOnStart,
        ReconcileInterval = options.ReconcileIntervalSeconds > 0 ? TimeSpan.FromSeconds(options.ReconcileIntervalSeconds) : null,
        WatchDebounce = TimeSpan.FromMilliseconds(options.WatchDebounceMilliseconds),
        IoBudgetBytes = options.IoBudgetBytes,
        MaxAttempts = options.MaxAttempts,
        DrainTimeout = TimeSpan.FromSeconds(options.Queue.DrainTimeoutSeconds),
        SettingNames = PipelineSettingNames.ForSection(LogpushKitOptions.SectionName),
    };
}
