using System.Globalization;
using LogpushKit.Cloudflare;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LogpushKit.Hosting;

/// <summary>The worker's health, read from <see cref="LogpushKitWorkerState"/>; it never opens or calls anything itself.</summary>
internal sealed class LogpushKitHealthCheck : IHealthCheck
{
    private readonly LogpushKitWorkerState _state;

    public LogpushKitHealthCheck(LogpushKitWorkerState state) => _state = state;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(Check(_state));

    internal static HealthCheckResult Check(LogpushKitWorkerState state)
    {
        var status = state.Status;
        var health = state.Health;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["status"] = status.ToString(),
            ["activity"] = health.Activity.ToString(),
        };
        if (state.Mode is { } mode)
        {
            data["mode"] = mode;
        }

        if (health.Consumer is { } consumer)
        {
            data["consumer.status"] = consumer.Status.ToString();
            data["consumer.consecutiveFailures"] = consumer.ConsecutiveFailures;
            data["consumer.totalFailures"] = consumer.TotalFailures;
            AddTime(data, "consumer.lastSuccess", consumer.LastSuccess);
            AddTime(data, "consumer.failingSince", consumer.FailingSince);
            AddText(data, "consumer.lastError", consumer.LastError);
        }

        if (health.WatcherFailures > 0 || health.WatcherFailingSince is not null)
        {
            data["watcher.failures"] = health.WatcherFailures;
            AddTime(data, "watcher.failingSince", health.WatcherFailingSince);
            AddText(data, "watcher.lastError", health.WatcherLastError);
        }

        if (health.FailedPasses > 0 || health.PassesFailingSince is not null)
        {
            data["passes.failed"] = health.FailedPasses;
            AddTime(data, "passes.failingSince", health.PassesFailingSince);
            AddText(data, "passes.lastError", health.LastPassError);
        }

        return status switch
        {
            LogpushKitWorkerStatus.NotStarted => HealthCheckResult.Degraded("The LogpushKit worker has not started yet.", data: data),
            LogpushKitWorkerStatus.Failed => HealthCheckResult.Unhealthy(
                $"The LogpushKit worker failed: {SecretRedactor.MaskText(state.Failure?.Message ?? "unknown error")}", data: data),
            LogpushKitWorkerStatus.Stopped => HealthCheckResult.Unhealthy("The LogpushKit worker has stopped.", data: data),
            _ when health.Consumer is { IsHealthy: false } c => HealthCheckResult.Unhealthy(
                $"The queue consumer is failing since {Time(c.FailingSince)}: {c.ConsecutiveFailures} failed calls in a row; last: {c.LastError}", data: data),
            _ when health.WatcherFailingSince is { } since => HealthCheckResult.Unhealthy(
                $"The folder watcher is failing since {Time(since)}: {health.WatcherLastError}", data: data),
            _ when health.PassesFailingSince is { } since => HealthCheckResult.Unhealthy(
                $"Reconcile passes are failing since {Time(since)}: {health.LastPassError}", data: data),
            _ => HealthCheckResult.Healthy($"The LogpushKit worker runs ({state.Mode}).", data: data),
        };
    }

    private static string Time(DateTimeOffset? time) => time?.ToString("O", CultureInfo.InvariantCulture) ?? "an unknown time";

    private static void AddTime(Dictionary<string, object> data, string key, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            data[key] = t.ToString("O", CultureInfo.InvariantCulture);
        }
    }

    private static void AddText(Dictionary<string, object> data, string key, string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            data[key] = SecretRedactor.MaskText(text);
        }
    }
}
