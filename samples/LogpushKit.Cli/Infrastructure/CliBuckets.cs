using System.IO.Pipelines;
using LogpushKit.R2;
using LogpushKit.Storage;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Bucket objects for <see cref="CliStreams"/>: <c>r2://bucket/key</c> and <c>s3://bucket/key</c>, opened through the
/// library's <see cref="R2BucketProvider"/> (the same endpoint and credential rule as <c>run</c> and the worker). Objects
/// stream in both directions.
/// </summary>
internal static class CliBuckets
{
    /// <summary>The name of the flag that gives an explicit endpoint.</summary>
    public const string EndpointFlag = "--endpoint";

    /// <summary>The CLI's bucket providers: r2:// and s3:// through LogpushKit.R2, and local folders.</summary>
    public static BucketProviders Providers { get; } = new(new R2BucketProvider());

    /// <summary>Opens an object for reading; a missing object is a <see cref="FileNotFoundException"/> naming it.</summary>
    public static async Task<CliInput> OpenInputAsync(string location, string setting, string? endpoint, CancellationToken cancellationToken)
    {
        var (parsed, bucket) = Open(location, setting, BucketRole.Source, endpoint);
        try
        {
            var body = await bucket.GetAsync(parsed.Key!, cancellationToken: cancellationToken)
                ?? throw new FileNotFoundException($"{location}: no such object.");
            return new CliInput(body.Body, location, body.Info.Size, bucket as IDisposable);
        }
        catch
        {
            (bucket as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates an output that streams into a put of the object. The object appears only when the output is committed;
    /// disposing it uncommitted fails the put, so the bucket aborts it and nothing appears.
    /// </summary>
    public static CliOutput CreateOutput(string location, string setting, string? endpoint, CancellationToken cancellationToken)
    {
        var (parsed, bucket) = Open(location, setting, BucketRole.Target, endpoint);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024));
        var put = PutAsync(bucket, parsed.Key!, pipe.Reader, cancellationToken);
        var writer = pipe.Writer.AsStream();
        return CliOutput.Deferred(
            writer,
            location,
            commit: async commitToken =>
            {
                await writer.FlushAsync(commitToken);
                await pipe.Writer.CompleteAsync();
                await put;
            },
            revoke: revokeToken => bucket.DeleteAsync(parsed.Key!, revokeToken),
            dispose: async committed =>
            {
                if (!committed)
                {
                    await pipe.Writer.CompleteAsync(new OperationCanceledException("The output was abandoned before it was complete."));
                    try
                    {
                        await put;
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or LogpushKitException or IOException)
                    {
                        // Expected: the put was failed on purpose so that no object appears.
                    }
                }

                (bucket as IDisposable)?.Dispose();
            });
    }

    private static async Task PutAsync(IR2Bucket bucket, string key, PipeReader reader, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await using var content = reader.AsStream(leaveOpen: true);
            await bucket.PutAsync(key, content, new R2PutOptions { ContentType = "text/csv; charset=utf-8" }, cancellationToken);
        }
        finally
        {
            // Unblocks the writer if the put failed early; its error surfaces on commit.
            await reader.CompleteAsync();
        }
    }

    private static (BucketLocation Location, IR2Bucket Bucket) Open(string location, string setting, BucketRole role, string? endpoint)
    {
        if (!BucketLocation.TryParse(location, out var parsed, out var error))
        {
            throw new UsageException($"{setting}: {error}");
        }

        if (string.IsNullOrEmpty(parsed.Key) || parsed.Key.EndsWith('/'))
        {
            throw new UsageException($"{setting}: '{location}' names no object; expected {(parsed.Kind == BucketLocationKind.R2 ? "r2" : "s3")}://bucket/key.");
        }

        var request = new BucketRequest { Location = parsed, Setting = setting, Role = role, Endpoint = endpoint, EndpointSetting = EndpointFlag };
        return (parsed, Providers.Open(request));
    }
}
