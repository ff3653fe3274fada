using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
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
            + "A progress line and a summary go to stderr.\n" + ExitCodes.HelpText);
        var options = PipelineCommandOptions.AddTo(command);
        var watch = new Option<bool>("--watch", "-w")
        {
            Description = "Keep running: a local source folder is watched for new objects; a bucket source is reconciled every --interval.",
        };
        var interval = new Option<int>("--interval")
        {
            Description = "With --watch and a bucket source: seconds between reconciles. Default 60.",
            DefaultValueFactory = _ => 60,
            HelpName = "SECONDS",
        };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--interval must be at least 1 second.");
            }
        });
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
        command.Options.Add(watch);
        command.Options.Add(interval);
        command.Options.Add(from);
        command.Options.Add(to);

        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var setup = options.Bind(parseResult);
            var reconcileOptions = new ReconcileOptions
            {
                Prefix = setup.Processor.Options.Prefix,
                From = parseResult.GetValue(from),
                To = parseResult.GetValue(to),
                MaxConcurrency = setup.Concurrency,
            };
            var reconciler = new LogpushReconciler(setup.Processor);
            var isQuiet = setup.Quiet;

            if (!parseResult.GetValue(watch))
            {
                PipelineSummary summary;
                using (var progress = RunProgress.Create(error, "run", isQuiet))
                {
                    summary = await reconciler.RunAsync(reconcileOptions, progress, cancellationToken);
                }

                return Finish(error, "run", summary, isQuiet);
            }

            // --watch: the first pass is a reconcile; then new objects arrive as events (folder) or by periodic reconciles (bucket)
            if (setup.SourceFolder is { } folder)
            {
                return Finish(error, "run", await WatchFolderAsync(setup, folder, reconciler, reconcileOptions, error, cancellationToken), isQuiet);
            }

            var totals = new List<PipelineSummary>();
            try
            {
                totals.Add(await InitialPassAsync(reconciler, reconcileOptions, setup, error, cancellationToken));
                var period = TimeSpan.FromSeconds(parseResult.GetValue(interval));
                using var timer = new PeriodicTimer(period);
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    var pass = await reconciler.RunAsync(reconcileOptions, null, cancellationToken);
                    totals.Add(pass);
                    ReportEach(error, pass, isQuiet);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C is how a watch ends; in-flight puts were aborted, so nothing partial is left
            }

            return Finish(error, "run", PipelineCommandOptions.Sum(totals), isQuiet);
        });
        return command;
    }

    private static async Task<PipelineSummary> InitialPassAsync(LogpushReconciler reconciler, ReconcileOptions options, PipelineSetup setup, TextWriter error, CancellationToken cancellationToken)
    {
        PipelineSummary summary;
        using (var progress = RunProgress.Create(error, "run", setup.Quiet))
        {
            summary = await reconciler.RunAsync(options, progress, cancellationToken);
        }

        if (!setup.Quiet)
        {
            await error.WriteLineAsync($"logpushkit: {PipelineCommandOptions.FormatSummary("initial pass", summary)}");
            await error.WriteLineAsync($"logpushkit: watching {setup.SourceDescription} (Ctrl-C stops)");
        }

        return summary;
    }

    private static async Task<PipelineSummary> WatchFolderAsync(
        PipelineSetup setup, string folder, LogpushReconciler reconciler, ReconcileOptions reconcileOptions, TextWriter error, CancellationToken cancellationToken)
    {
        var queue = new InProcessEventQueue(pollWait: TimeSpan.FromMilliseconds(500));
        var watcher = new SourceFolderWatcher(folder, setup.Processor, queue, TimeSpan.FromMilliseconds(500));
        var consumer = new LogpushQueueConsumer(queue, setup.Processor, new LogpushQueueConsumerOptions
        {
            MaxConcurrency = setup.Concurrency,
            IdleDelay = TimeSpan.Zero,
            RetryDelay = TimeSpan.FromSeconds(5),
            MaxRetryDelay = TimeSpan.FromMinutes(1),
        });

        // the watcher is on before the initial pass, so an object that lands during the pass is not missed
        // (if the pass converts it too, the event finds its target up to date)
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = watcher.RunAsync(scanFirst: false, stop.Token);
        var totals = new List<PipelineSummary>();
        Task<PipelineSummary>? consuming = null;
        Task? reporter = null;
        try
        {
            totals.Add(await InitialPassAsync(reconciler, reconcileOptions, setup, error, stop.Token));
            consuming = consumer.RunAsync(stop.Token);
            reporter = ReportWhileRunningAsync(consumer, error, setup.Quiet, stop.Token);
            await Task.WhenAny(watching, consuming);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C is how a watch ends; in-flight puts were aborted, so nothing partial is left
        }
        finally
        {
            await stop.CancelAsync();
            await watching;
            if (reporter is not null)
            {
                await reporter;
            }
        }

        if (consuming is not null)
        {
            totals.Add(await consuming);
        }

        return PipelineCommandOptions.Sum(totals);
    }

    private static async Task ReportWhileRunningAsync(LogpushQueueConsumer consumer, TextWriter error, bool quiet, CancellationToken cancellationToken)
    {
        if (quiet)
        {
            return;
        }

        var last = consumer.Statistics.Snapshot();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = consumer.Statistics.Snapshot();
                if (now.Objects != last.Objects)
                {
                    await error.WriteLineAsync($"logpushkit: {PipelineCommandOptions.FormatSummary("watch", now)}");
                    last = now;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private static void ReportEach(TextWriter error, PipelineSummary pass, bool quiet)
    {
        if (!quiet && pass.Converted + pass.Failed > 0)
        {
            error.WriteLine($"logpushkit: {PipelineCommandOptions.FormatSummary("reconcile", pass)}");
        }
    }

    /// <summary>Prints the failures and the summary; exit 0, or 3 when every failure was bad data, else 1.</summary>
    internal static int Finish(TextWriter error, string label, PipelineSummary summary, bool quiet)
    {
        foreach (var failure in summary.Failures.Take(20))
        {
            error.WriteLine($"logpushkit: failed {failure.SourceKey}: {failure.Reason}");
        }

        if (summary.Failed > 20)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"logpushkit: ... and {summary.Failed - 20:N0} more failures"));
        }

        if (!quiet || summary.Failed > 0)
        {
            error.WriteLine($"logpushkit: {PipelineCommandOptions.FormatSummary(label, summary)}");
        }

        if (summary.Failed == 0)
        {
            return ExitCodes.Success;
        }

        return summary.Failures.Count == summary.Failed && summary.Failures.All(f => f.Exception is LogpushDataException)
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

    /// <summary>
    /// Progress of a reconcile on stderr: a line rewritten in place twice a second on a terminal, a line every 10 s
    /// otherwise (only on long runs), nothing with --quiet.
    /// </summary>
    private sealed class RunProgress : IProgress<ReconcileProgress>, IDisposable
    {
        private readonly TextWriter _writer;
        private readonly string _label;
        private readonly bool _live;
        private readonly long _interval;
        private readonly Lock _lock = new();
        private long _next;
        private bool _shown;

        private RunProgress(TextWriter writer, string label, bool live)
        {
            _writer = writer;
            _label = label;
            _live = live;
            _interval = live ? Stopwatch.Frequency / 2 : Stopwatch.Frequency * 10;
            _next = Stopwatch.GetTimestamp() + _interval;
        }

        public static RunProgress? Create(TextWriter writer, string label, bool quiet)
            => quiet ? null : new RunProgress(writer, label, live: !Console.IsErrorRedirected && ReferenceEquals(writer, Console.Error));

        public void Report(ReconcileProgress value)
        {
            var now = Stopwatch.GetTimestamp();
            if (now < Volatile.Read(ref _next))
            {
                return;
            }

            lock (_lock)
            {
                if (now < _next)
                {
                    return;
                }

                _next = now + _interval;
                var s = value.Summary;
                var line = string.Create(
                    CultureInfo.InvariantCulture,
                    $"{_label}: {s.Objects:N0}/{value.Listed:N0} objects, {s.Converted:N0} converted, {s.Skipped:N0} skipped, {s.Failed:N0} failed, {s.Rows:N0} rows, {s.MegabytesPerSecond:0.0} MB/s");
                if (_live)
                {
                    _writer.Write("\r" + line.PadRight(79));
                    _shown = true;
                }
                else
                {
                    _writer.WriteLine("logpushkit: " + line);
                }
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_shown)
                {
                    _writer.Write("\r" + new string(' ', 79) + "\r");
                    _shown = false;
                }
            }
        }
    }
}

