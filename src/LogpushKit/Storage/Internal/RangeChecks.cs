namespace LogpushKit.Storage;

/// <summary>Range validation shared by the local buckets, matching S3's answers.</summary>
internal static class RangeChecks
{
    /// <summary>The HTTP status S3 answers for a range that starts past the end of the object.</summary>
    public const int RangeNotSatisfiable = 416;

    /// <summary>Refuses ranges no implementation can express (negative offset, non-positive length).</summary>
    public static void Validate(R2Range? range)
    {
        if (range is null)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(range.Offset, nameof(range));
        if (range.Length is { } length)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length, nameof(range));
        }
    }

    /// <summary>
    /// The offset and length to serve for <paramref name="range"/> of an object of <paramref name="size"/> bytes: a
    /// length running past the end is cut at the end; an offset at or past the end of a non-empty object fails with
    /// status 416, as S3 does.
    /// </summary>
    public static (long Offset, long Length) Resolve(R2Range? range, long size, string bucket, string key)
    {
        if (range is null)
        {
            return (0, size);
        }

        if (range.Offset >= size && (size > 0 || range.Offset > 0))
        {
            throw new R2BucketException(
                $"Bucket '{bucket}': range starting at byte {range.Offset} of '{ObjectKeyText.Escape(key)}' is not satisfiable (the object has {size} bytes).",
                bucket,
                key,
                RangeNotSatisfiable);
        }

        var length = Math.Min(range.Length ?? long.MaxValue, size - range.Offset);
        return (range.Offset, length);
    }
}
