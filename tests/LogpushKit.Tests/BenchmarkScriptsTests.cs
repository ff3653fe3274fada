using System.Text.RegularExpressions;
using LogpushKit.Testing;

namespace LogpushKit.Tests;

/// <summary>
/// The project's benchmark scripts and documents stand on their own: a user's clone has nothing beside the repository,
/// and each script's default CLI is the one the script itself builds (and is checked before it is timed).
/// </summary>
public sealed partial class BenchmarkScriptsTests
{
    private static readonly string[] TextExtensions = [".md", ".sh", ".py", ".cs", ".csproj", ".props", ".json", ".txt", ".yml", ".yaml"];

    [Fact]
    public void ProjectFiles_PointNowhereBesideTheRepository()
    {
        // built from pieces, so that this file does not name what it looks for
        string[] outside = ["../" + "shared", "/work/" + "shared"];
        var offending = new List<string>();
        foreach (var file in ProjectFiles())
        {
            var text = File.ReadAllText(file);
            offending.AddRange(outside.Where(o => text.Contains(o, StringComparison.Ordinal)).Select(o => $"{Path.GetRelativePath(RepositoryLayout.Root, file)}: {o}"));
        }

        Assert.Empty(offending);
    }

    [Fact]
    public void BenchmarkScripts_DefaultCliIsWhatTheScriptBuildsAndIsCheckedFirst()
    {
        var scripts = Directory.GetFiles(Path.Combine(RepositoryLayout.Root, "benchmarks"), "*.sh");
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            var name = Path.GetFileName(script);
            var code = string.Join('\n', File.ReadAllLines(script).Where(l => !l.TrimStart().StartsWith('#')));
            foreach (Match cli in DefaultCli().Matches(code))
            {
                var folder = cli.Groups["folder"].Value;
                var built = folder == "publish" ? "dotnet publish \"$root/samples/LogpushKit.Cli\"" : "dotnet build \"$root/samples/LogpushKit.Cli\"";
                Assert.True(code.Contains(built, StringComparison.Ordinal), $"{name}: its default CLI is under artifacts/{folder}/ but it does not run {built}");
                // the command name the CLI project copies beside its build and its publish output alike
                Assert.Equal("logpushkit", cli.Groups["file"].Value);
                Assert.True(ExecutableCheck().IsMatch(code), $"{name}: the CLI is not checked (-x) before it is timed");
            }
        }
    }

    private static IEnumerable<string> ProjectFiles()
    {
        var root = RepositoryLayout.Root;
        var top = new[] { "README.md", "CONTRIBUTING.md", "CHANGELOG.md" }.Select(f => Path.Combine(root, f)).Where(File.Exists);
        var folders = new[] { "benchmarks", "docs", "samples", "src", "tests" }.Select(f => Path.Combine(root, f)).Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
            .Where(f => TextExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or "node_modules" or "BenchmarkDotNet.Artifacts"));
        return top.Concat(folders);
    }

    [GeneratedRegex(@"artifacts/(?<folder>bin|publish)/LogpushKit\.Cli/release/(?<file>[\w.]+)")]
    private static partial Regex DefaultCli();

    [GeneratedRegex(@"\[\[ -x \$(cli|CLI) \]\] \|\|")]
    private static partial Regex ExecutableCheck();
}
