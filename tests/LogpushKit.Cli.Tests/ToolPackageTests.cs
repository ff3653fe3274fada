using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml.Linq;

namespace LogpushKit.Cli.Tests;

/// <summary>
/// The CLI as users get it: <c>dotnet pack</c> of the real project into a temporary folder (its own artifacts folder, so
/// the suite's build is untouched), <c>dotnet tool install --tool-path</c> from that folder only (no other package source,
/// its own package cache), then the installed <c>logpushkit</c> converts a generated object. Offline: restore is served by
/// the machine's package cache, which the suite's own build has already filled.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private const string Ndjson =
        "{\"ClientIP\":\"192.0.2.1\",\"Text\":\"a,\\\"b\\\"\",\"N\":12.50}\n" +
        "{\"ClientIP\":\"2001:db8::1\",\"Text\":\"line\\nbreak\",\"N\":-3}\n";

    private const string ExpectedCsv = "ClientIP,Text,N\n192.0.2.1,\"a,\"\"b\"\"\",12.50\n2001:db8::1,\"line\nbreak\",-3\n";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "logpushkit-tool-tests", Guid.NewGuid().ToString("N"));

    public ToolPackageTests() => Directory.CreateDirectory(_root);

    /// <summary>Where the Native AOT package is made: Linux x64 with a C toolchain (the project's own condition).</summary>
    private static bool CanAot =>
        OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64
        && (File.Exists("/usr/bin/gcc") || File.Exists("/usr/bin/clang"));

    [Fact]
    public async Task PackInstallConvert_InstalledToolConvertsAndFallbackPackageRunsOnDotnet()
    {
        var packages = Directory.CreateDirectory(Path.Combine(_root, "packages")).FullName;
        var input = Path.Combine(_root, "batch.log.gz");
        await File.WriteAllBytesAsync(input, Gzip(Ndjson));

        // 1. dotnet pack, exactly as the README says, into a temporary folder.
        var project = Path.Combine(RepositoryRoot(), "samples", "LogpushKit.Cli", "LogpushKit.Cli.csproj");
        var pack = await RunAsync(
            "dotnet", ["pack", project, "-c", "Release", "-o", packages, "-p:ArtifactsPath=" + Path.Combine(_root, "artifacts"), "--disable-build-servers", "-nodeReuse:false"],
            TimeSpan.FromMinutes(12));
        Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);

        var expected = CanAot
            ? new[] { "LogpushKit.Cli.0.1.0.nupkg", "LogpushKit.Cli.any.0.1.0.nupkg", "LogpushKit.Cli.linux-x64.0.1.0.nupkg" }
            : ["LogpushKit.Cli.0.1.0.nupkg"];
        Assert.Equal(expected, Directory.GetFiles(packages).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The package users install names the command and, with AOT, the RID-specific packages (linux-x64, then any).
        var settings = ToolSettings(Path.Combine(packages, "LogpushKit.Cli.0.1.0.nupkg"));
        Assert.Equal("logpushkit", settings.Descendants("Command").Single().Attribute("Name")?.Value);
        var rids = settings.Descendants("RuntimeIdentifierPackage").Select(p => p.Attribute("RuntimeIdentifier")?.Value).ToArray();
        Assert.Equal(CanAot ? ["linux-x64", "any"] : Array.Empty<string>(), rids);

        // 2. dotnet tool install --tool-path, from that folder alone, into a package cache of its own (a stale
        //    LogpushKit.Cli 0.1.0 in the machine's cache must not stand in for the package just made).
        var config = Path.Combine(_root, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        var tools = Path.Combine(_root, "tools");
        var install = await RunAsync(
            "dotnet", ["tool", "install", "LogpushKit.Cli", "--tool-path", tools, "--configfile", config],
            TimeSpan.FromMinutes(3), new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_root, "nuget-cache") });
        Assert.True(install.ExitCode == 0, "dotnet tool install failed:\n" + install.Output);

        // 3. The installed command converts.
        var command = Path.Combine(tools, OperatingSystem.IsWindows() ? "logpushkit.exe" : "logpushkit");
        var output = Path.Combine(_root, "installed.csv");
        var convert = await RunAsync(command, ["convert", input, "-o", output], TimeSpan.FromMinutes(1));
        Assert.True(convert.ExitCode == 0, "logpushkit convert failed:\n" + convert.Output);
        Assert.Equal(ExpectedCsv, await File.ReadAllTextAsync(output));
        Assert.Contains("2 records, 2 rows, 0 bad lines", convert.Output, StringComparison.Ordinal);

        if (!CanAot)
        {
            return;
        }

        // With AOT, the command is the native binary of the linux-x64 package (an ELF file, no LogpushKit.Cli.dll beside it) ...
        var target = new FileInfo(command).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? command;
        Assert.Contains(Path.Combine("logpushkit.cli.linux-x64", "0.1.0", "tools", "any", "linux-x64"), target, StringComparison.Ordinal);
        var magic = new byte[4];
        await using (var binary = File.OpenRead(target))
        {
            await binary.ReadExactlyAsync(magic);
        }

        Assert.Equal("\u007fELF"u8.ToArray(), magic);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(target)!, "LogpushKit.Cli.dll")));

        // ... and the `any` package, which every other platform installs, is framework-dependent and converts the same.
        var any = Path.Combine(_root, "any");
        await ZipFile.ExtractToDirectoryAsync(Path.Combine(packages, "LogpushKit.Cli.any.0.1.0.nupkg"), any);
        var anyTool = Path.Combine(any, "tools", "net10.0", "any");
        var anySettings = XDocument.Load(Path.Combine(anyTool, "DotnetToolSettings.xml"));
        var anyCommand = anySettings.Descendants("Command").Single();
        Assert.Equal(("logpushkit", "dotnet", "LogpushKit.Cli.dll"), (anyCommand.Attribute("Name")?.Value, anyCommand.Attribute("Runner")?.Value, anyCommand.Attribute("EntryPoint")?.Value));
        var anyOutput = Path.Combine(_root, "any.csv");
        var anyConvert = await RunAsync("dotnet", [Path.Combine(anyTool, "LogpushKit.Cli.dll"), "convert", input, "-o", anyOutput], TimeSpan.FromMinutes(1));
        Assert.True(anyConvert.ExitCode == 0, "the framework-dependent package's convert failed:\n" + anyConvert.Output);
        Assert.Equal(ExpectedCsv, await File.ReadAllTextAsync(anyOutput));

        // Tool packages carry what runs: no symbols or XML docs (the AOT .dbg file alone is ~37 MB).
        foreach (var package in Directory.GetFiles(packages))
        {
            await using var zip = await ZipFile.OpenReadAsync(package);
            Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith(".dbg", StringComparison.Ordinal) || e.FullName.EndsWith(".pdb", StringComparison.Ordinal) || (e.FullName.StartsWith("tools/", StringComparison.Ordinal) && e.FullName.EndsWith(".xml", StringComparison.Ordinal) && !e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal)));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a leftover temp folder does not fail a test
        }
    }

    private static XDocument ToolSettings(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var entry = zip.Entries.Single(e => e.Name == "DotnetToolSettings.xml");
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return buffer.ToArray();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LogpushKit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LogpushKit.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed record Run(int ExitCode, string Output);

    /// <summary>Runs a process to the end within <paramref name="timeout"/> (killed, with its children, past it).</summary>
    private static async Task<Run> RunAsync(string fileName, IReadOnlyList<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";

        // The test host's MSBuild settings must not steer the child's build.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start " + fileName);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return new Run(process.ExitCode, await stdout + await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in {timeout}.");
        }
    }
}

