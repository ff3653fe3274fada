using System.Globalization;
using LogpushKit.Cloudflare;
using LogpushKit.Health;
using LogpushKit.Pipeline;
using LogpushKit.State;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting;

/// <summary>The newest feed report of <see cref="LogpushKitFeedMonitor"/>, or why the last check failed; read by <see cref="LogpushKitFeedHealthCheck"/>.</summary>
internal sealed class LogpushKitFeedState
{
    private readonly Lock _gate = new();
    private FeedHealthReport? _report;
    private string? _error;
    private DateTimeOffset? _errorAt;

    public (FeedHealthReport? Report, string? Error, DateTimeOffset? ErrorAt) Snapshot()
    {
        lock (_gate)
        {
            return (_report, _error, _errorAt);
        }
    }

    public void Checked(FeedHealthReport report)
    {
        lock (_gate)
        {
            _report = report;
            _error = null;
            _errorAt = null;
        }
    }

    public void Failed(string error, DateTimeOffset at)
    {
        lock (_gate)
        {
            _error = error;
            _errorAt = at;
        }
    }
}

/// <summary>
/// Checks the worker's feed every <see cref="LogpushKitFeedHealthOptions.IntervalSeconds"/> with the library's
/// <see cref="FeedHealth"/> over the worker's own pipeline (its buckets, filter and target names), a state store when one
/// is registered (<see cref="IConversionStateStore"/>; else the pipeline's own, <c>LogpushKit:State</c>), and the Logpush jobs when <c>CLOUDFLARE_API_TOKEN</c> (or email
/// and key) and <c>CLOUDFLARE_ACCOUNT_ID</c> and/or <c>CLOUDFLARE_ZONE_ID</c> are set. Each report goes to
/// <see cref="LogpushKitFeedState"/> and the <c>logpushkit.feed.*</c> gauges; a check that fails (the source cannot be
/// listed) is logged and makes the feed check unhealthy until one succeeds.
/// </summary>
internal sealed class LogpushKitFeedMonitor : BackgroundService
{
    private readonly LogpushPipeline _pipeline;
    private readonly LogpushKitFeedState _state;
    private readonly LogpushKitMetrics _metrics;
    private readonly LogpushKitFeedHealthOptions _options;
    private readonly IConversionStateStore? _store;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Func<string, string?> _getVariable;

