using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LogpushKit.Events;

namespace LogpushKit.Testing.FakeCloudflare;

/// <summary>
/// A Cloudflare Queue with HTTP pull semantics: a pull leases up to batch_size visible messages for
/// visibility_timeout_ms; a message not acked before its lease expires becomes visible again and its next delivery has
/// attempts + 1; an ack by any lease ever issued for a message removes it (late acks are accepted, like Cloudflare);
/// a retry makes it visible again after delay_seconds. After <see cref="MaxRetries"/> retries/expiries a message moves
/// to <see cref="DeadLettered"/>. Thread-safe.
/// </summary>
public sealed class FakeQueue
{
    private readonly object _gate = new();
    private readonly List<Entry> _messages = [];
    private readonly List<FakeQueueMessage> _deadLettered = [];
    private readonly Dictionary<string, Entry> _leases = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private long _sequence;
    private int _acked;

    internal FakeQueue(string id, string name, TimeProvider timeProvider)
    {
        Id = id;
        Name = name;
        _timeProvider = timeProvider;
        CreatedOn = timeProvider.GetUtcNow();
    }

    /// <summary>The queue id (32 hex characters).</summary>
    public string Id { get; }

    /// <summary>The queue name.</summary>
    public string Name { get; }

    /// <summary>When the queue was created.</summary>
    public DateTimeOffset CreatedOn { get; }

    /// <summary>Deliveries before a message is dead-lettered (Cloudflare's default 3).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Default retry delay in seconds for retries without one.</summary>
    public int DefaultRetryDelaySeconds { get; set; }

    /// <summary>The HTTP pull consumer, once added (JSON as posted).</summary>
    public JsonObject? Consumer { get; set; }

    /// <summary>How many messages have been acked.</summary>
    public int AckedCount
    {
        get
        {
            lock (_gate)
            {
                return _acked;
            }
        }
    }

