using System.CommandLine;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit setup --source-bucket B --target-bucket T --queue NAME [--dataset D] [--logpush-path P] [--dry-run]</c>:
/// provisions what the seed did by hand (buckets, queue, HTTP pull consumer, object-create notification rule, Logpush job),
/// printing the plan first; idempotent.
/// </summary>
internal static class SetupCommand
{
    public static Command Create()
    {
        var command = new Command(
            "setup",
            "Provision the Cloudflare side of the pipeline: the source and target R2 buckets, the queue, its HTTP pull consumer, the source "
            + "bucket's object-create notification rule (suffix .log.gz) into the queue, and the Logpush job writing to the source bucket. "
            + "Prints the plan first; --dry-run prints only. Running it again creates nothing new. The Logpush job's destination uses "
            + "R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY.\n" + CloudflareCommandOptions.HelpText);
        var sourceBucket = new Option<string>("--source-bucket") { Description = "The R2 bucket Logpush writes to.", HelpName = "BUCKET", Required = true };
        var targetBucket = new Option<string>("--target-bucket") { Description = "The R2 bucket for the CSV objects.", HelpName = "BUCKET", Required = true };
        var queue = new Option<string>("--queue") { Description = "The queue name for the bucket's events.", HelpName = "NAME", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "The Logpush dataset. Default gateway_http.", DefaultValueFactory = _ => "gateway_http", HelpName = "NAME" };
        var path = new Option<string?>("--logpush-path") { Description = "The folder Logpush writes to in the source bucket. Default <dataset>/{DATE}.", HelpName = "PATH" };
        var outputType = new Option<string>("--output-type") { Description = "Logpush output_type: ndjson (default; LogpushKit writes the CSV) or csv.", DefaultValueFactory = _ => "ndjson" };
        outputType.AcceptOnlyFromAmong("ndjson", "csv");
        var timestampFormat = new Option<string>("--timestamp-format") { Description = "Logpush timestamp_format. Default unix.", DefaultValueFactory = _ => "unix" };
        timestampFormat.AcceptOnlyFromAmong("unix", "unixnano", "rfc3339", "rfc3339ms", "rfc3339ns");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan and change nothing." };
        foreach (var option in new Option[] { sourceBucket, targetBucket, queue, dataset, path, outputType, timestampFormat, dryRun })
        {
            command.Options.Add(option);
        }

        var cloudflare = CloudflareCommandOptions.AddTo(command);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var account = cloudflare.AccountId(parseResult)
                ?? throw new UsageException($"No account: set --account-id or {CloudflareCommandOptions.AccountIdVariable} (buckets and queues are account resources).");
            var datasetName = parseResult.GetRequiredValue(dataset);
            var options = new ProvisioningOptions
            {
                SourceBucket = parseResult.GetRequiredValue(sourceBucket),
                TargetBucket = parseResult.GetRequiredValue(targetBucket),
                QueueName = parseResult.GetRequiredValue(queue),
                AccountId = account,
                Scope = cloudflare.ResolveScope(parseResult, datasetName),
                Dataset = datasetName,
                LogpushPath = parseResult.GetValue(path),
                OutputType = parseResult.GetRequiredValue(outputType),
                TimestampFormat = parseResult.GetRequiredValue(timestampFormat),
                R2AccessKeyId = Environment.GetEnvironmentVariable("R2_ACCESS_KEY_ID"),
                R2SecretAccessKey = Environment.GetEnvironmentVariable("R2_SECRET_ACCESS_KEY"),
            };

            using var buckets = new R2BucketsClient(account, cloudflare.ClientOptions<R2BucketsClientOptions>(parseResult));
            using var queues = new QueuesClient(account, cloudflare.ClientOptions<QueuesClientOptions>(parseResult));
            using var rules = new R2EventNotificationRulesClient(account, cloudflare.ClientOptions<R2EventNotificationRulesClientOptions>(parseResult));
            using var logpush = new LogpushClient(cloudflare.ClientOptions<LogpushClientOptions>(parseResult));
            var provisioner = new LogpushPipelineProvisioner(buckets, queues, rules, logpush);

            var plan = await provisioner.PlanAsync(options, cancellationToken);
            await output.WriteLineAsync("Plan:");
            foreach (var step in plan)
            {
                await output.WriteLineAsync($"  {(step.Exists ? "=" : "+")} {step.Resource}: {step.Name} — {step.Detail}");
            }

            var missing = plan.Count(s => !s.Exists);
            if (parseResult.GetValue(dryRun) || missing == 0)
            {
                await output.WriteLineAsync(missing == 0 ? "Nothing to do: everything exists." : $"Dry run: {missing} to create, nothing changed.");
                return ExitCodes.Success;
            }

            if (plan.Any(s => s.Resource == "Logpush job" && !s.Exists) && (options.R2AccessKeyId is null || options.R2SecretAccessKey is null))
            {
                throw new UsageException("Creating the Logpush job needs R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (the key Logpush writes to the source bucket with).");
            }

            await output.WriteLineAsync("Applying:");
            var created = 0;
            await provisioner.ApplyAsync(
                options,
                new SynchronousProgress(step =>
                {
                    if (!step.Exists)
                    {
                        created++;
                        output.WriteLine($"  + created {step.Resource}: {step.Name}");
                    }
                }),
                cancellationToken);
            await output.WriteLineAsync($"Done: {created} created.");
            return ExitCodes.Success;
        });
        return command;
    }

    private sealed class SynchronousProgress(Action<ProvisioningStep> report) : IProgress<ProvisioningStep>
    {
        public void Report(ProvisioningStep value) => report(value);
    }
}
