using System.CommandLine;
using LogpushKit.Storage;
using LogpushKit.Transform;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Maps what a command throws to one line on stderr and an exit code (<see cref="ExitCodes"/>), so expected failures
/// never show a stack trace. Every command sets its action through <see cref="SetGuardedAction"/>.
/// </summary>
internal static class CommandFailures
{
    /// <summary>
    /// Sets <paramref name="action"/> as the command's action, with exceptions mapped by <see cref="Report"/>. The token
    /// is cancelled on Ctrl-C / SIGTERM.
    /// </summary>
    public static void SetGuardedAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action)
        => command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await action(parseResult, cancellationToken);
            }
            catch (Exception exception)
            {
                return Report(exception, parseResult.InvocationConfiguration.Error, cancellationToken.IsCancellationRequested);
            }
        });

    /// <summary>Writes one line for <paramref name="exception"/> to <paramref name="error"/> and returns the exit code.</summary>
    public static int Report(Exception exception, TextWriter error, bool canceled)
    {
        var (code, message) = Classify(exception, canceled);
        error.WriteLine($"logpushkit: {message}");
        return code;
    }

    /// <summary>
    /// The exit code and the one line for <paramref name="exception"/>: in the user's names, control characters escaped,
    /// and secrets masked (<see cref="CliText.ForUser"/>) — also in the text of an exception LogpushKit did not expect,
    /// which may quote a URL with credentials or a token a server echoed. Usage and setting errors are the exception: the
    /// CLI and LogpushKit build them from setting names and checked values, never from a secret
    /// (<see cref="LogpushSettingException"/>), and prose such as "no credentials: set …" must not read as a secret pair.
    /// </summary>
    internal static (int Code, string Message) Classify(Exception exception, bool canceled)
    {
        var (code, message) = exception switch
        {
            OperationCanceledException when canceled => (ExitCodes.Canceled, "cancelled"),
            _ when CliStreams.IsBrokenPipe(exception) => (ExitCodes.BrokenPipe, "stdout was closed by its reader (broken pipe); stopped before the output was complete."),
            UsageException or LogpushSettingException => (ExitCodes.Usage, exception.Message),
            TransformOptionsException options => (ExitCodes.Usage, TransformOptionsBinder.Describe(options)),
            LogpushDataException data => (ExitCodes.DataError, "bad input: " + TransformOptionsBinder.Describe(data)),
            LogpushKitException => (ExitCodes.Failure, exception.Message),
            FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException
                => (ExitCodes.Failure, exception.Message),
            _ => (ExitCodes.Failure, $"unexpected error: {exception.GetType().Name}: {exception.Message}"),
        };
        return (code, CliText.ForUser(message, mask: code != ExitCodes.Usage));
    }
}
