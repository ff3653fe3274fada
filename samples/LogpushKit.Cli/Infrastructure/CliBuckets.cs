using System.IO.Pipelines;
using LogpushKit.R2;
using LogpushKit.Storage;

namespace LogpushKit.Cli.Infrastructure;

/// <summary>
/// Bucket locations for <see cref="CliStreams"/>: <c>r2://bucket/key</c> (endpoint and credentials from the
/// <c>R2_*</c> environment variables, or <c>--endpoint</c>) and <c>s3://bucket/key</c> (endpoint from
/// <c>--endpoint</c> or <c>LOGPUSHKIT_S3_ENDPOINT</c>; credentials from <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>,
/// else <c>R2_ACCESS_KEY_ID</c>/<c>R2_SECRET_ACCESS_KEY</c>). Objects stream in both directions.
/// </summary>
internal static class CliBuckets
{
    /// <summary>The environment variable that gives the endpoint of <c>s3://</c> locations.</summary>
    public const string S3EndpointVariable = "LOGPUSHKIT_S3_ENDPOINT";

    /// <summary>Whether <paramref name="location"/> is a bucket URI rather than a path.</summary>
    public static bool IsBucketUri(string location) =>
        location.StartsWith("r2://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens an object for reading; a missing object is a <see cref="FileNotFoundException"/> naming it.</summary>
    public static async Task<CliInput> OpenInputAsync(string location, string? endpoint, CancellationToken cancellationToken)
    {
        var (parsed, bucket) = Open(location, endpoint);
        try
        {
            var body = await bucket.GetAsync(parsed.Key!, cancellationToken: cancellationToken)
                ?? throw new FileNotFoundException($"{location}: no such object.");
            return new CliInput(body.Body, location, body.Info.Size, bucket);
        }
        catch
        {
            bucket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates an output that streams into a put of the object. The object appears only when the output is committed;
    /// disposing it uncommitted fails the put, so the bucket aborts it and nothing appears.
    /// </summary>
    public static CliOutput CreateOutput(string location, string? endpoint, CancellationToken cancellationToken)
    {
        var (parsed, bucket) = Open(location, endpoint);
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

                bucket.Dispose();
            });
    }

    private static async Task PutAsync(R2Bucket bucket, string key, PipeReader reader, CancellationToken cancellationToken)
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

    private static (BucketLocation Location, R2Bucket Bucket) Open(string location, string? endpoint)
    {
        if (!BucketLocation.TryParse(location, out var parsed, out var error))
        {
            throw new UsageException(error);
        }

        if (string.IsNullOrEmpty(parsed.Key) || parsed.Key.EndsWith('/'))
        {
            throw new UsageException($"'{location}' names no object; expected {(parsed.Kind == BucketLocationKind.R2 ? "r2" : "s3")}://bucket/key.");
        }

        return (parsed, OpenRemote(parsed, endpoint));
    }

    /// <summary>
    /// Opens the bucket of an <c>r2://</c> or <c>s3://</c> location: the endpoint from <paramref name="endpoint"/>, else
    /// <c>LOGPUSHKIT_S3_ENDPOINT</c> (s3://) or the <c>R2_*</c> variables (r2://); credentials for s3:// from
    /// <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, else the <c>R2_*</c> ones. Shared by <c>convert</c>, <c>run</c> and <c>consume</c>.
    /// </summary>
    public static R2Bucket OpenRemote(BucketLocation parsed, string? endpoint)
    {
        var options = new R2BucketOptions { Bucket = parsed.Bucket! };
        if (string.IsNullOrEmpty(endpoint) && parsed.Kind == BucketLocationKind.S3)
        {
            endpoint = Environment.GetEnvironmentVariable(S3EndpointVariable);
        }

        if (!string.IsNullOrEmpty(endpoint))
        {
            options.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new UsageException($"--endpoint '{endpoint}' is not an absolute http:// or https:// URL.");
        }
        else if (parsed.Kind == BucketLocationKind.S3)
        {
            throw new UsageException($"'{parsed}' needs the server's address: --endpoint URL or the {S3EndpointVariable} environment variable.");
        }

        if (parsed.Kind == BucketLocationKind.S3)
        {
            options.AccessKeyId = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
            options.SecretAccessKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        }

        try
        {
            return new R2Bucket(options);
        }
        catch (ArgumentException ex)
        {
            // Lists what is missing (setting and environment variable), never a secret.
            throw new UsageException($"{parsed}: {ex.Message.Split(" (Parameter", 2)[0]}");
        }
    }
}
