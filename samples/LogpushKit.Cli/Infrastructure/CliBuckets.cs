using LogpushKit.Pipeline;
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
    /// Creates an output that streams into a put of the object (the library's <see cref="BucketPutStream"/>, as the
    /// pipeline's targets): the object appears only when the output is committed; disposing it uncommitted aborts the put,
    /// so nothing appears (and no multipart upload is left).
    /// </summary>
    /// <param name="location">The object, <c>r2://bucket/key</c> or <c>s3://bucket/key</c>.</param>
    /// <param name="setting">The flag it came from, for messages.</param>
    /// <param name="endpoint">An explicit endpoint (<c>--endpoint</c>).</param>
    /// <param name="contentType">The object's content type (see <see cref="LogpushObjectProcessor.ContentTypeFor"/>).</param>
    /// <param name="cancellationToken">Cancels the put (nothing appears).</param>
    public static CliOutput CreateOutput(string location, string setting, string? endpoint, string contentType, CancellationToken cancellationToken)
    {
        var (parsed, bucket) = Open(location, setting, BucketRole.Target, endpoint);
        try
        {
            var put = new BucketPutStream(bucket, parsed.Key!, new R2PutOptions { ContentType = contentType }, cancellationToken: cancellationToken);
            return CliOutput.Deferred(
                put,
                location,
                commit: async commitToken => await put.CommitAsync(commitToken),
                revoke: revokeToken => bucket.DeleteAsync(parsed.Key!, revokeToken),
                dispose: async _ =>
                {
                    await put.DisposeAsync(); // aborts the put unless it was committed
                    (bucket as IDisposable)?.Dispose();
                });
        }
        catch
        {
            (bucket as IDisposable)?.Dispose();
            throw;
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
