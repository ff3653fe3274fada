using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Datasets;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit datasets</c>: the Logpush datasets LogpushKit knows (the embedded catalog built from Cloudflare's
/// field tables), offline. Cloudflare has no API that lists datasets, so there is no live mode; <c>logpushkit fields
/// &lt;dataset&gt;</c> asks the API for one dataset's current fields.
/// </summary>
internal static class DatasetsCommand
{
    public static Command Create()
    {
        var scope = new Option<string?>("--scope") { Description = "Only account or only zone datasets.", HelpName = "account|zone" };
        scope.AcceptOnlyFromAmong("account", "zone");
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts instead of a table." };
        var command = new Command(
            "datasets",
            "List the Logpush datasets of the embedded catalog (Cloudflare's documented field tables): name, scope (which id a job needs), field count and timestamp fields. Offline.");
        command.Options.Add(scope);
        command.Options.Add(json);
        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var wanted = parseResult.GetValue(scope);
            var datasets = LogpushDatasetCatalog.Default.Datasets
                .Where(d => wanted is null || (wanted == "account") == (d.Scope == LogpushDatasetScope.Account))
                .OrderBy(d => d.Name, StringComparer.Ordinal)
                .ThenBy(d => d.Scope)
                .ToList();
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(json))
            {
                await output.WriteLineAsync(ToJson(datasets));
            }
            else
            {
                await output.WriteAsync(CliTable.Format(
                    ["DATASET", "SCOPE", "FIELDS", "TIMESTAMP FIELDS"],
                    datasets.Select(d => new[]
                    {
                        d.Name,
                        ScopeName(d.Scope),
                        d.Fields.Count.ToString(CultureInfo.InvariantCulture),
                        string.Join(',', d.TimestampFields),
                    })));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string ScopeName(LogpushDatasetScope scope) => scope == LogpushDatasetScope.Account ? "account" : "zone";

    private static string ToJson(IEnumerable<LogpushDataset> datasets)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var d in datasets)
            {
                writer.WriteStartObject();
                writer.WriteString("dataset", d.Name);
                writer.WriteString("scope", ScopeName(d.Scope));
                writer.WriteNumber("field_count", d.Fields.Count);
                writer.WriteStartArray("timestamp_fields");
                foreach (var name in d.TimestampFields)
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
