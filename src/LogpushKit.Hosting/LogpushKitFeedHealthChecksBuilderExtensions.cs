using LogpushKit.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the worker's feed health check (<c>services.AddHealthChecks().AddLogpushKitFeed()</c>).</summary>
public static class LogpushKitFeedHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check, <c>logpushkit-feed</c>.</summary>
    public const string DefaultName = "logpushkit-feed";

    /// <summary>
    /// Adds a background check of the feed, the library's <c>FeedHealth</c> (what <c>logpushkit status</c> prints) over the
    /// worker's pipeline every <c>LogpushKit:FeedHealth:IntervalSeconds</c> (default 300), and a health check that reports
    /// its newest result: <see cref="HealthStatus.Healthy"/> for a healthy feed; <see cref="HealthStatus.Degraded"/> for a
    /// degraded one and before the first check; <see cref="HealthStatus.Unhealthy"/> for a critical one (an object older
    /// than <c>LogpushKit:FeedHealth:MaxLagSeconds</c> never converted, a failing Logpush job, a quarantined object) and
    /// while checks fail. Each report also feeds the gauges <c>logpushkit.feed.status</c>, <c>logpushkit.feed.lag</c>,
    /// <c>logpushkit.feed.unconverted</c> and <c>logpushkit.feed.jobs.failing</c> on the <c>LogpushKit</c> meter.
    /// <c>AddLogpushKit</c> must be registered too.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <see cref="DefaultName"/>.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddLogpushKitFeed(this IHealthChecksBuilder builder, string name = DefaultName, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        builder.Services.TryAddSingleton<LogpushKitFeedState>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LogpushKitOptions>, FeedHealthOptionsValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LogpushKitFeedMonitor>(sp => ActivatorUtilities.CreateInstance<LogpushKitFeedMonitor>(sp)));
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new LogpushKitFeedHealthCheck(sp.GetRequiredService<LogpushKitFeedState>()),
            failureStatus: HealthStatus.Unhealthy,
            tags));
    }

    /// <summary>Refuses feed settings out of range, naming their configuration keys.</summary>
    private sealed class FeedHealthOptionsValidator : IValidateOptions<LogpushKitOptions>
    {
        public ValidateOptionsResult Validate(string? name, LogpushKitOptions options)
        {
            var failures = new List<string>();
            if (options.FeedHealth.IntervalSeconds < 5)
            {
                failures.Add($"{LogpushKitFeedHealthOptions.SectionName}:{nameof(LogpushKitFeedHealthOptions.IntervalSeconds)} must be at least 5 (it was {options.FeedHealth.IntervalSeconds}).");
            }

            if (options.FeedHealth.MaxLagSeconds < 1)
            {
                failures.Add($"{LogpushKitFeedHealthOptions.SectionName}:{nameof(LogpushKitFeedHealthOptions.MaxLagSeconds)} must be at least 1 (it was {options.FeedHealth.MaxLagSeconds}).");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
