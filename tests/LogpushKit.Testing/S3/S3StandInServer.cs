using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Testing.S3;

/// <summary>
/// A small S3 protocol stand-in on 127.0.0.1 (Kestrel, plain HTTP, ephemeral port) for what the s3rver fixture lacks:
/// s3rver 3.7.1 ignores <c>If-None-Match</c>/<c>If-Match</c> on writes (it checks them only on GET), answers 501 to
/// ListMultipartUploads and 405 to AbortMultipartUpload. This server implements those after the S3 API reference, and
/// only the operations <c>R2Bucket</c> sends: PutObject, HeadObject, GetObject (with a range), DeleteObject,
/// ListObjectsV2, CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload,
/// ListMultipartUploads, CreateBucket. Anything else is answered 501 NotImplemented.
/// </summary>
/// <remarks>
/// <para><b>Conditional writes</b> on PutObject and CompleteMultipartUpload: <c>If-None-Match: *</c> fails with 412
/// PreconditionFailed when the key exists, <c>If-Match: "etag"</c> when it is missing or has another ETag; the check
/// and the write are one step under a lock, so of two racing writers exactly one wins. A failed conditional complete
/// leaves the upload in place (as S3 does), for the client to abort. With <see cref="ConditionalWrites"/> off, any
/// request carrying either header is answered 501 NotImplemented, like a server that does not implement them.</para>
/// <para><b>Not checked:</b> request signatures (any credentials are accepted), checksums, ACLs. Objects live in memory.</para>
/// <para>ETags: the MD5 of the content for PutObject; for a multipart object the MD5 of the parts' MD5s followed by
/// <c>-N</c>, as S3 computes them.</para>
/// </remarks>
public sealed class S3StandInServer : IAsyncDisposable
{
    private static readonly XNamespace S3 = "http://s3.amazonaws.com/doc/2006-03-01/";
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _writes = new(StringComparer.Ordinal);
    private readonly List<string> _requests = [];

    private S3StandInServer(WebApplication app) => _app = app;

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Whether conditional headers are honoured (default) or answered 501 NotImplemented.</summary>
    public bool ConditionalWrites { get; set; } = true;

    /// <summary>Uploads per ListMultipartUploads page (default 1000, S3's maximum).</summary>
    public int MaxUploadsPerPage { get; set; } = 1000;

    /// <summary>Every request so far as <c>METHOD path?query [If-None-Match|If-Match]</c>.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a server.</summary>
    public static async Task<S3StandInServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var server = new S3StandInServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Creates a bucket and returns its name.</summary>
    public string CreateBucket(string prefix = "standin")
    {
        var name = $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";
        lock (_lock)
        {
            _buckets[name] = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        }

        return name;
    }

    /// <summary>How many writes (PutObject or CompleteMultipartUpload) stored an object at <paramref name="key"/>.</summary>
    public int WritesOf(string bucket, string key)
    {
        lock (_lock)
        {
            return _writes.GetValueOrDefault(bucket + "/" + key);
        }
    }

    /// <summary>The incomplete multipart uploads of <paramref name="bucket"/> as (key, upload id).</summary>
    public IReadOnlyList<(string Key, string UploadId)> Uploads(string bucket)
    {
        lock (_lock)
        {
            return [.. _uploads.Values.Where(u => u.Bucket == bucket).Select(u => (u.Key, u.Id)).Order()];
        }
    }

