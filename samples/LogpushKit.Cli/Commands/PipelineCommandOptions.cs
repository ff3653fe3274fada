using System.CommandLine;
using System.Globalization;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Pipeline;
using LogpushKit.R2;
using LogpushKit.Storage;
using LogpushKit.Transform;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// The options <c>run</c> and <c>consume</c> share: where objects come from and go to, which keys are taken, how targets
/// are named, how many objects are converted at once, and the transform options. <see cref="Open"/> turns them into the
/// library's <see cref="LogpushPipeline"/>, the same composition the worker runs.
/// </summary>
internal sealed class PipelineCommandOptions
{
    /// <summary>How the pipeline's settings are named on the command line, for its messages.</summary>
    public static readonly PipelineSettingNames SettingNames = new()
    {
        Source = "--source",
        Target = "--target",
        Endpoint = "--endpoint",
        TargetKeyTemplate = "--target-template",
        State = "--state",
        Quarantine = "--quarantine",
    };

    private PipelineCommandOptions(TransformOptionsBinder transform) => Transform = transform;

    public Option<string> Source { get; } = new("--source")
    {
        Description = "Where the Logpush objects are: a local folder (which must exist), r2://bucket/folder (credentials from R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY) or s3://bucket/folder (with --endpoint). The path names a folder: r2://b/gateway_http takes gateway_http/... only.",
        HelpName = "folder|r2://bucket/folder|s3://bucket/folder",
        Required = true,
    };

    public Option<string> Target { get; } = new("--target")
    {
        Description = "Where the CSV objects go: a local folder (created if missing), r2://bucket/folder or s3://bucket/folder (keys under folder/). May be the source.",
        HelpName = "folder|r2://bucket/folder|s3://bucket/folder",
        Required = true,
    };

    public Option<string?> Endpoint { get; } = new("--endpoint")
    {
        Description = $"The S3-compatible endpoint URL for s3:// locations (or {R2BucketProvider.S3EndpointVariable}); also overrides R2_ENDPOINT for r2:// ones. s3:// takes AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (else the R2_ ones).",
        HelpName = "URL",
    };

    public Option<int> Concurrency { get; } = new("--concurrency", "-j")
    {
        Description = "Objects converted at once, 1-256. Default: one per core.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        HelpName = "N",
        CustomParser = ParseConcurrency,
    };

    /// <summary>The size part of <see cref="IoBudget"/>'s text, the same for every command that takes it.</summary>
    internal const string IoBudgetSizeText = "A number with an optional K, M, G or T suffix (powers of 1024). Default 64M; 0: only --concurrency objects at once.";

    /// <summary><see cref="IoBudget"/>'s text for <c>consume</c>, whose objects come from queue messages.</summary>
    internal const string ConsumeIoBudgetText =
        "The bytes that queued objects in flight beyond --concurrency may hold, so that waiting overlaps converting: while some objects wait on I/O (a bucket's HEAD, GET and PUT round trips, or writing a CSV into a folder), "
        + "more are started (still at most --concurrency converting at once), and each pull asks for as many messages as may start. "
        + "Each counts 1 MiB + its compressed size from the event x the CSV's expansion (8 until one is converted, then the largest seen x 1.25), at most 17 MiB. " + IoBudgetSizeText;

    public Option<long?> IoBudget { get; } = new("--io-budget")
    {
        Description = "The bytes that objects in flight beyond --concurrency may hold, so that waiting overlaps converting: a bucket's requests, or between local folders reading ahead and "
            + "flushing each CSV to disk (still at most --concurrency converting at once). Each counts 1 MiB + its compressed size x the CSV's expansion (8 until one is converted, then the largest seen x 1.25), at most 17 MiB. "
            + IoBudgetSizeText,
        HelpName = "SIZE",
        CustomParser = ParseIoBudget,
    };

    public Option<string?> Prefix { get; } = new("--prefix")
    {
        Description = "Only source keys under this prefix (a plain prefix, added after the folder in --source).",
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
        Description = "How target keys are named. Default {path}.csv. Tokens: {path} {dir} {name} {file} {date} {year} {month} {day} {hour} {dataset} (the object's dataset, or 'unknown').",
        HelpName = "TEMPLATE",
    };

