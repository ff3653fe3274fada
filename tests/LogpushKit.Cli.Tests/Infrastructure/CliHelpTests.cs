using System.Text.RegularExpressions;

namespace LogpushKit.Cli.Tests.Infrastructure;

/// <summary>
/// The help layout (CliHelp) through the real process: every command's <c>--help</c>, found by walking the command lists
/// the help itself prints, lists its required options first; what the commands share is printed once, by
/// <c>logpushkit --help</c>, and each command refers to it.
/// </summary>
public sealed partial class CliHelpTests
{
    private const string Reference = "see 'logpushkit --help'";

    // One line of each shared block: in the top-level help once, in no command's help.
    private static readonly string[] SharedLines =
    [
        "CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY",
        "141  stdout closed by its reader",
        "Transform options (convert, run, consume):",
        "r2://  R2_ACCOUNT_ID",
    ];

    // What the commands' descriptions used to repeat, each time: in no help at all any more.
    private static readonly string[] FormerRepeats =
    [
        "Credentials: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY)",
        "Exit codes: 0 success;",
    ];

    [Fact]
    public async Task Help_TopLevel_SharedTextOnceAndCommandsBySummary()
    {
        var run = await CliProcess.RunAsync("--help");

        Assert.True(run.ExitCode == 0, run.StandardError);
        foreach (var line in SharedLines)
        {
            Assert.Equal(1, Count(run.StandardOutput, line));
        }

        foreach (var repeat in FormerRepeats)
        {
            Assert.DoesNotContain(repeat, run.StandardOutput, StringComparison.Ordinal);
        }

        // the command list shows first sentences: setup's whole paragraph (the ownership challenge…) stays in 'setup --help'
        Assert.Contains("setup", Commands(run.StandardOutput));
        Assert.DoesNotContain("ownership challenge", run.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  run\s+Convert every Logpush object .* then exit\.$", run.StandardOutput);
    }

    [Fact]
    public async Task Help_EveryCommand_RequiredOptionsFirstAndSharedTextOnlyByReference()
    {
        var root = await CliProcess.RunAsync("--help");
        var pending = new Queue<string[]>(Commands(root.StandardOutput).Select(c => new[] { c }));
        var seen = new List<string>();
        while (pending.TryDequeue(out var path))
        {
            var run = await CliProcess.RunAsync([.. path, "--help"]);
            var name = string.Join(' ', path);
            seen.Add(name);
            Assert.True(run.ExitCode == 0, $"{name} --help: {run.StandardError}");
            var help = run.StandardOutput;

            var options = OptionRows(help);
            Assert.NotEmpty(options);
            var firstOptional = options.FindIndex(o => !o.Required);
            var lastRequired = options.FindLastIndex(o => o.Required);
            if (lastRequired > firstOptional && firstOptional >= 0)
            {
                Assert.Fail($"{name} --help lists {options[lastRequired].Name} (required) after {options[firstOptional].Name} (optional)");
            }

            Assert.True(Count(help, Reference) == 1, $"{name} --help should refer to the top-level help once:\n{help}");
            foreach (var line in SharedLines.Concat(FormerRepeats))
            {
                Assert.False(help.Contains(line, StringComparison.Ordinal), $"{name} --help repeats '{line}'");
            }

            foreach (var child in Commands(help))
            {
                pending.Enqueue([.. path, child]);
            }
        }

        // the walk reached the commands with required options and the nested ones
        Assert.Contains("run", seen);
        Assert.Contains("setup", seen);
        Assert.Contains("jobs create", seen);
        Assert.Contains("queues consumers", seen);
    }

    [Fact]
    public async Task Help_Run_RequiredSourceAndTargetBeforeTheTransformOptions()
    {
        var run = await CliProcess.RunAsync("run", "--help");

        var names = OptionRows(run.StandardOutput).Select(o => o.Name).ToList();
        Assert.Equal(["--source", "--target"], names.Take(2));
        Assert.True(names.IndexOf("--fields") > 1);
    }

    private static int Count(string text, string value) => Regex.Matches(text, Regex.Escape(value)).Count;

    /// <summary>The subcommand names of a help text's Commands section.</summary>
    private static List<string> Commands(string help) => Section(help, "Commands:").Select(l => CommandRow().Match(l)).Where(m => m.Success).Select(m => m.Groups["name"].Value).ToList();

    /// <summary>The option rows of a help text's Options section, in order (wrapped continuation lines skipped).</summary>
    private static List<(string Name, bool Required)> OptionRows(string help) =>
        [.. Section(help, "Options:").Select(l => OptionRow().Match(l)).Where(m => m.Success)
            .Select(m => (m.Groups["name"].Value, m.Value.Contains("(REQUIRED)", StringComparison.Ordinal)))];

    private static IEnumerable<string> Section(string help, string title) =>
        help.Split('\n').Select(l => l.TrimEnd('\r')).SkipWhile(l => l != title).Skip(1).TakeWhile(l => l.Length > 0);

    // "  --source <...> (REQUIRED)   text" or "  -j, --concurrency <N>   text": the long name of a row
    [GeneratedRegex(@"^  (?:-\S+, )*(?<name>--?[\w?-]+)(?: <[^>]*>)?(?: \(REQUIRED\))?(?=\s{2}|$)")]
    private static partial Regex OptionRow();

    [GeneratedRegex(@"^  (?<name>[a-z][\w-]*)(?: <[^>]*>)*\s{2,}")]
    private static partial Regex CommandRow();
}
