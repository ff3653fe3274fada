using LogpushKit.Hosting;
using LogpushKit.Worker;

// 1. Configuration: appsettings.json, then appsettings.{Environment}.json, user secrets (Development),
//    environment variables (LogpushKit__Source=..., LogpushKit__Queue__QueueId=...) and the command line.
var builder = Host.CreateApplicationBuilder(args);

// 2. The pipeline, configured by the "LogpushKit" section and validated at start-up:
//    no Queue:QueueId → watch the local Source folder; with one → consume the Cloudflare queue.
builder.Services.AddLogpushKit(builder.Configuration.GetSection(LogpushKitOptions.SectionName));

// 3. Buckets: local folders work out of the box; r2:// and s3:// locations open through LogpushKit.R2.
builder.Services.AddSingleton<ILogpushBucketProvider, R2LocationBucketProvider>();

// 4. Run until Ctrl-C or SIGTERM: in-flight objects finish, leases not started are released.
using var host = builder.Build();
await host.RunAsync();
