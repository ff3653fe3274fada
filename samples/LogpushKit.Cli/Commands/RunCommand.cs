using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit run --source &lt;folder|r2://bucket/prefix|s3://…&gt; --target &lt;folder|r2://…|s3://…&gt; [--watch]
/// [--concurrency N] [transform options]</c>: converts every Logpush object of the source whose CSV target is missing or
/// stale (a reconcile), then exits — or, with <c>--watch</c>, keeps converting new objects until Ctrl-C.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command(
            "run",
            "Convert every Logpush object (*.log.gz) under --source whose CSV is missing or out of date in --target, then exit; "
            + "with --watch keep converting new objects until Ctrl-C. Targets keep the source's folders: a/b/x.log.gz -> a/b/x.csv. "
            + "A progress line and a summary go to stderr. "
            + "With Cloudflare credentials (CLOUDFLARE_API_TOKEN) and an account and/or zone id (--account-id/--zone-id or CLOUDFLARE_ACCOUNT_ID/CLOUDFLARE_ZONE_ID), "
            + "the Logpush jobs are listed once at start and an object under a job's destination path gets that job's dataset (--no-jobs skips this; a failed listing is a warning).\n"
            + ExitCodes.HelpText);
        var options = PipelineCommandOptions.AddTo(command);
        var watch = new Option<bool>("--watch", "-w")
        {
            Description = "Keep running: a local source folder is watched for new objects; a bucket source is reconciled every --interval.",
        };
        var interval = new Option<int>("--interval")
        {
            Description = "With --watch: seconds between reconciles. Default: 60 for a bucket source; none for a folder (it is watched; with --interval, reconciles also run beside the watcher).",
            HelpName = "SECONDS",
        };
        interval.Require(seconds => seconds >= 1, "--interval must be at least 1 second.");
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description = "Only batches with records at or after this time (UTC unless an offset is given), from the Logpush file names and YYYYMMDD folders.",
            HelpName = "TIME",
            CustomParser = ParseTime,
        };
        var to = new Option<DateTimeOffset?>("--to")
        {
            Description = "Only batches with records before this time.",
            HelpName = "TIME",
            CustomParser = ParseTime,
        };
        var force = new Option<bool>("--force")
        {
            Description = "Convert every object in scope again, even when its CSV is up to date (same source and same options); counted as 'forced'. Needed after a folder source file was rewritten with the same size and its modification time put back (a local file counts as unchanged while its size, modification time and inode are). Not with --watch (every pass would convert everything again).",
        };
        var maxAttempts = new Option<int>("--max-attempts")
        {
            Description = "With --watch on a folder: attempts per object (retried after 1 s, doubling) before it is given up: reported once, counted, and not tried again until its file changes. Default 5.",
            DefaultValueFactory = _ => 5,
            HelpName = "N",
        };
        maxAttempts.Require(n => n is >= 1 and <= 100, "--max-attempts must be between 1 and 100.");
        command.Options.Add(maxAttempts);
        command.Options.Add(force);
        command.Options.Add(watch);
        command.Options.Add(interval);
        command.Options.Add(from);
        command.Options.Add(to);
        var cloudflare = CloudflareCommandOptions.AddTo(command, json: false, zone: true, bothIds: true); // only for the job listing

        command.Validators.Add(result =>
        {
            if (options.SkipsJobs(result)
                && new Option[] { cloudflare.AccountIdOption, cloudflare.ZoneIdOption, cloudflare.ApiBase }.FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } unused)
            {
                result.AddError($"{unused.Name} only serves the Logpush job listing, which --no-jobs (or --dataset NAME) skips. Drop one of them.");
            }

            var watching = TransformOptionsBinder.ValueOrDefault(result, watch);
            var window = result.GetResult(from) is { Implicit: false } || result.GetResult(to) is { Implicit: false };
            if (TransformOptionsBinder.ValueOrDefault(result, from) is { } start && TransformOptionsBinder.ValueOrDefault(result, to) is { } end && start >= end)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--from ({start:u}) must be earlier than --to ({end:u})."));
            }

            if (watching && TransformOptionsBinder.ValueOrDefault(result, force))
            {
                result.AddError("--force reconverts everything in scope once; with --watch every pass would convert everything again. Drop one of them.");
            }

            if (result.GetResult(maxAttempts) is { Implicit: false } && !(watching && options.IsFolderSource(result)))
            {
                result.AddError("--max-attempts applies to --watch on a local folder (a bucket source is reconciled every --interval; a one-off run tries each object once).");
            }

            if (!watching && result.GetResult(interval) is { Implicit: false })
            {
                result.AddError("--interval needs --watch.");
            }

            if (watching && window && options.IsFolderSource(result))
            {
                result.AddError("--from/--to select batches for a reconcile; --watch on a folder takes every new file as it comes. Drop one of them.");
            }
        });

        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var isWatch = parseResult.GetValue(watch);
            var jobs = await options.JobRoutesAsync(parseResult, cloudflare, "run", cancellationToken);
            await using var pipeline = options.Open(parseResult, o => o with
            {
                Jobs = jobs,
                From = parseResult.GetValue(from),
                To = parseResult.GetValue(to),
                ReconcileInterval = parseResult.GetResult(interval) is { Implicit: false } ? TimeSpan.FromSeconds(parseResult.GetValue(interval)) : null,
                Force = parseResult.GetValue(force),
                MaxAttempts = parseResult.GetValue(maxAttempts),
            });
            using var objectLines = options.ObjectLines;
            var quiet = parseResult.GetValue(options.Quiet);
            PipelineSummary summary;
            using (var console = new PipelineConsole(error, isWatch ? "watch" : "run", quiet, pipeline.SourceLocation.ToString()))
            {
                summary = isWatch
                    ? await pipeline.WatchAsync(console, cancellationToken)
                    : await pipeline.ReconcileAsync(console, cancellationToken);
            }

            var exit = Finish(error, "run", summary, quiet);
            PipelineCommandOptions.PrintQuarantine(error, "run", pipeline, summary);
            return exit;
        });
        return command;
    }

    /// <summary>
    /// Prints the failures (keys escaped) and the summary; exit 0, or 3 when every failure was bad data, else 1 (a failed
    /// reconcile pass of a watch, and a failure of the folder watcher itself, count as failures).
    /// </summary>
    internal static int Finish(TextWriter error, string label, PipelineSummary summary, bool quiet)
    {
        foreach (var failure in summary.Failures.Take(20))
        {
            // a failure with no key is the folder watcher's own (a scan that failed as a whole)
            var what = string.IsNullOrEmpty(failure.SourceKey) ? string.Empty : " " + ObjectKeyText.Escape(failure.SourceKey);
            error.WriteLine($"logpushkit: failed{what}: {CliText.ForUser(failure.Reason ?? "unknown reason")}");
        }

        if (summary.Failed > 20)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"logpushkit: ... and {summary.Failed - 20:N0} more failures"));
        }

        // files left for a later run because they were still being written are not failures, but not done either: said even with -q
        var failed = summary.Failed > 0 || summary.FailedPasses > 0;
        if (!quiet || failed || summary.SkippedUnsettled > 0)
        {
            error.WriteLine($"logpushkit: {PipelineCommandOptions.FormatSummary(label, summary)}");
        }

        if (!failed)
        {
            return ExitCodes.Success;
        }

        return summary.FailedPasses == 0 && summary.Failures.Count == summary.Failed && summary.Failures.All(f => f.Exception is LogpushDataException)
            ? ExitCodes.DataError
            : ExitCodes.Failure;
    }

    private static DateTimeOffset? ParseTime(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        result.AddError($"{(result.Parent as OptionResult)?.Option.Name}: '{text}' is not a date/time; give e.g. 2024-08-21 or 2024-08-21T05:00:00Z.");
        return null;
    }
}
