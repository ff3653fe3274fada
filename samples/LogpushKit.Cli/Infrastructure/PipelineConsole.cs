using System.Diagnostics;
using System.Globalization;
using LogpushKit.Cli.Commands;
using LogpushKit.Pipeline;
using LogpushKit.Storage;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Prints what a <see cref="LogpushPipeline"/> reports on stderr: the first pass's progress (a line rewritten in place twice
/// a second on a terminal, a line every 10 s otherwise), then one line per event of a watch or consumer. With --quiet only
/// failures are printed. Safe to report from any thread.
/// </summary>
internal sealed class PipelineConsole : IProgress<PipelineProgress>, IDisposable
{
    private readonly TextWriter _writer;
    private readonly string _label;
    private readonly bool _quiet;
    private readonly string _watching;
    private readonly bool _live;
    private readonly ReportThrottle _throttle;
    private readonly Lock _lock = new();
    private bool _shown;

    /// <param name="writer">Where to print (stderr).</param>
    /// <param name="label">What runs: <c>run</c>, <c>watch</c>, <c>consume</c>.</param>
    /// <param name="quiet">Print failures only.</param>
    /// <param name="source">The source, for the "watching" line.</param>
    /// <param name="watching">The line printed once the first pass is over; default <c>watching &lt;source&gt; (Ctrl-C stops)</c>.</param>
    public PipelineConsole(TextWriter writer, string label, bool quiet, string source, string? watching = null)
    {
        _writer = writer;
        _label = label;
        _quiet = quiet;
        _watching = watching ?? $"watching {source} (Ctrl-C stops)";
        _live = !Console.IsErrorRedirected && ReferenceEquals(writer, Console.Error);
        _throttle = new ReportThrottle(_live ? Stopwatch.Frequency / 2 : Stopwatch.Frequency * 10);
    }

    public void Report(PipelineProgress value)
    {
        if (value.Kind == PipelineProgressKind.Reconciling)
        {
            ReportPassProgress(value);
            return;
        }

        lock (_lock)
        {
            ClearLine();
            var line = value.Kind switch
            {
                PipelineProgressKind.ReconcileFailed => string.Create(
                    CultureInfo.InvariantCulture,
                    $"reconcile failed: {value.Error?.Message}{(value.NextPassIn is { } next ? $"; the next pass runs in {next.TotalSeconds:0} s" : string.Empty)}"),
                PipelineProgressKind.GaveUp when value.Object is { } given => string.Create(
                    CultureInfo.InvariantCulture,
                    $"gave up on {ObjectKeyText.Escape(given.SourceKey)} after {value.Attempts} failed attempts (not tried again until the file changes): {given.Reason}"),
                PipelineProgressKind.StillQuarantined when value.Object is { } kept => string.Create(
                    CultureInfo.InvariantCulture,
                    $"still quarantined: {ObjectKeyText.Escape(kept.SourceKey)} (given up after {value.Attempts} failed attempts; not tried again until the file changes): {kept.Reason}"),
                _ when _quiet => null,
                PipelineProgressKind.Reconciled when _label == "run" => null, // the summary follows
                PipelineProgressKind.Reconciled when value.IsFirstPass => PipelineCommandOptions.FormatSummary("initial pass", value.Summary),
                PipelineProgressKind.Reconciled when value.Summary.Converted + value.Summary.Failed > 0 => PipelineCommandOptions.FormatSummary("reconcile", value.Summary),
                PipelineProgressKind.Watching => _watching,
                PipelineProgressKind.Running => PipelineCommandOptions.FormatSummary(_label, value.Summary),
                _ => null,
            };
            if (line is not null)
            {
                _writer.WriteLine("logpushkit: " + CliText.ForUser(line));
            }
        }
    }

    /// <summary>Clears the progress line.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            ClearLine();
        }
    }

    private void ReportPassProgress(PipelineProgress value)
    {
        if (_quiet || !value.IsFirstPass)
        {
            return;
        }

        if (!_throttle.TryTake(Stopwatch.GetTimestamp()))
        {
            return;
        }

        lock (_lock)
        {
            var s = value.Summary;
            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"{_label}: {s.Objects:N0}/{value.Listed:N0} objects, {s.Converted:N0} converted, {s.Skipped:N0} skipped, {s.Failed:N0} failed, {s.Rows:N0} rows, {s.MegabytesPerSecond:0.0} MB/s");
            if (_live)
            {
                _writer.Write("\r" + line.PadRight(79));
                _shown = true;
            }
            else
            {
                _writer.WriteLine("logpushkit: " + line);
            }
        }
    }

    private void ClearLine()
    {
        if (_shown)
        {
            _writer.Write("\r" + new string(' ', 79) + "\r");
            _shown = false;
        }
    }
}