    /// <summary>Messages not yet acked (visible, leased or delayed).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                Expire();
                return _messages.Count;
            }
        }
    }

    /// <summary>Messages currently under a lease that has not expired.</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                Expire();
                var now = _timeProvider.GetUtcNow();
                return _messages.Count(m => m.LeaseId is not null && m.VisibleAt > now);
            }
        }
    }

    /// <summary>Messages that exhausted their retries.</summary>
    public IReadOnlyList<FakeQueueMessage> DeadLettered
    {
        get
        {
            lock (_gate)
            {
                Expire();
                return [.. _deadLettered];
            }
        }
    }

    /// <summary>A snapshot of the messages not yet acked.</summary>
    public IReadOnlyList<FakeQueueMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                Expire();
                var now = _timeProvider.GetUtcNow();
                return [.. _messages.Select(m => m.Snapshot(now))];
            }
        }
    }

    /// <summary>Publishes an R2 event notification the way R2 does: JSON, content type <c>json</c>, base64 in pulls.</summary>
    /// <param name="notification">The notification.</param>
    /// <returns>The message id.</returns>
    public string PublishR2Event(R2EventNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return Publish(Encoding.UTF8.GetBytes(notification.ToJson()), "json");
    }

    /// <summary>Publishes an object-create notification (<c>PutObject</c> by default).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key.</param>
    /// <param name="size">The size.</param>
    /// <param name="eTag">The ETag.</param>
    /// <param name="action">The action.</param>
    /// <param name="accountId">The account id.</param>
    /// <returns>The message id.</returns>
    public string PublishObjectCreated(string bucket, string key, long size, string eTag, R2EventAction action = R2EventAction.PutObject, string accountId = FakeCloudflareApi.DefaultAccountId) =>
        PublishR2Event(new R2EventNotification
        {
            Account = accountId,
            Action = action,
            Bucket = bucket,
            Object = new R2EventObject(key, size, eTag),
            EventTime = _timeProvider.GetUtcNow(),
        });

    /// <summary>Publishes a message body with a content type (<c>json</c>, <c>bytes</c>, <c>text</c> or <c>v8</c>).</summary>
    /// <param name="body">The raw body bytes (UTF-8 JSON for json, UTF-8 for text).</param>
    /// <param name="contentType">The content type.</param>
    /// <returns>The message id.</returns>
    public string Publish(byte[] body, string contentType = "json") => Publish(body, contentType, new FakeMessageShape());

    /// <summary>Publishes an R2 event notification in a given pull shape (body form, content-type key).</summary>
    /// <param name="notification">The notification.</param>
    /// <param name="shape">How pulls present it.</param>
    /// <returns>The message id.</returns>
    public string PublishR2Event(R2EventNotification notification, FakeMessageShape shape)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return Publish(Encoding.UTF8.GetBytes(notification.ToJson()), "json", shape);
    }

    /// <summary>Publishes a message body with a content type, presented in pulls as <paramref name="shape"/> says.</summary>
    /// <param name="body">The raw body bytes.</param>
    /// <param name="contentType">The content type, or <see langword="null"/> to send none (the Queues default, json).</param>
    /// <param name="shape">How pulls present it.</param>
    /// <returns>The message id.</returns>
    public string Publish(byte[] body, string? contentType, FakeMessageShape shape)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(shape);
        lock (_gate)
        {
            var entry = new Entry
            {
                Id = Guid.NewGuid().ToString("N"),
                Body = body,
                ContentType = contentType,
                Shape = shape,
                TimestampMs = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
                VisibleAt = DateTimeOffset.MinValue,
                Sequence = _sequence++,
            };
            _messages.Add(entry);
            return entry.Id;
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling every 20 ms.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="timeout">The limit.</param>
    /// <returns>A task that completes when the condition holds.</returns>
    /// <exception cref="TimeoutException">It did not hold in time.</exception>
    public async Task WaitUntilAsync(Func<FakeQueue, bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Queue {Name}: condition not met within {timeout} ({Count} messages left, {AckedCount} acked, {DeadLettered.Count} dead-lettered).");
            }

            await Task.Delay(20);
        }
    }

    internal JsonObject Pull(int batchSize, long visibilityTimeoutMs)
    {
        lock (_gate)
        {
            Expire();
            var now = _timeProvider.GetUtcNow();
            var messages = new JsonArray();
            foreach (var entry in _messages.Where(m => m.VisibleAt <= now).OrderBy(m => m.VisibleAt).ThenBy(m => m.Sequence).Take(batchSize).ToList())
            {
                entry.Attempts++;
                entry.LeaseId = "lease-" + Guid.NewGuid().ToString("N");
                entry.VisibleAt = now.AddMilliseconds(visibilityTimeoutMs);
                _leases[entry.LeaseId] = entry;
                var message = new JsonObject
                {
                    ["id"] = entry.Id,
                    ["timestamp_ms"] = entry.Shape.NumbersAsFloats ? (double)entry.TimestampMs : entry.TimestampMs,
                    ["attempts"] = entry.Shape.NumbersAsFloats ? (double)entry.Attempts : entry.Attempts,
                    ["body"] = entry.EncodedBody(),
                };
                if (!entry.Shape.OmitLeaseId)
                {
                    message["lease_id"] = entry.LeaseId;
                }

                if (entry.ContentType is not null)
                {
                    if (entry.Shape.ContentTypeOnMessage)
                    {
                        message[entry.Shape.ContentTypeKey] = entry.ContentType;
                    }
                    else
                    {
                        message["metadata"] = new JsonObject { [entry.Shape.ContentTypeKey] = entry.ContentType };
                    }
                }

                messages.Add(message);
            }

            return new JsonObject
            {
                ["message_backlog_count"] = _messages.Count,
                ["messages"] = messages,
                ["metadata"] = new JsonObject
                {
                    ["metrics"] = new JsonObject
                    {
                        ["backlog_bytes"] = _messages.Sum(m => m.Body.Length),
                        ["backlog_count"] = _messages.Count,
                        ["oldest_message_timestamp_ms"] = _messages.Count == 0 ? 0 : _messages.Min(m => m.TimestampMs),
                    },
                },
            };
        }
    }

    internal JsonObject Ack(IEnumerable<string> acks, IEnumerable<(string LeaseId, int? DelaySeconds)> retries)
    {
        lock (_gate)
        {
            var warnings = new JsonObject();
            var ackCount = 0;
            var retryCount = 0;
            foreach (var lease in acks)
            {
                if (_leases.TryGetValue(lease, out var entry) && _messages.Remove(entry))
                {
                    ackCount++;
                    _acked++;
                    ForgetLeases(entry);
                }
                else
                {
                    warnings[lease] = "lease not found (already acked, or unknown)";
                }
            }

            var now = _timeProvider.GetUtcNow();
            foreach (var (lease, delay) in retries)
            {
                if (_leases.TryGetValue(lease, out var entry) && _messages.Contains(entry) && entry.LeaseId == lease)
                {
                    retryCount++;
                    entry.LeaseId = null;
                    if (entry.Attempts > MaxRetries)
                    {
                        DeadLetter(entry, now);
                    }
                    else
                    {
                        entry.VisibleAt = now.AddSeconds(delay ?? DefaultRetryDelaySeconds);
                    }
                }
                else
                {
                    warnings[lease] = "lease not found or no longer current";
                }
            }

            return new JsonObject { ["ackCount"] = ackCount, ["retryCount"] = retryCount, ["warnings"] = warnings };
        }
    }

    // Leases that expired count as a failed delivery: dead-letter after MaxRetries + 1 deliveries.
    private void Expire()
    {
        var now = _timeProvider.GetUtcNow();
        foreach (var entry in _messages.Where(m => m.LeaseId is not null && m.VisibleAt <= now).ToList())
        {
            entry.LeaseId = null;
            if (entry.Attempts > MaxRetries)
            {
                DeadLetter(entry, now);
            }
        }
    }

    private void DeadLetter(Entry entry, DateTimeOffset now)
    {
        _messages.Remove(entry);
        ForgetLeases(entry);
        _deadLettered.Add(entry.Snapshot(now));
    }

    private void ForgetLeases(Entry entry)
    {
        foreach (var key in _leases.Where(kv => ReferenceEquals(kv.Value, entry)).Select(kv => kv.Key).ToList())
        {
            _leases.Remove(key);
        }
    }

    private sealed class Entry
    {
        public required string Id { get; init; }

        public required byte[] Body { get; init; }

        public required string? ContentType { get; init; }

        public required FakeMessageShape Shape { get; init; }

        public long TimestampMs { get; init; }

        public long Sequence { get; init; }

        public int Attempts { get; set; }

        public string? LeaseId { get; set; }

        public DateTimeOffset VisibleAt { get; set; }

        public JsonNode? EncodedBody() => Shape.Body switch
        {
            FakeBodyForm.RawJsonValue => JsonNode.Parse(Body),
            FakeBodyForm.JsonText => Encoding.UTF8.GetString(Body),
            FakeBodyForm.Base64Unpadded => Convert.ToBase64String(Body).TrimEnd('='),
            FakeBodyForm.Base64Url => Convert.ToBase64String(Body).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            _ when ContentType is "text" => Encoding.UTF8.GetString(Body),
            _ => Convert.ToBase64String(Body),
        };

        public FakeQueueMessage Snapshot(DateTimeOffset now) =>
            new(Id, Encoding.UTF8.GetString(Body), ContentType ?? "json", Attempts, LeaseId is not null && VisibleAt > now, VisibleAt);
    }
}

