using System.CommandLine;
using System.Diagnostics;
using LogpushKit.Cli.Infrastructure;
using LogpushKit.Pipeline;
using LogpushKit.R2;
using LogpushKit.Storage;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Commands;

/// <summary>
/// <c>logpushkit convert &lt;input|-&gt; [-o &lt;output|-&gt;] [transform options] [--quarantine PATH] [--quiet]</c>:
/// one Logpush object (gzip'd or plain, ndjson or csv) to RFC 4180 CSV.
/// </summary>
internal static class ConvertCommand
{
    /// <summary>The suffix of the default quarantine file, appended to the output path.</summary>
    public const string QuarantineSuffix = ".quarantine.ndjson";

    public static Command Create()
    {
        var input = new Argument<string>("input")
        {
            Description = "The Logpush object: a file (gzip'd or plain, ndjson or csv; detected by content), r2://bucket/key or s3://bucket/key, or - for stdin.",
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "The CSV file, r2://bucket/key or s3://bucket/key, or - for stdout (the default). A file is written under a hidden temporary name and renamed when complete, an object is streamed into an upload that is aborted on failure, so a failed run leaves nothing.",
            HelpName = "output|-",
        };
        var quarantine = new Option<string?>("--quarantine")
        {
            Description = $"With --on-bad-line quarantine: the file that receives each bad line with its line number and reason. Default: the output path + '{QuarantineSuffix}' (required when writing to stdout).",
            HelpName = "PATH",
        };
        var endpoint = new Option<string?>("--endpoint")
        {
            Description = $"The S3-compatible server of s3:// locations (default: ${R2BucketProvider.S3EndpointVariable}); also overrides R2_ENDPOINT for r2:// ones. r2:// takes R2_ACCOUNT_ID (or R2_ENDPOINT), R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY from the environment; s3:// takes AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (else the R2_ ones).",
            HelpName = "URL",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print no summary or progress on stderr (errors are still printed)." };

        var command = new Command(
            "convert",
            "Convert one Logpush object (gzip'd ndjson or csv) to RFC 4180 CSV, streaming in memory bounded by the longest line (at peak about 5 times it, whatever the input's size). A one-line summary goes to stderr.\n"
            + ExitCodes.HelpText);
        command.Arguments.Add(input);
        command.Options.Add(output);
        var transform = TransformOptionsBinder.AddTo(command);
        command.Options.Add(quarantine);
        command.Options.Add(endpoint);
        command.Options.Add(quiet);

        command.Validators.Add(result =>
        {
            var policy = TransformOptionsBinder.ValueOrDefault(result, transform.OnBadLine);
            var quarantinePath = TransformOptionsBinder.ValueOrDefault(result, quarantine);
            var outputPath = TransformOptionsBinder.ValueOrDefault(result, output);
            if (quarantinePath is not null && policy != "quarantine")
            {
                result.AddError("--quarantine PATH is only used with --on-bad-line quarantine.");
            }
            else if (policy == "quarantine" && quarantinePath is null && outputPath is null or CliStreams.StandardStream)
            {
                result.AddError("--on-bad-line quarantine while writing to stdout needs --quarantine PATH.");
            }
            else if (quarantinePath is not null && outputPath is not null && (quarantinePath == outputPath || FileIdentity.IsSameFile(quarantinePath, outputPath)))
            {
                result.AddError("--quarantine must not be the output file.");
            }
        });

        command.SetGuardedAction(async (parseResult, cancellationToken) =>
        {
            var transformer = transform.CreateTransformer(parseResult);
            var outputPath = parseResult.GetValue(output);
            var quarantinePath = transform.GetBadLinePolicy(parseResult) == BadLinePolicy.Quarantine
                ? parseResult.GetValue(quarantine) ?? outputPath + QuarantineSuffix
                : null;
            var isQuiet = parseResult.GetValue(quiet);
            var stopwatch = Stopwatch.StartNew();

            var endpointUrl = parseResult.GetValue(endpoint);
            var inputPath = parseResult.GetRequiredValue(input);
            RefuseOverwritingInput(inputPath, outputPath, "--output");
            RefuseOverwritingInput(inputPath, quarantinePath, "--quarantine");
            await using var source = await CliStreams.OpenInputAsync(inputPath, endpointUrl, cancellationToken);
            await using var target = CliStreams.CreateOutput(outputPath, "--output", endpointUrl, LogpushObjectProcessor.ContentTypeFor(transformer.Options), cancellationToken);
            await using var badLines = quarantinePath is null ? null : CliStreams.CreateOutput(quarantinePath, "--quarantine", endpointUrl, LogpushObjectProcessor.QuarantineContentType, cancellationToken);
            TransformResult result;
            using (var progress = ConsoleProgress.CreateForStandardError($"converting {CliText.OneLine(source.Name)}", isQuiet))
            {
                var context = new TransformContext { SourceName = source.Name, Quarantine = badLines?.Stream, Progress = progress };
                result = await transformer.TransformAsync(source.Stream, target.Stream, context, cancellationToken);
                await CommitAsync(target, badLines, cancellationToken);
            }

            if (!isQuiet)
            {
                var summary = TransformSummary.Format(source.Name, target.Name, result, stopwatch.Elapsed);
                if (badLines is not null && result.BadLines > 0)
                {
                    summary += $"; bad lines in {badLines.Name}";
                }

                await parseResult.InvocationConfiguration.Error.WriteLineAsync("logpushkit: " + CliText.OneLine(summary));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Makes the quarantine and then the output visible; when the output cannot be committed, the committed quarantine
    /// is removed again, so a failed convert leaves neither.
    /// </summary>
    private static async Task CommitAsync(CliOutput target, CliOutput? badLines, CancellationToken cancellationToken)
    {
        if (badLines is null)
        {
            await target.CommitAsync(cancellationToken);
            return;
        }

        await badLines.CommitAsync(cancellationToken);
        try
        {
            await target.CommitAsync(cancellationToken);
        }
        catch
        {
            await badLines.RevokeAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Refuses an output that is the input itself: the same file (by path, symbolic link or hard link), or the same
    /// bucket object. Writing it would replace the source with its own conversion.
    /// </summary>
    private static void RefuseOverwritingInput(string input, string? output, string setting)
    {
        if (output is null || input == CliStreams.StandardStream || output == CliStreams.StandardStream)
        {
            return;
        }

        var same = CliStreams.IsBucketUri(input) || CliStreams.IsBucketUri(output)
            ? BucketLocation.TryParse(input, out var a, out _) && BucketLocation.TryParse(output, out var b, out _)
              && a.IsBucket && a.Kind == b.Kind && a.Bucket == b.Bucket && a.Key == b.Key
            : FileIdentity.IsSameFile(input, output);
        if (same)
        {
            throw new UsageException($"{setting}: '{output}' is the input itself; convert would replace its source with the CSV. Write to another name.");
        }
    }
}
