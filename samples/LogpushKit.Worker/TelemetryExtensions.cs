using LogpushKit.Pipeline;
using OpenTelemetry;

namespace LogpushKit.Worker;

/// <summary>
/// OpenTelemetry for the worker: the <c>LogpushKit</c> meter and activity source exported over OTLP, only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (environment or configuration). Without it nothing is registered, so a worker
/// with no collector exports nothing and logs no export errors. The exporter reads the other standard <c>OTEL_*</c>
/// settings itself (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_SERVICE_NAME</c>, …).
/// </summary>
internal static class TelemetryExtensions
{
    /// <summary>The standard OpenTelemetry setting that switches the export on.</summary>
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IHostApplicationBuilder AddLogpushKitTelemetry(this IHostApplicationBuilder builder)
    {
        var endpoint = builder.Configuration[EndpointSetting];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return builder;
        }

        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            // reported by RunLogpushKitAsync with the other configuration errors: one line, exit code 2 (the value may hold credentials: not echoed)
            builder.Services.AddOptions<EndpointCheck>()
                .Validate(_ => false, $"{EndpointSetting}: not an absolute http:// or https:// URI (e.g. http://localhost:4317).")
                .ValidateOnStart();
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddMeter(LogpushKitMetrics.MeterName))
            .WithTracing(tracing => tracing.AddSource(LogpushKitMetrics.ActivitySourceName))
            .UseOtlpExporter();
        return builder;
    }

    private sealed class EndpointCheck;
}
