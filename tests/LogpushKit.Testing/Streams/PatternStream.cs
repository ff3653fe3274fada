namespace LogpushKit.Testing.Streams;

/// <summary>
/// A non-seekable stream of <c>length</c> deterministic bytes that allocates nothing per byte, so tests can put
/// objects of many megabytes without holding them; <see cref="ByteAt"/> gives the expected byte at any position.
/// Reads return at most <c>maxChunk</c> bytes, to exercise callers that must loop.
/// </summary>
public sealed class PatternStream(long length, int seed = 0, int maxChunk = 64 * 1024) : ReadOnlyStream
{
    private long _position;

    /// <summary>The number of bytes read so far.</summary>
    public long BytesRead => _position;

    public static byte ByteAt(long position, int seed = 0)
    {
        unchecked
        {
            var x = (ulong)position * 0x9E3779B97F4A7C15UL ^ (ulong)seed * 0xC2B2AE3D27D4EB4FUL;
            return (byte)((x >> 29) ^ (x >> 47) ^ (byte)position);
        }
    }

    public static byte[] Bytes(int length, int seed = 0)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = ByteAt(i, seed);
        }

        return bytes;
    }

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(Math.Min(buffer.Length, maxChunk), length - _position);
        for (var i = 0; i < count; i++)
        {
            buffer[i] = ByteAt(_position + i, seed);
        }

        _position += count;
        return count;
    }

    /// <summary>Reads <paramref name="actual"/> to its end and asserts it holds bytes <c>offset</c>.. of the pattern, exactly <paramref name="expectedLength"/> of them.</summary>
    public static async Task AssertContentAsync(Stream actual, long expectedLength, int seed = 0, long offset = 0)
    {
        var buffer = new byte[81920];
        long position = 0;
        int read;
        while ((read = await actual.ReadAsync(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != ByteAt(offset + position + i, seed))
                {
                    Assert.Fail($"Byte {position + i} differs: expected {ByteAt(offset + position + i, seed)}, got {buffer[i]}.");
                }
            }

            position += read;
            Assert.True(position <= expectedLength, $"Body is longer than the expected {expectedLength} bytes.");
        }

        Assert.Equal(expectedLength, position);
    }

    /// <summary>The MD5 hex of the first <paramref name="length"/> bytes of the pattern.</summary>
    public static string Md5Hex(long length, int seed = 0)
    {
        using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
        using var stream = new PatternStream(length, seed);
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            md5.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }
}
