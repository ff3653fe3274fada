using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Json;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit jobs list|get|create|update|delete|validate|ownership</c>: Logpush jobs at account or zone scope. Output is a table, or
/// JSON with <c>--json</c>; destination secrets are masked in both.
/// </summary>
internal static class JobsCommand
{
    private static readonly System.Text.Json.JsonSerializerOptions IndentedJson = new(CloudflareJson.Options) { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("jobs", "Manage Logpush jobs (account or zone scope) through the Cloudflare API.\n" + CloudflareCommandOptions.HelpText);
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateGet());
        command.Subcommands.Add(CreateCreate());
        command.Subcommands.Add(CreateUpdate());
        command.Subcommands.Add(CreateDelete());
        command.Subcommands.Add(CreateValidate());
        command.Subcommands.Add(CreateOwnership());
        return command;
    }

    private static Command CreateValidate()
    {
        var command = new Command(
            "validate",
            "Ask Cloudflare whether it can write to a destination (logpush/validate/destination) and whether a job already writes there "
            + "(…/destination/exists), and/or whether legacy logpull options are valid (logpush/validate/origin). Exit code 1 when something is invalid.");
        var destination = new DestinationOptions();
        destination.AddTo(command);
        var dataset = new Option<string?>("--dataset") { Description = "The dataset the job is for (its scope picks account or zone when both ids are set).", HelpName = "NAME" };
        var logpull = new Option<string?>("--logpull-options") { Description = "Legacy logpull options to validate, e.g. 'fields=RayID,ClientIP&timestamps=rfc3339'.", HelpName = "QUERY" };
        command.Options.Add(dataset);
        command.Options.Add(logpull);
        var api = CloudflareCommandOptions.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(destination.Destination) is null && result.GetResult(destination.R2Bucket) is null && result.GetResult(logpull) is null)
            {
                result.AddError("Name what to validate: --r2-bucket B [--r2-path P] or --destination CONF, and/or --logpull-options QUERY.");
            }
        });
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var scope = api.ResolveScope(parseResult, parseResult.GetValue(dataset));
            var conf = destination.Build(parseResult, api, scope);
            using var client = new LogpushClient(api.ClientOptions<LogpushClientOptions>(parseResult));
            var report = new JsonObject();
            var lines = new List<string>();
            var ok = true;
            // a reply without a result (the schema allows one) is no answer: printed as unknown (null in --json), exit 1
            if (conf is not null)
            {
                var masked = DestinationConf.Mask(conf);
                var validation = await client.ValidateDestinationAsync(scope, conf, cancellationToken);
                var exists = await client.ValidateDestinationExistsAsync(scope, conf, cancellationToken);
                ok &= validation?.Valid == true;
                report["destination"] = new JsonObject
                {
                    ["destination_conf"] = masked,
                    ["valid"] = validation?.Valid,
                    ["message"] = DestinationConf.MaskSecretsInText(validation?.Message),
                    ["exists"] = exists?.Exists,
                };
                lines.Add($"destination {masked}: {Verdict(validation)}");
                lines.Add(exists switch
                {
                    null => "Cloudflare did not say whether a Logpush job writes there (its reply had no result)",
                    { Exists: true } => "a Logpush job already writes there",
                    _ => "no Logpush job writes there",
                });
            }

            if (parseResult.GetValue(logpull) is { } options)
            {
                var validation = await client.ValidateOriginAsync(scope, options, cancellationToken);
                ok &= validation?.Valid == true;
                report["origin"] = new JsonObject { ["logpull_options"] = options, ["valid"] = validation?.Valid, ["message"] = DestinationConf.MaskSecretsInText(validation?.Message) };
                lines.Add($"logpull options {options}: {Verdict(validation)}");
            }

            var output = parseResult.InvocationConfiguration.Output;
            await output.WriteLineAsync(parseResult.GetValue(api.Json) ? report.ToJsonString(IndentedJson) : string.Join('\n', lines));
            return ok ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;

        static string Verdict(LogpushValidationResult? validation) => validation switch
        {
            null => "UNKNOWN: Cloudflare's reply had no result",
            { Valid: true } => "valid",
            _ => "INVALID: " + (string.IsNullOrEmpty(validation.Message) ? "no reason given" : DestinationConf.MaskSecretsInText(validation.Message)),
        };
    }

    private static Command CreateOwnership()
    {
        var command = new Command(
            "ownership",
            "Ask Cloudflare to write an ownership challenge into a destination (logpush/ownership; S3, GCS, Azure and Sumo Logic need one, R2 "
            + "does not), or with --challenge check a token read from it (logpush/ownership/validate). A challenge is valid 7 days, for this exact destination.");
        var destination = new DestinationOptions();
        destination.AddTo(command, required: true);
        var dataset = new Option<string?>("--dataset") { Description = "The dataset the job is for (its scope picks account or zone when both ids are set).", HelpName = "NAME" };
        var challenge = new Option<string?>("--challenge") { Description = "Check this token (the content of the challenge file) instead of requesting a new one.", HelpName = "TOKEN" };
        command.Options.Add(dataset);
        command.Options.Add(challenge);
        var api = CloudflareCommandOptions.AddTo(command);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var scope = api.ResolveScope(parseResult, parseResult.GetValue(dataset));
            var conf = destination.Build(parseResult, api, scope)!;
            var masked = DestinationConf.Mask(conf);
            using var client = new LogpushClient(api.ClientOptions<LogpushClientOptions>(parseResult));
            var output = parseResult.InvocationConfiguration.Output;
            var json = parseResult.GetValue(api.Json);
            if (parseResult.GetValue(challenge) is { Length: > 0 } token)
            {
                var validation = await client.ValidateOwnershipChallengeAsync(scope, conf, token.Trim(), cancellationToken);
                await output.WriteLineAsync(json
                    ? new JsonObject { ["destination_conf"] = masked, ["valid"] = validation?.Valid }.ToJsonString(IndentedJson)
                    : $"ownership challenge for {masked}: {validation switch
                    {
                        null => "UNKNOWN: Cloudflare's reply had no result",
                        { Valid: true } => "valid",
                        _ => "NOT valid (request a new one; a challenge lasts 7 days and fits only this exact destination)",
                    }}");
                return validation?.Valid == true ? ExitCodes.Success : ExitCodes.Failure;
            }

            var requested = await client.RequestOwnershipChallengeAsync(scope, conf, cancellationToken);
            var message = DestinationConf.MaskSecretsInText(requested?.Message);
            if (json)
            {
                await output.WriteLineAsync(new JsonObject { ["destination_conf"] = masked, ["filename"] = requested?.FileName, ["valid"] = requested?.Valid, ["message"] = message }.ToJsonString(IndentedJson));
            }
            else if (requested is null)
            {
                await output.WriteLineAsync($"Cloudflare did not say whether it wrote an ownership challenge to {masked} (its reply had no result); request it again.");
            }
            else if (requested.Valid)
            {
                await output.WriteLineAsync(
                    $"Cloudflare wrote the ownership challenge to {requested.FileName ?? "ownership-challenge.txt"} in {masked}. Read that file and pass its content to "
                    + "'logpushkit jobs create … --ownership-challenge TOKEN' or 'logpushkit setup … --ownership-challenge TOKEN' (check it first with 'jobs ownership … --challenge TOKEN'); it is valid 7 days.");
            }
            else
            {
                await output.WriteLineAsync($"Cloudflare could not write an ownership challenge to {masked}: {(string.IsNullOrEmpty(message) ? "no reason given" : message)}");
            }

            return requested?.Valid == true ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the jobs of the account or zone.");
        var api = CloudflareCommandOptions.AddTo(command);
        var dataset = new Option<string?>("--dataset") { Description = "Only the jobs of this dataset.", HelpName = "NAME" };
        command.Options.Add(dataset);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var datasetName = parseResult.GetValue(dataset);
            var scope = api.ResolveScope(parseResult, datasetName);
            using var client = new LogpushClient(api.ClientOptions<LogpushClientOptions>(parseResult));
            var jobs = datasetName is null
                ? await client.ListJobsAsync(scope, cancellationToken).ToListAsync(cancellationToken)
                : await client.ListDatasetJobsAsync(scope, datasetName, cancellationToken).ToListAsync(cancellationToken);
            var masked = jobs.Select(j => j.WithMaskedSecrets()).ToList();
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(CloudflareJson.Serialize<IReadOnlyList<LogpushJob>>(masked, indented: true));
            }
            else if (masked.Count == 0)
            {
                await output.WriteLineAsync($"No Logpush jobs in {scope}.");
            }
            else
            {
                await output.WriteAsync(CliTable.Format(
                    ["ID", "DATASET", "NAME", "ENABLED", "DESTINATION", "LAST COMPLETE", "LAST ERROR"],
                    masked.Select(j => new[] { Text(j.Id), j.Dataset, j.Name, Text(j.Enabled), j.DestinationConf, Text(j.LastComplete), Text(j.LastError) })));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateGet() => ForOneJob("get", "Show one job.", async (parseResult, api, client, scope, jobId, cancellationToken) =>
    {
        await PrintJobAsync(parseResult, api, await client.GetJobAsync(scope, jobId, cancellationToken));
        return ExitCodes.Success;
    });

    private static Command CreateCreate()
    {
        var command = new Command(
            "create",
            "Create a Logpush job, e.g. for a SIEM: --dataset gateway_http --all-fields --output-type csv --timestamp-format unix "
            + "--r2-bucket B --r2-path 'gateway_http/{DATE}' --max-upload-bytes 5000000 --max-upload-records 1000 --enabled. "
            + "R2 credentials for the destination come from --r2-access-key-id/--r2-secret-access-key or R2_ACCESS_KEY_ID/R2_SECRET_ACCESS_KEY.");
        var api = CloudflareCommandOptions.AddTo(command);
        var spec = JobOptions.AddTo(command, forCreate: true);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var datasetName = parseResult.GetValue(spec.Dataset) ?? throw new UsageException("jobs create needs --dataset NAME.");
            var scope = api.ResolveScope(parseResult, datasetName);
            var job = spec.Build(parseResult, api, scope, baseJob: null) with { Dataset = datasetName };
            if (job.DestinationConf is null)
            {
                throw new UsageException("jobs create needs a destination: --r2-bucket B [--r2-path P] or --destination CONF.");
            }

            using var client = new LogpushClient(api.ClientOptions<LogpushClientOptions>(parseResult));
            var created = parseResult.GetValue(spec.AllFields)
                ? await client.CreateJobWithAllFieldsAsync(scope, job, cancellationToken)
                : await client.CreateJobAsync(scope, job, cancellationToken);
            await PrintJobAsync(parseResult, api, created);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateUpdate()
    {
        JobOptions spec = null!; // added after the id argument, as help lists them
        var command = ForOneJob("update", "Change a job: only the given options are changed (output options are merged into the job's current ones).", async (parseResult, api, client, scope, jobId, cancellationToken) =>
        {
            LogpushJob? current = null;
            if (spec.ChangesOutputOptions(parseResult))
            {
                current = await client.GetJobAsync(scope, jobId, cancellationToken);
            }

            var changes = spec.Build(parseResult, api, scope, current);
            if (CloudflareJson.Serialize(changes) == "{}")
            {
                throw new UsageException("jobs update needs at least one change (e.g. --enabled true, --name, --filter, --max-upload-bytes).");
            }

            if (parseResult.GetValue(spec.AllFields))
            {
                var dataset = (current ?? await client.GetJobAsync(scope, jobId, cancellationToken)).Dataset
                    ?? throw new UsageException($"Job {jobId} has no dataset, so --all-fields cannot be resolved.");
                var fields = await client.GetDatasetFieldsAsync(scope, dataset, cancellationToken);
                changes = changes with { OutputOptions = (changes.OutputOptions ?? new LogpushOutputOptions()) with { FieldNames = [.. fields.Keys] } };
            }

            var updated = await client.UpdateJobAsync(scope, jobId, changes, cancellationToken);
            await PrintJobAsync(parseResult, api, updated);
            return ExitCodes.Success;
        });
        spec = JobOptions.AddTo(command, forCreate: false);
        return command;
    }

    private static Command CreateDelete() => ForOneJob("delete", "Delete a job (irreversible).", async (parseResult, api, client, scope, jobId, cancellationToken) =>
    {
        await client.DeleteJobAsync(scope, jobId, cancellationToken);
        await parseResult.InvocationConfiguration.Output.WriteLineAsync(parseResult.GetValue(api.Json)
            ? string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{jobId},\"deleted\":true}}")
            : string.Create(CultureInfo.InvariantCulture, $"Deleted Logpush job {jobId} in {scope}."));
        return ExitCodes.Success;
    });

    /// <summary>
    /// A command on one job (<c>get</c>, <c>update</c>, <c>delete</c>): the connection options and the job id, then
    /// <paramref name="run"/> with a client at the scope the options resolve to.
    /// </summary>
    private static Command ForOneJob(
        string name, string description, Func<ParseResult, CloudflareCommandOptions, LogpushClient, LogpushScope, long, CancellationToken, Task<int>> run)
    {
        var command = new Command(name, description);
        var api = CloudflareCommandOptions.AddTo(command);
        var id = JobIdArgument();
        command.Arguments.Add(id);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var scope = api.ResolveScope(parseResult, dataset: null);
            using var client = new LogpushClient(api.ClientOptions<LogpushClientOptions>(parseResult));
            return await run(parseResult, api, client, scope, parseResult.GetValue(id), cancellationToken);
        });
        return command;
    }

    private static Argument<long> JobIdArgument() => new("id")
    {
        Description = "The job id.",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                return value;
            }

            result.AddError($"The job id must be a positive integer; got '{text}'.");
            return 0;
        },
    };

    private static async Task PrintJobAsync(ParseResult parseResult, CloudflareCommandOptions api, LogpushJob job)
    {
        var masked = job.WithMaskedSecrets();
        var output = parseResult.InvocationConfiguration.Output;
        if (parseResult.GetValue(api.Json))
        {
            await output.WriteLineAsync(CloudflareJson.Serialize(masked, indented: true));
            return;
        }

        var o = masked.OutputOptions;
        List<string?[]> rows =
        [
            ["id", Text(masked.Id)],
            ["dataset", masked.Dataset],
            ["name", masked.Name],
            ["enabled", Text(masked.Enabled)],
            ["destination", masked.DestinationConf],
            ["filter", masked.Filter],
            ["output type", o?.OutputType],
            ["timestamp format", o?.TimestampFormat],
            ["fields", o?.FieldNames is { } names ? string.Create(CultureInfo.InvariantCulture, $"{names.Count}: {string.Join(',', names)}") : null],
            ["max upload bytes", Text(masked.MaxUploadBytes)],
            ["max upload records", Text(masked.MaxUploadRecords)],
            ["max upload interval", masked.MaxUploadIntervalSeconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s} s") : null],
            ["last complete", Text(masked.LastComplete)],
            ["last error", Text(masked.LastError)],
            ["error message", masked.ErrorMessage],
        ];
        await output.WriteAsync(CliTable.Format(null, rows.Where(r => !string.IsNullOrEmpty(r[1]))));
    }

    internal static string? Text(object? value) => value switch
    {
        null => null,
        bool b => b ? "yes" : "no",
        DateTimeOffset d => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The options that describe a job's settings (create and update).</summary>
    private sealed class JobOptions
    {
        private static readonly string[] OutputTypes = ["csv", "ndjson"];
        private static readonly string[] TimestampFormats = ["unixnano", "unix", "rfc3339", "rfc3339ms", "rfc3339ns"];

        public Option<string?> Dataset { get; } = new("--dataset") { Description = "The dataset, e.g. gateway_http (its scope picks account or zone when both ids are set).", HelpName = "NAME" };

        public Option<bool> AllFields { get; } = new("--all-fields") { Description = "Emit every field of the dataset: the live field list is fetched first." };

        public Option<string[]> Fields { get; } = new("--fields") { Description = "Fields to emit, in order (comma-separated).", HelpName = "a,b,c", CustomParser = ParseList };

        public Option<string?> OutputType { get; } = new Option<string?>("--output-type") { Description = "csv or ndjson.", HelpName = "csv|ndjson" }.AcceptOnlyFromAmong(OutputTypes);

        public Option<string?> TimestampFormat { get; } = new Option<string?>("--timestamp-format") { Description = "unixnano, unix, rfc3339, rfc3339ms or rfc3339ns.", HelpName = "FORMAT" }.AcceptOnlyFromAmong(TimestampFormats);

        public Option<double?> SampleRate { get; } = new("--sample-rate") { Description = "Keep this fraction of records, in (0, 1].", HelpName = "RATE" };

        public Option<string?> Name { get; } = new("--name") { Description = "The job name.", HelpName = "NAME" };

        public Option<string?> Filter { get; } = new("--filter") { Description = "The filter JSON, e.g. '{\"where\":{\"key\":\"Action\",\"operator\":\"eq\",\"value\":\"block\"}}'.", HelpName = "JSON" };

        public DestinationOptions Destination { get; } = new();

        public Option<string?> OwnershipChallenge { get; } = new("--ownership-challenge")
        {
            Description = "The ownership-challenge token Cloudflare wrote into the destination ('jobs ownership'); needed for S3, GCS, Azure, Sumo Logic, not for R2.",
            HelpName = "TOKEN",
        };

        public Option<long?> MaxUploadBytes { get; } = new("--max-upload-bytes") { Description = "Uncompressed bytes per file: 0 or 5000000–1000000000.", HelpName = "N" };

        public Option<long?> MaxUploadRecords { get; } = new("--max-upload-records") { Description = "Records per file: 0 or 1000–1000000.", HelpName = "N" };

        public Option<int?> MaxUploadIntervalSeconds { get; } = new("--max-upload-interval-seconds") { Description = "Seconds per file: 0 or 30–300.", HelpName = "N" };

        public Option<bool?> Enabled { get; } = new("--enabled") { Description = "Enable the job (jobs are created disabled otherwise); 'false' disables.", Arity = ArgumentArity.ZeroOrOne };

        public static JobOptions AddTo(Command command, bool forCreate)
        {
            var o = new JobOptions();
            if (forCreate)
            {
                command.Options.Add(o.Dataset);
            }

            foreach (var option in new Option[]
            {
                o.AllFields, o.Fields, o.OutputType, o.TimestampFormat, o.SampleRate, o.Name, o.Filter, o.OwnershipChallenge,
                o.MaxUploadBytes, o.MaxUploadRecords, o.MaxUploadIntervalSeconds, o.Enabled,
            })
            {
                command.Options.Add(option);
            }

            o.Destination.AddTo(command);
            command.Validators.Add(result =>
            {
                if (result.GetResult(o.AllFields) is not null && result.GetValue(o.AllFields) && result.GetResult(o.Fields) is not null)
                {
                    result.AddError("Use either --all-fields or --fields, not both.");
                }

                if (Parsed(result, o.SampleRate) is { } rate && (rate <= 0 || rate > 1))
                {
                    result.AddError($"--sample-rate must be in (0, 1]; got {rate.ToString(CultureInfo.InvariantCulture)}.");
                }

                if (Parsed(result, o.MaxUploadBytes) is { } bytes && bytes != 0 && bytes is < 5_000_000 or > 1_000_000_000)
                {
                    result.AddError("--max-upload-bytes must be 0 or 5000000–1000000000.");
                }

                if (Parsed(result, o.MaxUploadRecords) is { } records && records != 0 && records is < 1000 or > 1_000_000)
                {
                    result.AddError("--max-upload-records must be 0 or 1000–1000000.");
                }

                if (Parsed(result, o.MaxUploadIntervalSeconds) is { } seconds && seconds != 0 && seconds is < 30 or > 300)
                {
                    result.AddError("--max-upload-interval-seconds must be 0 or 30–300.");
                }
            });
            return o;

            // a value that is not a number has its own parse error; GetValue on it would throw and end the process
            static T? Parsed<T>(System.CommandLine.Parsing.CommandResult result, Option<T?> option)
                where T : struct
            {
                try
                {
                    return result.GetValue(option);
                }
                catch (InvalidOperationException)
                {
                    return null;
                }
            }
        }

        public bool ChangesOutputOptions(ParseResult p) =>
            p.GetResult(Fields) is not null || p.GetResult(OutputType) is not null || p.GetResult(TimestampFormat) is not null
            || p.GetResult(SampleRate) is not null || p.GetValue(AllFields);

        public LogpushJob Build(ParseResult p, CloudflareCommandOptions api, LogpushScope scope, LogpushJob? baseJob)
        {
            LogpushOutputOptions? output = null;
            if (ChangesOutputOptions(p))
            {
                output = (baseJob?.OutputOptions ?? new LogpushOutputOptions()) with
                {
                    OutputType = p.GetValue(OutputType) ?? baseJob?.OutputOptions?.OutputType,
                    TimestampFormat = p.GetValue(TimestampFormat) ?? baseJob?.OutputOptions?.TimestampFormat,
                    SampleRate = p.GetValue(SampleRate) ?? baseJob?.OutputOptions?.SampleRate,
                    FieldNames = p.GetResult(Fields) is not null ? p.GetValue(Fields) : baseJob?.OutputOptions?.FieldNames,
                };
            }

            return new LogpushJob
            {
                Name = p.GetValue(Name),
                Enabled = p.GetResult(Enabled) is null ? null : p.GetValue(Enabled) ?? true,
                Filter = p.GetValue(Filter),
                DestinationConf = Destination.Build(p, api, scope),
                OwnershipChallenge = string.IsNullOrWhiteSpace(p.GetValue(OwnershipChallenge)) ? null : p.GetValue(OwnershipChallenge)!.Trim(),
                OutputOptions = output,
                MaxUploadBytes = p.GetValue(MaxUploadBytes),
                MaxUploadRecords = p.GetValue(MaxUploadRecords),
                MaxUploadIntervalSeconds = p.GetValue(MaxUploadIntervalSeconds),
            };
        }

        private static string[] ParseList(ArgumentResult result) =>
            [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
    }

    /// <summary>
    /// Where a job writes: <c>--destination CONF</c>, or <c>--r2-bucket B [--r2-path P] [--r2-jurisdiction J]</c> with the R2
    /// key from <c>--r2-access-key-id</c>/<c>--r2-secret-access-key</c> or <c>R2_ACCESS_KEY_ID</c>/<c>R2_SECRET_ACCESS_KEY</c>.
    /// </summary>
    internal sealed class DestinationOptions
    {
        public Option<string?> Destination { get; } = new("--destination") { Description = "A complete destination_conf (instead of --r2-bucket).", HelpName = "CONF" };

        public Option<string?> R2Bucket { get; } = new("--r2-bucket") { Description = "Write to this R2 bucket (r2:// destination; S3-compatible form with --r2-jurisdiction eu|fedramp).", HelpName = "BUCKET" };

        public Option<string?> R2Path { get; } = new("--r2-path") { Description = "Folder in the bucket; {DATE} becomes the UTC date (YYYYMMDD).", HelpName = "PATH" };

        public Option<string?> R2Jurisdiction { get; } = new Option<string?>("--r2-jurisdiction") { Description = "The bucket's jurisdiction: default, eu or fedramp.", HelpName = "J" }.AcceptOnlyFromAmong("default", "eu", "fedramp");

        public Option<string?> R2AccessKeyId { get; } = new("--r2-access-key-id") { Description = "R2 access key id for the destination (default: R2_ACCESS_KEY_ID).", HelpName = "ID" };

        public Option<string?> R2SecretAccessKey { get; } = new("--r2-secret-access-key") { Description = "R2 secret access key for the destination (default: R2_SECRET_ACCESS_KEY; prefer the variable).", HelpName = "SECRET" };

        public void AddTo(Command command, bool required = false)
        {
            foreach (var option in new Option[] { Destination, R2Bucket, R2Path, R2Jurisdiction, R2AccessKeyId, R2SecretAccessKey })
            {
                command.Options.Add(option);
            }

            command.Validators.Add(result =>
            {
                if (result.GetResult(Destination) is not null && result.GetResult(R2Bucket) is not null)
                {
                    result.AddError("Use either --destination or --r2-bucket, not both.");
                }

                if (result.GetResult(R2Bucket) is null && (result.GetResult(R2Path) ?? result.GetResult(R2Jurisdiction) ?? result.GetResult(R2AccessKeyId) ?? result.GetResult(R2SecretAccessKey)) is { } orphan)
                {
                    result.AddError($"{orphan.IdentifierToken?.Value ?? "--r2-*"} is only used with --r2-bucket.");
                }

                if (required && result.GetResult(Destination) is null && result.GetResult(R2Bucket) is null)
                {
                    result.AddError("Name the destination with --r2-bucket B [--r2-path P] or --destination CONF.");
                }
            });
        }

        public string? Build(ParseResult p, CloudflareCommandOptions api, LogpushScope scope)
        {
            if (p.GetValue(Destination) is { } destination)
            {
                return destination;
            }

            if (p.GetValue(R2Bucket) is not { } bucket)
            {
                return null;
            }

            var keyId = p.GetValue(R2AccessKeyId) ?? Environment.GetEnvironmentVariable("R2_ACCESS_KEY_ID");
            var secret = p.GetValue(R2SecretAccessKey) ?? Environment.GetEnvironmentVariable("R2_SECRET_ACCESS_KEY");
            if (string.IsNullOrWhiteSpace(keyId) || string.IsNullOrWhiteSpace(secret))
            {
                throw new UsageException("--r2-bucket needs R2 credentials for Logpush: set R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (or --r2-access-key-id and --r2-secret-access-key).");
            }

            var accountId = scope.Kind == LogpushScopeKind.Account ? scope.Id : api.AccountId(p)
                ?? throw new UsageException("An r2:// destination needs the account id: set --account-id or CLOUDFLARE_ACCOUNT_ID (also for zone-scoped jobs).");
            var jurisdiction = p.GetValue(R2Jurisdiction);
            var path = p.GetValue(R2Path);
            return jurisdiction is null or "default"
                ? DestinationConf.R2(bucket, path, accountId, keyId, secret).ToUnmaskedString()
                : DestinationConf.S3Compatible(bucket, path, keyId, secret, DestinationConf.R2Endpoint(accountId, jurisdiction)).ToUnmaskedString();
        }

    }
}

/// <summary>Left-aligned text columns separated by two spaces; an optional header row.</summary>
internal static class CliTable
{
    public static string Format(IReadOnlyList<string>? header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = new List<IReadOnlyList<string?>>();
        if (header is not null)
        {
            all.Add(header);
        }

        all.AddRange(rows);
        var columns = all.Max(r => r.Count);
        var widths = new int[columns];
        foreach (var row in all)
        {
            for (var i = 0; i < row.Count; i++)
            {
                widths[i] = Math.Max(widths[i], Clean(row[i]).Length);
            }
        }

        var builder = new StringBuilder();
        foreach (var row in all)
        {
            for (var i = 0; i < row.Count; i++)
            {
                var cell = Clean(row[i]);
                builder.Append(i == row.Count - 1 ? cell : cell.PadRight(widths[i] + 2));
            }

            builder.Append('\n');
        }

        return builder.ToString();
    }

    // Tables are one line per row: control characters (newlines in descriptions) become spaces; empty cells show '-'.
    private static string Clean(string? cell) =>
        string.IsNullOrEmpty(cell) ? "-" : string.Create(cell.Length, cell, static (span, c) =>
        {
            for (var i = 0; i < c.Length; i++)
            {
                span[i] = char.IsControl(c[i]) ? ' ' : c[i];
            }
        });
}
