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
        try
        {
            return LogpushPipeline.Open(
                ToPipelineOptions(options),
                new BucketProviders(services.GetServices<IBucketProvider>()),
                services.GetService<ILoggerFactory>(),
                services.GetRequiredService<LogpushKitMetrics>(),
                services.GetRequiredService<TimeProvider>());
        }
        catch (LogpushSettingException ex)
        {
            throw new OptionsValidationException(LogpushKitOptions.SectionName, typeof(LogpushKitOptions), [ex.Message]);
        }
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
        MaxConcurrency = options.Concurrency,
        ReconcileFirst = options.ReconcileOnStart,
        ReconcileInterval = options.ReconcileIntervalSeconds > 0 ? TimeSpan.FromSeconds(options.ReconcileIntervalSeconds) : null,
        WatchDebounce = TimeSpan.FromMilliseconds(options.WatchDebounceMilliseconds),
        DrainTimeout = TimeSpan.FromSeconds(options.Queue.DrainTimeoutSeconds),
        SettingNames = PipelineSettingNames.ForSection(LogpushKitOptions.SectionName),
    };
}
