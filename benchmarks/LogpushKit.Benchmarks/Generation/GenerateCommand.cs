using System.CommandLine;
using LogpushKit.Datasets;

namespace LogpushKit.Benchmarks.Generation;

/// <summary>
/// <c>generate --dataset gateway_http --records N --format ndjson|csv --timestamps unix|unixnano|rfc3339 --seed S
/// (-o file.log.gz | --output-dir DIR)</c>: writes one synthetic Logpush object.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset from the catalog (e.g. gateway_http, http_requests, firewall_events).", DefaultValueFactory = _ => "gateway_http" };
        var records = new Option<long>("--records") { Description = "Number of records.", DefaultValueFactory = _ => 1000 };
        var format = new Option<string>("--format") { Description = "ndjson or csv (Logpush output_type).", DefaultValueFactory = _ => "ndjson" };
        format.AcceptOnlyFromAmong("ndjson", "csv");
        var timestamps = new Option<string>("--timestamps") { Description = "Logpush timestamp_format.", DefaultValueFactory = _ => "unixnano" };
        timestamps.AcceptOnlyFromAmong("unix", "unixnano", "rfc3339", "rfc3339ms", "rfc3339ns");
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same bytes).", DefaultValueFactory = _ => 1 };
        var fields = new Option<string?>("--fields") { Description = "Only these fields, in this order (comma-separated)." };
        var start = new Option<DateTimeOffset?>("--start") { Description = "Time of the first record (default 2024-06-01T00:00:00Z)." };
        var members = new Option<int>("--gzip-members") { Description = "Split into this many concatenated gzip members.", DefaultValueFactory = _ => 1 };
        var plain = new Option<bool>("--no-gzip") { Description = "Write plain text instead of gzip." };
        var output = new Option<string?>("--output", "-o") { Description = "Output file ('-' = stdout)." };
        var outputDir = new Option<string?>("--output-dir") { Description = "Write into DIR/<yyyyMMdd>/<start>_<end>_<8 hex>.log.gz (the Logpush key layout) and print the path." };
        var objects = new Option<int>("--objects") { Description = "With --output-dir: this many objects of --records records each, one after the other in time (Logpush's many small batches).", DefaultValueFactory = _ => 1 };

        var command = new Command("generate", "Generate a synthetic Logpush object for any dataset of the catalog.")
        {
            dataset, records, format, timestamps, seed, fields, start, members, plain, output, outputDir, objects,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(output) is null) == (result.GetValue(outputDir) is null))
            {
                result.AddError("Give exactly one of -o FILE and --output-dir DIR.");
            }

            if (result.GetResult(objects) is { Implicit: false } given && given.GetValueOrDefault<int>() is var count
                && (count < 1 || (count > 1 && result.GetValue(outputDir) is null)))
            {
                result.AddError("--objects takes a count of at least 1, and more than one object needs --output-dir DIR.");
            }

            if (result.GetValue(dataset) is { } name && !LogpushDatasetCatalog.Default.TryGet(name, null, out _))
            {
                result.AddError($"Unknown dataset '{name}'. Known: {string.Join(", ", DatasetFields.Names)}.");
            }
        });
        command.SetAction(parseResult =>
        {
            var only = parseResult.GetValue(fields)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var options = new LogpushRecordGeneratorOptions
            {
                Seed = parseResult.GetValue(seed),
                Format = parseResult.GetValue(format) == "csv" ? GeneratedRecordFormat.Csv : GeneratedRecordFormat.Ndjson,
                Timestamps = parseResult.GetValue(timestamps) switch
                {
                    "unix" => GeneratedTimestampFormat.Unix,
                    "rfc3339" => GeneratedTimestampFormat.Rfc3339,
                    "rfc3339ms" => GeneratedTimestampFormat.Rfc3339Ms,
                    "rfc3339ns" => GeneratedTimestampFormat.Rfc3339Ns,
                    _ => GeneratedTimestampFormat.UnixNano,
                },
                Start = parseResult.GetValue(start) ?? new LogpushRecordGeneratorOptions().Start,
            };
            var generator = new LogpushRecordGenerator(DatasetFields.For(parseResult.GetRequiredValue(dataset), only), options);
            var gzip = !parseResult.GetValue(plain);
            var count = parseResult.GetValue(records);
            var path = parseResult.GetValue(output);
            if (path == "-")
            {
                using var stdout = Console.OpenStandardOutput();
                generator.WriteObject(stdout, count, gzip, parseResult.GetValue(members));
                return 0;
            }

            for (var i = parseResult.GetValue(objects); i > 0; i--)
            {
                generator.BeginObject();
                Console.WriteLine(WriteObject(generator, path, parseResult.GetValue(outputDir), count, gzip, parseResult.GetValue(members)));
            }

            return 0;
        });
        return command;
    }

    /// <summary>Writes one object to <paramref name="path"/>, or under <paramref name="outputDir"/> by its Logpush name, through a temporary file; returns its path.</summary>
    private static string WriteObject(LogpushRecordGenerator generator, string? path, string? outputDir, long count, bool gzip, int members)
    {
        var temporary = Path.Combine(path is null ? outputDir! : Path.GetDirectoryName(Path.GetFullPath(path))!, $".generate.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        using (var file = File.Create(temporary))
        {
            generator.WriteObject(file, count, gzip, members);
        }

        if (path is null)
        {
            var name = generator.ObjectName(gzip);
            var directory = Path.Combine(outputDir!, name[..8]);
            Directory.CreateDirectory(directory);
            path = Path.Combine(directory, name);
        }

        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
