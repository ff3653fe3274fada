using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Testing;

/// <summary>One entry a <see cref="ListLogger{T}"/> kept.</summary>
public sealed record LogEntry(LogLevel Level, EventId Id, string Message, Exception? Exception);

/// <summary>A logger double that keeps every entry (thread-safe), for assertions.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    /// <summary>A snapshot of the entries so far, oldest first.</summary>
    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
}
