using LogpushKit.Cloudflare;
using LogpushKit.Hosting;
using LogpushKit.Pipeline;
using LogpushKit.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs a host that has <c>AddLogpushKit</c> the way a service manager expects: readable errors and an exit code.</summary>
public static class LogpushKitHostExtensions
{
    /// <summary>The exit code for a configuration error (a usage error, as the CLI's): 2.</summary>
    public const int ConfigurationErrorExitCode = 2;

    /// <summary>The exit code when the pipeline failed while running: 1.</summary>
    public const int FailureExitCode = 1;

    /// <summary>
    /// Checks the configuration and opens the pipeline (its buckets), then runs the host until it stops. A configuration
    /// error prints one line per problem on stderr, each naming its configuration key (e.g.
    /// <c>LogpushKit:Source: the folder '/data/logpush' does not exist.</c>), with no stack trace, and returns
    /// <see cref="ConfigurationErrorExitCode"/> before anything starts.
    /// </summary>
    /// <remarks>
    /// When the pipeline fails while running (the queue consumer gave up after <c>LogpushKit:Queue:MaxFailureSeconds</c>,
    /// the source can no longer be listed), the worker stops the host; this prints one line
    /// (<c>LogpushKit: stopped by an error: …</c>, secrets masked) and returns <see cref="FailureExitCode"/>. The failure
    /// and the pipeline's health stay readable in <see cref="LogpushKitWorkerState"/>.
    /// </remarks>
    /// <returns>The process exit code: 0 after a normal stop, <see cref="ConfigurationErrorExitCode"/>, or <see cref="FailureExitCode"/> when the pipeline failed.</returns>
    public static async Task<int> RunLogpushKitAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var error = Console.Error;
        try
        {
            host.Services.GetService<IStartupValidator>()?.Validate();
            _ = host.Services.GetRequiredService<LogpushPipeline>();
        }
        catch (Exception ex) when (ConfigurationProblems(ex) is { } problems)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync(OneLine(problem)).ConfigureAwait(false);
            }

            return ConfigurationErrorExitCode;
        }

        var state = host.Services.GetRequiredService<LogpushKitWorkerState>();
        try
        {
            // RunAsync without its dispose: the caller owns the host, and the workers are read after the stop
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // the host has logged it; one line for whoever reads stderr
            await error.WriteLineAsync(OneLine($"{LogpushKitOptions.SectionName}: stopped by an error: {SecretRedactor.MaskText(ex.Message)}")).ConfigureAwait(false);
            return FailureExitCode;
        }

        if (state.Failure is { } failure)
        {
            await error.WriteLineAsync(OneLine($"{LogpushKitOptions.SectionName}: stopped by an error: {SecretRedactor.MaskText(failure.Message)}")).ConfigureAwait(false);
            return FailureExitCode;
        }

        return 0;
    }

    /// <summary>One line: control characters (from keys or paths in a message) escaped; plain text left as it is.</summary>
    private static string OneLine(string text) => text.Any(char.IsControl) ? ObjectKeyText.Escape(text) : text;

    /// <summary>The lines to print for a configuration error, or <see langword="null"/> when <paramref name="exception"/> is not one.</summary>
    internal static IReadOnlyList<string>? ConfigurationProblems(Exception exception) => exception switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException aggregate when aggregate.Flatten().InnerExceptions.All(e => ConfigurationProblems(e) is not null)
            => [.. aggregate.Flatten().InnerExceptions.SelectMany(e => ConfigurationProblems(e)!)],
        LogpushSettingException setting => [setting.Message],
        ArgumentException argument => [$"{LogpushKitOptions.SectionName}: {argument.Message.Split(" (Parameter", 2)[0]}"],
        _ => null,
    };
}