/// <summary>What <see cref="PipelineCommandOptions.Bind"/> builds: the processor over the opened buckets, and the run settings.</summary>
internal sealed record PipelineSetup(LogpushObjectProcessor Processor, int Concurrency, bool Quiet, string? SourceFolder, string SourceDescription);

/// <summary>
/// The options <c>run</c> and <c>consume</c> share: where objects come from and go to, which keys are taken, how targets
/// are named, how many objects are converted at once, and the transform options.
/// </summary>
internal sealed class PipelineCommandOptions
{
    private PipelineCommandOptions(TransformOptionsBinder transform) => Transform = transform;

    public Option<string> Source { get; } = new("--source")
    {
        Description = "Where the Logpush objects are: a local folder, r2://bucket/prefix (credentials from R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY) or s3://bucket/prefix (with --endpoint).",
        HelpName = "folder|r2://bucket/prefix|s3://bucket/prefix",
        Required = true,
    };

    public Option<string> Target { get; } = new("--target")
    {
        Description = "Where the CSV objects go: a local folder (created if missing), r2://bucket/prefix or s3://bucket/prefix. May be the source.",
        HelpName = "folder|r2://bucket/prefix|s3://bucket/prefix",
        Required = true,
    };

    public Option<string?> Endpoint { get; } = new("--endpoint")
    {
        Description = "The S3-compatible endpoint URL for s3:// locations (or LOGPUSHKIT_S3_ENDPOINT).",
        HelpName = "URL",
    };

