namespace LogpushKit.Transform;

/// <summary>Per-call inputs of a transform that are not options: where the data came from and where bad lines go.</summary>
public sealed record TransformContext
{
    /// <summary>The file name or object key of the input, named in every error message.</summary>
    public string? SourceName { get; init; }

    /// <summary>Where quarantined bad lines are written (policy <see cref="BadLinePolicy.Quarantine"/>). Not disposed by the transformer.</summary>
    public Stream? Quarantine { get; init; }

    /// <summary>Receives the count of decompressed bytes processed so far, about once per buffer.</summary>
    public IProgress<long>? Progress { get; init; }
}
