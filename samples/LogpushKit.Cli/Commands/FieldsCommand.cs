using System.CommandLine;
using System.Text.Json;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Cloudflare;
using LogpushKit.Datasets;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit fields &lt;dataset&gt;</c>: the fields Cloudflare lists now for a dataset (the live fields API), with
/// the types the API gives (<c>"&lt;type&gt;; &lt;description&gt;"</c>), else the documented ones; <c>--offline</c> prints the
/// documented fields from the embedded catalog instead. Timestamp fields (converted by <c>--timestamps</c>) are marked.
/// A dataset documented in both scopes (<c>firewall_events</c>) takes <c>--scope zone|account</c>, unless the one id given
/// (a flag, else the only id in the environment) tells the scope; otherwise the command is a usage error naming <c>--scope</c>
/// rather than guessing, since the two variants have different fields.
/// </summary>
internal static class FieldsCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "The dataset, e.g. gateway_http or http_requests." };
        var offline = new Option<bool>("--offline") { Description = "Print the documented fields from the embedded catalog; no API call, no credentials." };
        var scopeOption = new Option<string?>("--scope")
        {
            Description = "Which variant of a dataset that exists in both scopes (e.g. firewall_events): zone or account. Default: the dataset's only scope; "
                + "for one in both, the scope of --zone-id or --account-id when one is given, else of the one id set in the environment. "
                + "Required for such a dataset with --offline, or when both CLOUDFLARE_ZONE_ID and CLOUDFLARE_ACCOUNT_ID are set.",
            HelpName = "zone|account",
        };
        scopeOption.AcceptOnlyFromAmong("zone", "account");
        var command = new Command(
            "fields",
            "List the fields of a Logpush dataset in Cloudflare's order (what a job needs for 'all fields'), with their types: the API's where it gives one, else the documented type. "
            + "TIMESTAMP marks the fields whose values follow the job's timestamp_format.\n"
            + CloudflareCommandOptions.HelpText);
        command.Arguments.Add(dataset);
        command.Options.Add(offline);
        command.Options.Add(scopeOption);
        var api = CloudflareCommandOptions.AddTo(command);
        command.Validators.Add(result =>
        {
            // --scope names the id the call needs; the id of the other scope given explicitly would be ignored
            var scope = TransformOptionsBinder.ValueOrDefault(result, scopeOption);
            if (scope == "zone" && result.GetResult(api.AccountIdOption) is { Implicit: false })
            {
                result.AddError("--scope zone takes the zone id (--zone-id or CLOUDFLARE_ZONE_ID), not --account-id.");
            }
            else if (scope == "account" && result.GetResult(api.ZoneIdOption) is { Implicit: false })
            {
                result.AddError("--scope account takes the account id (--account-id or CLOUDFLARE_ACCOUNT_ID), not --zone-id.");
            }
        });
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var name = parseResult.GetRequiredValue(dataset);
            var variants = LogpushDatasetCatalog.Default.FindAll(name);
            LogpushDatasetScope? wanted = parseResult.GetValue(scopeOption) switch
            {
                "zone" => LogpushDatasetScope.Zone,
                "account" => LogpushDatasetScope.Account,
                _ => null,
            };
            if (wanted is { } w && variants.Count > 0 && !variants.Any(v => v.Scope == w))
            {
                throw new UsageException($"The dataset '{name}' is {ScopeName(variants[0].Scope)}-scoped only; drop --scope {ScopeName(w)}.");
            }

            LogpushDataset result;
            if (parseResult.GetValue(offline))
            {
                if (variants.Count == 0)
                {
                    throw new UsageException($"The dataset '{name}' is not in the embedded catalog; run 'logpushkit datasets' for the list, or drop --offline to ask Cloudflare.");
                }

                wanted ??= variants.Count == 1 ? variants[0].Scope
                    : parseResult.GetResult(api.ZoneIdOption) is { Implicit: false } ? LogpushDatasetScope.Zone
                    : parseResult.GetResult(api.AccountIdOption) is { Implicit: false } ? LogpushDatasetScope.Account
                    : throw Ambiguous(name, variants);
                result = variants.First(v => v.Scope == wanted);
            }
            else
            {
                LogpushScope scope;
                LogpushClientOptions options;
                try
                {
                    var settings = api.Settings(parseResult);
                    scope = CloudflareCommandOptions.Checked(() => wanted switch
                    {
                        LogpushDatasetScope.Zone => LogpushScope.Zone(settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.ZoneId).ZoneId!),
                        LogpushDatasetScope.Account => LogpushScope.Account(settings.Require(CloudflareSettingRequirements.Credentials | CloudflareSettingRequirements.AccountId).AccountId!),
                        _ => settings.ResolveScope(variants is [var only] ? (only.Scope == LogpushDatasetScope.Account ? LogpushScopeKind.Account : LogpushScopeKind.Zone) : null),
                    });
                    if (wanted is null && variants.Count > 1 && !settings.ZoneIdIsExplicit && !settings.AccountIdIsExplicit && settings.ZoneId is not null && settings.AccountId is not null)
                    {
                        throw Ambiguous(name, variants);
                    }

                    options = api.ClientOptions<LogpushClientOptions>(parseResult);
                }
                catch (UsageException ex) when (variants.Count > 0 && !ex.Message.Contains("--scope", StringComparison.Ordinal))
                {
                    // the documented fields need no credentials
                    throw new UsageException($"{ex.Message} Or add --offline for the documented fields of '{name}', without credentials.");
                }

                using var client = new LogpushClient(options);
                result = await client.GetDatasetAsync(scope, name, cancellationToken: cancellationToken);
            }

            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(api.Json))
            {
                await output.WriteLineAsync(ToJson(result));
            }
            else
            {
                await output.WriteAsync(CliTable.Format(
                    ["FIELD", "TYPE", "TIMESTAMP", "DESCRIPTION"],
                    result.Fields.Select(f => new[] { f.Name, f.Type, f.IsTimestamp ? "yes" : "no", SecretRedactor.MaskText(f.Description) })));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string ScopeName(LogpushDatasetScope scope) => scope == LogpushDatasetScope.Account ? "account" : "zone";

    private static UsageException Ambiguous(string name, IReadOnlyList<LogpushDataset> variants) => new(
        $"The dataset '{name}' exists in both scopes ({string.Join(", ", variants.Select(v => $"{ScopeName(v.Scope)}: {v.Fields.Count} fields"))}), with different fields; "
        + "add --scope zone or --scope account.");

    internal static string ToJson(LogpushDataset dataset)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("dataset", dataset.Name);
            writer.WriteString("scope", dataset.Scope == LogpushDatasetScope.Account ? "account" : "zone");
            writer.WriteStartArray("fields");
            foreach (var field in dataset.Fields)
            {
                writer.WriteStartObject();
                writer.WriteString("name", field.Name);
                writer.WriteString("type", field.Type);
                writer.WriteBoolean("timestamp", field.IsTimestamp);
                writer.WriteString("description", SecretRedactor.MaskText(field.Description));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
