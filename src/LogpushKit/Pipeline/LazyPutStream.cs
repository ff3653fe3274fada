using System.Buffers;
using System.IO.Pipelines;
using LogpushKit.Storage;

namespace LogpushKit.Pipeline;

/// <summary>
/// A write-only stream that becomes a streaming put of <c>key</c> only when the first byte is written, so a side
/// output that stays empty (the quarantine of a clean object) creates no object. <see cref="CompleteAsync"/> ends
/// the put (or aborts it, given an exception) and returns the stored object, or <see langword="null"/> when nothing
/// was written.
/// </summary>
internal sealed class LazyPutStream : ForwardOnlyStream
{
    private readonly IR2Bucket _bucket;
    private readonly string _key;
    private readonly R2PutOptions _options;
    private readonly CancellationToken _cancellationToken;
    private Pipe? _pipe;
    private Task<R2ObjectInfo>? _put;

    public LazyPutStream(IR2Bucket bucket, string key, R2PutOptions options, CancellationToken cancellationToken)
    {
        _bucket = bucket;
        _key = key;
        _options = options;
        _cancellationToken = cancellationToken;
    }

    public bool Started => _put is not null;

    public override bool CanRead => false;

    public override bool CanWrite => true;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var writer = Start();
        writer.Write(buffer);
#pragma warning disable CA1849, CA2012 // a synchronous Write must block; the put reads concurrently on its own task
        var flush = writer.FlushAsync(_cancellationToken).AsTask().GetAwaiter().GetResult();
#pragma warning restore CA1849, CA2012
        ThrowIfCompleted(flush);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var flush = await Start().WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        ThrowIfCompleted(flush);
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Ends the put: with <paramref name="error"/> it is aborted (and awaited without throwing).</summary>
    public async Task<R2ObjectInfo?> CompleteAsync(Exception? error = null)
    {
        if (_pipe is null || _put is null)
        {
            return null;
        }

        await _pipe.Writer.CompleteAsync(error).ConfigureAwait(false);
        if (error is null)
        {
            return await _put.ConfigureAwait(false);
        }

        try
        {
            await _put.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // the put was aborted on purpose: the caller reports the original error
        }

        return null;
    }

    private PipeWriter Start()
    {
        if (_pipe is null)
        {
            _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
            var reader = _pipe.Reader;
            _put = Task.Run(
                async () =>
                {
                    var stream = reader.AsStream();
                    try
                    {
                        return await _bucket.PutAsync(_key, stream, _options, _cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        await reader.CompleteAsync(ex).ConfigureAwait(false);
                        throw;
                    }
                    finally
                    {
                        await reader.CompleteAsync().ConfigureAwait(false);
                    }
                },
                CancellationToken.None);
        }

        return _pipe.Writer;
    }

    private void ThrowIfCompleted(FlushResult flush)
    {
        if (flush.IsCompleted || flush.IsCanceled)
        {
            throw new LogpushKitException($"The put of '{_key}' to bucket '{_bucket.Name}' stopped reading.", _put?.Exception?.InnerException);
        }
    }
}