/// <summary>
/// CLI manners (the built CLI as a child process): a mistyped command gets the command it most likely means; <c>fields</c>
/// without credentials points at <c>--offline</c>.
/// </summary>
public sealed class CliMannersTests
{
    private static readonly Dictionary<string, string> NoCloudflare = new()
    {
        ["CLOUDFLARE_API_TOKEN"] = string.Empty,
        ["CLOUDFLARE_EMAIL"] = string.Empty,
        ["CLOUDFLARE_API_KEY"] = string.Empty,
        ["CLOUDFLARE_ACCOUNT_ID"] = string.Empty,
        ["CLOUDFLARE_ZONE_ID"] = string.Empty,
    };

    [Theory]
    [InlineData("conver x.log.gz", "Did you mean 'logpushkit convert'?")]
    [InlineData("job list", "Did you mean 'logpushkit jobs'?")]
    [InlineData("queues consumer list", "Did you mean 'logpushkit queues consumers'?")]
    public async Task MistypedCommand_SuggestsTheNearestOne(string line, string suggestion)
    {
        var run = await CliProcess.RunAsync(line.Split(' '));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(suggestion, run.StandardError.Split('\n').Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public async Task UnrelatedWord_NoSuggestion()
    {
        var run = await CliProcess.RunAsync("xyz");

        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("Did you mean", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_WithoutCredentials_SuggestsOffline()
    {
        var run = await CliProcess.RunAsync(["fields", "gateway_http"], stdin: null, environment: NoCloudflare);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("CLOUDFLARE_API_TOKEN", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("Or add --offline for the documented fields of 'gateway_http', without credentials.", run.StandardError, StringComparison.Ordinal);

        var offline = await CliProcess.RunAsync(["fields", "gateway_http", "--offline"], stdin: null, environment: NoCloudflare);
        Assert.Equal(0, offline.ExitCode);
        Assert.Contains("Datetime", offline.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_UnknownDatasetWithoutCredentials_DoesNotSuggestOffline()
    {
        var run = await CliProcess.RunAsync(["fields", "no_such_dataset"], stdin: null, environment: NoCloudflare);

        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("--offline", run.StandardError, StringComparison.Ordinal);
    }
}
