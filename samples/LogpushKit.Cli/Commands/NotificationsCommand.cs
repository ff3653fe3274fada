using System.CommandLine;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Json;
using LogpushKit.Storage;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit notifications list|remove</c>: a bucket's R2 event-notification rules (what
/// <c>wrangler r2 bucket notification list|delete</c> did), through the library's <see cref="R2EventNotificationRulesClient"/>.
/// </summary>
internal static class NotificationsCommand
{
    public static Command Create()
    {
        var command = new Command("notifications", "List or remove the R2 event-notification rules of a bucket (which events go to which queue).\n" + CloudflareCommandOptions.HelpText);
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateRemove());
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the bucket's rules: rule id, queue, prefix, suffix, actions, description, created.");
        var bucket = BucketOption();
        var jurisdiction = JurisdictionOption();
        command.Options.Add(bucket);
        command.Options.Add(jurisdiction);
        var api = CloudflareCommandOptions.AddTo(command, zone: false);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var account = api.AccountId(parseResult)!;
            using var client = new R2EventNotificationRulesClient(account, api.ClientOptions<R2EventNotificationRulesClientOptions>(parseResult));
            var bucketName = parseResult.GetRequiredValue(bucket);
            var configuration = await client.GetConfigurationAsync(bucketName, Jurisdiction(parseResult, jurisdiction), cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            var rows = configuration.Queues.SelectMany(q => q.Rules.Select(r => (Queue: q, Rule: r))).ToList();
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(CloudflareJson.Serialize(configuration, indented: true));
            }
            else if (rows.Count == 0)
            {
                await output.WriteLineAsync($"Bucket {bucketName} has no event-notification rules.");
            }
            else
            {
                await output.WriteAsync(CliTable.Format(
                    ["RULE ID", "QUEUE", "QUEUE ID", "PREFIX", "SUFFIX", "ACTIONS", "DESCRIPTION", "CREATED"],
                    rows.Select(x => new[]
                    {
                        x.Rule.RuleId, x.Queue.QueueName, x.Queue.QueueId, ObjectKeyText.Escape(x.Rule.Prefix), ObjectKeyText.Escape(x.Rule.Suffix), string.Join(',', x.Rule.Actions ?? []), x.Rule.Description, x.Rule.CreatedAt,
                    })));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateRemove()
    {
        var command = new Command(
            "remove",
            "Remove rules of a bucket for one queue: the ones named with --rule (from 'notifications list'), or with --all every rule of that queue. "
            + "Objects written meanwhile send no event (reconcile with 'logpushkit run' to catch up).");
        var bucket = BucketOption();
        var jurisdiction = JurisdictionOption();
        var rules = new Option<string[]>("--rule") { Description = "A rule id to remove; repeat for several.", HelpName = "ID", AllowMultipleArgumentsPerToken = false };
        var all = new Option<bool>("--all") { Description = "Remove every rule of the bucket for the queue." };
        foreach (var option in new Option[] { bucket, jurisdiction, rules, all })
        {
            command.Options.Add(option);
        }

        var queue = QueueSelector.AddTo(command);
        command.Validators.Add(result =>
        {
            var some = result.GetValue(rules) is { Length: > 0 };
            if (some == result.GetValue(all))
            {
                result.AddError("Name the rules to remove with --rule ID (repeatable), or remove every rule of the queue with --all.");
            }
        });
        var api = CloudflareCommandOptions.AddTo(command, json: false, zone: false);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var account = api.AccountId(parseResult)!;
            using var queues = new QueuesClient(account, api.ClientOptions<QueuesClientOptions>(parseResult));
            using var client = new R2EventNotificationRulesClient(account, api.ClientOptions<R2EventNotificationRulesClientOptions>(parseResult));
            var bucketName = parseResult.GetRequiredValue(bucket);
            var where = Jurisdiction(parseResult, jurisdiction);
            var (queueId, queueName) = await queue.ResolveAsync(parseResult, queues, cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(all))
            {
                await client.DeleteRulesAsync(bucketName, queueId, where, cancellationToken);
                await output.WriteLineAsync($"Removed every event-notification rule of bucket {bucketName} for queue {queueName}.");
                return ExitCodes.Success;
            }

            var ids = parseResult.GetRequiredValue(rules).Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            var existing = (await client.GetQueueRulesAsync(bucketName, queueId, where, cancellationToken)).Rules.Select(r => r.RuleId).ToHashSet(StringComparer.Ordinal);
            if (ids.Where(id => !existing.Contains(id)).ToList() is { Count: > 0 } unknown)
            {
                throw new LogpushKitException($"bucket {bucketName} has no rule {string.Join(", ", unknown)} for queue {queueName} (see 'logpushkit notifications list --bucket {bucketName}'); nothing was removed.");
            }

            await client.DeleteRulesByIdAsync(bucketName, queueId, ids, where, cancellationToken);
            await output.WriteLineAsync($"Removed rule{(ids.Count == 1 ? string.Empty : "s")} {string.Join(", ", ids)} of bucket {bucketName} for queue {queueName}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<string> BucketOption() => new("--bucket") { Description = "The R2 bucket.", HelpName = "BUCKET", Required = true };

    private static Option<string> JurisdictionOption()
    {
        var option = new Option<string>("--jurisdiction") { Description = "The bucket's jurisdiction: default, eu or fedramp. Default default.", DefaultValueFactory = _ => "default", HelpName = "J" };
        option.AcceptOnlyFromAmong("default", "eu", "fedramp");
        return option;
    }

    private static string? Jurisdiction(ParseResult parseResult, Option<string> option) =>
        parseResult.GetValue(option) is "eu" or "fedramp" ? parseResult.GetValue(option) : null;
}
