namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// The process exit codes of every <c>logpushkit</c> command. Documented in <c>--help</c> and the README; tests pin them.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Success = 0;

    /// <summary>An I/O, network or other runtime failure (file not found, permission denied, disk full, server error).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong (unknown option, bad value, missing argument), as System.CommandLine reports it.</summary>
    public const int Usage = 2;

    /// <summary>The input data is bad: corrupt or truncated gzip, a malformed JSON line, too many decompressed bytes.</summary>
    public const int DataError = 3;

    /// <summary>Cancelled by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Canceled = 130;

    /// <summary>
    /// The reader of stdout went away (a closed pipe, e.g. <c>convert big.log.gz | head</c>): the command stops at the first
    /// write that fails. 128 + SIGPIPE, the status a shell shows for any Unix filter killed by SIGPIPE (.NET ignores the
    /// signal and sees the EPIPE error instead), so pipelines with <c>set -o pipefail</c> treat it as they treat
    /// <c>yes | head</c>, and scripts can tell it from a real I/O failure (1).
    /// </summary>
    public const int BrokenPipe = 141;

    /// <summary>
    /// What a command's description ends with: the exit codes are listed once, by <c>logpushkit --help</c>
    /// (<see cref="CliHelp.SharedText"/>).
    /// </summary>
    public const string HelpText = CliHelp.Reference;
}
