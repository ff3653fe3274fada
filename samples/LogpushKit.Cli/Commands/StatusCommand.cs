using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Health;
using LogpushKit.Pipeline;
using LogpushKit.State;
using LogpushKit.Storage;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit status --source LOC --target LOC [--queue-id ID] [--max-lag DURATION] [--state PATH] [--json]</c>: is the
/// SIEM feed complete and fresh right now? The library's <see cref="FeedHealth"/> (the worker's feed health check runs the
/// same) over the same composition as <c>run</c> (<see cref="LogpushPipeline.Open"/>: the same filter and target names).
/// Exit 0 healthy, <see cref="Degraded"/> degraded, <see cref="Critical"/> critical, for cron, monitoring and probes.
/// </summary>
internal static class StatusCommand
{
    /// <summary>Exit code of a degraded feed: something needs a look, nothing is known lost (10, apart from the CLI's 1/2/3 so a probe can tell "the check ran and found" from "the check failed").</summary>
    public const int Degraded = 10;

    /// <summary>Exit code of a critical feed: an overdue unconverted object, a failing Logpush job, a quarantined object.</summary>
    public const int Critical = 11;

    public const string ExitHelp =
        "Exit codes: 0 healthy; 10 degraded (objects being retried, a disabled job, a job listing or queue lookup that failed); "
        + "11 critical (an object older than --max-lag never converted, a failing Logpush job, a quarantined object, a part of the source that could not be listed); "
        + "1 the check itself failed (source or target unreadable); 2 usage error; 130 cancelled.";

