using System.Text;

namespace LogpushKit.R2;

/// <summary>
/// Custom metadata travels in <c>x-amz-meta-*</c> HTTP headers, which carry printable ASCII only. Other values are
/// sent as an RFC 2047 encoded word (<c>=?UTF-8?B?base64?=</c>) and decoded on the way back, so any string
/// round-trips through this client (other readers see the encoded word).
/// </summary>
internal static class MetadataEncoding
{
    private const string Prefix = "=?UTF-8?B?";
    private const string Suffix = "?=";

    public static string Encode(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + Suffix;
            }
        }

        // Leading/trailing spaces are trimmed by HTTP, and a value that looks encoded must not be decoded later.
        return value.Length > 0 && (value[0] == ' ' || value[^1] == ' ' || value.StartsWith(Prefix, StringComparison.Ordinal))
            ? Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + Suffix
            : value;
    }

    public static string Decode(string value)
    {
        if (value.Length > Prefix.Length + Suffix.Length &&
            value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) &&
            value.EndsWith(Suffix, StringComparison.Ordinal))
        {
            var buffer = new byte[value.Length];
            if (Convert.TryFromBase64String(value[Prefix.Length..^Suffix.Length], buffer, out var written))
            {
                return Encoding.UTF8.GetString(buffer, 0, written);
            }
        }

        return value;
    }

    /// <summary>Whether <paramref name="name"/> can be a metadata key (an HTTP header token, lower-cased by S3).</summary>
    public static bool IsValidKey(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }
}
