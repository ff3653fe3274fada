using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text.RegularExpressions;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// The help layout of every command, in one place: a command list shows each command by its first sentence;
/// <c>logpushkit --help</c> explains once what the commands share (Cloudflare and bucket settings, the transform options, exit codes); a command's
/// help keeps its own description, ends it with <see cref="Reference"/>, and lists its required options first.
/// </summary>
/// <remarks>
/// System.CommandLine 2.0 keeps its <c>HelpBuilder</c> internal: the public ways to shape help are the command tree
/// itself (the order of <see cref="Command.Options"/>, descriptions) and the help option's action. <see cref="Apply"/>
/// orders the options once, after every command is added (so a command file that adds a required option anywhere
/// still gets it listed first), and wraps the default <see cref="HelpAction"/>, which still renders every section.
/// </remarks>
internal static partial class CliHelp
{
    /// <summary>The line a command's description ends with instead of repeating what the top-level help explains.</summary>
    public const string Reference =
        "Cloudflare and bucket settings, the transform options and the exit codes every command shares: see 'logpushkit --help'.";

    /// <summary>What <c>logpushkit --help</c> adds after the commands: everything the commands share, said once.</summary>
    public static readonly string SharedText = string.Join(
        '\n',
        "Cloudflare API settings (jobs, fields, setup, consume, notifications, queues; run's and consume's job listing):",
        "  Credentials only from the environment (a token on a command line shows in process lists):",
        "    CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY (the legacy global key).",
        "  Account and zone: --account-id / --zone-id, else CLOUDFLARE_ACCOUNT_ID / CLOUDFLARE_ZONE_ID.",
        "  API base URL: --api-base, else CLOUDFLARE_API_BASE_URL, else https://api.cloudflare.com/client/v4/.",
        "  Anything missing or malformed is one usage error (exit 2) naming every such setting at once. A call answered",
        "  with 429 or 5xx (or timed out) is retried with backoff, one 'retrying ...' line on stderr per retry.",
        string.Empty,
        "Bucket locations (--source, --target: r2://bucket/folder, s3://bucket/folder, or a local folder):",
        "  r2://  R2_ACCOUNT_ID (or R2_ENDPOINT, or --endpoint), R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY.",
        "  s3://  --endpoint or LOGPUSHKIT_S3_ENDPOINT; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (else the R2_ ones).",
        string.Empty,
        "Transform options (convert, run, consume):",
        "  --fields, --no-header, --dataset, --columns, --on-new-keys, --input-format, --delimiter, --crlf, --bom,",
        "  --timestamps, --timestamp-fields, --timestamp-input, --time-zone, --on-bad-line, --fail-on-unknown-keys,",
        "  --escape-formulas, --max-line-bytes, --max-output-bytes, --newlines-in-cells mean the same in every command",
        "  (and in the worker's LogpushKit:Transform section). convert takes the columns from the first record unless",
        "  told otherwise; run and consume tell each object's dataset (--dataset auto) and write its columns",
        "  (--columns dataset). An option that cannot apply with the others is a usage error, never ignored.",
        string.Empty,
        "Exit codes:",
        "  0    success",
        "  1    I/O, bucket, network or Cloudflare API failure (HTTP status, Cloudflare error codes and cf-ray printed)",
        "  2    usage error: unknown option, bad value, options that do not fit together, missing settings or credentials",
        "  3    bad input data: corrupt gzip, malformed line, size limit",
        "  130  cancelled (Ctrl-C, SIGTERM) before the work was done; run --watch and consume end that way",
        "       with their summary and exit 0, 3 or 1",
        "  141  stdout closed by its reader (broken pipe, as SIGPIPE)");

    /// <summary>
    /// Applies the layout to <paramref name="root"/> and every command under it; call once, after all commands are added.
    /// </summary>
    public static void Apply(Command root)
    {
        foreach (var command in SelfAndDescendants(root))
        {
            RequiredFirst(command);
            if (command != root && command.Description?.Contains(Reference, StringComparison.Ordinal) != true)
            {
                command.Description = string.IsNullOrEmpty(command.Description) ? Reference : command.Description.TrimEnd() + "\n" + Reference;
            }

            foreach (var help in command.Options.OfType<HelpOption>())
            {
                if (help.Action is HelpAction builtIn)
                {
                    help.Action = new SharedHelpAction(root, builtIn);
                }
            }
        }
    }

    /// <summary>The first sentence of a description, what the top-level command list shows (a long one up to its first ':' or ';').</summary>
    internal static string Summary(string? description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            return string.Empty;
        }

        var firstLine = description.Split('\n', 2)[0].Trim();
        var end = SentenceEnd().Match(firstLine);
        var sentence = end.Success ? firstLine[..(end.Index + 1)] : firstLine;
        // a long sentence keeps its main clause: what comes before its first ':' or ';'
        var clause = sentence.IndexOfAny([':', ';']);
        return sentence.Length > 120 && clause > 0 ? sentence[..clause] + "." : sentence;
    }

    // Stable: required options keep their order among themselves, the others too.
    private static void RequiredFirst(Command command)
    {
        var ordered = command.Options.Where(o => o.Required).Concat(command.Options.Where(o => !o.Required)).ToList();
        if (ordered.SequenceEqual(command.Options))
        {
            return;
        }

        command.Options.Clear();
        foreach (var option in ordered)
        {
            command.Options.Add(option);
        }
    }

    private static IEnumerable<Command> SelfAndDescendants(Command command)
    {
        yield return command;
        foreach (var child in command.Subcommands.SelectMany(SelfAndDescendants))
        {
            yield return child;
        }
    }

    // A full stop followed by a space or the end, not the one of "e.g." or "i.e.".
    [GeneratedRegex(@"(?<!\be\.g|\bi\.e)\.(?=\s|$)")]
    private static partial Regex SentenceEnd();

    /// <summary>
    /// The built-in help, with a command list shortened to first sentences (each command's own help has the rest) and, at
    /// the top level, the shared text after it. Help ends the process; the shortened descriptions are put back anyway.
    /// </summary>
    private sealed class SharedHelpAction(Command root, HelpAction builtIn) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var command = parseResult.CommandResult.Command;
            var full = command.Subcommands.ToDictionary(c => c, c => c.Description);
            try
            {
                foreach (var subcommand in command.Subcommands)
                {
                    subcommand.Description = Summary(subcommand.Description);
                }

                var result = builtIn.Invoke(parseResult);
                if (command == root)
                {
                    var output = parseResult.InvocationConfiguration.Output;
                    output.WriteLine(SharedText);
                    output.WriteLine();
                }

                return result;
            }
            finally
            {
                foreach (var (subcommand, description) in full)
                {
                    subcommand.Description = description;
                }
            }
        }
    }
}
