using LogpushKit.R2;
using LogpushKit.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an <see cref="R2Bucket"/> as the application's <see cref="IR2Bucket"/>.</summary>
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
}
