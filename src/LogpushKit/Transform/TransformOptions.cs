namespace LogpushKit.Transform;

/// <summary>
/// How a Logpush object becomes CSV. Immutable; <see cref="Default"/> gives ndjson/csv auto-detection, a header row,
/// comma delimiter, LF row endings, no BOM, timestamps as written, and failing on the first bad line.
/// </summary>
/// <remarks>CONTRACT SKETCH — the transformer issue fills in and documents every option.</remarks>
public sealed record TransformOptions
{
    /// <summary>The defaults.</summary>
    public static TransformOptions Default { get; } = new();

    /// <summary>The columns, in order. <see langword="null"/>: the keys of the first ndjson record, in their order.</summary>
    public IReadOnlyList<string>? Fields { get; init; }

    /// <summary>Write a header row of column names first. Default <see langword="true"/>.</summary>
    public bool WriteHeader { get; init; } = true;
}
