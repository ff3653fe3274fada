using LogpushKit.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the LogpushKit worker's health check (<c>services.AddHealthChecks().AddLogpushKit()</c>).</summary>
public static class LogpushKitHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check, <c>logpushkit</c>.</summary>
    public const string DefaultName = "logpushkit";

    /// <summary>
    /// Adds a check that reads <see cref="LogpushKitWorkerState"/> (so <c>AddLogpushKit</c> must be registered too):
    /// <see cref="HealthStatus.Healthy"/> while the worker runs and nothing is failing now;
    /// <see cref="HealthStatus.Degraded"/> before the worker has started;
    /// <see cref="HealthStatus.Unhealthy"/> while the queue consumer's pulls or acks, the folder watcher or the reconcile
    /// passes are failing, once the pipeline has failed, and after the worker stopped. The result's data carries the
    /// consumer state, its last success, the failure streak and the last error (secrets masked).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <see cref="DefaultName"/>.</param>
    /// <param name="tags">Tags to filter checks by (e.g. <c>ready</c>, <c>live</c>).</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddLogpushKit(this IHealthChecksBuilder builder, string name = DefaultName, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new LogpushKitHealthCheck(sp.GetRequiredService<LogpushKitWorkerState>()),
            failureStatus: HealthStatus.Unhealthy,
            tags));
    }
}
