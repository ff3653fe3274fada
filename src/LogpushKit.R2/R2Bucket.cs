using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LogpushKit.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.R2;

/// <summary>
/// A Cloudflare R2 bucket — or a bucket on any S3-compatible server — as an <see cref="IR2Bucket"/>, over the AWS
/// SDK with R2's rules built in.
/// </summary>
/// <remarks>
/// <para>
/// <b>R2's rules.</b> Requests are signed for region <c>auto</c>; the SDK computes and validates checksums only when
/// an operation requires them (R2 refuses the SDK's default checksum trailers); uploads are never sent with
/// <c>aws-chunked</c> encoding (R2 does not implement streaming SigV4); over HTTPS the payload is sent unsigned
/// (<c>UNSIGNED-PAYLOAD</c>, as R2 recommends), over plain HTTP it is signed (the SDK refuses unsigned payloads
/// without TLS).
/// </para>
/// <para>
/// <b>Puts</b> read the source one part at a time into pooled buffers: an object that ends within
/// <see cref="R2BucketOptions.SinglePutThreshold"/> bytes goes in one PUT; a longer one becomes a multipart upload
/// whose parts all have <see cref="R2BucketOptions.PartSize"/> bytes except the last, with at most
/// <see cref="R2BucketOptions.PartsInFlight"/> buffers held at once. On any failure or cancellation the upload is
/// aborted, so no object and no parts remain; a server that refuses the abort (some S3 emulators answer 405) is
/// logged as a warning and the original error is thrown.
/// </para>
/// <para>
/// <b>Conditional puts</b> (<see cref="PutIfAsync"/>) send <c>If-None-Match: *</c> or <c>If-Match</c> on the
/// PutObject or the CompleteMultipartUpload request, so the server decides atomically (R2 and S3 both implement them);
/// an answer of 412 Precondition Failed or 409 ConditionalRequestConflict means another writer won: nothing is written
/// (a multipart upload is aborted) and the result is <see langword="null"/>. A server that answers 501 Not Implemented
/// to the conditional header gets the same request without it, and a warning is logged once per bucket client; later
/// puts of this client are then unconditional.
/// </para>
/// <para>
/// <b>Cleanup.</b> <see cref="CleanUpAsync"/> lists the bucket's incomplete multipart uploads under the prefix
/// (ListMultipartUploads) and aborts those started before the given age whose key passes the filter. A server that
/// cannot list them (some S3 emulators answer 501) is reported in the result's problems, not thrown.
/// </para>
/// <para>
/// <b>Failures.</b> Transient failures (5xx, throttling, connection resets) are retried with backoff by the SDK's
/// standard retry mode, up to <see cref="R2BucketOptions.MaxRetries"/> times; other failures surface at once as
/// <see cref="R2BucketException"/> with the bucket, key and HTTP status. A missing object is <see langword="null"/>
/// from <see cref="HeadAsync"/> and <see cref="GetAsync"/>. Failures of the caller's source stream propagate
/// unchanged. <see cref="R2ObjectInfo.LastModified"/> from <see cref="PutAsync"/> is the client's clock when the
/// put completed; head, get and list report the server's.
/// </para>
/// </remarks>
public sealed class R2Bucket : IR2Bucket, IDisposable
{
    private const string MetadataHeaderPrefix = "x-amz-meta-";
    private const int MaxParts = 10_000;
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(30);

    private readonly AmazonS3Client _client;
    private readonly HandlerHttpClientFactory _httpClientFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly int _partSize;
    private readonly int _partsInFlight;
    private readonly int _singlePutThreshold;
    private readonly int? _listPageSize;
    private int _conditionalWrites; // 0: sent, -1: the server answered 501, so no longer sent

