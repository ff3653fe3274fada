using System.Net;
using LogpushKit.Cloudflare;

namespace LogpushKit.Pipeline;

/// <summary>What <see cref="LogpushPipelineProvisioner"/> sets up: the seed's hand-made Cloudflare resources.</summary>
public sealed record ProvisioningOptions
{
    /// <summary>The R2 bucket Logpush writes to.</summary>
    public required string SourceBucket { get; init; }

    /// <summary>The R2 bucket the CSV objects go to.</summary>
    public required string TargetBucket { get; init; }

    /// <summary>The queue that receives the source bucket's object-create events.</summary>
    public required string QueueName { get; init; }

    /// <summary>Where the Logpush job lives (the dataset's account or zone).</summary>
    public required LogpushScope Scope { get; init; }

    /// <summary>The account id (buckets, queues and the r2:// destination are account resources).</summary>
    public required string AccountId { get; init; }

    /// <summary>The Logpush dataset. Default <c>gateway_http</c>.</summary>
    public string Dataset { get; init; } = "gateway_http";

    /// <summary>The folder Logpush writes under in the source bucket. Default <c>&lt;dataset&gt;/{DATE}</c>.</summary>
    public string? LogpushPath { get; init; }

    /// <summary>Logpush's <c>output_type</c>: <c>ndjson</c> (default; LogpushKit makes the CSV) or <c>csv</c>.</summary>
    public string OutputType { get; init; } = "ndjson";

    /// <summary>Logpush's <c>timestamp_format</c>. Default <c>unix</c> (the seed's choice).</summary>
    public string TimestampFormat { get; init; } = "unix";

    /// <summary>Logpush batch limit in uncompressed bytes. Default 5,000,000 (the seed's).</summary>
    public long MaxUploadBytes { get; init; } = 5_000_000;

    /// <summary>Logpush batch limit in records. Default 1,000 (the seed's).</summary>
    public long MaxUploadRecords { get; init; } = 1_000;

    /// <summary>The R2 access key id Logpush writes with (goes into the job's destination).</summary>
    public string? R2AccessKeyId { get; init; }

    /// <summary>The R2 secret access key Logpush writes with. Never printed: plans show the destination masked.</summary>
    public string? R2SecretAccessKey { get; init; }

    /// <summary>The HTTP pull consumer's lease in ms. Default 300,000 (5 min).</summary>
    public long VisibilityTimeoutMs { get; init; } = 300_000;

    /// <summary>The HTTP pull consumer's retry limit. Default 3 (Cloudflare's).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The folder of <see cref="LogpushPath"/> before <c>{DATE}</c>: the notification rule's prefix.</summary>
    public string NotificationPrefix
    {
        get
        {
            var path = LogpushPath ?? Dataset + "/{DATE}";
            var date = path.IndexOf("{DATE}", StringComparison.Ordinal);
            return (date < 0 ? path.TrimEnd('/') + "/" : path[..date]).TrimStart('/');
        }
    }
}

/// <summary>One resource of a provisioning plan.</summary>
/// <param name="Resource">What kind of resource (bucket, queue, consumer, notification rule, Logpush job).</param>
/// <param name="Name">Which one (secrets masked).</param>
/// <param name="Exists"><see langword="true"/> when it is already there (nothing to do).</param>
/// <param name="Detail">What exists, or what would be created.</param>
public sealed record ProvisioningStep(string Resource, string Name, bool Exists, string Detail);

/// <summary>
/// Provisions what the seed set up by hand, idempotently: the source and target R2 buckets, the queue, its HTTP pull
/// consumer, the source bucket's object-create notification rule (suffix <c>.log.gz</c>) into the queue, and the Logpush job
/// writing to the source bucket. <see cref="PlanAsync"/> only reads; <see cref="ApplyAsync"/> creates what is missing and
/// leaves what exists untouched, so running it twice changes nothing the second time.
/// </summary>
public sealed class LogpushPipelineProvisioner
{
    private readonly R2BucketsClient _buckets;
    private readonly QueuesClient _queues;
    private readonly R2EventNotificationRulesClient _rules;
    private readonly LogpushClient _logpush;

