using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using LogpushKit.Storage;

namespace LogpushKit.Datasets;

/// <summary>
/// Tells the dataset of an object from its first record before it is converted, for the settings that must be chosen
/// first (a per-dataset target template or <c>{dataset}</c> token, per-dataset columns and timestamps): one ranged read of
/// the object's first <see cref="WindowBytes"/> bytes, inflated when gzip'd, and its first non-blank line matched like the
/// conversion matches it (ndjson keys: <see cref="LogpushDatasetResolver.MatchRecordKeys(IReadOnlyCollection{string})"/>;
/// csv cells: <see cref="LogpushDatasetResolver.MatchCellCount"/>). A first line that does not end within the window, or
/// that is not a JSON object or a csv row, tells nothing.
/// </summary>
internal static class FirstRecordPeek
{
    /// <summary>The compressed bytes read: 256 KiB, some 2 MB of Logpush text, where records are a few KiB.</summary>
    public const int WindowBytes = 256 * 1024;

    /// <summary>The most inflated bytes looked at for the first line.</summary>
    private const int MaxTextBytes = 8 * 1024 * 1024;

    public static async Task<LogpushDataset?> TellAsync(IR2Bucket source, string key, LogpushDatasetCatalog catalog, CancellationToken cancellationToken)
    {
        var body = await source.GetAsync(key, new R2Range(0, WindowBytes), cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return null;
        }

        var raw = ArrayPool<byte>.Shared.Rent(WindowBytes);
        try
        {
            int read;
            await using (body.ConfigureAwait(false))
            {
                read = await body.Body.ReadAtLeastAsync(raw.AsMemory(0, WindowBytes), WindowBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }

            var line = FirstLine(raw.AsSpan(0, read).ToArray());
            return line is null ? null : Tell(line, catalog);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>The dataset a first line tells: a JSON object by its keys, anything else as a csv row by its cell count.</summary>
    internal static LogpushDataset? Tell(ReadOnlySpan<byte> line, LogpushDatasetCatalog catalog)
    {
        if (line.Length > 0 && line[0] == (byte)'{')
        {
            return Keys(line) is { } keys ? LogpushDatasetResolver.MatchRecordKeys(catalog, keys) : null;
        }

        return CsvCells.Count(line) is > 0 and var cells ? LogpushDatasetResolver.MatchCellCount(catalog, cells) : null;
    }

    /// <summary>The first non-blank line of <paramref name="data"/> (inflated when it is gzip), without its line ending; <see langword="null"/> when none ends in what was read.</summary>
    private static byte[]? FirstLine(byte[] data)
    {
        var gzip = data.Length >= 2 && data[0] == 0x1f && data[1] == 0x8b;
        var complete = true;
        var text = gzip ? Inflate(data, out complete) : data;
        var span = text.AsSpan();
        if (span.StartsWith("\uFEFF"u8))
        {
            span = span[3..];
        }

        while (span.Length > 0)
        {
            var lf = span.IndexOf((byte)'\n');
            if (lf < 0 && !complete && data.Length >= WindowBytes)
            {
                return null; // the line goes on past what was read
            }

            var line = (lf < 0 ? span : span[..lf]).TrimEnd((byte)'\r');
            if (line.IndexOfAnyExcept(" \t\r"u8) >= 0)
            {
                return lf < 0 && !complete ? null : line.Trim(" \t"u8).ToArray();
            }

            span = lf < 0 ? [] : span[(lf + 1)..];
        }

        return null;
    }

    /// <summary>Inflates what gzip data was read, until the first line ends (or the window ends: a cut stream inflates as far as it goes).</summary>
    private static byte[] Inflate(byte[] data, out bool complete)
    {
        complete = false;
        using var output = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            using var gzip = new GZipStream(new MemoryStream(data, writable: false), CompressionMode.Decompress);
            while (output.Length < MaxTextBytes)
            {
                var n = gzip.Read(buffer);
                if (n == 0)
                {
                    complete = true;
                    break;
                }

                output.Write(buffer, 0, n);
                if (buffer.AsSpan(0, n).Contains((byte)'\n') && HasContentLine(output))
                {
                    break;
                }
            }
        }
        catch (InvalidDataException)
        {
            // the window cut the stream (or it is not gzip after all): what was inflated is all there is
        }

        return output.ToArray();
    }

    private static bool HasContentLine(MemoryStream output)
    {
        var span = output.GetBuffer().AsSpan(0, (int)output.Length);
        while (span.IndexOf((byte)'\n') is var lf and >= 0)
        {
            if (span[..lf].IndexOfAnyExcept(" \t\r"u8) >= 0 && !(lf == 3 && span.StartsWith("\uFEFF"u8)))
            {
                return true;
            }

            span = span[(lf + 1)..];
        }

        return false;
    }

    private static List<string>? Keys(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var keys = new List<string>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                keys.Add(reader.GetString()!);
                reader.Read();
                reader.Skip();
            }

            return reader.TokenType == JsonTokenType.EndObject ? keys : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The cells of one csv row as Logpush writes it (comma-separated, RFC 4180 quotes).</summary>
internal static class CsvCells
{
    /// <summary>The number of cells of <paramref name="row"/> (without its line ending); 0 for an empty row or one with an unclosed quote.</summary>
    public static int Count(ReadOnlySpan<byte> row)
    {
        if (row.IsEmpty)
        {
            return 0;
        }

        var cells = 1;
        var quoted = false;
        foreach (var b in row)
        {
            if (b == (byte)'"')
            {
                quoted = !quoted; // a doubled quote toggles twice
            }
            else if (b == (byte)',' && !quoted)
            {
                cells++;
            }
        }

        return quoted ? 0 : cells;
    }
}
