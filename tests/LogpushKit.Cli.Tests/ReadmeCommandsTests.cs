using System.Text.RegularExpressions;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests;

/// <summary>
/// The README's command examples stay honest: every <c>logpushkit</c> line of its <c>sh</c> blocks names a command the CLI
/// has, with flags that command's help lists.
/// </summary>
public sealed partial class ReadmeCommandsTests
{
    public static TheoryData<string> ExampleLines() => [.. Examples()];

    [Fact]
    public void ExampleLines_CoverTheOperationalCommands()
    {
        var commands = Examples();

        foreach (var expected in new[] { "logpushkit setup ", "logpushkit notifications list ", "logpushkit notifications remove ", "logpushkit queues consumers list ", "logpushkit queues consumers add ", "logpushkit queues consumers remove ", "logpushkit jobs validate ", "logpushkit jobs ownership ", "--exit-when-empty", "--empty-pulls", "--max-failure-duration" })
        {
            Assert.Contains(commands, c => c.Contains(expected, StringComparison.Ordinal));
        }
    }

    private static List<string> Examples()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "README.md"));
        var lines = new List<string>();
        foreach (Match block in ShellBlock().Matches(readme))
        {
            // a line ending in '\' continues on the next one
            var text = block.Groups["body"].Value.Replace("\\\n", " ", StringComparison.Ordinal);
            foreach (var line in text.Split('\n'))
            {
                var command = line.Split('#')[0].Split('|')[^1].Trim();
                if (command.StartsWith("logpushkit ", StringComparison.Ordinal))
                {
                    lines.Add(command);
                }
            }
        }

        return lines;
    }

    [Theory]
    [MemberData(nameof(ExampleLines))]
    public async Task ExampleLine_CommandAndFlagsExist(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var path = words.TakeWhile(w => !w.StartsWith('-') && !w.Contains('/', StringComparison.Ordinal) && !w.Contains('.', StringComparison.Ordinal) && !w.StartsWith('<')).ToList();
        var help = await CliProcess.RunAsync([.. path, "--help"]);

        Assert.True(help.ExitCode == 0, $"'{string.Join(' ', path)}' is not a command: {help.StandardError}");
        foreach (var flag in words.Where(w => w.StartsWith("--", StringComparison.Ordinal)))
        {
            Assert.True(help.StandardOutput.Contains(flag + " ", StringComparison.Ordinal) || help.StandardOutput.Contains(flag + ",", StringComparison.Ordinal), $"{line}: '{string.Join(' ', path)}' has no {flag}");
        }
    }

    [GeneratedRegex("```sh\\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