    /// <summary>Creates a provisioner over the four Cloudflare clients.</summary>
    public LogpushPipelineProvisioner(R2BucketsClient buckets, QueuesClient queues, R2EventNotificationRulesClient rules, LogpushClient logpush)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(logpush);
        (_buckets, _queues, _rules, _logpush) = (buckets, queues, rules, logpush);
    }

    /// <summary>Reads what exists and returns one step per resource, in the order <see cref="ApplyAsync"/> creates them.</summary>
    public Task<IReadOnlyList<ProvisioningStep>> PlanAsync(ProvisioningOptions options, CancellationToken cancellationToken = default)
        => RunAsync(options, apply: false, null, cancellationToken);

    /// <summary>Creates every missing resource, reporting each step; returns the steps as found before each one ran.</summary>
    /// <exception cref="CloudflareApiException">An API call failed; resources created before it remain (running again resumes).</exception>
    public Task<IReadOnlyList<ProvisioningStep>> ApplyAsync(ProvisioningOptions options, IProgress<ProvisioningStep>? progress = null, CancellationToken cancellationToken = default)
        => RunAsync(options, apply: true, progress, cancellationToken);

    private async Task<IReadOnlyList<ProvisioningStep>> RunAsync(ProvisioningOptions options, bool apply, IProgress<ProvisioningStep>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var steps = new List<ProvisioningStep>();
        void Add(ProvisioningStep step)
        {
            steps.Add(step);
            progress?.Report(step);
        }

        var existingBuckets = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var bucket in _buckets.ListBucketsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (bucket.Name is { } name)
            {
                existingBuckets.Add(name);
            }
        }

        foreach (var bucket in new[] { options.SourceBucket, options.TargetBucket }.Distinct(StringComparer.Ordinal))
        {
            var exists = existingBuckets.Contains(bucket);
            Add(new ProvisioningStep("R2 bucket", bucket, exists, exists ? "exists" : "create"));
            if (apply && !exists)
            {
                await _buckets.CreateBucketAsync(bucket, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        var queue = await _queues.FindQueueAsync(options.QueueName, cancellationToken).ConfigureAwait(false);
        Add(new ProvisioningStep("queue", options.QueueName, queue is not null, queue is not null ? $"exists (id {queue.QueueId})" : "create"));
        if (apply && queue is null)
        {
            queue = await _queues.CreateQueueAsync(options.QueueName, cancellationToken).ConfigureAwait(false);
        }

        var pull = queue?.Consumers?.FirstOrDefault(c => string.Equals(c.Type, "http_pull", StringComparison.Ordinal));
        var otherConsumer = queue?.Consumers?.FirstOrDefault(c => !string.Equals(c.Type, "http_pull", StringComparison.Ordinal));
        Add(new ProvisioningStep(
            "HTTP pull consumer",
            options.QueueName,
            pull is not null,
            pull is not null ? "exists" : otherConsumer is not null
                ? $"create (the queue has a {otherConsumer.Type} consumer: a queue has one active consumer, remove it first)"
                : FormattableString.Invariant($"create (visibility timeout {options.VisibilityTimeoutMs} ms, max retries {options.MaxRetries})")));
        if (apply && pull is null && queue?.QueueId is { } queueIdForConsumer)
        {
            await _queues.CreateHttpPullConsumerAsync(
                queueIdForConsumer,
                new QueueConsumerSettings { VisibilityTimeoutMs = options.VisibilityTimeoutMs, MaxRetries = options.MaxRetries, BatchSize = 10 },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var ruleName = $"{options.SourceBucket} → {options.QueueName} (object-create, prefix '{options.NotificationPrefix}', suffix '.log.gz')";
        var hasRule = queue?.QueueId is { } queueId && await HasRuleAsync(options, queueId, cancellationToken).ConfigureAwait(false);
        Add(new ProvisioningStep("notification rule", ruleName, hasRule, hasRule ? "exists" : "create"));
        if (apply && !hasRule && queue?.QueueId is { } queueIdForRule)
        {
            var rule = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with
            {
                Prefix = options.NotificationPrefix.Length == 0 ? null : options.NotificationPrefix,
                Suffix = ".log.gz",
                Description = "LogpushKit: Logpush objects to CSV",
            };
            await _rules.PutRulesAsync(options.SourceBucket, queueIdForRule, [rule], cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var path = options.LogpushPath ?? options.Dataset + "/{DATE}";
        LogpushJob? job = null;
        await foreach (var candidate in _logpush.ListDatasetJobsAsync(options.Scope, options.Dataset, cancellationToken).ConfigureAwait(false))
        {
            if (DestinationConf.TryParse(candidate.DestinationConf, out var destination)
                && string.Equals(destination.Bucket, options.SourceBucket, StringComparison.Ordinal)
                && string.Equals(destination.Path?.Trim('/'), path.Trim('/'), StringComparison.Ordinal))
            {
                job = candidate;
                break;
            }
        }

        var jobName = $"{options.Dataset} → r2://{options.SourceBucket}/{path}";
        Add(new ProvisioningStep(
            "Logpush job",
            jobName,
            job is not null,
            job is not null
                ? FormattableString.Invariant($"exists (id {job.Id}, {(job.Enabled == true ? "enabled" : "disabled")})")
                : FormattableString.Invariant($"create (all fields, {options.OutputType}, timestamps {options.TimestampFormat}, {options.MaxUploadBytes} bytes / {options.MaxUploadRecords} records per batch, enabled)")));
        if (apply && job is null)
        {
            if (string.IsNullOrWhiteSpace(options.R2AccessKeyId) || string.IsNullOrWhiteSpace(options.R2SecretAccessKey))
            {
                throw new LogpushKitException("Creating the Logpush job needs R2 credentials for its destination (an R2 access key id and secret access key).");
            }

            var destination = DestinationConf.R2(options.SourceBucket, path, options.AccountId, options.R2AccessKeyId, options.R2SecretAccessKey);
            await _logpush.CreateJobWithAllFieldsAsync(
                options.Scope,
                new LogpushJob
                {
                    Dataset = options.Dataset,
                    Name = ("logpushkit-" + options.Dataset).Replace('_', '-'),
                    Enabled = true,
                    DestinationConf = destination.ToUnmaskedString(),
                    OutputOptions = new LogpushOutputOptions { OutputType = options.OutputType, TimestampFormat = options.TimestampFormat },
                    MaxUploadBytes = options.MaxUploadBytes,
                    MaxUploadRecords = options.MaxUploadRecords,
                },
                cancellationToken).ConfigureAwait(false);
        }

        return steps;
    }

    private async Task<bool> HasRuleAsync(ProvisioningOptions options, string queueId, CancellationToken cancellationToken)
    {
        R2QueueNotificationRules rules;
        try
        {
            rules = await _rules.GetQueueRulesAsync(options.SourceBucket, queueId, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (CloudflareApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        var prefix = options.NotificationPrefix.Length == 0 ? null : options.NotificationPrefix;
        return rules.Rules.Any(r =>
            string.Equals(r.Suffix, ".log.gz", StringComparison.Ordinal)
            && string.Equals(string.IsNullOrEmpty(r.Prefix) ? null : r.Prefix, prefix, StringComparison.Ordinal)
            && R2EventActions.ObjectCreate.All(a => r.Actions.Contains(a, StringComparer.Ordinal)));
    }
}
