namespace LogpushKit.Testing;

/// <summary>
/// Keeps every test process (and the CLI and worker processes it starts, which inherit its environment) away from the
/// user's conversion state database: hosts default <c>--state</c> / <c>LogpushKit:State</c> to
/// <c>$XDG_STATE_HOME/logpushkit/state.db</c> for a folder target, so the test process points XDG_STATE_HOME at a
/// folder of its own under the temporary folder.
/// </summary>
public static class TestStateHome
{
    /// <summary>Sets XDG_STATE_HOME for this process to a fresh folder of its own; returns the folder.</summary>
    public static string Isolate()
    {
        var home = Path.Combine(Path.GetTempPath(), "logpushkit-tests-state", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(home);
        Environment.SetEnvironmentVariable("XDG_STATE_HOME", home);
        return home;
    }
}
