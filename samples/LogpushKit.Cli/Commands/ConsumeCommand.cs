using System.CommandLine;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit consume --queue-id ID --source … --target … [transform options]</c>: the Cloudflare Queues HTTP pull
/// consumer in the foreground, converting the object of every R2 event until Ctrl-C.
/// </summary>
internal static class ConsumeCommand
{
    public static Command Create()
    {
        var command = new Command(
            "consume",
            "Consume R2 object-create events from a Cloudflare queue (HTTP pull consumer) and convert each object from --source to --target, until Ctrl-C. "
            + "Successes are acked, failures retried with a growing delay (the queue's retry limit and dead-letter queue take poison messages); "
            + "on Ctrl-C leased messages not started are released and in-flight objects finish.\n" + CloudflareCommandOptions.HelpText);
        var queueId = new Option<string>("--queue-id") { Description = "The queue id.", HelpName = "ID", Required = true };
        var batchSize = new Option<int>("--batch-size") { Description = "Messages per pull, 1-100. Default 10.", DefaultValueFactory = _ => 10, HelpName = "N" };
        var visibility = new Option<int?>("--visibility-timeout")
        {
            Description = "The lease per pull in seconds (leases cannot be extended). Default: derived from --largest-object and the measured throughput.",
            HelpName = "SECONDS",
        };
        var largest = new Option<long?>("--largest-object")
        {
            Description = "The largest object (compressed) expected, e.g. 100M; sizes the derived lease. Default 100 MB.",
            HelpName = "BYTES",
            CustomParser = r => TransformOptionsBinder.TryParseByteSize(r.Tokens[^1].Value, out var bytes) ? bytes : Error(r, "--largest-object"),
        };
        var retryDelay = new Option<int>("--retry-delay") { Description = "Seconds before a failed message's first retry; doubles per attempt. Default 10.", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        var maxAttempts = new Option<int>("--max-attempts") { Description = "The queue's delivery limit (max_retries + 1), to name poison messages. Default 4.", DefaultValueFactory = _ => 4, HelpName = "N" };
        var drain = new Option<int>("--drain-timeout") { Description = "On Ctrl-C, seconds in-flight objects may finish before they are abandoned and released. Default 20.", DefaultValueFactory = _ => 20, HelpName = "SECONDS" };
        foreach (var option in new Option[] { queueId, batchSize, visibility, largest, retryDelay, maxAttempts, drain })
        {
            command.Options.Add(option);
        }

        var pipeline = PipelineCommandOptions.AddTo(command);
        var cloudflare = CloudflareCommandOptions.AddTo(command);
        Check(batchSize, v => v is >= 1 and <= 100, "--batch-size must be between 1 and 100.");
        Check(retryDelay, v => v >= 0, "--retry-delay must not be negative.");
        Check(drain, v => v >= 0, "--drain-timeout must not be negative.");
        Check(maxAttempts, v => v >= 1, "--max-attempts must be at least 1.");
        visibility.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 43_200)
            {
                r.AddError("--visibility-timeout must be between 1 and 43200 seconds (12 h).");
            }
        });

        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var account = cloudflare.AccountId(parseResult)
                ?? throw new UsageException($"No account: set --account-id or {CloudflareCommandOptions.AccountIdVariable}.");
            var clientOptions = cloudflare.ClientOptions<QueuesPullClientOptions>(parseResult);
            var setup = pipeline.Bind(parseResult);
            using var client = new QueuesPullClient(account, clientOptions);
            var source = new CloudflareQueueEventSource(client, parseResult.GetRequiredValue(queueId));
            var consumer = new LogpushQueueConsumer(source, setup.Processor, new LogpushQueueConsumerOptions
            {
                BatchSize = parseResult.GetValue(batchSize),
                MaxConcurrency = setup.Concurrency,
                VisibilityTimeout = parseResult.GetValue(visibility) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                LargestExpectedObjectBytes = parseResult.GetValue(largest) ?? LogpushQueueConsumerOptions.Default.LargestExpectedObjectBytes,
                RetryDelay = TimeSpan.FromSeconds(parseResult.GetValue(retryDelay)),
                MaxAttempts = parseResult.GetValue(maxAttempts),
                DrainTimeout = TimeSpan.FromSeconds(parseResult.GetValue(drain)),
            });

            if (!setup.Quiet)
            {
                await error.WriteLineAsync($"logpushkit: consuming queue {source.QueueId} ({setup.SourceDescription} -> {parseResult.GetRequiredValue(pipeline.Target)}), lease {consumer.VisibilityTimeout.TotalSeconds:0} s; Ctrl-C stops");
            }

            var summary = await RunWithReportsAsync(consumer, error, setup.Quiet, cancellationToken);
            return RunCommand.Finish(error, "consume", summary, setup.Quiet);
        });
        return command;
    }

    private static async Task<PipelineSummary> RunWithReportsAsync(LogpushQueueConsumer consumer, TextWriter error, bool quiet, CancellationToken cancellationToken)
    {
        var running = consumer.RunAsync(cancellationToken);
        if (!quiet)
        {
            // a line whenever something happened, at most every 10 s (a consumer runs for days: no live line)
            var last = consumer.Statistics.Snapshot();
            while (await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)) != running)
            {
                var now = consumer.Statistics.Snapshot();
                if (now.Objects != last.Objects)
                {
                    await error.WriteLineAsync($"logpushkit: {PipelineCommandOptions.FormatSummary("consume", now)}");
                    last = now;
                }
            }
        }

        return await running;
    }

    private static void Check(Option<int> option, Func<int, bool> valid, string message)
        => option.Validators.Add(r =>
        {
            if (!valid(r.GetValueOrDefault<int>()))
            {
                r.AddError(message);
            }
        });

    private static long? Error(System.CommandLine.Parsing.ArgumentResult result, string name)
    {
        result.AddError($"{name}: '{result.Tokens[^1].Value}' is not a positive size; give e.g. 104857600 or 100M.");
        return null;
    }
}
