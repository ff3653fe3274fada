using System.CommandLine;
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
            + "With --exit-when-empty it drains the queue and exits (0 when every object converted), for cron-style runs.\n" + CloudflareCommandOptions.HelpText);
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
        var emptyPulls = new Option<int>("--empty-pulls") { Description = "With --exit-when-empty, the empty pulls in a row that mean empty. Default 3.", DefaultValueFactory = _ => 3, HelpName = "N" };
        foreach (var option in new Option[] { queueId, batchSize, visibility, largest, retryDelay, maxAttempts, drain, maxFailure, exitWhenEmpty, emptyPulls })
        {
            command.Options.Add(option);
        }

        var pipeline = PipelineCommandOptions.AddTo(command);
        var cloudflare = CloudflareCommandOptions.AddTo(command);
        Check(batchSize, v => v is >= 1 and <= 100, "--batch-size must be between 1 and 100.");
        Check(retryDelay, v => v >= 0, "--retry-delay must not be negative.");
        Check(drain, v => v >= 0, "--drain-timeout must not be negative.");
        Check(maxAttempts, v => v >= 1, "--max-attempts must be at least 1.");
        Check(maxFailure, v => v >= 0, "--max-failure-duration must not be negative (0 never gives up).");
        Check(emptyPulls, v => v is >= 1 and <= 1000, "--empty-pulls must be between 1 and 1000.");
        command.Validators.Add(r =>
        {
            if (r.GetResult(emptyPulls) is { Implicit: false } && !r.GetValue(exitWhenEmpty))
            {
                r.AddError("--empty-pulls only applies with --exit-when-empty.");
            }
        });
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
            var drainMode = parseResult.GetValue(exitWhenEmpty);
            var logger = new StderrLogger(error, setup.Quiet ? LogLevel.Warning : LogLevel.Information);
            using var client = new QueuesPullClient(account, clientOptions);
            var source = new CloudflareQueueEventSource(client, parseResult.GetRequiredValue(queueId), logger.For<CloudflareQueueEventSource>());
            var consumer = new LogpushQueueConsumer(source, setup.Processor, new LogpushQueueConsumerOptions
            {
                MaxFailureDuration = parseResult.GetValue(maxFailure) is > 0 and var limit ? TimeSpan.FromSeconds(limit) : null,
                StopWhenEmpty = drainMode,
                EmptyReceivesBeforeStop = parseResult.GetValue(emptyPulls),
                BatchSize = parseResult.GetValue(batchSize),
                MaxConcurrency = setup.Concurrency,
                VisibilityTimeout = parseResult.GetValue(visibility) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                LargestExpectedObjectBytes = parseResult.GetValue(largest) ?? LogpushQueueConsumerOptions.Default.LargestExpectedObjectBytes,
                RetryDelay = TimeSpan.FromSeconds(parseResult.GetValue(retryDelay)),
                MaxAttempts = parseResult.GetValue(maxAttempts),
                DrainTimeout = TimeSpan.FromSeconds(parseResult.GetValue(drain)),
            }, logger.For<LogpushQueueConsumer>());

            if (!setup.Quiet)
            {
                var until = drainMode ? "until the queue is empty" : "Ctrl-C stops";
                await error.WriteLineAsync($"logpushkit: consuming queue {source.QueueId} ({setup.SourceDescription} -> {parseResult.GetRequiredValue(pipeline.Target)}), lease {consumer.VisibilityTimeout.TotalSeconds:0} s; {until}");
            }

            PipelineSummary summary;
            try
            {
                summary = await RunWithReportsAsync(consumer, error, setup.Quiet, cancellationToken);
            }
            catch (QueueConsumerFailedException ex)
            {
                RunCommand.Finish(error, "consume", ex.Summary, quiet: false);
                await error.WriteLineAsync($"logpushkit: {ex.Message}");
                return ExitCodes.Failure;
            }

            var exit = RunCommand.Finish(error, "consume", summary, setup.Quiet);
            var health = consumer.Health;
            if (drainMode && health.FailingSince is not null)
            {
                // drained, but the last acks were not sent: those messages come back, the queue is not empty
                await error.WriteLineAsync($"logpushkit: consume: the queue was not left clean: {health.LastError}");
                return exit == ExitCodes.Success ? ExitCodes.Failure : exit;
            }

            return exit;
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

    /// <summary>Writes the consumer's log lines (failed pulls and acks, retries, poison messages) to stderr, one line each, secrets masked.</summary>
    private sealed class StderrLogger(TextWriter error, LogLevel minimum) : ILogger
    {
        private readonly Lock _gate = new();

        public ILogger<T> For<T>() => new Typed<T>(this);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var prefix = logLevel >= LogLevel.Error ? "error: " : logLevel == LogLevel.Warning ? "warning: " : string.Empty;
            var line = SecretRedactor.MaskText(formatter(state, exception)).ReplaceLineEndings(" ");
            lock (_gate)
            {
                error.WriteLine($"logpushkit: {prefix}{line}");
            }
        }

        private sealed class Typed<T>(StderrLogger inner) : ILogger<T>
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => inner.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
