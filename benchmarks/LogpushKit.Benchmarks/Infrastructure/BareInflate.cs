using System.IO.Compression;

namespace LogpushKit.Benchmarks.Infrastructure;

/// <summary>The floor every comparison is made against: .NET's <see cref="GZipStream"/> inflating to nowhere (all members).</summary>
internal static class BareInflate
{
    /// <summary>Inflates <paramref name="gzip"/> through <paramref name="buffer"/> and returns the decompressed byte count.</summary>
    public static long Run(Stream gzip, byte[] buffer)
    {
        using var inflate = new GZipStream(gzip, CompressionMode.Decompress);
        long total = 0;
        int read;
        while ((read = inflate.Read(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }
}
