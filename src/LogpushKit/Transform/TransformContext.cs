namespace LogpushKit.Transform;

/// <summary>Per-call inputs of a transform that are not options: where the data came from and where bad lines go.</summary>
public sealed record TransformContext
{
    /// <summary>The file name or object key of the input, named in every error message.</summary>
    public string? SourceName { get; init; }

    /// <summary>Where quarantined bad lines are written (policy <c>Quarantine</c>). Not disposed by the transformer.</summary>
    public Stream? Quarantine { get; init; }
}
