using System.CommandLine;
using System.Globalization;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Datasets;
using LogpushKit.Pipeline;
using LogpushKit.R2;
using LogpushKit.Storage;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit setup --source-bucket B --target-bucket T --queue NAME [--jurisdiction eu] [--dry-run] …</c>: provisions
/// the Cloudflare side of the pipeline through <see cref="LogpushPipelineProvisioner"/> (which does the work; this
/// command parses and prints), printing the plan first and every step as it is done. Idempotent.
/// </summary>
internal static class SetupCommand
{
    private const string R2AccessKeyIdVariable = R2BucketOptions.AccessKeyIdVariable;
    private const string R2SecretAccessKeyVariable = R2BucketOptions.SecretAccessKeyVariable;

    public static Command Create()
    {
        var command = new Command(
            "setup",
            "Provision the Cloudflare side of the pipeline, in order: the source and target R2 buckets; a lifecycle rule on the target bucket "
            + "that aborts incomplete multipart uploads (added to the bucket's rules, never replacing them); a dead-letter queue; the queue; its "
            + "HTTP pull consumer with the dead-letter queue, max retries, lease and retry delay set; the source bucket's object-create "
            + "notification rule (suffix .log.gz) into the queue; and the Logpush job writing to the source bucket, after its destination is "
            + "validated and the ownership challenge is read from the bucket. Prints the plan, then every step as it is done; --dry-run prints "
            + "the plan only (without credentials: the steps it would take, ids not set shown as placeholders). Running it again changes nothing. The job's destination and the challenge read use R2_ACCESS_KEY_ID and "
            + "R2_SECRET_ACCESS_KEY.\n" + CloudflareCommandOptions.HelpText);
        var sourceBucket = new Option<string>("--source-bucket") { Description = "The R2 bucket Logpush writes to.", HelpName = "BUCKET", Required = true };
        var targetBucket = new Option<string>("--target-bucket") { Description = "The R2 bucket for the CSV objects.", HelpName = "BUCKET", Required = true };
        var queue = new Option<string>("--queue") { Description = "The queue name for the bucket's events.", HelpName = "NAME", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "The Logpush dataset. Default gateway_http.", DefaultValueFactory = _ => "gateway_http", HelpName = "NAME" };
        var path = new Option<string?>("--logpush-path") { Description = "The folder Logpush writes to in the source bucket. Default <dataset>/{DATE}.", HelpName = "PATH" };
        var outputType = new Option<string>("--output-type") { Description = "Logpush output_type: ndjson (default; LogpushKit writes the CSV) or csv.", DefaultValueFactory = _ => "ndjson" };
        outputType.AcceptOnlyFromAmong("ndjson", "csv");
        var timestampFormat = new Option<string>("--timestamp-format") { Description = "Logpush timestamp_format. Default unix.", DefaultValueFactory = _ => "unix" };
        timestampFormat.AcceptOnlyFromAmong("unix", "unixnano", "rfc3339", "rfc3339ms", "rfc3339ns");
        var jurisdiction = new Option<string>("--jurisdiction")
        {
            Description = "The buckets' jurisdiction: default, eu or fedramp (sent as cf-r2-jurisdiction; the job then writes through the jurisdiction's S3 endpoint). Default default.",
            DefaultValueFactory = _ => "default",
            HelpName = "J",
        };
        jurisdiction.AcceptOnlyFromAmong("default", "eu", "fedramp");
        var deadLetterQueue = new Option<string?>("--dead-letter-queue") { Description = "The queue poison messages end in. Default <queue>-dlq.", HelpName = "NAME" };
        var deadLetterDays = new Option<int>("--dead-letter-retention-days") { Description = "Days the dead-letter queue keeps messages, 1-14. Default 14 (Cloudflare's own default is 4).", DefaultValueFactory = _ => 14, HelpName = "DAYS" };
        var maxRetries = new Option<int>("--max-retries") { Description = "Deliveries after the first before a message goes to the dead-letter queue, 0-100 (consume's --max-attempts is this + 1). Default 3.", DefaultValueFactory = _ => 3, HelpName = "N" };
        var visibility = new Option<int>("--visibility-timeout") { Description = "The consumer's default lease in seconds, 1-43200 (consume sets its own per pull). Default 300.", DefaultValueFactory = _ => 300, HelpName = "SECONDS" };
        var retryDelay = new Option<int>("--retry-delay") { Description = "Seconds before a retried message is visible again, 0-43200. Default 30.", DefaultValueFactory = _ => 30, HelpName = "SECONDS" };
        var batchSize = new Option<int>("--batch-size") { Description = "The consumer's default batch size, 1-100 (consume sets its own per pull). Default 10.", DefaultValueFactory = _ => 10, HelpName = "N" };
        var abortDays = new Option<int>("--abort-multipart-days") { Description = "Days after which the target bucket's lifecycle rule aborts incomplete multipart uploads, 1-365. Default 1.", DefaultValueFactory = _ => 1, HelpName = "DAYS" };
        var ownershipChallenge = new Option<string?>("--ownership-challenge")
        {
            Description = "The content of the ownership-challenge.txt Cloudflare wrote to the source bucket, when setup cannot read it itself (valid 7 days).",
            HelpName = "TOKEN",
        };
        var r2Endpoint = new Option<string?>("--r2-endpoint")
        {
            Description = "The S3 endpoint setup reads the ownership challenge through (default: R2_ENDPOINT, else the account's endpoint for the jurisdiction).",
            HelpName = "URL",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan and change nothing." };
        foreach (var option in new Option[]
        {
            sourceBucket, targetBucket, queue, dataset, path, outputType, timestampFormat, jurisdiction, deadLetterQueue, deadLetterDays, maxRetries,
            visibility, retryDelay, batchSize, abortDays, ownershipChallenge, r2Endpoint, dryRun,
        })
        {
            command.Options.Add(option);
        }

        deadLetterDays.RequireRange(1, 14);
        maxRetries.RequireRange(0, 100);
        visibility.RequireRange(1, 43_200);
        retryDelay.RequireRange(0, 43_200);
        batchSize.RequireRange(1, 100);
        abortDays.RequireRange(1, 365);
        var cloudflare = CloudflareCommandOptions.AddTo(command, json: false);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var datasetName = parseResult.GetRequiredValue(dataset);
            var dry = parseResult.GetValue(dryRun);
            var settings = cloudflare.Settings(parseResult);
            // --dry-run without credentials or account id: the plan from the flags alone (what exists cannot be known)
            var offline = dry && settings.Problems.Count == 0 && (settings.Credentials is null || settings.AccountId is null);
            var account = offline ? settings.AccountId ?? AccountPlaceholder : cloudflare.AccountId(parseResult)!;
            var options = new ProvisioningOptions
            {
                SourceBucket = parseResult.GetRequiredValue(sourceBucket),
                TargetBucket = parseResult.GetRequiredValue(targetBucket),
                QueueName = parseResult.GetRequiredValue(queue),
                AccountId = account,
                Scope = offline ? OfflineScope(settings, datasetName, account) : cloudflare.ResolveScope(parseResult, datasetName),
                Dataset = datasetName,
                LogpushPath = parseResult.GetValue(path),
                OutputType = parseResult.GetRequiredValue(outputType),
                TimestampFormat = parseResult.GetRequiredValue(timestampFormat),
                Jurisdiction = parseResult.GetRequiredValue(jurisdiction),
                R2AccessKeyId = NonEmpty(Environment.GetEnvironmentVariable(R2AccessKeyIdVariable)),
                R2SecretAccessKey = NonEmpty(Environment.GetEnvironmentVariable(R2SecretAccessKeyVariable)),
                OwnershipChallenge = NonEmpty(parseResult.GetValue(ownershipChallenge)),
                DeadLetterQueueName = NonEmpty(parseResult.GetValue(deadLetterQueue)),
                DeadLetterRetention = TimeSpan.FromDays(parseResult.GetValue(deadLetterDays)),
                MaxRetries = parseResult.GetValue(maxRetries),
                VisibilityTimeoutMs = parseResult.GetValue(visibility) * 1000L,
                RetryDelaySeconds = parseResult.GetValue(retryDelay),
                BatchSize = parseResult.GetValue(batchSize),
                AbortIncompleteUploadsAfter = TimeSpan.FromDays(parseResult.GetValue(abortDays)),
            };
            if (options.EffectiveDeadLetterQueueName == options.QueueName)
            {
                throw new UsageException("--dead-letter-queue must name another queue than --queue.");
            }

            if (offline)
            {
                await WriteOfflinePlanAsync(output, options, settings);
                return ExitCodes.Success;
            }

            using var buckets = new R2BucketsClient(account, cloudflare.ClientOptions<R2BucketsClientOptions>(parseResult));
            using var queues = new QueuesClient(account, cloudflare.ClientOptions<QueuesClientOptions>(parseResult));
            using var rules = new R2EventNotificationRulesClient(account, cloudflare.ClientOptions<R2EventNotificationRulesClientOptions>(parseResult));
            using var logpush = new LogpushClient(cloudflare.ClientOptions<LogpushClientOptions>(parseResult));
            // Opening makes no request; the plan only says the challenge will be read, the run reads it.
            using var sourceReader = OpenSourceReader(options, parseResult.GetValue(r2Endpoint));
            var provisioner = new LogpushPipelineProvisioner(buckets, queues, rules, logpush, sourceReader);

            var plan = await provisioner.PlanAsync(options, cancellationToken);
            await output.WriteLineAsync("Plan:");
            foreach (var step in plan)
            {
                await output.WriteLineAsync(Line(step));
            }

            var changes = plan.Count(s => s.Action is ProvisioningAction.Create or ProvisioningAction.Update);
            var blocked = plan.Where(s => s.Action == ProvisioningAction.Blocked).ToList();
            if (dry)
            {
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Dry run: {plan.Count(s => s.Action == ProvisioningAction.Create)} to create, {plan.Count(s => s.Action == ProvisioningAction.Update)} to change, {blocked.Count} blocked; nothing changed."));
                return ExitCodes.Success;
            }

            if (blocked.Any(s => s.Resource == "Logpush job") && (options.R2AccessKeyId is null || options.R2SecretAccessKey is null))
            {
                throw new UsageException($"Creating the Logpush job needs {R2AccessKeyIdVariable} and {R2SecretAccessKeyVariable} (the R2 key Logpush writes to the source bucket with).");
            }

            if (blocked.Count > 0)
            {
                throw new LogpushKitException($"setup cannot go on, nothing was changed: {string.Join("; ", blocked.Select(s => $"{s.Resource} {s.Name}: {s.Detail}"))}.");
            }

            if (changes == 0 && plan.All(s => s.Action == ProvisioningAction.None))
            {
                await output.WriteLineAsync("Nothing to do: everything exists.");
                return ExitCodes.Success;
            }

            await output.WriteLineAsync("Applying:");
            var done = new List<ProvisioningStep>();
            try
            {
                await provisioner.ApplyAsync(
                    options,
                    new SynchronousProgress(step =>
                    {
                        done.Add(step);
                        output.WriteLine(Line(step));
                    }),
                    cancellationToken);
            }
            catch (ProvisioningException ex) when (ex.ChallengeFile is { } file)
            {
                await error.WriteLineAsync(
                    $"logpushkit: to finish, read the ownership challenge Cloudflare wrote to r2://{file.Bucket}/{ObjectKeyText.Escape(file.Key)}{(file.Jurisdiction is null ? string.Empty : " (jurisdiction " + file.Jurisdiction + ")")}, "
                    + $"e.g. 'wrangler r2 object get {file.Bucket}/{ObjectKeyText.Escape(file.Key)} --remote{(file.Jurisdiction is null ? string.Empty : " --jurisdiction " + file.Jurisdiction)} --pipe', "
                    + "and run this setup again with --ownership-challenge <its content> (valid 7 days); everything done so far stays.");
                throw;
            }

            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"Done: {done.Count(s => s.Action == ProvisioningAction.Create)} created, {done.Count(s => s.Action == ProvisioningAction.Update)} changed. "
                + $"Poison messages end in queue {options.EffectiveDeadLetterQueueName} after {options.MaxRetries + 1} deliveries (consume --max-attempts {options.MaxRetries + 1})."));
            return ExitCodes.Success;
        });
        return command;
    }

    private const string AccountPlaceholder = "<account id>";
    private const string ZonePlaceholder = "<zone id>";

    private static LogpushScope OfflineScope(CloudflareSettings settings, string dataset, string account)
        => LogpushDatasetCatalog.Default.FindAll(dataset) is [{ Scope: LogpushDatasetScope.Zone }]
            ? LogpushScope.Zone(settings.ZoneId ?? ZonePlaceholder)
            : LogpushScope.Account(account);

    /// <summary>
    /// The plan of a dry run without credentials or account id: every step setup takes, in its order, each marked "?" since
    /// whether the resource exists (and so whether the step is needed) takes the API to tell; ids not set are placeholders.
    /// Ends with the settings a real run (or a dry run that reads what exists) still needs.
    /// </summary>
    private static async Task WriteOfflinePlanAsync(TextWriter output, ProvisioningOptions options, CloudflareSettings settings)
    {
        var jurisdiction = options.EffectiveJurisdiction is { } j ? $" (jurisdiction {j})" : string.Empty;
        var path = options.EffectiveLogpushPath;
        var destination = $"{(options.EffectiveJurisdiction is null ? "r2" : "s3")}://{options.SourceBucket}/{path}";
        var retention = TimeSpan.FromTicks(options.DeadLetterRetention.Ticks);
        var steps = new List<ProvisioningStep>();
        foreach (var bucket in new[] { options.SourceBucket, options.TargetBucket }.Distinct(StringComparer.Ordinal))
        {
            steps.Add(new("R2 bucket", bucket, ProvisioningAction.Check, "create unless it exists" + jurisdiction));
        }

        steps.Add(new(
            "lifecycle rule",
            string.Create(CultureInfo.InvariantCulture, $"{options.TargetBucket}: abort incomplete multipart uploads after {options.AbortIncompleteUploadsAfter.TotalDays:0.##} day(s)"),
            ProvisioningAction.Check,
            $"add rule '{options.LifecycleRuleId}' unless a rule of the bucket already does it; the bucket's other rules kept"));
        steps.Add(new("dead-letter queue", options.EffectiveDeadLetterQueueName, ProvisioningAction.Check, string.Create(CultureInfo.InvariantCulture, $"create unless it exists; keeps poison messages {retention.TotalDays:0.##} days")));
        steps.Add(new("queue", options.QueueName, ProvisioningAction.Check, "create unless it exists"));
        steps.Add(new(
            "HTTP pull consumer",
            options.QueueName,
            ProvisioningAction.Check,
            string.Create(CultureInfo.InvariantCulture, $"create, or change to: dead-letter queue {options.EffectiveDeadLetterQueueName}, max retries {options.MaxRetries}, lease {options.VisibilityTimeoutMs / 1000} s, retry delay {options.RetryDelaySeconds} s, batch size {options.BatchSize}")));
        steps.Add(new("notification rule", $"{options.SourceBucket} → {options.QueueName} (object-create, prefix '{options.NotificationPrefix}', suffix '.log.gz')", ProvisioningAction.Check, "create unless it exists (refused if another rule of the bucket overlaps it)"));
        steps.Add(new("Logpush destination", destination, ProvisioningAction.Check, "validate (Cloudflare checks it can write there)"));
        steps.Add(new("ownership challenge", $"{destination}/ownership-challenge.txt", ProvisioningAction.Check, "request it, read it from the source bucket, validate it (or give --ownership-challenge)"));
        steps.Add(new(
            "Logpush job",
            $"{options.Dataset} → {destination}",
            ProvisioningAction.Check,
            $"create unless it exists, in {(options.Scope.Kind == LogpushScopeKind.Zone ? "zone" : "account")} {options.Scope.Id} (all fields, {options.OutputType}, timestamps {options.TimestampFormat}, enabled)"));

        await output.WriteLineAsync("Plan (without the Cloudflare API: whether each resource exists is not known, so each step is done only if needed):");
        foreach (var step in steps)
        {
            await output.WriteLineAsync(Line(step));
        }

        var missing = new List<string>();
        try
        {
            settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId);
        }
        catch (CloudflareSettingsException ex)
        {
            missing.Add(ex.Message.TrimEnd('.'));
        }

        if (options.R2AccessKeyId is null || options.R2SecretAccessKey is null)
        {
            missing.Add($"the Logpush job needs {R2AccessKeyIdVariable} and {R2SecretAccessKeyVariable} (the R2 key Logpush writes to the source bucket with)");
        }

        await output.WriteLineAsync(
            $"Dry run without the API: nothing was read or changed. To see what exists and to apply: {string.Join("; ", missing)}.");
    }

    private static string Line(ProvisioningStep step)
    {
        var symbol = step.Action switch
        {
            ProvisioningAction.None => "=",
            ProvisioningAction.Create => "+",
            ProvisioningAction.Update => "~",
            ProvisioningAction.Check => "?",
            _ => "!",
        };
        return $"  {symbol} {step.Resource}: {step.Name} — {step.Detail}";
    }

    // The source bucket through the S3 API, to read the ownership challenge: only with R2 credentials.
    private static R2Bucket? OpenSourceReader(ProvisioningOptions options, string? endpoint)
    {
        if (options.R2AccessKeyId is null || options.R2SecretAccessKey is null)
        {
            return null;
        }

        var bucketOptions = new R2BucketOptions
        {
            Bucket = options.SourceBucket,
            AccessKeyId = options.R2AccessKeyId,
            SecretAccessKey = options.R2SecretAccessKey,
            Jurisdiction = options.EffectiveJurisdiction switch { "eu" => R2Jurisdiction.Eu, "fedramp" => R2Jurisdiction.FedRamp, _ => R2Jurisdiction.Default },
            MaxRetries = 1,
        };
        endpoint = NonEmpty(endpoint) ?? NonEmpty(Environment.GetEnvironmentVariable(R2BucketOptions.EndpointVariable));
        if (endpoint is not null)
        {
            bucketOptions.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new UsageException($"--r2-endpoint (or {R2BucketOptions.EndpointVariable}) must be an absolute http(s) URL; got '{endpoint}'.");
        }
        else
        {
            bucketOptions.AccountId = options.AccountId;
        }

        try
        {
            return new R2Bucket(bucketOptions);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"reading the ownership challenge from {options.SourceBucket}: {ex.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private sealed class SynchronousProgress(Action<ProvisioningStep> report) : IProgress<ProvisioningStep>
    {
        public void Report(ProvisioningStep value) => report(value);
    }
}