    public Option<int> Concurrency { get; } = new("--concurrency", "-j")
    {
        Description = "Objects converted at once. Default: one per core.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        HelpName = "N",
    };

    public Option<string?> Prefix { get; } = new("--prefix")
    {
        Description = "Only source keys under this prefix (added after the prefix in --source).",
        HelpName = "PREFIX",
    };

    public Option<string> Suffix { get; } = new("--suffix")
    {
        Description = "Only source keys ending with this (case-insensitive). Default .log.gz; \"\" takes every key (Logpush's ownership-challenge and test objects are still skipped).",
        DefaultValueFactory = _ => ".log.gz",
        HelpName = "SUFFIX",
    };

    public Option<string?> TargetTemplate { get; } = new("--target-template")
    {
        Description = "How target keys are named. Default {path}.csv. Tokens: {path} {dir} {name} {file} {date} {year} {month} {day} {hour}.",
        HelpName = "TEMPLATE",
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print no progress or summary on stderr (failures are still printed)." };

    public TransformOptionsBinder Transform { get; }

    public static PipelineCommandOptions AddTo(Command command)
    {
        var transform = TransformOptionsBinder.AddTo(command);
        var options = new PipelineCommandOptions(transform);
        foreach (var option in new Option[] { options.Source, options.Target, options.Endpoint, options.Concurrency, options.Prefix, options.Suffix, options.TargetTemplate, options.Quiet })
        {
            command.Options.Add(option);
        }

        options.Concurrency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 256)
            {
                r.AddError("--concurrency must be between 1 and 256.");
            }
        });
        foreach (var location in new[] { options.Source, options.Target })
        {
            location.Validators.Add(r =>
            {
                if (!BucketLocation.TryParse(r.GetValueOrDefault<string>(), out _, out var error))
                {
                    r.AddError($"{location.Name}: {error}");
                }
            });
        }

        options.TargetTemplate.Validators.Add(r =>
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
        return options;
    }

    /// <summary>Opens the buckets and builds the processor.</summary>
    public PipelineSetup Bind(ParseResult parseResult)
    {
        var source = BucketLocation.Parse(parseResult.GetRequiredValue(Source));
        var target = BucketLocation.Parse(parseResult.GetRequiredValue(Target));
        var endpoint = parseResult.GetValue(Endpoint);
        if (source.Kind == BucketLocationKind.FileSystem && !Directory.Exists(source.Path))
        {
            throw new UsageException($"--source: the folder '{source.Path}' does not exist.");
        }

        var transform = Transform.Bind(parseResult);
        try
        {
            _ = new LogpushCsvTransformer(transform);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }

        var prefix = Join(source.Key, parseResult.GetValue(Prefix));
        var processorOptions = new LogpushObjectProcessorOptions
        {
            Prefix = string.IsNullOrEmpty(prefix) ? null : prefix,
            Suffix = parseResult.GetValue(Suffix) ?? ".log.gz",
            TargetPrefix = string.IsNullOrEmpty(target.Key) ? null : target.Key,
            TargetKeyTemplate = parseResult.GetValue(TargetTemplate) is { } template ? new TargetKeyTemplate(template) : TargetKeyTemplate.Default,
            Transform = transform,
        };
        var processor = new LogpushObjectProcessor(OpenBucket(source, endpoint), OpenBucket(target, endpoint), processorOptions);
        return new PipelineSetup(
            processor,
            parseResult.GetValue(Concurrency),
            parseResult.GetValue(Quiet),
            source.Kind == BucketLocationKind.FileSystem ? source.Path : null,
            source.ToString());
    }

    /// <summary>
    /// Opens a bucket location: a folder as a <see cref="FileSystemBucket"/>; r2:// and s3:// as an <see cref="R2.R2Bucket"/>
    /// (credentials from R2_ACCESS_KEY_ID / R2_SECRET_ACCESS_KEY, for s3:// first AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY;
    /// r2:// needs R2_ACCOUNT_ID or R2_ENDPOINT; s3:// needs --endpoint or LOGPUSHKIT_S3_ENDPOINT), as <c>convert</c> does.
    /// </summary>
    public static IR2Bucket OpenBucket(BucketLocation location, string? endpoint) =>
        location.Kind == BucketLocationKind.FileSystem ? new FileSystemBucket(location.Path!) : CliBuckets.OpenRemote(location, endpoint);

    /// <summary>One line: <c>run: 3 converted, 1 skipped (1 up to date, 0 filtered, 0 missing), 0 failed; 3,000 rows, 0.4 MB CSV; 1.2 MB in 0.20 s, 6.0 MB/s</c>.</summary>
    public static string FormatSummary(string label, PipelineSummary s) => string.Create(
        CultureInfo.InvariantCulture,
        $"{label}: {s.Converted:N0} converted, {s.Skipped:N0} skipped ({s.SkippedDuplicate:N0} up to date, {s.SkippedFiltered:N0} filtered, {s.SkippedNotFound:N0} missing), {s.Failed:N0} failed; {s.Rows:N0} rows, {s.BytesOut / 1e6:0.0} MB CSV; {s.BytesDecompressed / 1e6:0.0} MB in {s.Elapsed.TotalSeconds:0.00} s, {s.MegabytesPerSecond:0.0} MB/s");

    /// <summary>Adds up several passes.</summary>
    public static PipelineSummary Sum(IReadOnlyList<PipelineSummary> parts) => new()
    {
        Converted = parts.Sum(p => p.Converted),
        SkippedDuplicate = parts.Sum(p => p.SkippedDuplicate),
        SkippedFiltered = parts.Sum(p => p.SkippedFiltered),
        SkippedNotFound = parts.Sum(p => p.SkippedNotFound),
        Failed = parts.Sum(p => p.Failed),
        Records = parts.Sum(p => p.Records),
        Rows = parts.Sum(p => p.Rows),
        BadLines = parts.Sum(p => p.BadLines),
        BytesIn = parts.Sum(p => p.BytesIn),
        BytesDecompressed = parts.Sum(p => p.BytesDecompressed),
        BytesOut = parts.Sum(p => p.BytesOut),
        Elapsed = parts.Count == 0 ? TimeSpan.Zero : parts.Aggregate(TimeSpan.Zero, (a, p) => a + p.Elapsed),
        Failures = [.. parts.SelectMany(p => p.Failures).Take(100)],
    };

    private static string? Join(string? a, string? b) => string.IsNullOrEmpty(a) ? b : string.IsNullOrEmpty(b) ? a : a + b;
}
