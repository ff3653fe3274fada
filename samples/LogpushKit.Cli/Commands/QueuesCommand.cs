using System.CommandLine;
using System.Globalization;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Json;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit queues consumers list|add|remove</c>: the consumers of a Cloudflare queue (what
/// <c>wrangler queues consumer http add|remove</c> and <c>wrangler queues info</c> did), through the library's
/// <see cref="QueuesClient"/>.
/// </summary>
internal static class QueuesCommand
{
    public static Command Create()
    {
        var consumers = new Command("consumers", "List, add or remove the consumers of a queue (a queue has one active consumer).\n" + CloudflareCommandOptions.HelpText);
        consumers.Subcommands.Add(CreateList());
        consumers.Subcommands.Add(CreateAdd());
        consumers.Subcommands.Add(CreateRemove());
        var command = new Command("queues", "Manage Cloudflare Queues through the API.");
        command.Subcommands.Add(consumers);
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the queue's consumers: type, Worker, dead-letter queue, batch size, max retries, retry delay, lease.");
        var queue = QueueSelector.AddTo(command);
        var api = CloudflareCommandOptions.AddTo(command, zone: false);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var account = api.AccountId(parseResult)!;
            using var client = new QueuesClient(account, api.ClientOptions<QueuesClientOptions>(parseResult));
            var (queueId, queueName) = await queue.ResolveAsync(parseResult, client, cancellationToken);
            var list = await client.ListConsumersAsync(queueId, cancellationToken).ToListAsync(cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(CloudflareJson.Serialize<IReadOnlyList<QueueConsumer>>(list, indented: true));
            }
            else if (list.Count == 0)
            {
                await output.WriteLineAsync($"Queue {queueName} has no consumer.");
            }
            else
            {
                await output.WriteAsync(CliTable.Format(
                    ["CONSUMER ID", "TYPE", "WORKER", "DEAD LETTER QUEUE", "BATCH SIZE", "MAX RETRIES", "RETRY DELAY", "LEASE", "CREATED"],
                    list.Select(c => new[]
                    {
                        c.ConsumerId, c.Type, c.ScriptName, string.IsNullOrEmpty(c.DeadLetterQueue) ? null : c.DeadLetterQueue,
                        JobsCommand.Text(c.Settings?.BatchSize), JobsCommand.Text(c.Settings?.MaxRetries),
                        c.Settings?.RetryDelay is { } delay ? string.Create(CultureInfo.InvariantCulture, $"{delay} s") : null,
                        c.Settings?.VisibilityTimeoutMs is { } ms ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.###} s") : null,
                        c.CreatedOn,
                    })));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateAdd()
    {
        var command = new Command(
            "add",
            "Add an HTTP pull consumer to the queue (what 'logpushkit consume' and the worker pull from). Only the given settings are sent; "
            + "Cloudflare's defaults apply to the others. A queue has one active consumer: remove a Worker consumer first.");
        var queue = QueueSelector.AddTo(command);
        var batchSize = new Option<int?>("--batch-size") { Description = "Messages per batch by default, 1-100.", HelpName = "N" };
        var maxRetries = new Option<int?>("--max-retries") { Description = "Deliveries after the first before a message goes to the dead-letter queue (or is deleted), 0-100.", HelpName = "N" };
        var retryDelay = new Option<int?>("--retry-delay") { Description = "Seconds before a retried message is visible again, 0-43200.", HelpName = "SECONDS" };
        var visibility = new Option<int?>("--visibility-timeout") { Description = "The default lease in seconds, 1-43200.", HelpName = "SECONDS" };
        var deadLetterQueue = new Option<string?>("--dead-letter-queue") { Description = "The queue messages go to after the retries (none: they are deleted).", HelpName = "NAME" };
        foreach (var option in new Option[] { batchSize, maxRetries, retryDelay, visibility, deadLetterQueue })
        {
            command.Options.Add(option);
        }

        batchSize.RequireRange(1, 100);
        maxRetries.RequireRange(0, 100);
        retryDelay.RequireRange(0, 43_200);
        visibility.RequireRange(1, 43_200);
        var api = CloudflareCommandOptions.AddTo(command, json: false, zone: false);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var account = api.AccountId(parseResult)!;
            using var client = new QueuesClient(account, api.ClientOptions<QueuesClientOptions>(parseResult));
            var (queueId, queueName) = await queue.ResolveAsync(parseResult, client, cancellationToken);
            var dlq = parseResult.GetValue(deadLetterQueue);
            if (string.Equals(dlq, queueName, StringComparison.Ordinal))
            {
                throw new UsageException("--dead-letter-queue must name another queue than the consumer's.");
            }

            if (await client.ListConsumersAsync(queueId, cancellationToken).FirstOrDefaultAsync(cancellationToken) is { } existing)
            {
                throw new LogpushKitException(
                    $"queue {queueName} already has a {existing.Type} consumer (id {existing.ConsumerId}); a queue has one active consumer: remove it first with 'logpushkit queues consumers remove --queue {queueName} --consumer-id {existing.ConsumerId}'.");
            }

            var settings = new QueueConsumerSettings
            {
                BatchSize = parseResult.GetValue(batchSize),
                MaxRetries = parseResult.GetValue(maxRetries),
                RetryDelay = parseResult.GetValue(retryDelay),
                VisibilityTimeoutMs = parseResult.GetValue(visibility) * 1000L,
            };
            var anySetting = settings.BatchSize is not null || settings.MaxRetries is not null || settings.RetryDelay is not null || settings.VisibilityTimeoutMs is not null;
            var created = await client.CreateHttpPullConsumerAsync(queueId, anySetting ? settings : null, string.IsNullOrWhiteSpace(dlq) ? null : dlq, cancellationToken);
            await parseResult.InvocationConfiguration.Output.WriteLineAsync(
                $"Added an HTTP pull consumer{(created.ConsumerId is { } id ? " (id " + id + ")" : string.Empty)} to queue {queueName}{(string.IsNullOrWhiteSpace(dlq) ? "; no dead-letter queue: messages are deleted after the retries" : "; dead-letter queue " + dlq)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateRemove()
    {
        var command = new Command("remove", "Remove a consumer from the queue (--consumer-id, or the queue's only consumer). Messages stay in the queue until a consumer takes them or they expire.");
        var queue = QueueSelector.AddTo(command);
        var consumerId = new Option<string?>("--consumer-id") { Description = "The consumer (from 'queues consumers list'); needed when the queue has several.", HelpName = "ID" };
        command.Options.Add(consumerId);
        var api = CloudflareCommandOptions.AddTo(command, json: false, zone: false);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var account = api.AccountId(parseResult)!;
            using var client = new QueuesClient(account, api.ClientOptions<QueuesClientOptions>(parseResult));
            var (queueId, queueName) = await queue.ResolveAsync(parseResult, client, cancellationToken);
            var id = parseResult.GetValue(consumerId);
            if (string.IsNullOrWhiteSpace(id))
            {
                var all = await client.ListConsumersAsync(queueId, cancellationToken).ToListAsync(cancellationToken);
                id = all switch
                {
                    [] => throw new LogpushKitException($"queue {queueName} has no consumer; nothing was removed."),
                    [var only] => only.ConsumerId ?? throw new LogpushKitException($"queue {queueName}'s consumer has no id in Cloudflare's reply; nothing was removed."),
                    _ => throw new UsageException($"queue {queueName} has {all.Count} consumers: name one with --consumer-id ({string.Join(", ", all.Select(c => c.ConsumerId))})."),
                };
            }

            await client.DeleteConsumerAsync(queueId, id, cancellationToken);
            await parseResult.InvocationConfiguration.Output.WriteLineAsync($"Removed consumer {id} from queue {queueName}.");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary><c>--queue NAME</c> or <c>--queue-id ID</c> (exactly one), resolved to the queue's id and name.</summary>
internal sealed class QueueSelector
{
    private QueueSelector()
    {
    }

    public Option<string?> Name { get; } = new("--queue") { Description = "The queue name (or --queue-id).", HelpName = "NAME" };

    public Option<string?> Id { get; } = new("--queue-id") { Description = "The queue id (or --queue).", HelpName = "ID" };

    public static QueueSelector AddTo(Command command)
    {
        var selector = new QueueSelector();
        command.Options.Add(selector.Name);
        command.Options.Add(selector.Id);
        command.Validators.Add(result =>
        {
            var byName = !string.IsNullOrWhiteSpace(result.GetValue(selector.Name));
            var byId = !string.IsNullOrWhiteSpace(result.GetValue(selector.Id));
            if (byName == byId)
            {
                result.AddError("Name the queue with either --queue NAME or --queue-id ID.");
            }
        });
        return selector;
    }

    public async Task<(string Id, string Name)> ResolveAsync(ParseResult parseResult, QueuesClient client, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(Id) is { Length: > 0 } id)
        {
            var queue = await client.GetQueueAsync(id.Trim(), cancellationToken);
            return (id.Trim(), queue.QueueName ?? id.Trim());
        }

        var name = parseResult.GetValue(Name)!.Trim();
        var found = await client.FindQueueAsync(name, cancellationToken)
            ?? throw new LogpushKitException($"no queue named {name} in this account ('logpushkit setup' creates it).");
        return (found.QueueId ?? throw new LogpushKitException($"Cloudflare's reply for queue {name} has no queue_id."), name);
    }
}
