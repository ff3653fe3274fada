using LogpushKit.R2;
using LogpushKit.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers R2 in a host: <see cref="AddLogpushR2Locations(IServiceCollection)"/> lets <c>r2://</c> and <c>s3://</c>
/// locations (e.g. <c>LogpushKit:Source</c>) open as buckets; <see cref="AddLogpushR2(IServiceCollection)"/> registers one
/// <see cref="R2Bucket"/> as the application's <see cref="IR2Bucket"/>.
/// </summary>
public static class R2ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="R2Bucket"/> (singleton) and <see cref="IR2Bucket"/> over it, with
    /// <see cref="R2BucketOptions"/> validated when the host starts. Settings come from elsewhere (another
    /// <c>Configure</c> call) and from the <c>R2_*</c> environment variables.
    /// </summary>
    public static IServiceCollection AddLogpushR2(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<R2BucketOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<R2BucketOptions>, R2BucketOptionsValidator>());
        services.TryAddSingleton(provider => new R2Bucket(
            provider.GetRequiredService<IOptions<R2BucketOptions>>().Value,
            provider.GetService<ILogger<R2Bucket>>(),
            provider.GetService<TimeProvider>()));
        services.TryAddSingleton<IR2Bucket>(provider => provider.GetRequiredService<R2Bucket>());
        return services;
    }

    /// <summary>As <see cref="AddLogpushR2(IServiceCollection)"/>, with settings from <paramref name="configure"/>.</summary>
    public static IServiceCollection AddLogpushR2(this IServiceCollection services, Action<R2BucketOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddLogpushR2();
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// As <see cref="AddLogpushR2(IServiceCollection)"/>, with settings bound from <paramref name="section"/>
    /// (e.g. <c>configuration.GetSection("R2")</c>: <c>Bucket</c>, <c>AccountId</c>, <c>Jurisdiction</c>, …).
    /// </summary>
    public static IServiceCollection AddLogpushR2(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddLogpushR2();
        services.Configure<R2BucketOptions>(section);
        return services;
    }

    /// <summary>
    /// Registers <see cref="R2BucketProvider"/> as an <see cref="IBucketProvider"/>, so <c>r2://bucket/folder</c> and
    /// <c>s3://bucket/folder</c> locations in the host's settings open as <see cref="R2Bucket"/>s (endpoint and credentials
    /// by the provider's rule, from the environment). Calling it again adds nothing.
    /// </summary>
    public static IServiceCollection AddLogpushR2Locations(this IServiceCollection services) => services.AddLogpushR2Locations(configure: null);

    /// <summary>
    /// As <see cref="AddLogpushR2Locations(IServiceCollection)"/>; <paramref name="configure"/> sets options of every
    /// bucket opened (part size, retries, an HTTP handler, or credentials from configuration, which win over the environment).
    /// </summary>
    public static IServiceCollection AddLogpushR2Locations(this IServiceCollection services, Action<R2BucketOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBucketProvider, R2BucketProvider>(
            provider => new R2BucketProvider(configure, provider.GetService<ILoggerFactory>(), provider.GetService<TimeProvider>())));
        return services;
    }
}
