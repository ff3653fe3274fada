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
/// </summary>
internal static class FieldsCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "The dataset, e.g. gateway_http or http_requests." };
        var offline = new Option<bool>("--offline") { Description = "Print the documented fields from the embedded catalog; no API call, no credentials." };
        var command = new Command(
            "fields",
            "List the fields of a Logpush dataset in Cloudflare's order (what a job needs for 'all fields'), with their types: the API's where it gives one, else the documented type. "
            + "TIMESTAMP marks the fields whose values follow the job's timestamp_format.\n"
            + CloudflareCommandOptions.HelpText);
        command.Arguments.Add(dataset);
        command.Options.Add(offline);
        var api = CloudflareCommandOptions.AddTo(command);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var name = parseResult.GetRequiredValue(dataset);
            LogpushDataset result;
            if (parseResult.GetValue(offline))
            {
                var variants = LogpushDatasetCatalog.Default.FindAll(name);
                if (variants.Count == 0)
                {
                    throw new UsageException($"The dataset '{name}' is not in the embedded catalog; run 'logpushkit datasets' for the list, or drop --offline to ask Cloudflare.");
                }

                result = variants.Count == 1 || parseResult.GetValue(api.ZoneIdOption) is not null ? variants[0] : variants[^1];
            }
            else
            {
                LogpushScope scope;
                LogpushClientOptions options;
                try
                {
                    scope = api.ResolveScope(parseResult, name);
                    options = api.ClientOptions<LogpushClientOptions>(parseResult);
                }
                catch (UsageException ex) when (LogpushDatasetCatalog.Default.FindAll(name).Count > 0)
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
