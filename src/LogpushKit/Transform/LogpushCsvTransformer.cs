using System.IO.Pipelines;

namespace LogpushKit.Transform;

/// <summary>
/// Converts one Logpush object (gzip'd or plain; ndjson or csv) into RFC 4180 CSV, streaming, in constant memory.
/// CONTRACT SKETCH — the transformer issue implements it.
/// </summary>
public sealed class LogpushCsvTransformer
{
    /// <summary>Creates a transformer; options are validated here.</summary>
    public LogpushCsvTransformer(TransformOptions? options = null) => Options = options ?? TransformOptions.Default;

    /// <summary>The options this transformer applies.</summary>
    public TransformOptions Options { get; }

    /// <summary>Reads <paramref name="input"/> to its end and writes CSV to <paramref name="output"/>. Neither stream is disposed.</summary>
    public Task<TransformResult> TransformAsync(Stream input, Stream output, TransformContext? context = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Reads <paramref name="input"/> to its end and writes CSV to <paramref name="output"/>; completes neither.</summary>
    public Task<TransformResult> TransformAsync(PipeReader input, PipeWriter output, TransformContext? context = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();
}
