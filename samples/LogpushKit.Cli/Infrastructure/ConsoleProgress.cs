using System.Diagnostics;
using System.Globalization;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Progress of a long conversion on stderr: a line rewritten in place about twice a second when stderr is a terminal,
/// nothing otherwise (a summary follows at the end either way). Safe to report from any thread.
/// </summary>
internal sealed class ConsoleProgress : IProgress<long>, IDisposable
{
    private static readonly long ReportInterval = Stopwatch.Frequency / 2;

    private readonly TextWriter _writer;
    private readonly string _label;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly Lock _lock = new();
    private readonly ReportThrottle _throttle = new(ReportInterval);
    private bool _shown;

    private ConsoleProgress(TextWriter writer, string label)
    {
        _writer = writer;
        _label = label;
    }

    /// <summary>
    /// A progress reporter for <paramref name="label"/>, or <see langword="null"/> when <paramref name="quiet"/> or
    /// stderr is not a terminal.
    /// </summary>
    public static ConsoleProgress? CreateForStandardError(string label, bool quiet)
        => quiet || Console.IsErrorRedirected ? null : new ConsoleProgress(Console.Error, label);

    /// <inheritdoc />
    public void Report(long value)
    {
        var now = Stopwatch.GetTimestamp();
        if (!_throttle.TryTake(now))
        {
            return;
        }

        lock (_lock)
        {
            var seconds = Stopwatch.GetElapsedTime(_start, now).TotalSeconds;
            _writer.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"\r{_label}: {value / 1e6:0.0} MB decompressed, {value / 1e6 / Math.Max(seconds, 1e-3):0.0} MB/s, {seconds:0} s   "));
            _shown = true;
        }
    }

    /// <summary>Clears the progress line.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_shown)
            {
                _writer.Write("\r" + new string(' ', 79) + "\r");
                _shown = false;
            }
        }

    }
}
