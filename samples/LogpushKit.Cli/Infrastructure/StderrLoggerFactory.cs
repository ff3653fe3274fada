using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Loggers that print to stderr, one line each (<c>logpushkit: warning: …</c>), secrets masked and control characters
/// escaped, for the categories a command shows the user (e.g. the queue consumer's failed pulls and acks, retries and
/// poison messages); every other category (one line per converted object) stays silent, as the command prints its own
/// progress and summary.
/// </summary>
internal sealed class StderrLoggerFactory(TextWriter error, LogLevel minimum, params IReadOnlyList<string> categories) : ILoggerFactory
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName)
        => categories.Contains(categoryName, StringComparer.Ordinal) ? new StderrLogger(this) : NullLogger.Instance;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The CLI's stderr loggers take no providers.");

    public void Dispose()
    {
    }

    private bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    private void Write(LogLevel logLevel, string text)
    {
        var prefix = logLevel >= LogLevel.Error ? "error: " : logLevel == LogLevel.Warning ? "warning: " : string.Empty;
        var line = CliText.Masked(text.ReplaceLineEndings(" "));
        lock (_gate)
        {
            error.WriteLine($"logpushkit: {prefix}{line}");
        }
    }

    private sealed class StderrLogger(StderrLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => owner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Write(logLevel, formatter(state, exception));
            }
        }
    }
}