    public Option<string?> State { get; } = new("--state")
    {
        Description = "The state database (SQLite) that records what was converted, so a CSV your SIEM forwarder consumed (deleted or moved) is not produced again and a folder target holds only the CSV files (a target folder removed as a whole is a new target: the next run fills it again). "
            + "Default for a folder target: $XDG_STATE_HOME/logpushkit/state.db (else ~/.local/state/logpushkit/state.db; %LOCALAPPDATA%\\logpushkit\\state.db on Windows); one database serves many pipelines. "
            + "For a bucket target the state is off unless --state is given (the provenance is on each object).",
        HelpName = "PATH",
    };

    public Option<string?> Quarantine { get; } = new("--quarantine")
    {
        Description = "With --on-bad-line quarantine: where bad lines go (a folder, r2://bucket/folder or s3://bucket/folder). "
            + "Default for a folder target: a folder quarantine/<hash of the target> beside the state database; for a bucket target: beside each CSV (x.csv.quarantine).",
        HelpName = "folder|r2://bucket/folder|s3://bucket/folder",
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print no progress or summary on stderr (failures, and the summary when files were left because they were still being written, are still printed)." };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Print one line per converted object on stderr: its key, why it was converted (new, source changed, options changed, forced), its dataset and how it was told, its counts.",
    };

    public Option<bool> NoJobs { get; } = JobRoutes.CreateNoJobsOption();

    public Option<FileInfo?> Config { get; } = new("--config")
    {
        Description = "A JSON file of per-dataset settings, in the shape of the worker's appsettings: {\"LogpushKit\": {\"Datasets\": {\"gateway_http\": {\"Fields\": [...], \"Timestamps\": \"rfc3339\", \"TargetKeyTemplate\": \"{dataset}/{path}.csv\"}}}}. "
            + "A dataset's setting wins over --fields/--columns, --timestamps and --target-template for that dataset's objects; the flags apply to every other object. Unknown keys and dataset names are refused.",
        HelpName = "FILE",
    };

    public TransformOptionsBinder Transform { get; }

