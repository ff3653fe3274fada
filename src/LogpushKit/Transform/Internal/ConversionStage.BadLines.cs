using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace LogpushKit.Transform;

/// <summary>Bad lines (and csv rows): counted, and failed, skipped or quarantined by the policy.</summary>
internal sealed partial class ConversionStage
{
    private readonly Stream? _quarantine;
    private ArrayBufferWriter<byte>? _quarantineBuffer;
    private Utf8JsonWriter? _quarantineWriter;

    private void BadLine(ReadOnlySpan<byte> line, long offset, string reason) => BadLine(line, _lineNumber, offset, reason);

    private void BadLine(ReadOnlySpan<byte> line, long lineNumber, long offset, string reason)
    {
        BadLines++;
        switch (_plan.OnBadLine)
        {
            case BadLinePolicy.Fail:
                throw new LogpushDataException(reason, _sourceName, lineNumber, offset);
            case BadLinePolicy.Quarantine when _quarantine is not null:
                WriteQuarantine(line, lineNumber, offset, reason, line.Length);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// An ndjson line or csv row (<paramref name="what"/>) of <paramref name="length"/> bytes, longer than MaxLineBytes, of
    /// which only <paramref name="prefix"/> (its first KiB at most) was kept: a bad line whose quarantine record says it is cut.
    /// </summary>
    private void OverlongLine(ReadOnlySpan<byte> prefix, long lineNumber, long offset, long length, string what)
    {
        BadLines++;
        switch (_plan.OnBadLine)
        {
            case BadLinePolicy.Fail:
                throw new LogpushDataException(OverlongReason(what), _sourceName, lineNumber, offset);
            case BadLinePolicy.Quarantine when _quarantine is not null:
                // The record is data that outlives the run and the host's option names, so it names the limit by what it
                // is, not by a property (the exception's reason above is renamed by each host: a flag, a configuration key).
                WriteQuarantine(
                    prefix,
                    lineNumber,
                    offset,
                    FormattableString.Invariant($"{what} longer than the line limit ({_plan.MaxLineBytes} bytes)"),
                    length);
                break;
            default:
                break;
        }
    }

    /// <summary>The reason an ndjson line or csv row (<paramref name="what"/>) longer than MaxLineBytes fails with.</summary>
    private string OverlongReason(string what)
        => FormattableString.Invariant($"{what} longer than MaxLineBytes ({_plan.MaxLineBytes} bytes)");

    /// <summary>
    /// One ndjson line per bad line: <c>{"line":N,"offset":O,"reason":"…","bytes":B,"truncated":false,"raw":"…"}</c>
    /// (<c>rawBase64</c> when the line is not UTF-8). <paramref name="length"/> is the whole line's length; when
    /// <paramref name="line"/> is shorter (a line past MaxLineBytes), <c>truncated</c> is true and a character cut at the end
    /// of the kept bytes is dropped, so that the rest stays text.
    /// </summary>
    private void WriteQuarantine(ReadOnlySpan<byte> line, long lineNumber, long offset, string reason, long length)
    {
        var truncated = line.Length < length;
        if (truncated && !Utf8.IsValid(line))
        {
            for (var cut = 1; cut <= 3 && cut < line.Length; cut++)
            {
                if (Utf8.IsValid(line[..^cut]))
                {
                    line = line[..^cut];
                    break;
                }
            }
        }

        _quarantineBuffer ??= new ArrayBufferWriter<byte>(4096);
        if (_quarantineWriter is null)
        {
            _quarantineWriter = new Utf8JsonWriter(_quarantineBuffer);
        }
        else
        {
            _quarantineWriter.Reset(_quarantineBuffer);
        }

        var json = _quarantineWriter;
        json.WriteStartObject();
        json.WriteNumber("line", lineNumber);
        json.WriteNumber("offset", offset);
        json.WriteString("reason", reason);
        json.WriteNumber("bytes", length);
        json.WriteBoolean("truncated", truncated);
        if (Utf8.IsValid(line))
        {
            json.WriteString("raw", line);
        }
        else
        {
            json.WriteBase64String("rawBase64", line);
        }

        json.WriteEndObject();
        json.Flush();
        "\n"u8.CopyTo(_quarantineBuffer.GetSpan(1));
        _quarantineBuffer.Advance(1);
    }
}
