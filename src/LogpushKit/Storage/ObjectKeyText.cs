using System.Globalization;
using System.Text;

namespace LogpushKit.Storage;

/// <summary>
/// Object keys as text for people: logs, exception messages, terminal output. A key may hold any character R2 accepts,
/// line breaks and terminal escape sequences included; printed raw, such a key could forge log lines or drive the
/// terminal. <see cref="Escape"/> makes every control character visible instead.
/// </summary>
public static class ObjectKeyText
{
    /// <summary>
    /// Returns <paramref name="key"/> with every control character (C0, DEL, C1), the Unicode line and paragraph
    /// separators and the bidirectional overrides written as <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\uXXXX</c>, and a
    /// backslash written as <c>\\</c> so the result reads back unambiguously. Keys without such characters are
    /// returned as they are (no allocation).
    /// </summary>
    public static string Escape(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return key ?? string.Empty;
        }

        var first = IndexOfSpecial(key);
        if (first < 0)
        {
            return key;
        }

        var builder = new StringBuilder(key.Length + 16);
        builder.Append(key, 0, first);
        for (var i = first; i < key.Length; i++)
        {
            var c = key[i];
            if (!IsSpecial(c))
            {
                builder.Append(c);
                continue;
            }

            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '\n' => builder.Append(@"\n"),
                '\r' => builder.Append(@"\r"),
                '\t' => builder.Append(@"\t"),
                _ => builder.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
            };
        }

        return builder.ToString();
    }

    private static int IndexOfSpecial(string key)
    {
        for (var i = 0; i < key.Length; i++)
        {
            if (IsSpecial(key[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsSpecial(char c) =>
        char.IsControl(c) || c == '\\' || c is '\u2028' or '\u2029' || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069';
}
