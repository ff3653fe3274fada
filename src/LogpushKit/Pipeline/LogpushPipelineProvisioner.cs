using System.Globalization;
using System.Net;
using System.Text;
using LogpushKit.Cloudflare;
using LogpushKit.Storage;

namespace LogpushKit.Pipeline;

/// <summary>What <see cref="LogpushPipelineProvisioner"/> sets up: the Cloudflare side of the pipeline, with documented defaults.</summary>
public sealed record ProvisioningOptions
{
    /// <summary>The default id of the lifecycle rule setup adds to the target bucket.</summary>
    public const string DefaultLifecycleRuleId = "logpushkit-abort-incomplete-multipart-uploads";

    /// <summary>The R2 bucket Logpush writes to.</summary>
    public required string SourceBucket { get; init; }

    /// <summary>The R2 bucket the CSV objects go to.</summary>
    public required string TargetBucket { get; init; }

    /// <summary>The queue that receives the source bucket's object-create events.</summary>
    public required string QueueName { get; init; }

    /// <summary>Where the Logpush job lives (the dataset's account or zone).</summary>
    public required LogpushScope Scope { get; init; }

    /// <summary>The account id (buckets, queues and the job's destination are account resources).</summary>
    public required string AccountId { get; init; }

    /// <summary>
    /// The jurisdiction of both buckets: <see langword="null"/> or <c>default</c>, <c>eu</c>, <c>fedramp</c>. It is sent
    /// as <c>cf-r2-jurisdiction</c> for buckets, lifecycle and notification rules, and a jurisdiction bucket gets the
    /// S3-compatible destination (<c>s3://…&amp;endpoint=&lt;account&gt;.eu.r2.cloudflarestorage.com</c>), the form Cloudflare's
    /// R2 Logpush page gives for jurisdiction buckets. Default: none.
    /// </summary>
    public string? Jurisdiction { get; init; }

    /// <summary>The Logpush dataset. Default <c>gateway_http</c>.</summary>
    public string Dataset { get; init; } = "gateway_http";

    /// <summary>The folder Logpush writes under in the source bucket. Default <c>&lt;dataset&gt;/{DATE}</c>.</summary>
    public string? LogpushPath { get; init; }

    /// <summary>Logpush's <c>output_type</c>: <c>ndjson</c> (default; LogpushKit makes the CSV) or <c>csv</c>.</summary>
    public string OutputType { get; init; } = "ndjson";

    /// <summary>Logpush's <c>timestamp_format</c>. Default <c>unix</c>.</summary>
    public string TimestampFormat { get; init; } = "unix";

    /// <summary>Logpush batch limit in uncompressed bytes. Default 5,000,000.</summary>
    public long MaxUploadBytes { get; init; } = 5_000_000;

    /// <summary>Logpush batch limit in records. Default 1,000.</summary>
    public long MaxUploadRecords { get; init; } = 1_000;

    /// <summary>The R2 access key id Logpush writes with (goes into the job's destination).</summary>
    public string? R2AccessKeyId { get; init; }

    /// <summary>The R2 secret access key Logpush writes with. Never printed: steps show the destination masked.</summary>
    public string? R2SecretAccessKey { get; init; }

    /// <summary>
    /// An ownership-challenge token the user read from the bucket themselves; when set, it is validated and sent with the
    /// job instead of setup reading the challenge.
    /// </summary>
    public string? OwnershipChallenge { get; init; }

    /// <summary>The dead-letter queue poison messages end in. Default <c>&lt;queue&gt;-dlq</c>.</summary>
    public string? DeadLetterQueueName { get; init; }

    /// <summary>How long the dead-letter queue keeps messages nobody consumes. Default (and Cloudflare's maximum) 14 days; Cloudflare's own default is 4.</summary>
    public TimeSpan DeadLetterRetention { get; init; } = TimeSpan.FromSeconds(CloudflareQueueSettings.MaxMessageRetentionSeconds);

    /// <summary>The consumer's deliveries after the first before a message goes to the dead-letter queue (<c>max_retries</c>). Default 3 (Cloudflare's).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The consumer's default lease in ms (<c>visibility_timeout_ms</c>; <c>consume</c> sets its own per pull). Default 300,000 (5 min).</summary>
    public long VisibilityTimeoutMs { get; init; } = 300_000;

    /// <summary>The consumer's delay before a retried message is visible again, in seconds (<c>retry_delay</c>). Default 30.</summary>
    public int RetryDelaySeconds { get; init; } = 30;

