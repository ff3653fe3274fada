namespace LogpushKit.Testing;

/// <summary>Where things are in the checkout and its build output, found from the running test's output folder.</summary>
public static class RepositoryLayout
{
    /// <summary>The repository root (the folder holding LogpushKit.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// Where <paramref name="project"/>'s own build puts its assembly, beside the running test project's output
    /// (artifacts/bin/&lt;test project&gt;/&lt;config&gt;/ → artifacts/bin/&lt;project&gt;/&lt;config&gt;/&lt;project&gt;.dll);
    /// the file may not exist.
    /// </summary>
    public static string BuiltAssembly(string project)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(testOutput.Parent!.Parent!.FullName, project, testOutput.Name, project + ".dll");
    }

    private static string FindRoot()
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
}
