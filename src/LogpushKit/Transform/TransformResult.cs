namespace LogpushKit.Transform;

/// <summary>What one transform did. CONTRACT SKETCH — the transformer issue completes it.</summary>
public sealed record TransformResult
{
    /// <summary>Records read (non-blank input lines).</summary>
    public long Records { get; init; }

    /// <summary>CSV data rows written (the header row is not counted).</summary>
    public long Rows { get; init; }

    /// <summary>Bytes read from the input (compressed, when it was gzip).</summary>
    public long BytesIn { get; init; }

    /// <summary>CSV bytes written.</summary>
    public long BytesOut { get; init; }

    /// <summary>Wall time of the transform.</summary>
    public TimeSpan Elapsed { get; init; }
}