    /// <summary>Creates a client for the bucket <paramref name="options"/> describe.</summary>
    /// <param name="options">The settings; read once, here.</param>
    /// <param name="logger">Receives one entry per multipart upload and abort; optional.</param>
    /// <param name="timeProvider">The clock for the put result's last-modified time; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">The options are incomplete or invalid (the message lists every problem, never the secret).</exception>
    public R2Bucket(R2BucketOptions options, ILogger<R2Bucket>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = R2BucketOptionsValidator.Check(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException("Invalid R2 bucket options: " + string.Join(" ", failures), nameof(options));
        }

        Name = options.Bucket;
        Endpoint = options.ResolveEndpoint()!;
        SignsPayload = Endpoint.Scheme == Uri.UriSchemeHttp;
        _partSize = options.PartSize;
        _partsInFlight = options.PartsInFlight;
        _singlePutThreshold = options.EffectiveSinglePutThreshold;
        _listPageSize = options.ListPageSize;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _httpClientFactory = new HandlerHttpClientFactory(options.HttpMessageHandlerFactory, options.RequestTimeout);
        Config = new AmazonS3Config
        {
            ServiceURL = Endpoint.AbsoluteUri,
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = "auto",
            IgnoreConfiguredEndpointUrls = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.MaxRetries,
            Timeout = options.RequestTimeout,
            HttpClientFactory = _httpClientFactory,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(options.ResolveAccessKeyId(), options.ResolveSecretAccessKey()), Config);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The endpoint requests go to.</summary>
    public Uri Endpoint { get; }

    /// <summary>The endpoint and bucket, so that two clients of one bucket are recognised as one store.</summary>
    public R2BucketIdentity Identity => new("s3:" + Endpoint.AbsoluteUri.TrimEnd('/') + "/" + Name + "/");

    /// <summary>Whether the server refused a conditional header with 501, so puts of this client are unconditional.</summary>
    internal bool ConditionalWritesRefused => Volatile.Read(ref _conditionalWrites) < 0;

    /// <summary>The SDK configuration in effect (for tests of R2's settings).</summary>
    internal AmazonS3Config Config { get; }

    /// <summary>Whether upload payloads are signed (plain HTTP) rather than sent as <c>UNSIGNED-PAYLOAD</c> (HTTPS).</summary>
    internal bool SignsPayload { get; }

    /// <inheritdoc />
    public async Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        try
        {
            var response = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Name, Key = key }, cancellationToken).ConfigureAwait(false);
            return new R2ObjectInfo(key, response.Headers.ContentLength, TrimETag(response.ETag), ToOffset(response.LastModified))
            {
                ContentType = response.Headers.ContentType,
                CustomMetadata = ReadMetadata(response.Metadata),
            };
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
        {
            throw Failure("head", key, ex);
        }
    }

    /// <inheritdoc />
    public async Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        if (range is not null)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(range.Offset, nameof(range));
            if (range.Length is { } length)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length, nameof(range));
            }
        }

        var request = new GetObjectRequest { BucketName = Name, Key = key };
        if (range is not null)
        {
            request.ByteRange = range.Length is { } length ? new ByteRange(range.Offset, range.Offset + length - 1) : new ByteRange($"bytes={range.Offset}-");
        }

        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
        {
            throw Failure("get", key, ex);
        }

        try
        {
            var size = TotalSize(response.ContentRange) ?? response.Headers.ContentLength;
            var info = new R2ObjectInfo(key, size, TrimETag(response.ETag), ToOffset(response.LastModified))
            {
                ContentType = response.Headers.ContentType,
                CustomMetadata = ReadMetadata(response.Metadata),
            };
            return new R2ObjectBody(info, new ResponseStream(response));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default)
        => (await PutCoreAsync(key, content, options, null, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc />
    /// <remarks>The server checks the condition (see the class remarks, also for servers without conditional writes).</remarks>
    public Task<R2ObjectInfo?> PutIfAsync(string key, Stream content, R2Conditional condition, R2PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return PutCoreAsync(key, content, options, condition, cancellationToken);
    }

    private async Task<R2ObjectInfo?> PutCoreAsync(string key, Stream content, R2PutOptions? options, R2Conditional? condition, CancellationToken cancellationToken)
    {
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(content);
        var metadata = CheckMetadata(key, options?.CustomMetadata);
        using var slots = new SemaphoreSlim(_partsInFlight, _partsInFlight);
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var first = ArrayPool<byte>.Shared.Rent(_partSize);
        try
        {
            // Source failures propagate as they are (no remote request has been made yet).
            var firstLength = await FillAsync(content, first, 0, cancellationToken).ConfigureAwait(false);
            var ended = firstLength < _partSize;
            int? carried = null;
            if (!ended && firstLength <= _singlePutThreshold)
            {
                var probe = new byte[1];
                if (await content.ReadAsync(probe, cancellationToken).ConfigureAwait(false) == 0)
                {
                    ended = true;
                }
                else
                {
                    carried = probe[0];
                }
            }

            if (ended && firstLength <= _singlePutThreshold)
            {
                return await PutSingleAsync(key, first, firstLength, options?.ContentType, metadata, condition, cancellationToken).ConfigureAwait(false);
            }

            var owned = first;
            first = null;
            return await PutMultipartAsync(key, content, owned, firstLength, carried, ended, options?.ContentType, metadata, condition, slots, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (first is not null)
            {
                ArrayPool<byte>.Shared.Return(first);
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new R2ListOptions();
        string? continuation = null;
        string? last = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = Name,
                Prefix = NullIfEmpty(options.Prefix),
                StartAfter = NullIfEmpty(options.StartAfter),
                Delimiter = NullIfEmpty(options.Delimiter),
                ContinuationToken = continuation,
            };
            if (_listPageSize is { } pageSize)
            {
                request.MaxKeys = pageSize;
            }

            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
            {
                throw Failure("list", options.Prefix, ex);
            }

            // A page lists objects and common prefixes separately, each in key order: merge them.
            var objects = response.S3Objects ?? [];
            var prefixes = response.CommonPrefixes ?? [];
            int o = 0, p = 0;
            while (o < objects.Count || p < prefixes.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                R2ListItem entry;
                if (p >= prefixes.Count || (o < objects.Count && ObjectKeyOrder.Compare(objects[o].Key, prefixes[p]) < 0))
                {
                    var item = objects[o++];
                    entry = new R2ListItem(item.Key, new R2ObjectInfo(item.Key, item.Size ?? 0, TrimETag(item.ETag), ToOffset(item.LastModified)));
                }
                else
                {
                    entry = new R2ListItem(prefixes[p++], null);
                }

                // Some S3-compatible servers repeat a common prefix at the start of the next page: list it once.
                if (last is not null && string.Equals(entry.Key, last, StringComparison.Ordinal))
                {
                    continue;
                }

                last = entry.Key;
                yield return entry;
            }

            continuation = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Name, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            // Already gone.
        }
        catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
        {
            throw Failure("delete", key, ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Lists the incomplete multipart uploads under <see cref="R2CleanupOptions.Prefix"/> and aborts those started at
    /// least <see cref="R2CleanupOptions.OlderThan"/> ago (by the upload's start time as the server reports it, against
    /// this client's clock) whose key passes the filter. Their sizes are not known without listing their parts, so
    /// <see cref="R2Leftover.Size"/> is <see langword="null"/>.
    /// </remarks>
    public async Task<R2CleanupResult> CleanUpAsync(R2CleanupOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new R2CleanupOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.OlderThan, TimeSpan.Zero, nameof(options));
        var cutoff = _timeProvider.GetUtcNow() - options.OlderThan;
        var removed = new List<R2Leftover>();
        var problems = new List<R2BucketProblem>();
        var prefix = options.Prefix ?? string.Empty;
        string? keyMarker = null;
        string? uploadIdMarker = null;
        while (true)
        {
            ListMultipartUploadsResponse page;
            try
            {
                page = await _client.ListMultipartUploadsAsync(
                    new ListMultipartUploadsRequest { BucketName = Name, Prefix = NullIfEmpty(options.Prefix), KeyMarker = keyMarker, UploadIdMarker = uploadIdMarker },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed)
            {
                problems.Add(new R2BucketProblem(prefix, $"the server does not list incomplete multipart uploads (HTTP {(int)ex.StatusCode} {ex.ErrorCode}), so those of killed puts are not removed; a lifecycle rule that aborts incomplete multipart uploads does it instead"));
                break;
            }
            catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
            {
                problems.Add(new R2BucketProblem(prefix, Failure("list multipart uploads", options.Prefix, ex).Message));
                break;
            }

            foreach (var upload in page.MultipartUploads ?? [])
            {
                var started = ToOffset(upload.Initiated);
                if (started > cutoff || upload.Key is null || upload.UploadId is null || !options.Covers(upload.Key))
                {
                    continue;
                }

                try
                {
                    await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Name, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken).ConfigureAwait(false);
                    removed.Add(new R2Leftover(R2LeftoverKind.MultipartUpload, upload.Key, upload.UploadId, null, started));
                }
                catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
                {
                    // completed or aborted meanwhile
                }
                catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
                {
                    problems.Add(new R2BucketProblem(upload.Key, Failure("abort multipart upload " + upload.UploadId + " of", upload.Key, ex).Message));
                }
            }

            if (page.IsTruncated != true || (page.NextKeyMarker is null && page.NextUploadIdMarker is null))
            {
                break;
            }

            keyMarker = page.NextKeyMarker;
            uploadIdMarker = page.NextUploadIdMarker;
        }

        return removed.Count == 0 && problems.Count == 0 ? R2CleanupResult.Nothing : new R2CleanupResult(removed, problems);
    }

    /// <summary>Releases the HTTP connections.</summary>
    public void Dispose()
    {
        _client.Dispose();
        _httpClientFactory.Dispose();
    }

    /// <summary>The PutObject request for one buffered body, with R2's settings.</summary>
    internal PutObjectRequest CreatePutObjectRequest(string key, Stream body, string? contentType, IReadOnlyDictionary<string, string>? metadata)
    {
        var request = new PutObjectRequest
        {
            BucketName = Name,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            UseChunkEncoding = false,
            DisablePayloadSigning = !SignsPayload,
            DisableDefaultChecksumValidation = true,
        };
        if (contentType is not null)
        {
            request.ContentType = contentType;
        }

        AddMetadata(request.Metadata, metadata);
        return request;
    }

    /// <summary>The UploadPart request for one buffered part, with R2's settings.</summary>
    internal UploadPartRequest CreateUploadPartRequest(string key, string uploadId, int partNumber, Stream body, long length) => new()
    {
        BucketName = Name,
        Key = key,
        UploadId = uploadId,
        PartNumber = partNumber,
        InputStream = body,
        PartSize = length,
        UseChunkEncoding = false,
        DisablePayloadSigning = !SignsPayload,
        DisableDefaultChecksumValidation = true,
    };

    private async Task<R2ObjectInfo?> PutSingleAsync(string key, byte[] buffer, int length, string? contentType, IReadOnlyDictionary<string, string>? metadata, R2Conditional? condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            var request = CreatePutObjectRequest(key, body, contentType, metadata);
            var headers = ConditionHeaders(condition);
            request.IfMatch = headers?.IfMatch;
            request.IfNoneMatch = headers?.IfNoneMatch;
            var conditional = headers is not null;
            try
            {
                var response = await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
                Log.ObjectPut(_logger, Name, ObjectKeyText.Escape(key), length);
                return PutResult(key, length, response.ETag, contentType, metadata);
            }
            catch (AmazonS3Exception ex) when (conditional && IsConditionFailed(ex))
            {
                return null;
            }
            catch (AmazonS3Exception ex) when (conditional && ex.StatusCode == HttpStatusCode.NotImplemented)
            {
                RefuseConditionalWrites(ex);
            }
            catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
            {
                throw Failure("put", key, ex);
            }
        }
    }

    /// <summary>
    /// The condition's header, If-Match with the quoted ETag or If-None-Match: *, for a PutObject or a
    /// CompleteMultipartUpload request; <see langword="null"/> when there is no condition or the server refused
    /// conditional writes before.
    /// </summary>
    private (string? IfMatch, string? IfNoneMatch)? ConditionHeaders(R2Conditional? condition)
    {
        if (condition is null || ConditionalWritesRefused)
        {
            return null;
        }

        return condition.ETag is { } etag ? (Quote(etag), null) : (null, "*");
    }

    private static string Quote(string etag) => "\"" + etag + "\"";

    /// <summary>412 Precondition Failed, or 409 ConditionalRequestConflict (a concurrent conditional write won).</summary>
    private static bool IsConditionFailed(AmazonS3Exception ex) =>
        ex.StatusCode == HttpStatusCode.PreconditionFailed ||
        (ex.StatusCode == HttpStatusCode.Conflict && string.Equals(ex.ErrorCode, "ConditionalRequestConflict", StringComparison.Ordinal));

    private void RefuseConditionalWrites(AmazonS3Exception ex)
    {
        if (Interlocked.Exchange(ref _conditionalWrites, -1) == 0)
        {
            Log.ConditionalWritesRefused(_logger, Name, Endpoint.Authority, (int)ex.StatusCode, ex.ErrorCode);
        }
    }

    private async Task<R2ObjectInfo?> PutMultipartAsync(
        string key,
        Stream content,
        byte[] first,
        int firstLength,
        int? carried,
        bool ended,
        string? contentType,
        IReadOnlyDictionary<string, string>? metadata,
        R2Conditional? condition,
        SemaphoreSlim slots,
        CancellationToken cancellationToken)
    {
        string uploadId;
        try
        {
            var initiate = new InitiateMultipartUploadRequest { BucketName = Name, Key = key };
            if (contentType is not null)
            {
                initiate.ContentType = contentType;
            }

            AddMetadata(initiate.Metadata, metadata);
            uploadId = (await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, cancellationToken))
        {
            ArrayPool<byte>.Shared.Return(first);
            slots.Release();
            throw Failure("put", key, ex);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(first);
            slots.Release();
            throw;
        }

        Log.MultipartStarted(_logger, Name, ObjectKeyText.Escape(key), _partSize);
        using var uploads = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var parts = new List<Task<PartETag>>();
        long size = firstLength;
        var readingSource = false;
        try
        {
            parts.Add(UploadPartAsync(key, uploadId, 1, first, firstLength, slots, uploads.Token));
            while (!ended)
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(_partSize);
                int length;
                try
                {
                    ThrowIfAnyFailed(parts);
                    var offset = 0;
                    if (carried is { } carriedByte)
                    {
                        buffer[0] = (byte)carriedByte;
                        carried = null;
                        offset = 1;
                    }

                    readingSource = true;
                    length = await FillAsync(content, buffer, offset, cancellationToken).ConfigureAwait(false);
                    readingSource = false;
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    slots.Release();
                    throw;
                }

                ended = length < _partSize;
                if (length == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    slots.Release();
                    break;
                }

                if (parts.Count == MaxParts)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    slots.Release();
                    throw new R2BucketException(
                        $"R2 bucket '{Name}': put '{ObjectKeyText.Escape(key)}' failed: the object is larger than {MaxParts} parts of {_partSize} bytes; raise PartSize.",
                        Name,
                        key);
                }

                size += length;
                parts.Add(UploadPartAsync(key, uploadId, parts.Count + 1, buffer, length, slots, uploads.Token));
            }

            var etags = await Task.WhenAll(parts).ConfigureAwait(false);
            while (true)
            {
                var headers = ConditionHeaders(condition);
                var complete = new CompleteMultipartUploadRequest
                {
                    BucketName = Name,
                    Key = key,
                    UploadId = uploadId,
                    PartETags = [.. etags],
                    IfMatch = headers?.IfMatch,
                    IfNoneMatch = headers?.IfNoneMatch,
                };
                var conditional = headers is not null;
                try
                {
                    var response = await _client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
                    Log.MultipartCompleted(_logger, Name, ObjectKeyText.Escape(key), size, etags.Length);
                    return PutResult(key, size, response.ETag, contentType, metadata);
                }
                catch (AmazonS3Exception ex) when (conditional && IsConditionFailed(ex))
                {
                    // Another writer won: the parts must not stay behind.
                    await AbortAsync(key, uploadId, parts.Count).ConfigureAwait(false);
                    return null;
                }
                catch (AmazonS3Exception ex) when (conditional && ex.StatusCode == HttpStatusCode.NotImplemented)
                {
                    RefuseConditionalWrites(ex);
                }
            }
        }
        catch (Exception ex)
        {
            await uploads.CancelAsync().ConfigureAwait(false);
            await DrainAsync(parts).ConfigureAwait(false);
            await AbortAsync(key, uploadId, parts.Count).ConfigureAwait(false);
            if (!readingSource && IsRemoteFailure(ex, cancellationToken))
            {
                throw Failure("put", key, ex);
            }

            throw;
        }
    }

    private async Task<PartETag> UploadPartAsync(string key, string uploadId, int partNumber, byte[] buffer, int length, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            var response = await _client.UploadPartAsync(CreateUploadPartRequest(key, uploadId, partNumber, body, length), cancellationToken).ConfigureAwait(false);
            return new PartETag(partNumber, response.ETag);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            slots.Release();
        }
    }

    private static void ThrowIfAnyFailed(List<Task<PartETag>> parts)
    {
        foreach (var part in parts)
        {
            if (part.IsFaulted || part.IsCanceled)
            {
                part.GetAwaiter().GetResult();
            }
        }
    }

    private static async Task DrainAsync(List<Task<PartETag>> parts)
    {
        foreach (var part in parts)
        {
            try
            {
                await part.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The first failure is the one reported; these are its consequences (mostly cancellations).
            }
        }
    }

    private async Task AbortAsync(string key, string uploadId, int parts)
    {
        using var timeout = new CancellationTokenSource(AbortTimeout);
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Name, Key = key, UploadId = uploadId }, timeout.Token).ConfigureAwait(false);
            Log.MultipartAborted(_logger, Name, ObjectKeyText.Escape(key), parts);
        }
        catch (AmazonS3Exception ex)
        {
            Log.AbortRefused(_logger, Name, ObjectKeyText.Escape(key), (int)ex.StatusCode, ex.ErrorCode);
        }
        catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or IOException or SocketException or OperationCanceledException)
        {
            Log.AbortFailed(_logger, Name, ObjectKeyText.Escape(key), ex);
        }
    }

    private R2ObjectInfo PutResult(string key, long size, string? etag, string? contentType, IReadOnlyDictionary<string, string>? metadata) =>
        new(key, size, TrimETag(etag), _timeProvider.GetUtcNow())
        {
            ContentType = contentType,
            CustomMetadata = metadata is { Count: > 0 } ? new Dictionary<string, string>(metadata, StringComparer.Ordinal) : new Dictionary<string, string>(),
        };

    private async Task<int> FillAsync(Stream content, byte[] buffer, int offset, CancellationToken cancellationToken)
    {
        var filled = offset;
        while (filled < _partSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, _partSize - filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private void CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new ObjectKeyException($"R2 bucket '{Name}': key '' is not allowed: it is empty.", Name, key);
        }

        if (Encoding.UTF8.GetByteCount(key) > FileSystemBucket.MaxKeyBytes)
        {
            throw new ObjectKeyException($"R2 bucket '{Name}': key '{ObjectKeyText.Escape(key[..64])}…' is not allowed: it is longer than {FileSystemBucket.MaxKeyBytes} UTF-8 bytes.", Name, key);
        }
    }

    private IReadOnlyDictionary<string, string>? CheckMetadata(string key, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        foreach (var (name, value) in metadata)
        {
            if (!MetadataEncoding.IsValidKey(name))
            {
                throw new ArgumentException($"R2 bucket '{Name}': put '{ObjectKeyText.Escape(key)}': metadata key '{ObjectKeyText.Escape(name)}' is not an HTTP header token (use lower-case letters, digits and '-').", nameof(metadata));
            }

            ArgumentNullException.ThrowIfNull(value, nameof(metadata));
        }

        return metadata;
    }

    private static void AddMetadata(MetadataCollection target, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var (name, value) in metadata)
        {
            target.Add(name.ToLowerInvariant(), MetadataEncoding.Encode(value));
        }
    }

    private static IReadOnlyDictionary<string, string> ReadMetadata(MetadataCollection metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in metadata.Keys)
        {
            var shortName = name.StartsWith(MetadataHeaderPrefix, StringComparison.OrdinalIgnoreCase) ? name[MetadataHeaderPrefix.Length..] : name;
            result[shortName.ToLowerInvariant()] = MetadataEncoding.Decode(metadata[name]);
        }

        return result;
    }

    private static long? TotalSize(string? contentRange)
    {
        // "bytes 0-9/1000"
        var slash = contentRange?.LastIndexOf('/') ?? -1;
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total) ? total : null;
    }

    private static string TrimETag(string? etag) => etag?.Trim('"') ?? string.Empty;

    private static DateTimeOffset ToOffset(DateTime? value) => value is { } time
        ? new DateTimeOffset(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc), TimeSpan.Zero)
        : DateTimeOffset.MinValue;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool IsRemoteFailure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AmazonServiceException or AmazonClientException or HttpRequestException or IOException or SocketException => true,
        _ => false,
    };

    private R2BucketException Failure(string operation, string? key, Exception ex)
    {
        var target = key is null ? string.Empty : $" '{ObjectKeyText.Escape(key)}'";
        return ex switch
        {
            AmazonServiceException service when service.StatusCode != 0 => new R2BucketException(
                $"R2 bucket '{Name}': {operation}{target} failed with HTTP {(int)service.StatusCode}{(string.IsNullOrEmpty(service.ErrorCode) ? string.Empty : " " + service.ErrorCode)}: {service.Message}",
                Name,
                key,
                (int)service.StatusCode,
                ex),
            OperationCanceledException => new R2BucketException($"R2 bucket '{Name}': {operation}{target} timed out.", Name, key, innerException: ex),
            _ => new R2BucketException($"R2 bucket '{Name}': {operation}{target} failed: {ex.Message}", Name, key, innerException: ex),
        };
    }

    /// <summary>A GetObject response body that disposes the response with it.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => _inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