    /// <summary>Moves the start time of every incomplete upload of <paramref name="bucket"/> back by <paramref name="age"/>.</summary>
    public void AgeUploads(string bucket, TimeSpan age)
    {
        lock (_lock)
        {
            foreach (var upload in _uploads.Values.Where(u => u.Bucket == bucket))
            {
                upload.Initiated -= age;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var question = raw.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(question < 0 ? raw : raw[..question]).TrimStart('/');
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? path : path[..slash];
        var key = slash < 0 ? string.Empty : path[(slash + 1)..];
        var query = request.Query;
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        var ifMatch = request.Headers.IfMatch.ToString();
        lock (_lock)
        {
            _requests.Add($"{request.Method} {raw}{(ifNoneMatch.Length > 0 ? " If-None-Match" : string.Empty)}{(ifMatch.Length > 0 ? " If-Match" : string.Empty)}");
        }

        if ((ifNoneMatch.Length > 0 || ifMatch.Length > 0) && !ConditionalWrites && request.Method is "PUT" or "POST")
        {
            await ErrorAsync(context, 501, "NotImplemented", "A header you provided implies functionality that is not implemented");
            return;
        }

        if (bucket.Length == 0)
        {
            await ErrorAsync(context, 501, "NotImplemented", "ListBuckets is not implemented by this stand-in");
            return;
        }

        if (key.Length == 0)
        {
            await HandleBucketAsync(context, bucket, query);
            return;
        }

        bool exists;
        lock (_lock)
        {
            exists = _buckets.ContainsKey(bucket);
        }

        if (!exists)
        {
            await ErrorAsync(context, 404, "NoSuchBucket", "The specified bucket does not exist");
            return;
        }

        switch (request.Method)
        {
            case "PUT" when query.ContainsKey("uploadId") && query.ContainsKey("partNumber"):
                await UploadPartAsync(context, query["uploadId"].ToString(), int.Parse(query["partNumber"].ToString(), CultureInfo.InvariantCulture));
                break;
            case "PUT" when query.Count == 0 && !request.Headers.ContainsKey("x-amz-copy-source"):
                await PutObjectAsync(context, bucket, key, ifNoneMatch, ifMatch);
                break;
            case "POST" when query.ContainsKey("uploads"):
                await InitiateAsync(context, bucket, key);
                break;
            case "POST" when query.ContainsKey("uploadId"):
                await CompleteAsync(context, bucket, key, query["uploadId"].ToString(), ifNoneMatch, ifMatch);
                break;
            case "DELETE" when query.ContainsKey("uploadId"):
                await AbortAsync(context, query["uploadId"].ToString());
                break;
            case "DELETE" when query.Count == 0:
                lock (_lock)
                {
                    _buckets[bucket].Remove(key);
                }

                context.Response.StatusCode = 204;
                break;
            case "HEAD" when query.Count == 0:
            case "GET" when query.Count == 0:
                await GetAsync(context, bucket, key);
                break;
            default:
                await ErrorAsync(context, 501, "NotImplemented", "This operation is not implemented by this stand-in");
                break;
        }
    }

    private async Task HandleBucketAsync(HttpContext context, string bucket, IQueryCollection query)
    {
        var method = context.Request.Method;
        if (method == "PUT" && query.Count == 0)
        {
            lock (_lock)
            {
                _buckets.TryAdd(bucket, new SortedDictionary<string, StoredObject>(StringComparer.Ordinal));
            }

            return;
        }

        SortedDictionary<string, StoredObject>? objects;
        lock (_lock)
        {
            _buckets.TryGetValue(bucket, out objects);
        }

        if (objects is null)
        {
            await ErrorAsync(context, 404, "NoSuchBucket", "The specified bucket does not exist");
            return;
        }

        if (method == "GET" && query.ContainsKey("uploads"))
        {
            await ListUploadsAsync(context, bucket, query);
        }
        else if (method == "GET" && query["list-type"] == "2")
        {
            await ListObjectsAsync(context, bucket, objects, query);
        }
        else
        {
            await ErrorAsync(context, 501, "NotImplemented", "This bucket operation is not implemented by this stand-in");
        }
    }

    private async Task PutObjectAsync(HttpContext context, string bucket, string key, string ifNoneMatch, string ifMatch)
    {
        var content = await ReadBodyAsync(context.Request);
        var etag = Convert.ToHexStringLower(MD5.HashData(content));
        bool held;
        lock (_lock)
        {
            var objects = _buckets[bucket];
            held = ConditionHolds(objects.GetValueOrDefault(key), ifNoneMatch, ifMatch);
            if (held)
            {
                objects[key] = new StoredObject(content, etag, DateTimeOffset.UtcNow, context.Request.ContentType, Metadata(context.Request));
                CountWrite(bucket, key);
            }
        }

        if (!held)
        {
            await ErrorAsync(context, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
            return;
        }

        context.Response.Headers.ETag = Quote(etag);
    }

    private async Task InitiateAsync(HttpContext context, string bucket, string key)
    {
        var upload = new Upload(Guid.NewGuid().ToString("N"), bucket, key, DateTimeOffset.UtcNow, context.Request.ContentType, Metadata(context.Request));
        lock (_lock)
        {
            _uploads[upload.Id] = upload;
        }

        await XmlAsync(context, new XElement(
            S3 + "InitiateMultipartUploadResult",
            new XElement(S3 + "Bucket", bucket),
            new XElement(S3 + "Key", key),
            new XElement(S3 + "UploadId", upload.Id)));
    }

    private async Task UploadPartAsync(HttpContext context, string uploadId, int partNumber)
    {
        var content = await ReadBodyAsync(context.Request);
        bool known;
        lock (_lock)
        {
            known = _uploads.TryGetValue(uploadId, out var upload);
            if (known)
            {
                upload!.Parts[partNumber] = content;
            }
        }

        if (!known)
        {
            await ErrorAsync(context, 404, "NoSuchUpload", "The specified upload does not exist");
            return;
        }

        context.Response.Headers.ETag = Quote(Convert.ToHexStringLower(MD5.HashData(content)));
    }

    private async Task CompleteAsync(HttpContext context, string bucket, string key, string uploadId, string ifNoneMatch, string ifMatch)
    {
        var document = XDocument.Parse(Encoding.UTF8.GetString(await ReadBodyAsync(context.Request)));
        var numbers = document.Root!.Elements().Where(e => e.Name.LocalName == "Part")
            .Select(p => int.Parse(p.Elements().First(e => e.Name.LocalName == "PartNumber").Value, CultureInfo.InvariantCulture))
            .ToArray();
        string etag = string.Empty;
        var failure = (Status: 0, Code: string.Empty, Message: string.Empty);
        lock (_lock)
        {
            if (!_uploads.TryGetValue(uploadId, out var upload))
            {
                failure = (404, "NoSuchUpload", "The specified upload does not exist");
            }
            else if (!ConditionHolds(_buckets[bucket].GetValueOrDefault(key), ifNoneMatch, ifMatch))
            {
                // S3 keeps the upload: the client aborts it.
                failure = (412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
            }
            else
            {
                var objects = _buckets[bucket];
                var parts = numbers.Select(n => upload.Parts[n]).ToArray();
                var content = parts.SelectMany(p => p).ToArray();
                etag = Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(p => MD5.HashData(p)).ToArray())) + "-" + parts.Length.ToString(CultureInfo.InvariantCulture);
                objects[key] = new StoredObject(content, etag, DateTimeOffset.UtcNow, upload.ContentType, upload.Metadata);
                _uploads.Remove(uploadId);
                CountWrite(bucket, key);
            }
        }

        if (failure.Status != 0)
        {
            await ErrorAsync(context, failure.Status, failure.Code, failure.Message);
            return;
        }

        await XmlAsync(context, new XElement(
            S3 + "CompleteMultipartUploadResult",
            new XElement(S3 + "Location", Endpoint + bucket + "/" + key),
            new XElement(S3 + "Bucket", bucket),
            new XElement(S3 + "Key", key),
            new XElement(S3 + "ETag", Quote(etag))));
    }

    private async Task AbortAsync(HttpContext context, string uploadId)
    {
        bool removed;
        lock (_lock)
        {
            removed = _uploads.Remove(uploadId);
        }

        if (!removed)
        {
            await ErrorAsync(context, 404, "NoSuchUpload", "The specified upload does not exist");
            return;
        }

        context.Response.StatusCode = 204;
    }

    private async Task ListUploadsAsync(HttpContext context, string bucket, IQueryCollection query)
    {
        var prefix = query["prefix"].ToString();
        var keyMarker = query["key-marker"].ToString();
        var uploadIdMarker = query["upload-id-marker"].ToString();
        List<Upload> matching;
        lock (_lock)
        {
            matching = [.. _uploads.Values
                .Where(u => u.Bucket == bucket && u.Key.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(u => u.Key, StringComparer.Ordinal).ThenBy(u => u.Id, StringComparer.Ordinal)
                .Where(u => keyMarker.Length == 0 || string.CompareOrdinal(u.Key, keyMarker) > 0 ||
                            (u.Key == keyMarker && uploadIdMarker.Length > 0 && string.CompareOrdinal(u.Id, uploadIdMarker) > 0))];
        }

        var page = matching.Take(MaxUploadsPerPage).ToList();
        var truncated = matching.Count > page.Count;
        var result = new XElement(
            S3 + "ListMultipartUploadsResult",
            new XElement(S3 + "Bucket", bucket),
            new XElement(S3 + "KeyMarker", keyMarker),
            new XElement(S3 + "UploadIdMarker", uploadIdMarker),
            new XElement(S3 + "Prefix", prefix),
            new XElement(S3 + "MaxUploads", MaxUploadsPerPage),
            new XElement(S3 + "IsTruncated", truncated ? "true" : "false"));
        if (truncated)
        {
            result.Add(new XElement(S3 + "NextKeyMarker", page[^1].Key), new XElement(S3 + "NextUploadIdMarker", page[^1].Id));
        }

        foreach (var upload in page)
        {
            result.Add(new XElement(
                S3 + "Upload",
                new XElement(S3 + "Key", upload.Key),
                new XElement(S3 + "UploadId", upload.Id),
                new XElement(S3 + "Initiated", upload.Initiated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
                new XElement(S3 + "StorageClass", "STANDARD")));
        }

        await XmlAsync(context, result);
    }

    private async Task ListObjectsAsync(HttpContext context, string bucket, SortedDictionary<string, StoredObject> objects, IQueryCollection query)
    {
        var prefix = query["prefix"].ToString();
        var delimiter = query["delimiter"].ToString();
        var after = query["continuation-token"].ToString() is { Length: > 0 } token ? Encoding.UTF8.GetString(Convert.FromBase64String(token)) : query["start-after"].ToString();
        var maxKeys = int.TryParse(query["max-keys"], CultureInfo.InvariantCulture, out var max) ? max : 1000;
        var urlEncoded = query["encoding-type"] == "url";
        List<(string Key, StoredObject Value)> snapshot;
        lock (_lock)
        {
            snapshot = [.. objects.Select(o => (o.Key, o.Value))];
        }

        var entries = new List<(string Key, StoredObject? Value)>();
        string? lastPrefix = null;
        foreach (var (key, value) in snapshot.OrderBy(o => Encoding.UTF8.GetBytes(o.Key), ByteOrder.Instance))
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal) || (after.Length > 0 && ByteOrder.Compare(key, after) <= 0))
            {
                continue;
            }

            var cut = delimiter.Length == 0 ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
            if (cut >= 0)
            {
                var common = key[..(cut + delimiter.Length)];
                if (common != lastPrefix && (after.Length == 0 || ByteOrder.Compare(common, after) > 0))
                {
                    entries.Add((common, null));
                    lastPrefix = common;
                }

                continue;
            }

            entries.Add((key, value));
        }

        var page = entries.Take(maxKeys).ToList();
        var truncated = entries.Count > page.Count;
        string Show(string value) => urlEncoded ? Uri.EscapeDataString(value) : value;
        var result = new XElement(
            S3 + "ListBucketResult",
            new XElement(S3 + "Name", bucket),
            new XElement(S3 + "Prefix", Show(prefix)),
            new XElement(S3 + "KeyCount", page.Count),
            new XElement(S3 + "MaxKeys", maxKeys),
            new XElement(S3 + "IsTruncated", truncated ? "true" : "false"));
        if (urlEncoded)
        {
            result.Add(new XElement(S3 + "EncodingType", "url"));
        }

        if (truncated)
        {
            result.Add(new XElement(S3 + "NextContinuationToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1].Key))));
        }

        foreach (var (key, value) in page)
        {
            result.Add(value is null
                ? new XElement(S3 + "CommonPrefixes", new XElement(S3 + "Prefix", Show(key)))
                : new XElement(
                    S3 + "Contents",
                    new XElement(S3 + "Key", Show(key)),
                    new XElement(S3 + "LastModified", value.LastModified.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
                    new XElement(S3 + "ETag", Quote(value.ETag)),
                    new XElement(S3 + "Size", value.Content.Length),
                    new XElement(S3 + "StorageClass", "STANDARD")));
        }

        await XmlAsync(context, result);
    }

    private async Task GetAsync(HttpContext context, string bucket, string key)
    {
        StoredObject? stored;
        lock (_lock)
        {
            stored = _buckets[bucket].GetValueOrDefault(key);
        }

        var response = context.Response;
        if (stored is null)
        {
            if (context.Request.Method == "HEAD")
            {
                response.StatusCode = 404;
                return;
            }

            await ErrorAsync(context, 404, "NoSuchKey", "The specified key does not exist.");
            return;
        }

        long offset = 0;
        long length = stored.Content.Length;
        if (context.Request.Headers.Range.ToString() is { Length: > 6 } range && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            var parts = range[6..].Split('-');
            offset = long.Parse(parts[0], CultureInfo.InvariantCulture);
            if (offset >= stored.Content.Length)
            {
                await ErrorAsync(context, 416, "InvalidRange", "The requested range is not satisfiable");
                return;
            }

            var end = parts[1].Length > 0 ? Math.Min(long.Parse(parts[1], CultureInfo.InvariantCulture), stored.Content.Length - 1) : stored.Content.Length - 1;
            length = end - offset + 1;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {offset}-{end}/{stored.Content.Length}";
        }

        response.Headers.ETag = Quote(stored.ETag);
        response.Headers.LastModified = stored.LastModified.ToString("R", CultureInfo.InvariantCulture);
        response.Headers.AcceptRanges = "bytes";
        if (stored.ContentType is not null)
        {
            response.ContentType = stored.ContentType;
        }

        foreach (var (name, value) in stored.Metadata)
        {
            response.Headers[name] = value;
        }

        response.ContentLength = length;
        if (context.Request.Method == "GET")
        {
            await response.Body.WriteAsync(stored.Content.AsMemory((int)offset, (int)length));
        }
    }

    private static bool ConditionHolds(StoredObject? current, string ifNoneMatch, string ifMatch)
    {
        if (ifNoneMatch.Length > 0 && current is not null && (ifNoneMatch.Trim() == "*" || ifNoneMatch.Trim().Trim('"') == current.ETag))
        {
            return false;
        }

        return ifMatch.Length == 0 || (current is not null && (ifMatch.Trim() == "*" || ifMatch.Trim().Trim('"') == current.ETag));
    }

    private void CountWrite(string bucket, string key) =>
        _writes[bucket + "/" + key] = _writes.GetValueOrDefault(bucket + "/" + key) + 1;

    private static Dictionary<string, string> Metadata(HttpRequest request) =>
        request.Headers.Where(h => h.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static string Quote(string etag) => "\"" + etag + "\"";

    private static async Task XmlAsync(HttpContext context, XElement root)
    {
        context.Response.ContentType = "application/xml";
        var text = new XDeclaration("1.0", "UTF-8", null) + Environment.NewLine + root.ToString(SaveOptions.DisableFormatting);
        await context.Response.WriteAsync(text);
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        if (context.Request.Method == "HEAD")
        {
            return Task.CompletedTask;
        }

        context.Response.ContentType = "application/xml";
        return context.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{SecurityElementEscape(message)}</Message><RequestId>standin</RequestId></Error>");
    }

    private static string SecurityElementEscape(string text) => System.Security.SecurityElement.Escape(text) ?? string.Empty;

    private sealed record StoredObject(byte[] Content, string ETag, DateTimeOffset LastModified, string? ContentType, IReadOnlyDictionary<string, string> Metadata);

    private sealed class Upload(string id, string bucket, string key, DateTimeOffset initiated, string? contentType, IReadOnlyDictionary<string, string> metadata)
    {
        public string Id { get; } = id;

        public string Bucket { get; } = bucket;

        public string Key { get; } = key;

        public DateTimeOffset Initiated { get; set; } = initiated;

        public string? ContentType { get; } = contentType;

        public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

        public SortedDictionary<int, byte[]> Parts { get; } = [];
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static ByteOrder Instance { get; } = new();

        public static int Compare(string a, string b) => Instance.Compare(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
