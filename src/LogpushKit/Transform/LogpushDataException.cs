namespace LogpushKit.Transform;

/// <summary>
/// The input is not a valid Logpush object: corrupt or truncated gzip, a malformed JSON line, too many decompressed
/// bytes. The message names the source, the line and the byte offset (in the decompressed data).
/// </summary>
public sealed class LogpushDataException : LogpushKitException
{
    /// <summary>Creates the exception; the message is composed from the reason and the location.</summary>
    public LogpushDataException(string reason, string? sourceName, long? lineNumber, long? byteOffset, Exception? innerException = null)
        : base(Compose(reason, sourceName, lineNumber, byteOffset), innerException)
    {
        Reason = reason;
        SourceName = sourceName;
        LineNumber = lineNumber;
        ByteOffset = byteOffset;
    }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }

    /// <summary>The file or object key, when known.</summary>
    public string? SourceName { get; }

    /// <summary>The 1-based line number, when the failure belongs to a line.</summary>
    public long? LineNumber { get; }

    /// <summary>The 0-based offset in the decompressed data where the failing line (or data) starts.</summary>
    public long? ByteOffset { get; }

    private static string Compose(string reason, string? sourceName, long? lineNumber, long? byteOffset)
    {
        var where = string.Join(", ", new[]
        {
            sourceName,
            lineNumber is { } l ? FormattableString.Invariant($"line {l}") : null,
            byteOffset is { } o ? FormattableString.Invariant($"byte offset {o}") : null,
        }.Where(s => s is not null));
        return where.Length == 0 ? reason : $"{where}: {reason}";
    }
}
