namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// A command-line mistake found after parsing (e.g. a combination of options that cannot work). Reported as one line,
/// exit code <see cref="ExitCodes.Usage"/>.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
