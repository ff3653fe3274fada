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
                WriteQuarantine(line, lineNumber, offset, reason);
                break;
            default:
                break;
        }
    }

    /// <summary>One ndjson line per bad line: <c>{"line":N,"offset":O,"reason":"…","raw":"…"}</c> (<c>rawBase64</c> when the line is not UTF-8).</summary>
    private void WriteQuarantine(ReadOnlySpan<byte> line, long lineNumber, long offset, string reason)
    {
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
