using System.CommandLine;
using System.Globalization;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit consume --queue-id ID --source … --target … [transform options]</c>: the Cloudflare Queues HTTP pull
/// consumer in the foreground, converting the object of every R2 event until Ctrl-C — or, with <c>--exit-when-empty</c>,
/// until the queue is drained. Failed pulls and acks are reported on stderr (rate-limited, with Cloudflare's error codes
/// and cf-ray); a consumer that has only failed for <c>--max-failure-duration</c> exits 1.
/// </summary>
internal static class ConsumeCommand
{
    public static Command Create()
    {
        var command = new Command(
            "consume",
            "Consume R2 object-create events from a Cloudflare queue (HTTP pull consumer) and convert each object from --source to --target, until Ctrl-C. "
            + "Successes are acked, failures retried with a growing delay (the queue's retry limit and dead-letter queue take poison messages); "
            + "on Ctrl-C leased messages not started are released and in-flight objects finish. "
            + "Failed pulls and acks are printed (the first at once, then one line per 30 s with a count); when every pull or ack has failed for --max-failure-duration, consume exits 1. "
            + "With --exit-when-empty it drains the queue and exits (0 when every object converted), for cron-style runs. "
            + "The account's (and --zone-id's) Logpush jobs are listed once at start so that an object under a job's destination path gets that job's dataset (--no-jobs skips this; a failed listing is a warning).\n" + CloudflareCommandOptions.HelpText);
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
        var maxFailure = new Option<int>("--max-failure-duration")
        {
            Description = "Exit 1 when every pull (or every ack) has failed for this many seconds. Default 300; 0 never gives up.",
            DefaultValueFactory = _ => 300,
            HelpName = "SECONDS",
        };
        var exitWhenEmpty = new Option<bool>("--exit-when-empty")
        {
            Description = "Drain the queue, then exit: stop after --empty-pulls pulls in a row return nothing while no object is in flight and every ack was sent. "
                + "Messages the queue holds but does not hand out (retries waiting out their delay, leases of other consumers) are left for the next run.",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Refused: consume converts the objects of queue events as they come, and --force (reconvert everything in scope, up to date or not) is a one-off pass over the source: use `run --force`.",
            Hidden = true,
        };
        var emptyPulls = new Option<int>("--empty-pulls") { Description = "With --exit-when-empty, the empty pulls in a row that mean empty. Default 3.", DefaultValueFactory = _ => 3, HelpName = "N" };
        foreach (var option in new Option[] { queueId, batchSize, visibility, largest, retryDelay, maxAttempts, drain, maxFailure, exitWhenEmpty, emptyPulls, force })
        {
            command.Options.Add(option);
        }

        var pipeline = PipelineCommandOptions.AddTo(command);
        // run's text tells of a folder's read-ahead; consume's objects come from queue messages
        pipeline.IoBudget.Description = PipelineCommandOptions.ConsumeIoBudgetText;
        // queues are account-scoped; the zone id only adds the zone's Logpush jobs to the listing; consume prints no table
        var cloudflare = CloudflareCommandOptions.AddTo(command, json: false, zone: true, bothIds: true);
        batchSize.RequireRange(1, 100);
        retryDelay.Require(v => v >= 0, "--retry-delay must not be negative.");
        drain.Require(v => v >= 0, "--drain-timeout must not be negative.");
        maxAttempts.Require(v => v >= 1, "--max-attempts must be at least 1.");
        maxFailure.Require(v => v >= 0, "--max-failure-duration must not be negative (0 never gives up).");
        emptyPulls.RequireRange(1, 1000);
        visibility.Require(v => v is >= 1 and <= 43_200, "--visibility-timeout must be between 1 and 43200 seconds (12 h).");
        command.Validators.Add(r =>
        {
            if (TransformOptionsBinder.ValueOrDefault(r, force))
            {
                r.AddError("--force does not apply to consume: it converts the object of each queue event, and a reconversion of everything in scope is a pass over the source, which consume does not make. Run `logpushkit run --force` with the same --source, --target and options.");
            }

            if (r.GetResult(emptyPulls) is { Implicit: false } && !TransformOptionsBinder.ValueOrDefault(r, exitWhenEmpty))
            {
                r.AddError("--empty-pulls only applies with --exit-when-empty.");
            }

            if (r.GetResult(cloudflare.ZoneIdOption) is { Implicit: false } && pipeline.SkipsJobs(r))
            {
                r.AddError("--zone-id only serves the Logpush job listing, which --no-jobs (or --dataset NAME) skips. Drop one of them.");
            }
        });

        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var account = cloudflare.AccountId(parseResult)
                ?? throw new UsageException($"No account: set --account-id or {CloudflareCommandOptions.AccountIdVariable}.");
            var clientOptions = cloudflare.ClientOptions<QueuesPullClientOptions>(parseResult);
            var quiet = parseResult.GetValue(pipeline.Quiet);
            var drainMode = parseResult.GetValue(exitWhenEmpty);
            string[] categories = parseResult.GetValue(pipeline.Verbose) && !quiet
                ? [typeof(LogpushQueueConsumer).FullName!, typeof(CloudflareQueueEventSource).FullName!, typeof(LogpushObjectProcessor).FullName!]
                : [typeof(LogpushQueueConsumer).FullName!, typeof(CloudflareQueueEventSource).FullName!];
            using var loggers = new StderrLoggerFactory(error, quiet ? LogLevel.Warning : LogLevel.Information, categories);
            var jobs = await pipeline.JobRoutesAsync(parseResult, cloudflare, "consume", cancellationToken);
            await using var consume = pipeline.Open(
                parseResult,
                o => o with
                {
                    Jobs = jobs,
                    ReconcileFirst = false, // the queue's events are the work list; 'run' reconciles
                    DrainTimeout = TimeSpan.FromSeconds(parseResult.GetValue(drain)),
                    ProgressInterval = TimeSpan.FromSeconds(10), // a consumer runs for days: a line when something happened, at most every 10 s
                },
                loggers);
            using var client = new QueuesPullClient(account, clientOptions);
            var source = new CloudflareQueueEventSource(client, parseResult.GetRequiredValue(queueId), loggers.CreateLogger<CloudflareQueueEventSource>());
            var consumerOptions = new LogpushQueueConsumerOptions
            {
                MaxFailureDuration = parseResult.GetValue(maxFailure) is > 0 and var limit ? TimeSpan.FromSeconds(limit) : null,
                StopWhenEmpty = drainMode,
                EmptyReceivesBeforeStop = parseResult.GetValue(emptyPulls),
                BatchSize = parseResult.GetValue(batchSize),
                MaxConcurrency = consume.Options.MaxConcurrency,
                IoBudgetBytes = consume.IoBudgetBytes,
                VisibilityTimeout = parseResult.GetValue(visibility) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                LargestExpectedObjectBytes = parseResult.GetValue(largest) ?? LogpushQueueConsumerOptions.Default.LargestExpectedObjectBytes,
                RetryDelay = TimeSpan.FromSeconds(parseResult.GetValue(retryDelay)),
                MaxAttempts = parseResult.GetValue(maxAttempts),
                DrainTimeout = consume.Options.DrainTimeout,
            };
            var lease = consumerOptions.VisibilityTimeout
                ?? LogpushQueueConsumer.DeriveVisibilityTimeout(consumerOptions.LargestExpectedObjectBytes, consumerOptions.ExpectedBytesPerSecond);
            var until = drainMode ? "until the queue is empty" : "Ctrl-C stops";
            var watching = string.Create(
                CultureInfo.InvariantCulture,
                $"consuming queue {source.QueueId} ({consume.SourceLocation} -> {consume.TargetLocation}), lease {lease.TotalSeconds:0} s; {until}");

            PipelineSummary summary;
            try
            {
                using var console = new PipelineConsole(error, "consume", quiet, consume.SourceLocation.ToString(), watching);
                summary = await consume.ConsumeAsync(source, consumerOptions, console, cancellationToken);
            }
            catch (QueueConsumerFailedException ex)
            {
                RunCommand.Finish(error, "consume", ex.Summary, quiet: false);
                await error.WriteLineAsync($"logpushkit: {CliText.ForUser(ex.Message)}");
                return ExitCodes.Failure;
            }

            var exit = RunCommand.Finish(error, "consume", summary, quiet);
            PipelineCommandOptions.PrintQuarantine(error, "consume", consume, summary);
            if (drainMode && consume.Health.Consumer is { FailingSince: not null } health)
            {
                // drained, but the last acks were not sent: those messages come back, the queue is not empty
                await error.WriteLineAsync($"logpushkit: consume: the queue was not left clean: {CliText.ForUser(health.LastError ?? "acks failed")}");
                return exit == ExitCodes.Success ? ExitCodes.Failure : exit;
            }

            return exit;
        });
        return command;
    }

    private static long? Error(System.CommandLine.Parsing.ArgumentResult result, string name)
    {
        result.AddError($"{name}: '{result.Tokens[^1].Value}' is not a positive size; give e.g. 104857600 or 100M.");
        return null;
    }
}
