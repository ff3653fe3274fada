using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using LogpushKit.Cloudflare;

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
        var root = new Command(CommandName, "Cloudflare Logpush objects (gzip'd ndjson/csv in R2) to SIEM-ready RFC 4180 CSV.");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }

    /// <summary>How long a cancelled command may take to clean up before the process exits anyway.</summary>
    public static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Parses and runs. Parse errors print one line each plus a hint on stderr and give <see cref="ExitCodes.Usage"/>.
    /// Ctrl-C / SIGTERM cancel the command's token (which deletes its temporary files at once); the command then
    /// returns <see cref="ExitCodes.Canceled"/>, or the process exits with it after <see cref="CancellationGrace"/>.
    /// </summary>
    public static async Task<int> InvokeAsync(Command root, string[] args)
    {
        // the process's own credentials are masked in everything it prints, whichever command runs and whoever echoes them
        SecretRedactor.RegisterEnvironmentSecrets();
        CliHelp.Apply(root);
        var parseResult = root.Parse(args);
        // Our own signal handling instead of System.CommandLine's: its handler can end the process before the
        // command's clean-up has run.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        if (parseResult.Errors.Count > 0 && parseResult.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                // a parse error may quote what was typed (or pasted), control characters and all
                await configuration.Error.WriteLineAsync($"logpushkit: {CliText.Masked(CliText.ParseError(error.Message))}");
            }

            var path = string.Join(' ', CommandPath(parseResult.CommandResult.Command));
            if (SuggestCommand(parseResult) is { } suggestion)
            {
                await configuration.Error.WriteLineAsync($"Did you mean '{path} {suggestion}'?");
            }

            await configuration.Error.WriteLineAsync($"Run '{path} --help' for usage.");
            return ExitCodes.Usage;
        }

        using var cancellation = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await parseResult.InvokeAsync(configuration, cancellation.Token);

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // keep the process alive so the command can clean up
            if (cancellation.IsCancellationRequested)
            {
                return;
            }

            cancellation.Cancel();
            _ = Task.Delay(CancellationGrace).ContinueWith(
                _ =>
                {
                    configuration.Error.WriteLine("logpushkit: cancelled");
                    Environment.Exit(ExitCodes.Canceled);
                },
                TaskScheduler.Default);
        }
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

    /// <summary>
    /// The subcommand a mistyped first word most likely means (<c>conver</c> → <c>convert</c>, <c>job</c> → <c>jobs</c>):
    /// the nearest by edit distance, within two edits and less than half the word; <see langword="null"/> otherwise.
    /// </summary>
    internal static string? SuggestCommand(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        if (parseResult.UnmatchedTokens is not [var typed, ..] || command.Subcommands.Count == 0 || typed.StartsWith('-'))
        {
            return null;
        }

        var lower = typed.ToLowerInvariant();
        var best = command.Subcommands.Select(c => (c.Name, Distance: EditDistance.Between(lower, c.Name))).MinBy(c => c.Distance);
        return best.Name is not null && best.Distance <= Math.Min(2, (typed.Length + 1) / 2) ? best.Name : null;
    }
}
