using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CsvHelper;

namespace LogpushKit.Benchmarks.Infrastructure;

/// <summary>
/// The naive converter a developer writes first: GZipStream → StreamReader.ReadLine → JsonDocument per line → CsvHelper.
/// Columns are the first record's keys; strings decoded, numbers as raw text, objects/arrays as their JSON text.
/// </summary>
public static class NaiveCsvHelperConverter
{
    public static long Run(Stream input, Stream output)
    {
        using var gzip = new GZipStream(input, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        using var csv = CsvWriter.Create(output, new CsvWriterOptions { NewLine = "\n" }, leaveOpen: true);
        string[]? columns = null;
        long rows = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (columns is null)
            {
                columns = [.. root.EnumerateObject().Select(p => p.Name)];
                foreach (var column in columns)
                {
                    csv.WriteField(column);
                }

                csv.EndRecord();
            }

            foreach (var column in columns)
            {
                csv.WriteField(root.TryGetProperty(column, out var value) ? Cell(value) : string.Empty);
            }

            csv.EndRecord();
            rows++;
        }

        return rows;
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };
}