    public static Command Create()
    {
        var command = new Command(
            "status",
            "Is the feed healthy right now? Lists --source as run does and names every object with no current output in --target (oldest first, with its age); "
            + "an object older than --max-lag never converted is a lost notification or a stuck consumer. Per dataset and Logpush job: the newest converted window and its lag. "
            + "With Cloudflare credentials and an account and/or zone id: each Logpush job writing to the source (enabled, last_complete, last_error and its message, secrets masked); "
            + "a job whose last_error is newer than its last_complete is failing. With --queue-id: the queue (its backlog is not exposed by the API without pulling, which status never does).\n"
            + ExitHelp);
        var source = new Option<string>("--source")
        {
            Description = "Where the Logpush objects are: a local folder, r2://bucket/folder or s3://bucket/folder (as for run).",
            HelpName = "folder|r2://bucket/folder|s3://bucket/folder",
            Required = true,
        };
        var target = new Option<string>("--target")
        {
            Description = "Where run writes the CSV objects: a local folder, r2://bucket/folder or s3://bucket/folder (as for run).",
            HelpName = "folder|r2://bucket/folder|s3://bucket/folder",
            Required = true,
        };
        var endpoint = new Option<string?>("--endpoint") { Description = "The S3-compatible endpoint URL for s3:// locations (as for run).", HelpName = "URL" };
        var prefix = new Option<string?>("--prefix") { Description = "Only source keys under this prefix (as for run).", HelpName = "PREFIX" };
        var suffix = new Option<string>("--suffix") { Description = "Only source keys ending with this (as for run). Default .log.gz.", DefaultValueFactory = _ => ".log.gz", HelpName = "SUFFIX" };
        var template = new Option<string?>("--target-template") { Description = "How run names target keys (as for run). Default {path}.csv.", HelpName = "TEMPLATE" };
        var maxLag = new Option<TimeSpan>("--max-lag")
        {
            Description = "How old an unconverted object may be before the feed is critical: 90s, 15m, 2h, 1d. Default 1h.",
            HelpName = "DURATION",
            DefaultValueFactory = _ => FeedHealthOptions.DefaultMaxLag,
            CustomParser = ParseDuration,
        };
        var queueId = new Option<string?>("--queue-id") { Description = "The queue of R2 event notifications the consumer pulls (needs credentials and an account id).", HelpName = "ID" };
        var state = new Option<string?>("--state")
        {
            Description = "The conversion state database run and consume keep (give the same --state they were given). Default: for a folder target, the default database of run; for a bucket target none, and converted objects are read from the targets' provenance metadata.",
            HelpName = "PATH",
        };
        foreach (var option in new Option[] { source, target, endpoint, prefix, suffix, template, maxLag, queueId, state })
        {
            command.Options.Add(option);
        }

        var cloudflare = CloudflareCommandOptions.AddTo(command, json: true, zone: true, bothIds: true);
        foreach (var location in new[] { source, target })
        {
            location.Validators.Add(r =>
            {
                if (!BucketLocation.TryParse(r.GetValueOrDefault<string>(), out _, out var error))
                {
                    r.AddError($"{location.Name}: {error}");
                }
            });
        }

        template.Validators.Add(r =>
        {
            try
            {
                _ = new TargetKeyTemplate(r.GetValueOrDefault<string>() ?? "{path}.csv");
            }
            catch (ArgumentException ex)
            {
                r.AddError("--target-template: " + ex.Message.Split(" (Parameter", 2)[0]);
            }
        });

        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var sourceText = parseResult.GetRequiredValue(source);
            var targetText = parseResult.GetRequiredValue(target);
            var settings = cloudflare.Settings(parseResult);
            if (settings.Problems.Count > 0)
            {
                throw new UsageException(string.Join("; ", settings.Problems));
            }

            var explicitIds = parseResult.GetResult(cloudflare.AccountIdOption) is { Implicit: false } || parseResult.GetResult(cloudflare.ZoneIdOption) is { Implicit: false };
            var scopes = new List<LogpushScope>(2);
            LogpushClient? logpush = null;
            QueuesClient? queues = null;
            try
            {
                if (settings.Credentials is not null || explicitIds)
                {
                    if (settings.AccountId is { } account)
                    {
                        scopes.Add(LogpushScope.Account(account));
                    }

                    if (settings.ZoneId is { } zone)
                    {
                        scopes.Add(LogpushScope.Zone(zone));
                    }

                    if (scopes.Count > 0)
                    {
                        logpush = new LogpushClient(cloudflare.ClientOptions<LogpushClientOptions>(parseResult));
                    }
                }

                var queue = parseResult.GetValue(queueId);
                if (queue is not null)
                {
                    // the queue needs both, so a missing one is named now rather than reported as "not checked"
                    queues = new QueuesClient(cloudflare.AccountId(parseResult)!, cloudflare.ClientOptions<QueuesClientOptions>(parseResult));
                }

                await using var pipeline = LogpushPipeline.Open(
                    new LogpushPipelineOptions
                    {
                        Source = sourceText,
                        Target = targetText,
                        Endpoint = parseResult.GetValue(endpoint),
                        Prefix = parseResult.GetValue(prefix),
                        Suffix = parseResult.GetValue(suffix) ?? ".log.gz",
                        TargetKeyTemplate = parseResult.GetValue(template) is { } t ? new TargetKeyTemplate(t) : TargetKeyTemplate.Default,
                        SettingNames = PipelineCommandOptions.SettingNames,
                        // the same state run and consume keep: --state, else the default database for a folder target
                        State = parseResult.GetValue(state) ?? (BucketLocation.TryParse(targetText, out var at, out _) && !at.IsBucket ? SqliteConversionStateStore.DefaultPath() : null),
                    },
                    CliBuckets.Providers);
                var health = new FeedHealth(
                    pipeline.Processor,
                    new FeedHealthOptions
                    {
                        MaxLag = parseResult.GetValue(maxLag),
                        JobScopes = scopes,
                        SourceIsFolder = pipeline.SourceFolder is not null,
                        QueueId = queue,
                    },
                    pipeline.State,
                    logpush,
                    queues);
                var report = await health.CheckAsync(sourceText, targetText, cancellationToken);
                var output = parseResult.InvocationConfiguration.Output;
                await output.WriteAsync(parseResult.GetValue(cloudflare.Json) ? report.ToJson() + "\n" : Format(report));
                return ExitCodeOf(report.Status);
            }
            finally
            {
                logpush?.Dispose();
                queues?.Dispose();
            }
        });
        return command;
    }

    /// <summary>The exit code of a feed status: 0, <see cref="Degraded"/> or <see cref="Critical"/>.</summary>
    public static int ExitCodeOf(FeedStatus status) => status switch
    {
        FeedStatus.Healthy => ExitCodes.Success,
        FeedStatus.Degraded => Degraded,
        _ => Critical,
    };

    /// <summary>The human report: a verdict line, the counts, the unconverted objects, datasets, jobs, queue, failures, problems and notes.</summary>
    internal static string Format(FeedHealthReport report)
    {
        var b = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var o = report.Objects;
        b.Append(inv, $"feed {report.Status.ToString().ToUpperInvariant()}: {report.Source} -> {report.Target} (checked {report.CheckedAt:u}, max lag {FeedHealth.FormatDuration(report.MaxLag)}{(report.State is { } s ? ", state " + s : string.Empty)})\n");
        b.Append(inv, $"objects: {o.Listed:N0} listed, {o.Filtered:N0} filtered, {o.Converted:N0} converted, {o.Unconverted:N0} unconverted ({o.Overdue:N0} overdue)\n");
        if (report.Unconverted.Count > 0)
        {
            b.Append("unconverted, oldest first:\n");
            foreach (var u in report.Unconverted)
            {
                b.Append(inv, $"  {(u.Overdue ? "OVERDUE" : "pending"),-7}  {FeedHealth.FormatDuration(u.Age),8}  {u.Key}  ({u.Reason})\n");
            }

            if (o.Unconverted > report.Unconverted.Count)
            {
                b.Append(inv, $"  ... and {o.Unconverted - report.Unconverted.Count:N0} more\n");
            }
        }

        if (report.Datasets.Count > 0)
        {
            b.Append("datasets:\n");
            foreach (var d in report.Datasets)
            {
                var job = d.JobId is { } id ? string.Create(inv, $" (job {id})") : string.Empty;
                var newest = d.NewestWindowEnd is { } end
                    ? string.Create(inv, $"newest window {end:u}, lag {FeedHealth.FormatDuration(d.Lag ?? TimeSpan.Zero)}")
                    : "nothing converted";
                b.Append(inv, $"  {d.Dataset}{job}: {d.Converted:N0} of {d.Objects:N0} converted; {newest}\n");
            }
        }

        if (report.Jobs is { } jobs)
        {
            b.Append(inv, $"Logpush jobs writing to the source: {jobs.Count:N0}\n");
            foreach (var j in jobs)
            {
                var state = j.Failing ? "FAILING" : j.Enabled == false ? "disabled" : "ok";
                b.Append(inv, $"  {j.Id} {j.Dataset} {j.Name} [{state}] last complete {Time(j.LastComplete)}, last error {Time(j.LastError)}{(string.IsNullOrEmpty(j.ErrorMessage) ? string.Empty : ": " + CliText.Masked(j.ErrorMessage))}; {j.Destination}\n");
            }
        }

        if (report.Queue is { } q)
        {
            b.Append(inv, $"queue {q.QueueId}: {q.QueueName ?? "not read"}, {(q.Consumers is { } c ? c.ToString(inv) : "?")} consumers, backlog {(q.Backlog is { } n ? n.ToString(inv) : "not exposed")}\n");
        }

        if (report.Failures is { Count: > 0 } failures)
        {
            b.Append(inv, $"failed objects: {failures.Count:N0}\n");
            foreach (var f in failures)
            {
                b.Append(inv, $"  {(f.Quarantined ? "QUARANTINED" : "retrying")}  {f.Key}  ({f.Attempts} attempts, last {f.LastFailedAt:u}): {CliText.Masked(f.Reason)}\n");
            }
        }

        foreach (var p in report.Problems)
        {
            b.Append(inv, $"{p.Severity.ToString().ToUpperInvariant()} {p.Code}: {CliText.Masked(p.Message)}\n");
        }

        foreach (var note in report.Notes)
        {
            b.Append("note: ").Append(note).Append('\n');
        }

        return b.ToString();

        static string Time(DateTimeOffset? t) => t is { } v ? v.ToString("u", CultureInfo.InvariantCulture) : "never";
    }

    private static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value.Trim();
        if (TryParseDuration(text, out var value) && value > TimeSpan.Zero)
        {
            return value;
        }

        result.AddError($"--max-lag: '{text}' is not a positive duration; give e.g. 90s, 15m, 2h or 1d.");
        return default;
    }

    /// <summary>Parses <c>90s</c>, <c>15m</c>, <c>2h</c>, <c>1d</c> (a number and a unit) or <c>hh:mm:ss</c>.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length >= 2 && char.IsAsciiLetter(text[^1])
            && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n))
        {
            double? seconds = char.ToLowerInvariant(text[^1]) switch { 's' => n, 'm' => n * 60, 'h' => n * 3600, 'd' => n * 86400, _ => null };
            if (seconds is { } s && s < TimeSpan.MaxValue.TotalSeconds)
            {
                value = TimeSpan.FromSeconds(s);
                return true;
            }

            return false;
        }

        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }
}
