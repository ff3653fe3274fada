using System.Globalization;
using System.Text;

namespace LogpushKit.Pipeline;

/// <summary>
/// Maps a source object key to its CSV target key. The default, <c>{path}.csv</c>, keeps the folder path and replaces
/// only the final <c>.log.gz</c> (or <c>.gz</c>) with <c>.csv</c>:
/// <c>logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.log.gz</c> →
/// <c>logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.csv</c>.
/// </summary>
/// <remarks>
/// <para>Tokens (see <see cref="LogpushObjectName"/>):</para>
/// <list type="table">
/// <item><term><c>{path}</c></term><description>the source key without its extension (<c>{dir}/{name}</c>)</description></item>
/// <item><term><c>{dir}</c></term><description>the source key's folder, without a trailing <c>/</c> (may be empty)</description></item>
/// <item><term><c>{name}</c></term><description>the file name without its final <c>.log.gz</c> or <c>.gz</c></description></item>
/// <item><term><c>{file}</c></term><description>the file name with its extension</description></item>
/// <item><term><c>{date}</c>, <c>{year}</c>, <c>{month}</c>, <c>{day}</c></term><description>the batch day as <c>yyyyMMdd</c>, <c>yyyy</c>, <c>MM</c>, <c>dd</c>
/// (from the file name's start time, else from a <c>YYYYMMDD</c> folder)</description></item>
/// <item><term><c>{hour}</c></term><description>the batch start hour, <c>HH</c> (UTC)</description></item>
/// <item><term><c>{dataset}</c></term><description>the object's Logpush dataset (e.g. <c>gateway_http</c>), as told before the
/// target key is chosen: by <c>--dataset NAME</c>, the key path, the Logpush job, or the object's first record (which the
/// pipeline reads ahead of the conversion when a template uses this token); <see cref="UnknownDataset"/> (<c>unknown</c>)
/// when none of them tells it</description></item>
/// </list>
/// <para>After substitution, repeated <c>/</c> are collapsed and leading ones removed, so <c>{dir}/{name}.csv</c> works for keys at the root.
/// A template must contain <c>{path}</c>, <c>{name}</c> or <c>{file}</c>, so that distinct objects never share a target.
/// Keys whose template needs a date they do not carry fail with a <see cref="LogpushKitException"/>.</para>
/// </remarks>
public sealed class TargetKeyTemplate
{
    /// <summary>What <c>{dataset}</c> becomes for an object whose dataset is not known: <c>unknown</c>.</summary>
    public const string UnknownDataset = "unknown";

    private static readonly string[] KnownTokens = ["path", "dir", "name", "file", "date", "year", "month", "day", "hour", "dataset"];
    private readonly List<(bool IsToken, string Text)> _parts = [];

    /// <summary>The default template, <c>{path}.csv</c>.</summary>
    public static TargetKeyTemplate Default { get; } = new("{path}.csv");

