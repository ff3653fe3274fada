using LogpushKit.Hosting;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the LogpushKit worker in a Generic Host: the options (validated at start-up), the
/// <see cref="LogpushPipeline"/> they describe (a singleton that owns its buckets), the worker that runs it, and its
/// <see cref="LogpushKitWorkerState"/> (status and health, for health checks). Local
/// folders open out of the box; <c>r2://</c> and <c>s3://</c> locations need an <see cref="IBucketProvider"/> for them,
/// e.g. <c>services.AddLogpushR2Locations()</c> from the <c>LogpushKit.R2</c> package.
/// </summary>
public static class LogpushKitServiceCollectionExtensions
{
    /// <summary>
    /// Registers the worker with options bound from the <c>LogpushKit</c> configuration section (appsettings.json,
    /// environment variables <c>LogpushKit__Source</c>…, user secrets), validated when the host starts; a key in the section
    /// that no setting reads (a misspelling) is a start-up error naming it.
    /// </summary>
    public static IServiceCollection AddLogpushKit(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<LogpushKitOptions>().BindConfiguration(LogpushKitOptions.SectionName);
        services.AddSingleton<IValidateOptions<LogpushKitOptions>>(sp => new UnknownConfigurationKeysValidator(sp.GetRequiredService<IConfiguration>().GetSection(LogpushKitOptions.SectionName)));
        return AddCore(services);
    }

    /// <summary>Registers the worker with options set in code (on top of any bound elsewhere), validated when the host starts.</summary>
    public static IServiceCollection AddLogpushKit(this IServiceCollection services, Action<LogpushKitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LogpushKitOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>
    /// Registers the worker with options bound from <paramref name="configuration"/> (e.g. <c>builder.Configuration.GetSection("LogpushKit")</c>),
    /// validated when the host starts; a key in it that no setting reads (a misspelling) is a start-up error naming it.
    /// </summary>
    public static IServiceCollection AddLogpushKit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LogpushKitOptions>().Bind(configuration);
        services.AddSingleton<IValidateOptions<LogpushKitOptions>>(new UnknownConfigurationKeysValidator(configuration));
        return AddCore(services);
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        services.AddOptions<LogpushKitOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LogpushKitOptions>, LogpushKitOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBucketProvider>(FolderBucketProvider.Instance));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LogpushKitMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(LogpushKitPipelineFactory.Create);
        services.TryAddSingleton<LogpushKitWorkerState>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LogpushKitWorker>());
        return services;
    }
}
