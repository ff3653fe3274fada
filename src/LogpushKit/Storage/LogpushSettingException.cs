namespace LogpushKit.Storage;

/// <summary>
/// A setting a host was given cannot work: a source folder that does not exist, a location with no credentials or
/// endpoint, a target that would overwrite its source. The message is one line that starts with the setting as the
/// user named it (a CLI flag such as <c>--source</c>, a configuration key such as <c>LogpushKit:Source</c>, or an
/// environment variable) and never contains a secret. Hosts report it as a usage or configuration error.
/// </summary>
public sealed class LogpushSettingException : LogpushKitException
{
    /// <summary>Creates the exception; the message is <c>&lt;setting&gt;: &lt;problem&gt;</c>.</summary>
    /// <param name="setting">The setting as the user named it, e.g. <c>--source</c> or <c>LogpushKit:Source</c>.</param>
    /// <param name="problem">What is wrong, in the user's terms, without the setting's name in front.</param>
    public LogpushSettingException(string setting, string problem)
        : base($"{setting}: {problem}")
    {
        ArgumentException.ThrowIfNullOrEmpty(setting);
        Setting = setting;
    }

    /// <summary>The setting as the user named it.</summary>
    public string Setting { get; }
}
