using System.CommandLine;
using System.CommandLine.Help;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>The root command and the invocation rules every command shares (usage errors → exit 2, Ctrl-C → cancel).</summary>
internal static class CliApplication
{
    /// <summary>The command name (the assembly is LogpushKit.Cli; the executable and help text say this).</summary>
    public const string CommandName = "logpushkit";

    /// <summary>
    /// Creates the root command, named <c>logpushkit</c> whatever the executable is called, with help and version
    /// options; Program.cs adds one line per command.
    /// </summary>
    public static Command CreateRootCommand()
    {
        // Not RootCommand: its name is the entry assembly's file name (LogpushKit.Cli), which help would print.
        var root = new Command(CommandName, "Cloudflare Logpush objects (gzip'd ndjson/csv in R2) to SIEM-ready RFC 4180 CSV.\n" + ExitCodes.HelpText);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }

    /// <summary>
    /// Parses and runs. Parse errors print one line each plus a hint on stderr and give <see cref="ExitCodes.Usage"/>;
    /// Ctrl-C / SIGTERM cancel the command's token and it gets a few seconds to clean up (delete temporary files).
    /// </summary>
    public static async Task<int> InvokeAsync(Command root, string[] args)
    {
        var parseResult = root.Parse(args);
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(3) };
        if (parseResult.Errors.Count > 0 && parseResult.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await configuration.Error.WriteLineAsync($"logpushkit: {error.Message}");
            }

            var path = string.Join(' ', CommandPath(parseResult.CommandResult.Command));
            await configuration.Error.WriteLineAsync($"Run '{path} --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parseResult.InvokeAsync(configuration);
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new Stack<string>();
        for (Symbol? symbol = command; symbol is not null; symbol = symbol.Parents.FirstOrDefault())
        {
            names.Push(symbol.Name);
        }

        return names;
    }
}
