using LogpushKit.Hosting;
using LogpushKit.Worker;

// 1. Configuration: appsettings.json, then appsettings.{Environment}.json, user secrets (Development),
//    environment variables (LogpushKit__Source=..., LogpushKit__Queue__QueueId=...) and the command line.
var builder = Host.CreateApplicationBuilder(args);

// 2. The pipeline, configured by the "LogpushKit" section: no Queue:QueueId → watch the Source; with one → consume the queue.
builder.Services.AddLogpushKit(builder.Configuration.GetSection(LogpushKitOptions.SectionName));

// 3. r2:// and s3:// locations open through LogpushKit.R2 (endpoint and credentials from R2_* / AWS_* / LOGPUSHKIT_S3_ENDPOINT).
builder.Services.AddLogpushR2Locations();

// 4. Health (consumer state, last success, failure streak; and the feed: unconverted objects, failing Logpush jobs, lag, every
//    LogpushKit:FeedHealth:IntervalSeconds): checked every 30 s, a log line when it changes.
builder.Services.AddHealthChecks().AddLogpushKit().AddLogpushKitFeed();
builder.Services.AddSingleton<Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheckPublisher, LogpushKit.Worker.HealthLogPublisher>();

// 5. OpenTelemetry (the LogpushKit meter and activity source over OTLP), only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
builder.AddLogpushKitTelemetry();

// 6. Run until Ctrl-C or SIGTERM. A configuration error prints one line per setting and exits 2; a failure exits 1.
using var host = builder.Build();
return await host.RunLogpushKitAsync();