    /// <summary>The consumer's default batch size (<c>batch_size</c>; <c>consume</c> sets its own per pull). Default 10.</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>The age after which the target bucket's lifecycle rule aborts incomplete multipart uploads. Default 1 day (R2's own default rule: 7).</summary>
    public TimeSpan AbortIncompleteUploadsAfter { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The id of that lifecycle rule. Default <see cref="DefaultLifecycleRuleId"/>.</summary>
    public string LifecycleRuleId { get; init; } = DefaultLifecycleRuleId;

    /// <summary>The dead-letter queue in effect.</summary>
    public string EffectiveDeadLetterQueueName => string.IsNullOrWhiteSpace(DeadLetterQueueName) ? QueueName + "-dlq" : DeadLetterQueueName;

    /// <summary>The Logpush path in effect.</summary>
    public string EffectiveLogpushPath => (LogpushPath ?? Dataset + "/{DATE}").Trim('/');

    /// <summary>The jurisdiction to send, or <see langword="null"/> for the default one.</summary>
    public string? EffectiveJurisdiction => Jurisdiction is null || Jurisdiction.Equals("default", StringComparison.OrdinalIgnoreCase) ? null : Jurisdiction.ToLowerInvariant();

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

    internal void Validate()
    {
        static void Check(bool ok, string name, string rule)
        {
            if (!ok)
            {
                throw new ArgumentException($"{nameof(ProvisioningOptions)}.{name} {rule}.");
            }
        }

        Check(EffectiveJurisdiction is null or "eu" or "fedramp", nameof(Jurisdiction), "must be default, eu or fedramp");
        Check(BatchSize is >= 1 and <= 100, nameof(BatchSize), "must be 1-100");
        Check(MaxRetries is >= 0 and <= 100, nameof(MaxRetries), "must be 0-100");
        Check(VisibilityTimeoutMs is >= 1 and <= 43_200_000, nameof(VisibilityTimeoutMs), "must be 1-43,200,000 (12 h)");
        Check(RetryDelaySeconds is >= 0 and <= 43_200, nameof(RetryDelaySeconds), "must be 0-43,200 (12 h)");
        Check(DeadLetterRetention >= TimeSpan.FromSeconds(60) && DeadLetterRetention <= TimeSpan.FromSeconds(CloudflareQueueSettings.MaxMessageRetentionSeconds), nameof(DeadLetterRetention), "must be 60 s to 14 days");
        Check(AbortIncompleteUploadsAfter >= TimeSpan.FromSeconds(1), nameof(AbortIncompleteUploadsAfter), "must be at least 1 s");
        Check(!string.Equals(EffectiveDeadLetterQueueName, QueueName, StringComparison.Ordinal), nameof(DeadLetterQueueName), "must differ from the queue");
        Check(!string.IsNullOrWhiteSpace(LifecycleRuleId), nameof(LifecycleRuleId), "must not be empty");
    }
}

/// <summary>What a provisioning step does.</summary>
public enum ProvisioningAction
{
    /// <summary>Already as wanted: nothing to do.</summary>
    None,

    /// <summary>Missing: created.</summary>
    Create,

    /// <summary>Present with other settings: changed to the wanted ones.</summary>
    Update,

    /// <summary>A check or one-off exchange that changes no resource (destination validation, ownership challenge).</summary>
    Check,

    /// <summary>Cannot be done as things are; <see cref="ProvisioningStep.Detail"/> says what stands in the way.</summary>
    Blocked,
}

/// <summary>One step of a provisioning plan, or of a run.</summary>
/// <param name="Resource">What kind of resource (R2 bucket, lifecycle rule, queue, consumer, notification rule, Logpush job, …).</param>
/// <param name="Name">Which one (secrets masked).</param>
/// <param name="Action">What it needs (in a plan) or what was done (in a run).</param>
/// <param name="Detail">What exists, what changes, or what blocks it.</param>
public sealed record ProvisioningStep(string Resource, string Name, ProvisioningAction Action, string Detail)
{
    /// <summary><see langword="true"/> when nothing needs doing.</summary>
    public bool Exists => Action == ProvisioningAction.None;

    /// <summary>Where the ownership challenge is, when the step is about it.</summary>
    public OwnershipChallengeFile? ChallengeFile { get; init; }
}

/// <summary>The object Logpush wrote an ownership challenge to.</summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="Key">The key (the <c>filename</c> Cloudflare returned).</param>
/// <param name="Jurisdiction">The bucket's jurisdiction, or <see langword="null"/>.</param>
public sealed record OwnershipChallengeFile(string Bucket, string Key, string? Jurisdiction);

/// <summary>A provisioning step could not be done; what was done before it remains, and running again resumes.</summary>
public sealed class ProvisioningException : LogpushKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The step that failed.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ProvisioningException(ProvisioningStep step, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Step = step ?? throw new ArgumentNullException(nameof(step));
    }

    /// <summary>The step that failed.</summary>
    public ProvisioningStep Step { get; }

    /// <summary>The ownership challenge Cloudflare wrote but setup could not read, when that is why the job was refused.</summary>
    public OwnershipChallengeFile? ChallengeFile { get; init; }
}

/// <summary>
/// Provisions the Cloudflare side of the pipeline, idempotently, in this order: the source and target R2 buckets; a
/// lifecycle rule on the target bucket that aborts incomplete multipart uploads (merged into the bucket's rules, never
/// replacing them); the dead-letter queue (retention set); the queue; its HTTP pull consumer with the dead-letter queue,
/// <c>max_retries</c>, lease, retry delay and batch size set deliberately; the source bucket's object-create
/// notification rule (suffix <c>.log.gz</c>) into the queue; and the Logpush job, after validating its destination and,
/// when the source bucket can be read (<c>sourceBucket</c>), completing the ownership challenge. Each step reads what
/// exists first; <see cref="PlanAsync"/> only reads, <see cref="ApplyAsync"/> changes what differs, so running it again
/// changes nothing. Creates are never retried after a 5xx (see <see cref="CloudflareRetryOptions"/>): a failed run is
/// resumed by running again.
/// </summary>
public sealed class LogpushPipelineProvisioner
{
    private const string ChallengeFileName = "ownership-challenge.txt";
    private const int MaxChallengeBytes = 64 * 1024;