    /// <summary>Parses and validates a template.</summary>
    /// <exception cref="ArgumentException">An unknown or unclosed token, or no <c>{path}</c>, <c>{name}</c> or <c>{file}</c>.</exception>
    public TargetKeyTemplate(string template)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(template);
        Template = template;
        var i = 0;
        var hasUniqueToken = false;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                _parts.Add((false, template[i..]));
                break;
            }

            if (open > i)
            {
                _parts.Add((false, template[i..open]));
            }

            var close = template.IndexOf('}', open);
            if (close < 0)
            {
                throw new ArgumentException($"Target key template '{template}' has an unclosed '{{' at position {open}.", nameof(template));
            }

            var token = template[(open + 1)..close];
            if (!KnownTokens.Contains(token, StringComparer.Ordinal))
            {
                throw new ArgumentException(
                    $"Target key template '{template}' has an unknown token '{{{token}}}'; known tokens: {string.Join(", ", KnownTokens.Select(t => "{" + t + "}"))}.",
                    nameof(template));
            }

            hasUniqueToken |= token is "path" or "name" or "file";
            UsesDataset |= token is "dataset";
            _parts.Add((true, token));
            i = close + 1;
        }

        if (!hasUniqueToken)
        {
            throw new ArgumentException(
                $"Target key template '{template}' must contain {{path}}, {{name}} or {{file}}, or every object would get the same target key.",
                nameof(template));
        }
    }

    /// <summary>The template text.</summary>
    public string Template { get; }

    /// <summary>Whether the template has the <c>{dataset}</c> token (the target key then depends on the object's dataset).</summary>
    public bool UsesDataset { get; }

    /// <summary>
    /// The fixed text every target key ends with (the text after the template's last token, e.g. <c>.csv</c>), or
    /// <see langword="null"/> when the template ends with a token.
    /// </summary>
    public string? LiteralSuffix => _parts.Count > 0 && !_parts[^1].IsToken && _parts[^1].Text.Length > 0 && !_parts[^1].Text.Contains('/', StringComparison.Ordinal)
        ? _parts[^1].Text
        : null;

    /// <summary>Computes the target key of <paramref name="sourceKey"/>, with <paramref name="targetPrefix"/> in front; <c>{dataset}</c> becomes <see cref="UnknownDataset"/>.</summary>
    /// <exception cref="LogpushKitException">The template needs a date the key does not carry, or the result is empty.</exception>
    public string Apply(string sourceKey, string? targetPrefix = null) => Apply(sourceKey, targetPrefix, dataset: null);

    /// <summary>
    /// Computes the target key of <paramref name="sourceKey"/> of an object of <paramref name="dataset"/>, with
    /// <paramref name="targetPrefix"/> in front; <c>{dataset}</c> becomes the dataset name in lower case, or
    /// <see cref="UnknownDataset"/> when <paramref name="dataset"/> is <see langword="null"/> or empty.
    /// </summary>
    /// <exception cref="LogpushKitException">The template needs a date the key does not carry, or the result is empty.</exception>
    public string Apply(string sourceKey, string? targetPrefix, string? dataset)
    {
        ArgumentNullException.ThrowIfNull(sourceKey);
        var name = LogpushObjectName.Parse(sourceKey);
        var builder = new StringBuilder(sourceKey.Length + 16);
        builder.Append(targetPrefix);
        foreach (var (isToken, text) in _parts)
        {
            builder.Append(!isToken ? text : text == "dataset" ? DatasetText(dataset) : Resolve(text, name));
        }

        var key = Normalize(builder.ToString());
        return key.Length == 0
            ? throw new LogpushKitException($"Target key template '{Template}' gives an empty key for '{Storage.ObjectKeyText.Escape(sourceKey)}'.")
            : key;
    }

    /// <inheritdoc />
    public override string ToString() => Template;

    private string Resolve(string token, LogpushObjectName name) => token switch
    {
        "path" => name.Directory.Length == 0 ? name.BaseName : name.Directory + "/" + name.BaseName,
        "dir" => name.Directory,
        "name" => name.BaseName,
        "file" => name.FileName,
        "date" => RequireDate(name).ToString("yyyyMMdd", CultureInfo.InvariantCulture),
        "year" => RequireDate(name).ToString("yyyy", CultureInfo.InvariantCulture),
        "month" => RequireDate(name).ToString("MM", CultureInfo.InvariantCulture),
        "day" => RequireDate(name).ToString("dd", CultureInfo.InvariantCulture),
        "hour" => (name.Start ?? throw NoTime(name, "{hour}")).UtcDateTime.ToString("HH", CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException(token),
    };

    private static string DatasetText(string? dataset)
        => string.IsNullOrWhiteSpace(dataset) ? UnknownDataset : dataset.Trim().ToLowerInvariant().Replace('/', '_');

    private DateOnly RequireDate(LogpushObjectName name) => name.Date ?? throw NoTime(name, "a date token");

    private LogpushKitException NoTime(LogpushObjectName name, string what)
        => new($"Target key template '{Template}' uses {what}, but key '{Storage.ObjectKeyText.Escape(name.Key)}' has no Logpush start time in its file name nor a YYYYMMDD folder.");

    private static string Normalize(string key)
    {
        var builder = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            if (c == '/' && (builder.Length == 0 || builder[^1] == '/'))
            {
                continue;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
