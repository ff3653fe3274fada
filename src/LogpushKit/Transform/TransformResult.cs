namespace LogpushKit.Transform;

/// <summary>What one transform did. For every transform, <c>Records == Rows + BadLines</c>.</summary>
public sealed record TransformResult
{
    /// <summary>Records read (non-blank input lines).</summary>
    public long Records { get; init; }

    /// <summary>CSV data rows written (the header row is not counted).</summary>
    public long Rows { get; init; }

    /// <summary>Lines that were not valid input and were skipped or quarantined.</summary>
    public long BadLines { get; init; }

    /// <summary>How many times a record held a key that is not one of the columns.</summary>
    public long UnknownKeys { get; init; }

    /// <summary>The distinct unknown key names seen (at most 100).</summary>
    public IReadOnlyList<string> UnknownKeyNames { get; init; } = [];

    /// <summary>The columns written, in order.</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>
    /// The dataset the columns and timestamps were taken from: <see cref="TransformOptions.Dataset"/> when named, the
    /// detected one under <see cref="TransformOptions.AutoDataset"/>; <see langword="null"/> when none (dataset unknown).
    /// </summary>
    public string? Dataset { get; init; }

    /// <summary>Keys of the first record outside the dataset's columns (with <see cref="TransformOptions.DatasetColumns"/>): appended as columns or dropped, as <see cref="TransformOptions.OnNewKeys"/> says.</summary>
    public IReadOnlyList<string> NewKeyNames { get; init; } = [];

    /// <summary>The columns whose timestamps were converted.</summary>
    public int TimestampColumns { get; init; }

    /// <summary>The record format found (or forced).</summary>
    public LogpushInputFormat InputFormat { get; init; }

    /// <summary><see langword="true"/> when the input was gzip.</summary>
    public bool Gzip { get; init; }

    /// <summary>Bytes read from the input (compressed, when it was gzip).</summary>
    public long BytesIn { get; init; }

    /// <summary>Bytes after decompression (equal to <see cref="BytesIn"/> for plain input).</summary>
    public long BytesDecompressed { get; init; }

    /// <summary>CSV bytes written.</summary>
    public long BytesOut { get; init; }

    /// <summary>Wall time of the transform.</summary>
    public TimeSpan Elapsed { get; init; }
}