    private readonly R2BucketsClient _buckets;
    private readonly QueuesClient _queues;
    private readonly R2EventNotificationRulesClient _rules;
    private readonly LogpushClient _logpush;
    private readonly IR2Bucket? _sourceBucket;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a provisioner over the four Cloudflare clients.</summary>
    /// <param name="buckets">R2 bucket management.</param>
    /// <param name="queues">Queue management.</param>
    /// <param name="rules">R2 event-notification rules.</param>
    /// <param name="logpush">Logpush.</param>
    /// <param name="sourceBucket">
    /// The source bucket through the S3 API, to read the ownership challenge Logpush writes there; <see langword="null"/>
    /// when it cannot be read (the job is then created without a challenge, which Cloudflare documents as not needed for
    /// R2; if Cloudflare asks for one, <see cref="ProvisioningException.ChallengeFile"/> says where it is). Not disposed.
    /// </param>
    /// <param name="timeProvider">The clock (the <c>{DATE}</c> folder of the challenge). Default system.</param>
    public LogpushPipelineProvisioner(R2BucketsClient buckets, QueuesClient queues, R2EventNotificationRulesClient rules, LogpushClient logpush, IR2Bucket? sourceBucket = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(logpush);
        (_buckets, _queues, _rules, _logpush) = (buckets, queues, rules, logpush);
        _sourceBucket = sourceBucket;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Reads what exists and returns one step per resource, in the order <see cref="ApplyAsync"/> handles them. Changes nothing.</summary>
    /// <param name="options">What to provision.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The steps.</returns>
    /// <exception cref="CloudflareApiException">A read failed.</exception>
    public Task<IReadOnlyList<ProvisioningStep>> PlanAsync(ProvisioningOptions options, CancellationToken cancellationToken = default)
        => RunAsync(options, apply: false, null, cancellationToken);

    /// <summary>
    /// Makes every resource as wanted, reporting each step when it is done (with what was done). Refuses to start when
    /// the plan has a <see cref="ProvisioningAction.Blocked"/> step, so that nothing is half set up for a known reason.
    /// </summary>
    /// <param name="options">What to provision.</param>
    /// <param name="progress">Receives each step once it is done.</param>
    /// <param name="cancellationToken">Cancels the run between calls.</param>
    /// <returns>The steps as done.</returns>
    /// <exception cref="ProvisioningException">A step is blocked or failed; steps before it remain done (running again resumes).</exception>
    /// <exception cref="CloudflareApiException">A read failed.</exception>
    public async Task<IReadOnlyList<ProvisioningStep>> ApplyAsync(ProvisioningOptions options, IProgress<ProvisioningStep>? progress = null, CancellationToken cancellationToken = default)
    {
        var plan = await PlanAsync(options, cancellationToken).ConfigureAwait(false);
        if (plan.FirstOrDefault(s => s.Action == ProvisioningAction.Blocked) is { } blocked)
        {
            throw new ProvisioningException(blocked, $"{blocked.Resource} {blocked.Name}: {blocked.Detail}. Nothing was changed.");
        }

        return await RunAsync(options, apply: true, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<ProvisioningStep>> RunAsync(ProvisioningOptions options, bool apply, IProgress<ProvisioningStep>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var run = new Run(this, options, apply, progress, cancellationToken);
        await run.BucketsAsync().ConfigureAwait(false);
        await run.LifecycleRuleAsync().ConfigureAwait(false);
        var deadLetterQueue = await run.DeadLetterQueueAsync().ConfigureAwait(false);
        var queue = await run.QueueAsync().ConfigureAwait(false);
        await run.ConsumerAsync(queue, deadLetterQueue).ConfigureAwait(false);
        await run.NotificationRuleAsync(queue).ConfigureAwait(false);
        await run.LogpushJobAsync().ConfigureAwait(false);
        return run.Steps;
    }

    private static string Seconds(long seconds) => seconds % 86_400 == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 86_400} day{(seconds == 86_400 ? string.Empty : "s")}")
        : seconds % 3600 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600} h")
        : seconds % 60 == 0 && seconds > 0 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60} min")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds} s");

    private static bool IsNotFound(CloudflareApiException ex) => ex.StatusCode == HttpStatusCode.NotFound;

    private sealed class Run(LogpushPipelineProvisioner owner, ProvisioningOptions options, bool apply, IProgress<ProvisioningStep>? progress, CancellationToken cancellationToken)
    {
        private readonly HashSet<string> _createdBuckets = new(StringComparer.Ordinal);
        private readonly HashSet<string> _createdQueues = new(StringComparer.Ordinal);

        public List<ProvisioningStep> Steps { get; } = [];

        private string? Jurisdiction => options.EffectiveJurisdiction;

        private string JurisdictionNote => Jurisdiction is null ? string.Empty : $" (jurisdiction {Jurisdiction})";

        public async Task BucketsAsync()
        {
            var existing = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var bucket in owner._buckets.ListBucketsAsync(Jurisdiction, cancellationToken).ConfigureAwait(false))
            {
                if (bucket.Name is { } name)
                {
                    existing.Add(name);
                }
            }

            foreach (var bucket in new[] { options.SourceBucket, options.TargetBucket }.Distinct(StringComparer.Ordinal))
            {
                if (existing.Contains(bucket))
                {
                    Add(new ProvisioningStep("R2 bucket", bucket, ProvisioningAction.None, "exists" + JurisdictionNote));
                    continue;
                }

                var step = new ProvisioningStep("R2 bucket", bucket, ProvisioningAction.Create, (apply ? "created" : "create") + JurisdictionNote);
                if (apply)
                {
                    await Guard(step, () => owner._buckets.CreateBucketAsync(bucket, Jurisdiction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

                _createdBuckets.Add(bucket);
                Add(step);
            }
        }

        public async Task LifecycleRuleAsync()
        {
            var maxAge = (long)options.AbortIncompleteUploadsAfter.TotalSeconds;
            var wanted = R2LifecycleRule.AbortIncompleteMultipartUploads(options.LifecycleRuleId, options.AbortIncompleteUploadsAfter);
            var name = $"{options.TargetBucket}: abort incomplete multipart uploads after {Seconds(maxAge)}";
            IReadOnlyList<R2LifecycleRule> rules = [];
            if (!_createdBuckets.Contains(options.TargetBucket) || apply)
            {
                try
                {
                    rules = (await owner._buckets.GetLifecycleRulesAsync(options.TargetBucket, Jurisdiction, cancellationToken).ConfigureAwait(false)).Rules;
                }
                catch (CloudflareApiException ex) when (IsNotFound(ex))
                {
                    // The bucket was just listed or created: a 404 here means it has no lifecycle configuration.
                }
            }

            var mine = rules.FirstOrDefault(r => string.Equals(r.Id, options.LifecycleRuleId, StringComparison.Ordinal));
            var covering = rules.FirstOrDefault(r => r.Enabled && r.Prefix.Length == 0 && AbortAge(r) is { } age && age <= maxAge);
            ProvisioningStep step;
            List<R2LifecycleRule> newRules;
            if (mine is not null && mine.Enabled && mine.Prefix.Length == 0 && AbortAge(mine) == maxAge)
            {
                Add(new ProvisioningStep("lifecycle rule", name, ProvisioningAction.None, $"exists (rule '{mine.Id}')"));
                return;
            }

            if (mine is not null)
            {
                step = new ProvisioningStep("lifecycle rule", name, ProvisioningAction.Update, $"{(apply ? "changed" : "change")} rule '{mine.Id}' ({Describe(mine)} → enabled, whole bucket, after {Seconds(maxAge)}); the bucket's other {rules.Count - 1} rule(s) kept");
                newRules = [.. rules.Select(r => ReferenceEquals(r, mine) ? wanted : r)];
            }
            else if (covering is not null)
            {
                Add(new ProvisioningStep("lifecycle rule", name, ProvisioningAction.None, $"covered by the bucket's rule '{covering.Id}' (aborts after {Seconds(AbortAge(covering)!.Value)})"));
                return;
            }
            else
            {
                step = new ProvisioningStep("lifecycle rule", name, ProvisioningAction.Create, $"{(apply ? "added" : "add")} rule '{options.LifecycleRuleId}'; the bucket's {rules.Count} other rule(s) kept");
                newRules = [.. rules, wanted];
            }

            if (apply)
            {
                await Guard(step, () => owner._buckets.PutLifecycleRulesAsync(options.TargetBucket, newRules, Jurisdiction, cancellationToken)).ConfigureAwait(false);
            }

            Add(step);
        }

        public async Task<CloudflareQueue?> DeadLetterQueueAsync()
        {
            var name = options.EffectiveDeadLetterQueueName;
            var retention = (int)options.DeadLetterRetention.TotalSeconds;
            var queue = await owner._queues.FindQueueAsync(name, cancellationToken).ConfigureAwait(false);
            int? current = queue is null ? null : CloudflareQueueSettings.Of(queue)?.MessageRetentionPeriod ?? CloudflareQueueSettings.DefaultMessageRetentionSeconds;
            var keeps = $"keeps poison messages {Seconds(retention)}";
            ProvisioningStep step;
            if (queue is not null && current == retention)
            {
                Add(new ProvisioningStep("dead-letter queue", name, ProvisioningAction.None, $"exists (id {queue.QueueId}, {keeps})"));
                return queue;
            }

            step = queue is null
                ? new ProvisioningStep("dead-letter queue", name, ProvisioningAction.Create, $"{(apply ? "created" : "create")}; {keeps}")
                : new ProvisioningStep("dead-letter queue", name, ProvisioningAction.Update, $"{(apply ? "changed" : "change")} retention {Seconds(current!.Value)} → {Seconds(retention)}");
            if (apply)
            {
                queue ??= await Guard(step, () => owner._queues.CreateQueueAsync(name, cancellationToken)).ConfigureAwait(false);
                var created = queue;
                queue = await Guard(step, () => owner._queues.EditQueueSettingsAsync(created.QueueId!, new CloudflareQueueSettings { MessageRetentionPeriod = retention }, cancellationToken)).ConfigureAwait(false);
            }

            Add(step);
            return queue;
        }

        public async Task<CloudflareQueue?> QueueAsync()
        {
            var queue = await owner._queues.FindQueueAsync(options.QueueName, cancellationToken).ConfigureAwait(false);
            if (queue is not null)
            {
                Add(new ProvisioningStep("queue", options.QueueName, ProvisioningAction.None, $"exists (id {queue.QueueId})"));
                return queue;
            }

            var step = new ProvisioningStep("queue", options.QueueName, ProvisioningAction.Create, apply ? "created" : "create");
            if (apply)
            {
                queue = await Guard(step, () => owner._queues.CreateQueueAsync(options.QueueName, cancellationToken)).ConfigureAwait(false);
                step = step with { Detail = $"created (id {queue.QueueId})" };
            }

            _createdQueues.Add(options.QueueName);
            Add(step);
            return queue;
        }

        public async Task ConsumerAsync(CloudflareQueue? queue, CloudflareQueue? deadLetterQueue)
        {
            var wanted = new QueueConsumerSettings
            {
                BatchSize = options.BatchSize,
                MaxRetries = options.MaxRetries,
                RetryDelay = options.RetryDelaySeconds,
                VisibilityTimeoutMs = options.VisibilityTimeoutMs,
            };
            var dlq = options.EffectiveDeadLetterQueueName;
            var settingsText = Describe(wanted, dlq);
            var consumers = queue?.QueueId is { } queueId ? await owner._queues.ListConsumersAsync(queueId, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false) : [];
            var other = consumers.FirstOrDefault(c => !string.Equals(c.Type, "http_pull", StringComparison.Ordinal));
            var pull = consumers.FirstOrDefault(c => string.Equals(c.Type, "http_pull", StringComparison.Ordinal));
            if (pull is null && other is not null)
            {
                var script = other.ScriptName is { } name ? $" (Worker {name})" : string.Empty;
                Add(new ProvisioningStep("HTTP pull consumer", options.QueueName, ProvisioningAction.Blocked,
                    $"the queue has a {other.Type} consumer{script}, id {other.ConsumerId}: a queue has one active consumer; remove it first"));
                return;
            }

            if (pull is not null)
            {
                var settings = pull.Settings ?? new QueueConsumerSettings();
                var current = Describe(settings, pull.DeadLetterQueue);
                if (settings.BatchSize == wanted.BatchSize && settings.MaxRetries == wanted.MaxRetries && settings.RetryDelay == wanted.RetryDelay
                    && settings.VisibilityTimeoutMs == wanted.VisibilityTimeoutMs && string.Equals(NoneIfEmpty(pull.DeadLetterQueue), dlq, StringComparison.Ordinal))
                {
                    Add(new ProvisioningStep("HTTP pull consumer", options.QueueName, ProvisioningAction.None, $"exists ({current})"));
                    return;
                }

                var update = new ProvisioningStep("HTTP pull consumer", options.QueueName, ProvisioningAction.Update, $"{(apply ? "changed" : "change")} {current} → {settingsText}");
                if (apply)
                {
                    await Guard(update, () => owner._queues.UpdateHttpPullConsumerAsync(queue!.QueueId!, pull.ConsumerId!, wanted, dlq, cancellationToken)).ConfigureAwait(false);
                }

                Add(update);
                return;
            }

            var create = new ProvisioningStep("HTTP pull consumer", options.QueueName, ProvisioningAction.Create, $"{(apply ? "created" : "create")} ({settingsText})");
            if (apply)
            {
                _ = deadLetterQueue ?? throw new InvalidOperationException("The dead-letter queue is created before the consumer.");
                await Guard(create, () => owner._queues.CreateHttpPullConsumerAsync(queue!.QueueId!, wanted, dlq, cancellationToken)).ConfigureAwait(false);
            }

            Add(create);
        }

        public async Task NotificationRuleAsync(CloudflareQueue? queue)
        {
            var prefix = options.NotificationPrefix.Length == 0 ? null : options.NotificationPrefix;
            var name = $"{options.SourceBucket} → {options.QueueName} (object-create, prefix '{options.NotificationPrefix}', suffix '.log.gz')";
            var wanted = R2NotificationRule.ForEventTypes(R2EventType.ObjectCreate) with { Prefix = prefix, Suffix = ".log.gz", Description = "LogpushKit: Logpush objects to CSV" };
            if (!_createdBuckets.Contains(options.SourceBucket))
            {
                var configuration = await ReadConfigurationAsync().ConfigureAwait(false);
                foreach (var (queueRules, rule) in configuration.Queues.SelectMany(q => q.Rules.Select(r => (q, r))))
                {
                    var ours = queue?.QueueId is { } queueId
                        && (string.Equals(queueRules.QueueId, queueId, StringComparison.Ordinal) || string.Equals(queueRules.QueueName, options.QueueName, StringComparison.Ordinal));
                    if (ours && Matches(rule, prefix))
                    {
                        Add(new ProvisioningStep("notification rule", name, ProvisioningAction.None, $"exists (rule {rule.RuleId})"));
                        return;
                    }

                    if (Overlaps(rule, wanted))
                    {
                        Add(new ProvisioningStep("notification rule", name, ProvisioningAction.Blocked,
                            $"the bucket's rule {rule.RuleId} into queue {queueRules.QueueName ?? queueRules.QueueId} (prefix '{rule.Prefix}', suffix '{rule.Suffix}', {string.Join('/', rule.Actions)}) overlaps it, and Cloudflare refuses overlapping rules; remove that rule first"));
                        return;
                    }
                }
            }

            var step = new ProvisioningStep("notification rule", name, ProvisioningAction.Create, apply ? "created" : "create");
            if (apply)
            {
                await Guard(step, () => owner._rules.PutRulesAsync(options.SourceBucket, queue!.QueueId!, [wanted], Jurisdiction, cancellationToken)).ConfigureAwait(false);
            }

            Add(step);
        }

        public async Task LogpushJobAsync()
        {
            var path = options.EffectiveLogpushPath;
            var destinationName = $"{(Jurisdiction is null ? "r2" : "s3")}://{options.SourceBucket}/{path}";
            var jobName = $"{options.Dataset} → {destinationName}";
            var job = await FindJobAsync(path).ConfigureAwait(false);
            if (job is not null)
            {
                var state = job.Enabled == true ? "enabled" : "disabled: enable it with a job update";
                Add(new ProvisioningStep("Logpush job", jobName, ProvisioningAction.None, string.Create(CultureInfo.InvariantCulture, $"exists (id {job.Id}, {state})")));
                return;
            }

            if (string.IsNullOrWhiteSpace(options.R2AccessKeyId) || string.IsNullOrWhiteSpace(options.R2SecretAccessKey))
            {
                Add(new ProvisioningStep("Logpush job", jobName, ProvisioningAction.Blocked, "creating it needs the R2 access key id and secret access key Logpush writes to the source bucket with"));
                return;
            }

            var destination = Jurisdiction is null
                ? DestinationConf.R2(options.SourceBucket, path, options.AccountId, options.R2AccessKeyId, options.R2SecretAccessKey)
                : DestinationConf.S3Compatible(options.SourceBucket, path, options.R2AccessKeyId, options.R2SecretAccessKey, DestinationConf.R2Endpoint(options.AccountId, Jurisdiction));
            var destinationStep = await DestinationAsync(destination).ConfigureAwait(false);
            if (destinationStep.Action == ProvisioningAction.Blocked)
            {
                return;
            }

            var (token, challenge) = await OwnershipAsync(destination).ConfigureAwait(false);
            var create = new ProvisioningStep(
                "Logpush job",
                jobName,
                ProvisioningAction.Create,
                FormattableString.Invariant($"{(apply ? "created" : "create")} (all fields, {options.OutputType}, timestamps {options.TimestampFormat}, {options.MaxUploadBytes} bytes / {options.MaxUploadRecords} records per batch, enabled)"));
            if (apply)
            {
                LogpushJob created;
                try
                {
                    created = await owner._logpush.CreateJobWithAllFieldsAsync(
                        options.Scope,
                        new LogpushJob
                        {
                            Dataset = options.Dataset,
                            Name = ("logpushkit-" + options.Dataset).Replace('_', '-'),
                            Enabled = true,
                            DestinationConf = destination.ToUnmaskedString(),
                            OwnershipChallenge = token,
                            OutputOptions = new LogpushOutputOptions { OutputType = options.OutputType, TimestampFormat = options.TimestampFormat },
                            MaxUploadBytes = options.MaxUploadBytes,
                            MaxUploadRecords = options.MaxUploadRecords,
                        },
                        cancellationToken).ConfigureAwait(false);
                }
                catch (CloudflareApiException ex) when (token is null && ex.StatusCode is { } status && (int)status is >= 400 and < 500 && status != HttpStatusCode.TooManyRequests)
                {
                    var blocked = create with { Action = ProvisioningAction.Blocked, Detail = "Cloudflare refused the job without an ownership challenge", ChallengeFile = challenge.File };
                    Add(blocked);
                    var where = challenge.File is { } file ? $"Cloudflare wrote it to r2://{file.Bucket}/{ObjectKeyText.Escape(file.Key)}{JurisdictionNote}" : "request it for this destination";
                    throw new ProvisioningException(blocked, $"Cloudflare refused the Logpush job ({ex.Message}); it may need the ownership challenge, which could not be read ({challenge.Reason}). {where}; read that object and pass its content as the ownership challenge.", ex)
                    {
                        ChallengeFile = challenge.File,
                    };
                }
                catch (CloudflareApiException ex)
                {
                    throw new ProvisioningException(create, $"{create.Resource} {create.Name}: {ex.Message}", ex);
                }

                create = create with { Detail = create.Detail.Replace("created (", string.Create(CultureInfo.InvariantCulture, $"created (id {created.Id}, "), StringComparison.Ordinal) };
            }

            Add(create);
        }

        private async Task<ProvisioningStep> DestinationAsync(DestinationConf destination)
        {
            var name = destination.ToString();
            if (!apply)
            {
                var planned = new ProvisioningStep("Logpush destination", name, ProvisioningAction.Check, $"validate; {await ExistsAsync(destination).ConfigureAwait(false)}");
                Add(planned);
                return planned;
            }

            LogpushValidationResult? validation;
            try
            {
                validation = await owner._logpush.ValidateDestinationAsync(options.Scope, destination.ToUnmaskedString(), cancellationToken).ConfigureAwait(false);
            }
            catch (CloudflareApiException ex)
            {
                var failed = new ProvisioningStep("Logpush destination", name, ProvisioningAction.Blocked, "validation failed");
                Add(failed);
                throw new ProvisioningException(failed, $"Logpush destination {name}: {ex.Message}", ex);
            }

            if (validation is null)
            {
                // a 2xx reply without a result (the schema allows it) says nothing; the job's creation validates the destination itself
                var unknown = new ProvisioningStep("Logpush destination", name, ProvisioningAction.Check, $"Cloudflare did not say whether it can write there (its reply had no result; creating the job checks it); {await ExistsAsync(destination).ConfigureAwait(false)}");
                Add(unknown);
                return unknown;
            }

            if (!validation.Valid)
            {
                var invalid = new ProvisioningStep("Logpush destination", name, ProvisioningAction.Blocked, $"Cloudflare cannot write there: {DestinationConf.MaskSecretsInText(string.IsNullOrEmpty(validation.Message) ? "no reason given" : validation.Message)}");
                Add(invalid);
                throw new ProvisioningException(invalid, $"Logpush destination {name}: {invalid.Detail}. Check the bucket, the path and the R2 key's permissions (Object Read & Write on the bucket).");
            }

            var valid = new ProvisioningStep("Logpush destination", name, ProvisioningAction.Check, $"valid; {await ExistsAsync(destination).ConfigureAwait(false)}");
            Add(valid);
            return valid;
        }

        private async Task<string> ExistsAsync(DestinationConf destination)
        {
            var result = await owner._logpush.ValidateDestinationExistsAsync(options.Scope, destination.ToUnmaskedString(), cancellationToken).ConfigureAwait(false);
            return result switch
            {
                null => "Cloudflare did not say whether another job writes there", // a reply without a result says nothing either way
                { Exists: true } => "another Logpush job already writes there (allowed; its objects share the folder)",
                _ => "no other Logpush job writes there",
            };
        }

        private async Task<(string? Token, (OwnershipChallengeFile? File, string Reason) Challenge)> OwnershipAsync(DestinationConf destination)
        {
            var name = $"{(Jurisdiction is null ? "r2" : "s3")}://{options.SourceBucket}/{options.EffectiveLogpushPath}/{ChallengeFileName}";
            if (!string.IsNullOrWhiteSpace(options.OwnershipChallenge))
            {
                var given = options.OwnershipChallenge.Trim();
                var detail = "validate the given challenge";
                if (apply)
                {
                    detail = await ValidateTokenAsync(destination, given, new ProvisioningStep("ownership challenge", name, ProvisioningAction.Check, "the given challenge")).ConfigureAwait(false)
                        ? "the given challenge is valid"
                        : "the given challenge; Cloudflare did not say whether it is valid (its reply had no result; creating the job checks it)";
                }

                Add(new ProvisioningStep("ownership challenge", name, ProvisioningAction.Check, detail));
                return (given, (null, "given"));
            }

            if (owner._sourceBucket is null)
            {
                const string Reason = "no R2 read access to the source bucket";
                Add(new ProvisioningStep("ownership challenge", name, ProvisioningAction.Check, $"skipped: {Reason} (Cloudflare does not need one for R2 destinations; if it asks, setup says where it is)"));
                return (null, (null, Reason));
            }

            if (!apply)
            {
                Add(new ProvisioningStep("ownership challenge", name, ProvisioningAction.Check, "request it, read it from the source bucket, validate it"));
                return (null, (null, "planned"));
            }

            LogpushOwnershipChallenge? requested;
            try
            {
                requested = await owner._logpush.RequestOwnershipChallengeAsync(options.Scope, destination.ToUnmaskedString(), cancellationToken).ConfigureAwait(false);
            }
            catch (CloudflareApiException ex) when (ex.StatusCode is { } status && (int)status is >= 400 and < 500)
            {
                var reason = $"Cloudflare issued none ({ex.Message})";
                Add(new ProvisioningStep("ownership challenge", name, ProvisioningAction.Check, $"skipped: {reason}"));
                return (null, (null, reason));
            }

            if (requested is null)
            {
                const string Reason = "Cloudflare issued none (its reply had no result)";
                Add(new ProvisioningStep("ownership challenge", name, ProvisioningAction.Check, $"skipped: {Reason}"));
                return (null, (null, Reason));
            }

            if (!requested.Valid && string.IsNullOrEmpty(requested.FileName))
            {
                var reason = $"Cloudflare could not write it: {DestinationConf.MaskSecretsInText(requested.Message) ?? "no reason given"}";
                Add(new ProvisioningStep("ownership challenge", name, ProvisioningAction.Check, $"skipped: {reason}"));
                return (null, (null, reason));
            }

            var (token, file, readReason) = await ReadChallengeAsync(requested.FileName).ConfigureAwait(false);
            var step = new ProvisioningStep("ownership challenge", file is null ? name : $"{(Jurisdiction is null ? "r2" : "s3")}://{file.Bucket}/{ObjectKeyText.Escape(file.Key)}", ProvisioningAction.Check, string.Empty) { ChallengeFile = file };
            if (token is null)
            {
                Add(step with { Detail = $"not read: {readReason}" });
                return (null, (file, readReason));
            }

            var validated = await ValidateTokenAsync(destination, token, step).ConfigureAwait(false);
            Add(step with { Detail = validated ? "read from the source bucket and validated" : "read from the source bucket; Cloudflare did not say whether it is valid (its reply had no result; creating the job checks it)" });
            return (token, (file, "read"));
        }

        /// <summary>
        /// Validates a challenge: <see langword="true"/> when Cloudflare says it is valid, <see langword="false"/> when its reply
        /// had no result (it said nothing; creating the job checks the challenge again); a refused or invalid one throws.
        /// </summary>
        private async Task<bool> ValidateTokenAsync(DestinationConf destination, string token, ProvisioningStep step)
        {
            try
            {
                var validation = await owner._logpush.ValidateOwnershipChallengeAsync(options.Scope, destination.ToUnmaskedString(), token, cancellationToken).ConfigureAwait(false);
                if (validation is null || validation.Valid)
                {
                    return validation is not null;
                }
            }
            catch (CloudflareApiException ex) when (ex.StatusCode is { } status && (int)status is >= 400 and < 500 && status != HttpStatusCode.TooManyRequests)
            {
                var refused = step with { Action = ProvisioningAction.Blocked, Detail = "Cloudflare refused the challenge" };
                Add(refused);
                throw new ProvisioningException(refused, $"ownership challenge {step.Name}: Cloudflare refused it ({ex.Message}); a challenge is valid 7 days and only for this exact destination.", ex)
                {
                    ChallengeFile = step.ChallengeFile,
                };
            }

            var invalid = step with { Action = ProvisioningAction.Blocked, Detail = "Cloudflare says the challenge is not valid" };
            Add(invalid);
            throw new ProvisioningException(invalid, $"ownership challenge {step.Name}: Cloudflare says it is not valid for this destination; a challenge is valid 7 days and only for this exact destination.")
            {
                ChallengeFile = step.ChallengeFile,
            };
        }

        // Where Logpush may have put the challenge: the filename Cloudflare returned (as a key, or with the bucket name in
        // front of it), else the destination folder with today's {DATE}.
        private async Task<(string? Token, OwnershipChallengeFile? File, string Reason)> ReadChallengeAsync(string? fileName)
        {
            var candidates = new List<string>();
            if (!string.IsNullOrWhiteSpace(fileName))
            {
                var key = fileName.TrimStart('/');
                if (key.StartsWith(options.SourceBucket + "/", StringComparison.Ordinal))
                {
                    candidates.Add(key[(options.SourceBucket.Length + 1)..]);
                }

                candidates.Add(key);
            }
            else
            {
                var today = owner._timeProvider.GetUtcNow().ToString("yyyyMMdd", CultureInfo.InvariantCulture);
                candidates.Add(options.EffectiveLogpushPath.Replace("{DATE}", today, StringComparison.Ordinal) + "/" + ChallengeFileName);
            }

            var bucket = owner._sourceBucket!;
            foreach (var key in candidates)
            {
                try
                {
                    var body = await bucket.GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (body is null)
                    {
                        continue;
                    }

                    await using var disposeBody = body.ConfigureAwait(false);

                    var buffer = new byte[MaxChallengeBytes];
                    var length = 0;
                    int read;
                    while (length < buffer.Length && (read = await body.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        length += read;
                    }

                    var token = Encoding.UTF8.GetString(buffer, 0, length).Trim();
                    var file = new OwnershipChallengeFile(options.SourceBucket, key, Jurisdiction);
                    return token.Length == 0 ? (null, file, $"{ObjectKeyText.Escape(key)} is empty") : (token, file, "read");
                }
                catch (LogpushKitException ex)
                {
                    return (null, new OwnershipChallengeFile(options.SourceBucket, key, Jurisdiction), $"reading {ObjectKeyText.Escape(key)} failed: {ex.Message}");
                }
            }

            return (null, new OwnershipChallengeFile(options.SourceBucket, candidates[0], Jurisdiction), $"no object {string.Join(" or ", candidates.Select(ObjectKeyText.Escape))} in the source bucket");
        }

        private async Task<LogpushJob?> FindJobAsync(string path)
        {
            var expectedEndpoint = Jurisdiction is null ? null : DestinationConf.R2Endpoint(options.AccountId, Jurisdiction);
            await foreach (var candidate in owner._logpush.ListDatasetJobsAsync(options.Scope, options.Dataset, cancellationToken).ConfigureAwait(false))
            {
                if (DestinationConf.TryParse(candidate.DestinationConf, out var destination)
                    && string.Equals(destination.Bucket, options.SourceBucket, StringComparison.Ordinal)
                    && string.Equals(destination.Path?.Trim('/'), path, StringComparison.Ordinal)
                    && (expectedEndpoint is null
                        ? destination.Scheme == DestinationScheme.R2 || string.Equals(destination.Endpoint, DestinationConf.R2Endpoint(options.AccountId), StringComparison.OrdinalIgnoreCase)
                        : string.Equals(destination.Endpoint, expectedEndpoint, StringComparison.OrdinalIgnoreCase)))
                {
                    return candidate;
                }
            }

            return null;
        }

        private async Task<R2NotificationConfiguration> ReadConfigurationAsync()
        {
            try
            {
                return await owner._rules.GetConfigurationAsync(options.SourceBucket, Jurisdiction, cancellationToken).ConfigureAwait(false);
            }
            catch (CloudflareApiException ex) when (IsNotFound(ex))
            {
                return new R2NotificationConfiguration { BucketName = options.SourceBucket };
            }
        }

        private static bool Matches(R2NotificationRule rule, string? prefix) =>
            string.Equals(rule.Suffix, ".log.gz", StringComparison.Ordinal)
            && string.Equals(string.IsNullOrEmpty(rule.Prefix) ? null : rule.Prefix, prefix, StringComparison.Ordinal)
            && R2EventActions.ObjectCreate.All(a => (rule.Actions ?? []).Contains(a, StringComparer.Ordinal));

        // Two rules can fire for one event when they share an action and one's prefix and suffix contain the other's.
        private static bool Overlaps(R2NotificationRule a, R2NotificationRule b)
        {
            if (!(a.Actions ?? []).Intersect(b.Actions ?? [], StringComparer.Ordinal).Any())
            {
                return false;
            }

            string pa = a.Prefix ?? string.Empty, pb = b.Prefix ?? string.Empty, sa = a.Suffix ?? string.Empty, sb = b.Suffix ?? string.Empty;
            return (pa.StartsWith(pb, StringComparison.Ordinal) || pb.StartsWith(pa, StringComparison.Ordinal))
                && (sa.EndsWith(sb, StringComparison.Ordinal) || sb.EndsWith(sa, StringComparison.Ordinal));
        }

        private static long? AbortAge(R2LifecycleRule rule) =>
            rule.AbortMultipartUploadsTransition?.Condition is { Type: "Age", MaxAge: { } age } ? age : null;

        private static string Describe(R2LifecycleRule rule) =>
            $"{(rule.Enabled ? "enabled" : "disabled")}, prefix '{rule.Prefix}', {(AbortAge(rule) is { } age ? "after " + Seconds(age) : "no abort age")}";

        private static string Describe(QueueConsumerSettings settings, string? deadLetterQueue) => string.Create(
            CultureInfo.InvariantCulture,
            $"dead-letter queue {(string.IsNullOrEmpty(deadLetterQueue) ? "none" : deadLetterQueue)}, max retries {Text(settings.MaxRetries)}, lease {Lease(settings.VisibilityTimeoutMs)}, retry delay {(settings.RetryDelay is { } d ? Seconds(d) : "default")}, batch size {Text(settings.BatchSize)}");

        private static string? NoneIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

        private static string Lease(long? ms) => ms switch
        {
            null => "default",
            { } v when v % 1000 == 0 => Seconds(v / 1000),
            { } v => string.Create(CultureInfo.InvariantCulture, $"{v} ms"),
        };

        private static string Text(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "default";

        private void Add(ProvisioningStep step)
        {
            Steps.Add(step);
            progress?.Report(step);
        }

        private async Task Guard(ProvisioningStep step, Func<Task> action)
        {
            try
            {
                await action().ConfigureAwait(false);
            }
            catch (CloudflareApiException ex)
            {
                throw new ProvisioningException(step, $"{step.Resource} {step.Name}: {ex.Message}", ex);
            }
        }

        private async Task<T> Guard<T>(ProvisioningStep step, Func<Task<T>> action)
        {
            try
            {
                return await action().ConfigureAwait(false);
            }
            catch (CloudflareApiException ex)
            {
                throw new ProvisioningException(step, $"{step.Resource} {step.Name}: {ex.Message}", ex);
            }
        }
    }
}