    public LogpushKitFeedMonitor(
        LogpushPipeline pipeline,
        LogpushKitFeedState state,
        LogpushKitMetrics metrics,
        IOptions<LogpushKitOptions> options,
        TimeProvider timeProvider,
        ILogger<LogpushKitFeedMonitor> logger,
        IConversionStateStore? store = null,
        Func<string, string?>? getVariable = null)
    {
        _pipeline = pipeline;
        _state = state;
        _metrics = metrics;
        _options = options.Value.FeedHealth;
        _store = store;
        _timeProvider = timeProvider;
        _logger = logger;
        _getVariable = getVariable ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>One check: runs <see cref="FeedHealth"/>, publishes the report, or records why it could not run.</summary>
    public async Task CheckOnceAsync(CancellationToken cancellationToken)
    {
        var settings = CloudflareSettings.Resolve(getVariable: _getVariable);
        var scopes = new List<LogpushScope>(2);
        if (settings.Problems.Count == 0 && settings.Credentials is not null)
        {
            if (settings.AccountId is { } account)
            {
                scopes.Add(LogpushScope.Account(account));
            }

            if (settings.ZoneId is { } zone)
            {
                scopes.Add(LogpushScope.Zone(zone));
            }
        }

        using var logpush = scopes.Count > 0 ? new LogpushClient(settings.CreateClientOptions<LogpushClientOptions>()) : null;
        var health = new FeedHealth(
            _pipeline.Processor,
            new FeedHealthOptions
            {
                MaxLag = TimeSpan.FromSeconds(_options.MaxLagSeconds),
                JobScopes = scopes,
                SourceIsFolder = _pipeline.SourceFolder is not null,
            },
            _store ?? _pipeline.State,
            logpush,
            timeProvider: _timeProvider);
        try
        {
            var report = await health.CheckAsync(_pipeline.SourceLocation.ToString(), _pipeline.TargetLocation.ToString(), cancellationToken).ConfigureAwait(false);
            _state.Checked(report);
            _metrics.RecordFeedHealth(report);
            Log.FeedChecked(_logger, report.Status.ToString(), report.Objects.Unconverted, report.Objects.Overdue, report.Problems.Count);
        }
        catch (Exception ex) when (ex is LogpushKitException or IOException or UnauthorizedAccessException or HttpRequestException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var message = SecretRedactor.MaskText(ex.Message);
            _state.Failed(message, _timeProvider.GetUtcNow());
            Log.FeedCheckFailed(_logger, message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(_options.IntervalSeconds);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await CheckOnceAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(interval, _timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host stops
        }
    }
}

/// <summary>
/// The <c>logpushkit-feed</c> check: <see cref="HealthStatus.Healthy"/>/<see cref="HealthStatus.Degraded"/>/<see cref="HealthStatus.Unhealthy"/>
/// for a healthy/degraded/critical feed; degraded before the first check; unhealthy while checks fail.
/// </summary>
internal sealed class LogpushKitFeedHealthCheck : IHealthCheck
{
    private readonly LogpushKitFeedState _state;

    public LogpushKitFeedHealthCheck(LogpushKitFeedState state) => _state = state;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(Check(_state));

    internal static HealthCheckResult Check(LogpushKitFeedState state)
    {
        var (report, error, errorAt) = state.Snapshot();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        if (error is not null)
        {
            data["error"] = error;
            data["errorAt"] = errorAt!.Value.ToString("O", CultureInfo.InvariantCulture);
            return HealthCheckResult.Unhealthy($"The feed could not be checked: {error}", data: data);
        }

        if (report is null)
        {
            return HealthCheckResult.Degraded("The feed has not been checked yet.", data: data);
        }

        data["status"] = report.Status.ToString().ToLowerInvariant();
        data["checkedAt"] = report.CheckedAt.ToString("O", CultureInfo.InvariantCulture);
        data["unconverted"] = report.Objects.Unconverted;
        data["overdue"] = report.Objects.Overdue;
        if (report.Unconverted.FirstOrDefault() is { } oldest)
        {
            data["oldestUnconverted"] = oldest.Key;
            data["oldestUnconvertedAgeSeconds"] = Math.Round(oldest.Age.TotalSeconds);
        }

        if (report.Jobs is { } jobs)
        {
            data["failingJobs"] = jobs.Count(j => j.Failing);
        }

        foreach (var d in report.Datasets.Where(d => d.Lag is not null))
        {
            data[$"lagSeconds.{d.Dataset}{(d.JobId is { } id ? "." + id.ToString(CultureInfo.InvariantCulture) : string.Empty)}"] = Math.Round(d.Lag!.Value.TotalSeconds);
        }

        for (var i = 0; i < report.Problems.Count; i++)
        {
            data[string.Create(CultureInfo.InvariantCulture, $"problem.{i}")] = $"{report.Problems[i].Code}: {report.Problems[i].Message}";
        }

        var summary = report.Problems.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"The feed is healthy: {report.Objects.Converted:N0} objects converted, {report.Objects.Unconverted:N0} pending.")
            : $"The feed is {report.Status.ToString().ToLowerInvariant()}: {report.Problems[0].Message}";
        return report.Status switch
        {
            FeedStatus.Healthy => HealthCheckResult.Healthy(summary, data),
            FeedStatus.Degraded => HealthCheckResult.Degraded(summary, data: data),
            _ => HealthCheckResult.Unhealthy(summary, data: data),
        };
    }
}
