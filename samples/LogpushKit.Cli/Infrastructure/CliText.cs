using System.Text.RegularExpressions;
using LogpushKit.Cloudflare;
using LogpushKit.Storage;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Every message the CLI prints passes through <see cref="ForUser"/>: secrets are masked (<see cref="SecretRedactor.MaskText"/>:
/// the process's own credentials wherever a server or an exception echoes them, URL userinfo and query values), the
/// library's option names become the flags the user typed (<c>MaxDecompressedBytes</c> → <c>--max-output-bytes</c>), and
/// control characters (from object keys or file names in a message) are escaped, so a message is always one line and
/// cannot drive the terminal.
/// </summary>
internal static partial class CliText
{
    /// <summary>The transform options' flags (<see cref="TransformOptionsBinder.FlagsByOption"/>) and the run's own.</summary>
    private static readonly Dictionary<string, string> Flags = new(TransformOptionsBinder.FlagsByOption, StringComparer.Ordinal)
    {
        ["TargetKeyTemplate"] = "--target-template",
    };

    /// <summary>
    /// <paramref name="message"/> as the user should read it: secrets masked, option names outside quoted text
    /// (<c>'…'</c>, which holds keys and values) replaced by flags, the parameter note of an <see cref="ArgumentException"/>
    /// dropped, and control characters escaped with <see cref="ObjectKeyText.Escape"/> when there are any.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="mask">Mask secrets; <see langword="false"/> only for messages LogpushKit builds from setting names, which hold none.</param>
    public static string ForUser(string message, bool mask = true)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = ParameterNote().Replace(mask ? SecretRedactor.MaskText(message) : message, string.Empty);
        var parts = text.Split('\'');
        for (var i = 0; i < parts.Length; i += 2)
        {
            parts[i] = OptionName().Replace(parts[i], m => Flags[m.Value]);
        }

        return OneLine(string.Join('\'', parts));
    }

    /// <summary>Text quoted back from the command line (a parse error) or a log line, secrets masked and made one line.</summary>
    public static string Masked(string text) => OneLine(SecretRedactor.MaskText(text));

    /// <summary>
    /// A parse error in the user's terms: System.CommandLine's "Cannot parse argument 'x' for option '--n' as expected type
    /// 'System.Int32'" becomes "--n: 'x' is not a whole number." (the option's help gives its range); others are unchanged.
    /// </summary>
    public static string ParseError(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var match = TypedParseError().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var type = match.Groups["type"].Value;
        var what = type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) ? "a number"
            : type.Contains("TimeSpan", StringComparison.Ordinal) ? "a duration"
            : "a value it takes";
        return $"{match.Groups["option"].Value}: '{match.Groups["value"].Value}' is not {what} (see --help).";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'\.$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex TypedParseError();

    /// <summary>
    /// <paramref name="text"/> with control characters escaped (<see cref="ObjectKeyText.Escape"/>), or unchanged when it
    /// has none (backslashes alone, as in Windows paths, are left as they are).
    /// </summary>
    public static string OneLine(string text)
    {
        var escaped = ObjectKeyText.Escape(text);
        return escaped.Length == text.Length + text.Count(c => c == '\\') ? text : escaped;
    }

    [GeneratedRegex(@" \(Parameter '[^']*'\)$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterNote();

    [GeneratedRegex(@"(?<![\w/.:-])(Fields|WriteHeader|Dataset|InputFormat|Delimiter|RowEnding|WriteBom|TimestampOutput|TimestampCustomFormat|TimestampFields|TimestampInput|TimeZone|OnBadLine|FailOnUnknownKeys|EscapeFormulas|MaxDecompressedBytes|MaxLineBytes|TargetKeyTemplate)(?![\w/-]|\.\w)", RegexOptions.CultureInvariant)]
    private static partial Regex OptionName();
}