/// <summary>A snapshot of a message in a <see cref="FakeQueue"/>.</summary>
/// <param name="Id">The message id.</param>
/// <param name="BodyText">The body as UTF-8 text (undecoded bytes for <c>bytes</c>).</param>
/// <param name="ContentType">The content type.</param>
/// <param name="Attempts">Deliveries so far.</param>
/// <param name="IsLeased">Whether a lease is active.</param>
/// <param name="VisibleAt">When it can be pulled again.</param>
public sealed record FakeQueueMessage(string Id, string BodyText, string ContentType, int Attempts, bool IsLeased, DateTimeOffset VisibleAt)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id} attempts={Attempts} leased={IsLeased}");
}

/// <summary>How a body appears in a pull reply's <c>body</c> member.</summary>
public enum FakeBodyForm
{
    /// <summary>As Cloudflare documents it: base64 for json and bytes, plain UTF-8 for text.</summary>
    Documented,

    /// <summary>The JSON value itself (an object, not a string).</summary>
    RawJsonValue,

    /// <summary>The JSON text as a string, not base64.</summary>
    JsonText,

    /// <summary>Base64 without the trailing padding.</summary>
    Base64Unpadded,

    /// <summary>The URL-safe base64 alphabet, unpadded.</summary>
    Base64Url,
}

/// <summary>How pulls present a message: the body form, where and under which key the content type is, number forms.</summary>
public sealed record FakeMessageShape
{
    /// <summary>The body form.</summary>
    public FakeBodyForm Body { get; init; }

    /// <summary>The key of the content type (<c>CF-Content-Type</c>, or e.g. <c>contentType</c>).</summary>
    public string ContentTypeKey { get; init; } = "CF-Content-Type";

    /// <summary>Put the content type on the message instead of in its metadata.</summary>
    public bool ContentTypeOnMessage { get; init; }

    /// <summary>Write attempts and timestamp_ms as floats (the schema types them <c>number</c>).</summary>
    public bool NumbersAsFloats { get; init; }

    /// <summary>Leave out the lease id (a message that cannot be settled).</summary>
    public bool OmitLeaseId { get; init; }
}
