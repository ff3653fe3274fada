using LogpushKit.Cloudflare;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using Microsoft.Extensions.Options;

namespace LogpushKit.Hosting;

/// <summary>Checks <see cref="LogpushKitOptions"/> at start-up; every failure names the configuration key and what is wrong.</summary>
internal sealed class LogpushKitOptionsValidator : IValidateOptions<LogpushKitOptions>
{
    public ValidateOptionsResult Validate(string? name, LogpushKitOptions options)
    {
        var failures = new List<string>();
        const string S = LogpushKitOptions.SectionName;
        CheckLocation(options.Source, $"{S}:Source", failures);
        CheckLocation(options.Target, $"{S}:Target", failures);
        if (options.Concurrency is < 1 or > 256)
        {
            failures.Add($"{S}:Concurrency must be between 1 and 256 (it is {options.Concurrency}).");
        }

        if (options.ReconcileIntervalSeconds < 0)
        {
            failures.Add($"{S}:ReconcileIntervalSeconds must be 0 (off) or more.");
        }

        if (options.IoBudgetBytes < 0)
        {
            failures.Add($"{S}:IoBudgetBytes must be 0 or more (it is {options.IoBudgetBytes}).");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            failures.Add($"{S}:MaxAttempts must be between 1 and 100 (it is {options.MaxAttempts}).");
        }

        if (options.WatchDebounceMilliseconds < 0)
        {
            failures.Add($"{S}:WatchDebounceMilliseconds must be 0 or more.");
        }

        try
        {
            _ = new TargetKeyTemplate(options.TargetKeyTemplate);
        }
        catch (ArgumentException ex)
        {
            failures.Add($"{S}:TargetKeyTemplate: {ex.Message.Split(" (Parameter", 2)[0]}");
        }

        var transform = TransformOptionsFactory.TryCreate(options.Transform, TransformOptionsFactory.Section, failures);
        _ = DatasetSettingsFactory.TryCreate(options.Datasets, transform, $"{TransformOptionsFactory.Section}:{nameof(LogpushKitTransformOptions.Dataset)}", failures);

        var queue = options.Queue;
        if (string.IsNullOrWhiteSpace(queue.QueueId) && queue.DrainTimeoutSeconds < 0)
        {
            // the folder watcher drains by it too
            failures.Add($"{S}:Queue:DrainTimeoutSeconds must not be negative.");
        }

        if (string.IsNullOrWhiteSpace(queue.QueueId))
        {
            // the connection settings are not used without a queue (so the environment's are not checked), but a value set
            // here must still be one
            failures.AddRange(queue.ResolveCloudflare(getVariable: _ => null).Problems.Select(p => p + "."));
        }
        else
        {
            // what the consumer needs, resolved as it will be (configuration first, then the environment); each message names
            // the configuration key and the environment variable
            var cloudflare = queue.ResolveCloudflare();
            try
            {
                cloudflare.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId);
            }
            catch (CloudflareSettingsException ex)
            {
                failures.AddRange(ex.Problems.Select(p => cloudflare.Problems.Contains(p) ? p + "." : $"{S}:Queue:QueueId is set but {p}."));
            }

            if (queue.MaxFailureSeconds < 0)
            {
                failures.Add($"{S}:Queue:MaxFailureSeconds must be 0 (never give up) or more.");
            }

            if (queue.BatchSize is < 1 or > 100)
            {
                failures.Add($"{S}:Queue:BatchSize must be between 1 and 100 (it is {queue.BatchSize}).");
            }

            if (queue.VisibilityTimeoutSeconds is < 0 or > 43_200)
            {
                failures.Add($"{S}:Queue:VisibilityTimeoutSeconds must be between 0 (derived) and 43200 (12 h).");
            }

            if (queue.RetryDelaySeconds < 0 || queue.MaxAttempts < 1 || queue.DrainTimeoutSeconds < 0 || queue.LargestExpectedObjectBytes < 0)
            {
                failures.Add($"{S}:Queue: RetryDelaySeconds, DrainTimeoutSeconds and LargestExpectedObjectBytes must not be negative, MaxAttempts at least 1.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckLocation(string? value, string key, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{key} is required: a local folder, r2://bucket/prefix or s3://bucket/prefix.");
        }
        else if (!BucketLocation.TryParse(value, out _, out var error))
        {
            failures.Add($"{key}: {error}");
        }
    }
}
