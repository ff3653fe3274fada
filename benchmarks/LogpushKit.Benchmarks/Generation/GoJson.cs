using System.Text;

namespace LogpushKit.Benchmarks.Generation;

/// <summary>
/// JSON text as Go's <c>encoding/json</c> (Cloudflare's emitter) writes it: compact; <c>&lt; &gt; &amp;</c>, U+2028 and
/// U+2029 as <c>\u003c \u003e \u0026 \u2028 \u2029</c>; other control characters as <c>\n \r \t</c> or <c>\u00XX</c>;
/// all other non-ASCII characters as raw UTF-8.
/// </summary>
internal static class GoJson
{
    public static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case '<':
                    builder.Append("\\u003c");
                    break;
                case '>':
                    builder.Append("\\u003e");
                    break;
                case '&':
                    builder.Append("\\u0026");
                    break;
                case '\u2028':
                    builder.Append("\\u2028");
                    break;
                case '\u2029':
                    builder.Append("\\u2029");
                    break;
                case < ' ':
                    builder.Append("\\u00").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        builder.Append('"');
    }

    public static void WriteValue(StringBuilder builder, object? value)
    {
        switch (value)
        {
            case null:
                builder.Append("null");
                break;
            case string s:
                WriteString(builder, s);
                break;
            case bool b:
                builder.Append(b ? "true" : "false");
                break;
            case long l:
                builder.Append(l.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case int i:
                builder.Append(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonNumberText n:
                builder.Append(n.Text);
                break;
            case IReadOnlyList<KeyValuePair<string, object?>> obj:
                builder.Append('{');
                for (var k = 0; k < obj.Count; k++)
                {
                    if (k > 0)
                    {
                        builder.Append(',');
                    }

                    WriteString(builder, obj[k].Key);
                    builder.Append(':');
                    WriteValue(builder, obj[k].Value);
                }

                builder.Append('}');
                break;
            case IReadOnlyList<object?> array:
                builder.Append('[');
                for (var k = 0; k < array.Count; k++)
                {
                    if (k > 0)
                    {
                        builder.Append(',');
                    }

                    WriteValue(builder, array[k]);
                }

                builder.Append(']');
                break;
            default:
                throw new ArgumentException($"Unsupported value type {value.GetType()}.", nameof(value));
        }
    }

    public static string ToText(object? value)
    {
        var builder = new StringBuilder();
        WriteValue(builder, value);
        return builder.ToString();
    }
}

/// <summary>A JSON number kept as its exact text (e.g. <c>1.5</c>, <c>1724219319123456789</c>).</summary>
internal sealed record JsonNumberText(string Text);
