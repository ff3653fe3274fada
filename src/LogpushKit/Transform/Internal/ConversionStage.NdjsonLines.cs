using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace LogpushKit.Transform;

/// <summary>ndjson input split into lines: the carry of a line split across spans, and lines longer than MaxLineBytes.</summary>
internal sealed partial class ConversionStage
{
    private const int OverlongPrefix = 1024;

    private bool _overlong;
    private long _overlongLength;
    private bool _overlongHasContent;

    /// <summary>Lines consumed (the number of the line being read, once it starts).</summary>
    private long _lineNumber;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessNdjson(ReadOnlySequence<byte> buffer, bool completed, PipeWriter writer)
    {
        var output = new OutputCursor(writer);
        try
        {
            foreach (var segment in buffer)
            {
                var span = segment.Span;
                if (_overlong)
                {
                    var end = span.IndexOf((byte)'\n');
                    SkipOverlong(end < 0 ? span : span[..end]);
                    if (end < 0)
                    {
                        continue;
                    }

                    EndOverlongLine(_overlongLength, lastLine: false);
                    span = span[(end + 1)..];
                }

                if (_carryLength > 0)
                {
                    var nl = span.IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        AppendCarry(span);
                        continue;
                    }

                    AppendCarry(span[..nl]);
                    if (_overlong)
                    {
                        EndOverlongLine(_overlongLength, lastLine: false);
                    }
                    else
                    {
                        ProcessLine(_carry.AsSpan(0, _carryLength), ref output, validUtf8: false);
                    }

                    _carryLength = 0;
                    span = span[(nl + 1)..];
                }

                // One validation of all the whole lines here is much cheaper than one call per line; when it fails,
                // each line is checked on its own to find the bad ones.
                var validUtf8 = Utf8.IsValid(span[..(span.LastIndexOf((byte)'\n') + 1)]);
                while (true)
                {
                    var nl = span.IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        break;
                    }

                    ProcessLine(span[..nl], ref output, validUtf8);
                    span = span[(nl + 1)..];
                }

                if (!span.IsEmpty)
                {
                    AppendCarry(span);
                }
            }

            if (completed && _overlong)
            {
                EndOverlongLine(_overlongLength, lastLine: true);
            }

            if (completed && _carryLength > 0)
            {
                ProcessLine(_carry.AsSpan(0, _carryLength), ref output, validUtf8: false, lastLine: true);
                _carryLength = 0;
            }
        }
        finally
        {
            output.Commit();
            BytesOut += output.Written;
        }
    }

    private void AppendCarry(ReadOnlySpan<byte> span)
    {
        var needed = _carryLength + span.Length;
        if (needed > _plan.MaxLineBytes)
        {
            // Too long to buffer: keep the first KiB for the report and drop the rest up to the next line break. Whether
            // the line has anything but whitespace is noted on the way, as a blank line is skipped however long it is.
            _overlongHasContent = (_overlong ? _overlongHasContent : !IsBlank(_carry.AsSpan(0, _carryLength))) || !IsBlank(span);
            _overlongLength = (_overlong ? _overlongLength : _carryLength) + span.Length;
            _overlong = true;
            var keep = Math.Max(0, Math.Min(OverlongKeep - _carryLength, span.Length));
            span = span[..keep];
            needed = _carryLength + keep;
        }

        if (needed > _carry.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(_carry.Length * 2, 4096)));
            _carry.AsSpan(0, _carryLength).CopyTo(bigger);
            if (_carry.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_carry);
            }

            _carry = bigger;
        }

        span.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength = needed;
        FailOverlongEarly();
    }

    /// <summary>Drops a piece of an overlong line (up to its line break), noting whether the line has any content.</summary>
    private void SkipOverlong(ReadOnlySpan<byte> piece)
    {
        _overlongLength += piece.Length;
        if (!_overlongHasContent && !IsBlank(piece))
        {
            _overlongHasContent = true;
            FailOverlongEarly();
        }
    }

    /// <summary>Under <see cref="BadLinePolicy.Fail"/>, throws as soon as an overlong line is known not to be blank.</summary>
    private void FailOverlongEarly()
    {
        if (_overlong && _overlongHasContent && _plan.OnBadLine == BadLinePolicy.Fail)
        {
            EndOverlongLine(_overlongLength, lastLine: false);
        }
    }

    /// <summary>Ends an overlong line of <paramref name="length"/> bytes: a bad line, or nothing when it is whitespace only.</summary>
    private void EndOverlongLine(long length, bool lastLine)
    {
        var lineOffset = _offset;
        _offset += length + (lastLine ? 0 : 1);
        _lineNumber++;
        var prefix = _carry.AsSpan(0, Math.Min(_carryLength, OverlongKeep));
        _carryLength = 0;
        _overlong = false;
        if (!_overlongHasContent)
        {
            return;
        }

        Records++;
        OverlongLine(prefix, _lineNumber, lineOffset, length, "line");
    }

    /// <summary>Whether <paramref name="line"/> (or a piece of one) holds only spaces, tabs and CRs: a blank line is skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r"u8) < 0;

    /// <summary>How much of an overlong line is kept for the quarantine: its first KiB, or MaxLineBytes when smaller.</summary>
    private int OverlongKeep => Math.Min(_plan.MaxLineBytes, OverlongPrefix);
}
