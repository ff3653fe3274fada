using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LogpushKit.Worker;

/// <summary>
/// A worker has no HTTP endpoint to serve its health on, so the host's health-check publisher (every 30 s by default)
/// hands each report here and this logs one line when the status changes: <c>LogpushKit health: Unhealthy — The queue
/// consumer is failing since …</c>. A host with ASP.NET Core would map the same checks to <c>/healthz</c> instead.
/// </summary>
internal sealed partial class HealthLogPublisher(ILogger<HealthLogPublisher> logger) : IHealthCheckPublisher
{
    private HealthStatus? _last;

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        if (report.Status != _last)
        {
            _last = report.Status;
            var description = string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Description}"));
            if (report.Status == HealthStatus.Healthy)
            {
                Healthy(logger, report.Status, description);
            }
            else
            {
                NotHealthy(logger, report.Status, description);
            }
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(200, LogLevel.Information, "LogpushKit health: {Status}: {Description}")]
    private static partial void Healthy(ILogger logger, HealthStatus status, string description);

    [LoggerMessage(201, LogLevel.Warning, "LogpushKit health: {Status}: {Description}")]
    private static partial void NotHealthy(ILogger logger, HealthStatus status, string description);
}
