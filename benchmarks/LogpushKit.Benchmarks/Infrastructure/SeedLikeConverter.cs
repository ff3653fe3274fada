using System.IO.Compression;

namespace LogpushKit.Benchmarks.Infrastructure;

/// <summary>
/// The original design, as a baseline: read the whole object into memory, ungzip it whole into memory, write the
/// bytes out. No conversion at all, and memory proportional to the object.
/// </summary>
public static class SeedLikeConverter
{
    public static long Run(Stream input, Stream output)
    {
        using var whole = new MemoryStream();
        input.CopyTo(whole);
        var compressed = whole.ToArray();
        using var inflated = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            gzip.CopyTo(inflated);
        }

        var bytes = inflated.ToArray();
        output.Write(bytes);
        return bytes.Length;
    }
}