    public static PipelineCommandOptions AddTo(Command command)
    {
        var transform = TransformOptionsBinder.AddTo(command, perDataset: true);
        var options = new PipelineCommandOptions(transform);
        foreach (var option in new Option[] { options.Source, options.Target, options.Endpoint, options.Concurrency, options.IoBudget, options.Prefix, options.Suffix, options.TargetTemplate, options.State, options.Quarantine, options.Quiet, options.Verbose, options.NoJobs, options.Config })
        {
            command.Options.Add(option);
        }

        options.Concurrency.Require(n => n is >= 1 and <= 256, "--concurrency must be between 1 and 256.");
        options.Quarantine.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } value && !BucketLocation.TryParse(value, out _, out var error))
            {
                r.AddError($"--quarantine: {error}");
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

    /// <summary>Whether --source names a local folder (for checks between options).</summary>
    public bool IsFolderSource(System.CommandLine.Parsing.CommandResult result)
        => BucketLocation.TryParse(TransformOptionsBinder.ValueOrDefault(result, Source), out var location, out _) && !location.IsBucket;

    /// <summary>
    /// Opens the pipeline the options describe (the buckets, the processor); <paramref name="configure"/> adds settings of
    /// the calling command (time window, watch intervals), <paramref name="loggers"/> the log lines the command shows.
    /// Settings the library refuses become usage errors.
    /// </summary>
    public LogpushPipeline Open(ParseResult parseResult, Func<LogpushPipelineOptions, LogpushPipelineOptions>? configure = null, ILoggerFactory? loggers = null)
    {
        var transform = Transform.Bind(parseResult);
        try
        {
            _ = new LogpushCsvTransformer(transform);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message.Split(" (Parameter", 2)[0]);
        }

        var target = parseResult.GetRequiredValue(Target);
        var options = new LogpushPipelineOptions
        {
            Source = parseResult.GetRequiredValue(Source),
            Target = target,
            State = parseResult.GetValue(State) ?? (BucketLocation.TryParse(target, out var at, out _) && !at.IsBucket ? LogpushKit.State.SqliteConversionStateStore.DefaultPath() : null),
            Quarantine = parseResult.GetValue(Quarantine),
            Endpoint = parseResult.GetValue(Endpoint),
            Prefix = parseResult.GetValue(Prefix),
            Suffix = parseResult.GetValue(Suffix) ?? ".log.gz",
            TargetKeyTemplate = parseResult.GetValue(TargetTemplate) is { } template ? new TargetKeyTemplate(template) : TargetKeyTemplate.Default,
            Transform = transform,
            MaxConcurrency = parseResult.GetValue(Concurrency),
            IoBudgetBytes = parseResult.GetValue(IoBudget) ?? LogpushPipelineOptions.DefaultIoBudgetBytes,
            SettingNames = SettingNames,
            Datasets = ReadConfig(parseResult, transform),
        };
        if (loggers is null && parseResult.GetValue(Verbose) && !parseResult.GetValue(Quiet))
        {
            loggers = ObjectLines = new StderrLoggerFactory(parseResult.InvocationConfiguration.Error, LogLevel.Information, typeof(LogpushObjectProcessor).FullName!);
        }

        return LogpushPipeline.Open(configure?.Invoke(options) ?? options, CliBuckets.Providers, loggers);
    }

    /// <summary>
    /// The per-dataset settings of --config (none without it), read by the worker's code
    /// (<see cref="Hosting.LogpushKitConfiguration.ReadDatasetSettings"/>); a file that cannot be read or a key it refuses
    /// is a usage error naming the file and the key path.
    /// </summary>
    private IReadOnlyDictionary<string, Datasets.LogpushDatasetSettings> ReadConfig(ParseResult parseResult, TransformOptions transform)
    {
        if (parseResult.GetValue(Config) is not { } file)
        {
            return new Dictionary<string, Datasets.LogpushDatasetSettings>();
        }

        Microsoft.Extensions.Configuration.IConfiguration configuration;
        try
        {
            configuration = Microsoft.Extensions.Configuration.JsonConfigurationExtensions.AddJsonFile(
                new Microsoft.Extensions.Configuration.ConfigurationBuilder(), file.FullName, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            throw new UsageException($"--config {file.FullName}: {CliText.ForUser(ex.Message)}");
        }

        try
        {
            return Hosting.LogpushKitConfiguration.ReadDatasetSettings(configuration, transform, "--dataset");
        }
        catch (LogpushSettingException ex)
        {
            throw new UsageException($"--config {file.FullName}: {CliText.ForUser(ex.Message)}");
        }
    }

    /// <summary>
    /// The routes of the Logpush jobs listed with <paramref name="cloudflare"/> (see <see cref="JobRoutes"/>); none with
    /// --no-jobs or --dataset NAME, or without credentials and ids. A failed listing prints a warning and gives none.
    /// </summary>
    public async Task<IReadOnlyList<Datasets.LogpushJobRoute>> JobRoutesAsync(ParseResult parseResult, CloudflareCommandOptions cloudflare, string label, CancellationToken cancellationToken)
    {
        if (!JobRoutes.Wanted(parseResult, NoJobs, Transform.Bind(parseResult)))
        {
            return [];
        }

        var verbose = parseResult.GetValue(Verbose) && !parseResult.GetValue(Quiet);
        return await JobRoutes.ListAsync(
            cloudflare.Settings(parseResult), parseResult.GetRequiredValue(Source), label, parseResult.InvocationConfiguration.Error, verbose, cancellationToken);
    }

    /// <summary>Whether the job listing is skipped (--no-jobs, or --dataset NAME), for checks between options.</summary>
    public bool SkipsJobs(System.CommandLine.Parsing.CommandResult result)
        => TransformOptionsBinder.ValueOrDefault(result, NoJobs)
        || !string.Equals(TransformOptionsBinder.ValueOrDefault(result, Transform.Dataset) ?? TransformOptions.AutoDataset, TransformOptions.AutoDataset, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// After the summary: where the quarantined bad lines went, when there were any and they are not beside each CSV
    /// (their own location: --quarantine, or the default beside the state database).
    /// </summary>
    public static void PrintQuarantine(TextWriter error, string label, LogpushPipeline pipeline, PipelineSummary summary)
    {
        if (summary.BadLines > 0 && pipeline.Options.Transform.OnBadLine == BadLinePolicy.Quarantine)
        {
            var where = pipeline.QuarantineLocation?.ToString() ?? $"beside each CSV in {pipeline.TargetLocation} (*{pipeline.Processor.Options.QuarantineSuffix})";
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"logpushkit: {label}: {summary.BadLines:N0} bad lines quarantined in {where}"));
        }
    }

    /// <summary>The loggers of --verbose (one line per object), once <see cref="Open"/> made them; the command disposes them.</summary>
    public StderrLoggerFactory? ObjectLines { get; private set; }

    /// <summary>
    /// One line: <c>run: 3 converted, 1 skipped (1 up to date, 0 filtered, 0 missing), 0 failed; 3,000 rows, 0.4 MB CSV; 1.2 MB
    /// in 0.20 s, 6.0 MB/s</c>; failed reconcile passes and removed leftovers of interrupted puts only when there were any.
    /// </summary>
    public static string FormatSummary(string label, PipelineSummary s)
    {
        var passes = s.FailedPasses > 0 ? string.Create(CultureInfo.InvariantCulture, $", {s.FailedPasses:N0} failed reconcile passes") : string.Empty;
        var leftovers = s.LeftoversRemoved > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {s.LeftoversRemoved:N0} leftovers of interrupted puts removed") : string.Empty;
        var why = s.Converted > 0
            ? string.Create(CultureInfo.InvariantCulture, $" ({s.ConvertedNew:N0} new, {s.ConvertedSourceChanged:N0} source changed, {s.ConvertedOptionsChanged:N0} options changed, {s.ConvertedForced:N0} forced)")
            : string.Empty;
        var unsettled = s.SkippedUnsettled > 0 ? string.Create(CultureInfo.InvariantCulture, $", {s.SkippedUnsettled:N0} still being written (run again)") : string.Empty;
        // a watch of a folder counts objects in Failed and their attempts apart
        var givenUp = (s.GivenUp, s.FailedAttempts) switch
        {
            ( > 0, > 0) => string.Create(CultureInfo.InvariantCulture, $" ({s.GivenUp:N0} given up until their files change; {s.FailedAttempts:N0} failed attempts)"),
            ( > 0, _) => string.Create(CultureInfo.InvariantCulture, $" ({s.GivenUp:N0} given up until their files change)"),
            (_, > 0) => string.Create(CultureInfo.InvariantCulture, $" ({s.FailedAttempts:N0} failed attempts)"),
            _ => string.Empty,
        };
        var datasets = s.DatasetUnknown > 0 || s.NewKeys > 0
            ? string.Create(CultureInfo.InvariantCulture, $"; {s.DatasetUnknown:N0} dataset unknown, {s.NewKeys:N0} new keys")
            : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{label}: {s.Converted:N0} converted{why}, {s.Skipped:N0} skipped ({s.SkippedDuplicate:N0} up to date, {s.SkippedFiltered:N0} filtered, {s.SkippedNotFound:N0} missing{unsettled}), {s.Failed:N0} failed{givenUp}{passes}; {s.Rows:N0} rows, {s.BytesOut / 1e6:0.0} MB CSV; {s.BytesDecompressed / 1e6:0.0} MB in {s.Elapsed.TotalSeconds:0.00} s, {s.MegabytesPerSecond:0.0} MB/s{datasets}{leftovers}");
    }

    private static int ParseConcurrency(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n; // the range is checked by the validator, with its own message
        }

        result.AddError($"--concurrency: '{text}' is not a whole number; give 1 to 256.");
        return 0;
    }

    private static long? ParseIoBudget(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value;
        if (text.Trim() == "0")
        {
            return 0; // documented: only --concurrency objects in flight
        }

        if (!TransformOptionsText.TryParseByteSize(text, out var bytes, out var error))
        {
            result.AddError($"--io-budget: {error} (Or 0: only --concurrency objects in flight.)");
            return null;
        }

        return bytes;
    }
}
