using System.IO.Compression;
using System.Text;
using LogpushKit.Events;

namespace LogpushKit.Testing;

/// <summary>Builds Logpush-like objects (gzip'd ndjson) and events for the pipeline tests.</summary>
public static class PipelineTestData
{
    public const string SampleKey = "logs/2024.08/20240821T054839Z_20240821T054839Z_06b7e0be.log.gz";

    /// <summary><paramref name="text"/> as UTF-8, gzip'd (one member).</summary>
    public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

    /// <summary><paramref name="data"/> gzip'd (one member).</summary>
    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    /// <summary><paramref name="rows"/> ndjson records with fields RayID, ClientIP, EdgeResponseStatus.</summary>
    public static string Ndjson(int rows, int seed = 0)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < rows; i++)
        {
            builder.Append("{\"RayID\":\"ray").Append(seed).Append('-').Append(i)
                .Append("\",\"ClientIP\":\"10.0.0.").Append(i % 250)
                .Append("\",\"EdgeResponseStatus\":").Append(200 + (i % 5)).Append("}\n");
        }

        return builder.ToString();
    }

    /// <summary>The CSV the transformer must produce for <see cref="Ndjson"/>.</summary>
    public static string ExpectedCsv(int rows, int seed = 0)
    {
        var builder = new StringBuilder("RayID,ClientIP,EdgeResponseStatus\n");
        for (var i = 0; i < rows; i++)
        {
            builder.Append("ray").Append(seed).Append('-').Append(i)
                .Append(",10.0.0.").Append(i % 250)
                .Append(',').Append(200 + (i % 5)).Append('\n');
        }

        return builder.ToString();
    }

    public static R2EventNotification Event(string bucket, string key, string? eTag, long? size = null, R2EventAction action = R2EventAction.PutObject) => new()
    {
        Account = "acct",
        Action = action,
        Bucket = bucket,
        Object = new R2EventObject(key, size, eTag),
        EventTime = DateTimeOffset.UtcNow,
    };
}
