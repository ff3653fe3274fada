namespace LogpushKit.Transform;

/// <summary>
/// An option cannot apply to the input it met, so the transform refuses it rather than ignore it: e.g.
/// <see cref="TransformOptions.TimestampOutput"/> on csv input without <see cref="TransformOptions.Fields"/> (csv has no
/// header naming its columns), or when none of the columns is a timestamp field. The data is not at fault; the options
/// are (a host reports it as a usage error). Options that can never apply are rejected earlier, by the
/// <see cref="LogpushCsvTransformer"/> constructor.
/// </summary>
public sealed class TransformOptionsException : LogpushKitException
{
    /// <summary>Creates the exception; the message is composed from the source and the reason.</summary>
    /// <param name="optionName">The <see cref="TransformOptions"/> property that cannot apply.</param>
    /// <param name="reason">Why, in terms of <see cref="TransformOptions"/> property names.</param>
    /// <param name="sourceName">The file or object key, when known.</param>
    public TransformOptionsException(string optionName, string reason, string? sourceName)
        : base(sourceName is null ? reason : $"{sourceName}: {reason}")
    {
        OptionName = optionName;
        Reason = reason;
        SourceName = sourceName;
    }

    /// <summary>The <see cref="TransformOptions"/> property that cannot apply, e.g. <c>TimestampOutput</c>.</summary>
    public string OptionName { get; }

    /// <summary>Why, without the source.</summary>
    public string Reason { get; }

    /// <summary>The file or object key, when known.</summary>
    public string? SourceName { get; }
}
