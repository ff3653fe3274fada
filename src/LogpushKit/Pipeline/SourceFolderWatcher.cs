using System.Collections.Concurrent;
using LogpushKit.Events;
using LogpushKit.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogpushKit.Pipeline;

/// <summary>
/// The embedded default's event source: watches the folder behind the source bucket and feeds an
/// <see cref="InProcessEventQueue"/> with an object-create event for every object that appears and passes the
/// processor's filter, so <see cref="LogpushQueueConsumer"/> runs unchanged on one machine.
/// </summary>
/// <remarks>
/// Writers other than an atomic bucket put (Logpush through s3fs, a copy) may show a file before it is complete, so a
/// file is taken only after it has not changed for <see cref="Debounce"/>. Keys come from paths relative to the root
/// with <c>/</c> separators; each is confirmed with a HEAD on the source bucket (which gives the ETag and size).
/// When the watcher loses events (buffer overflow) or a folder is moved in, it scans the bucket and enqueues every
/// object; the processor skips those already converted.
/// </remarks>
public sealed class SourceFolderWatcher
{
    private readonly string _root;
    private readonly LogpushObjectProcessor _processor;
    private readonly InProcessEventQueue _queue;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private int _scanRequested;

    /// <summary>Creates a watcher of <paramref name="rootPath"/>, the folder behind <paramref name="processor"/>'s source bucket.</summary>
    public SourceFolderWatcher(string rootPath, LogpushObjectProcessor processor, InProcessEventQueue queue, TimeSpan? debounce = null, ILogger<SourceFolderWatcher>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootPath);
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentNullException.ThrowIfNull(queue);
        _root = Path.GetFullPath(rootPath);
        _processor = processor;
        _queue = queue;
        Debounce = debounce ?? TimeSpan.FromSeconds(1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Debounce, TimeSpan.Zero, nameof(debounce));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How long a file must stay unchanged before it is taken. Default 1 s.</summary>
    public TimeSpan Debounce { get; }

    /// <summary>Enqueues an event for every object of the source bucket that passes the filter (a startup reconcile through the queue).</summary>
    /// <returns>The number of events enqueued.</returns>
    public async Task<int> ScanAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        await foreach (var item in _processor.Source.ListAsync(new R2ListOptions { Prefix = _processor.Options.Prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (item.Object is { } info && _processor.GetFilterReason(info.Key) is null)
            {
                _queue.Enqueue(Notification(info));
                count++;
            }
        }

        return count;
    }

    /// <summary>Watches until <paramref name="cancellationToken"/> fires; with <paramref name="scanFirst"/>, starts with <see cref="ScanAsync"/>.</summary>
    public async Task RunAsync(bool scanFirst = false, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_root);
        using var watcher = new FileSystemWatcher(_root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.LastWrite,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Created += (_, e) => OnChanged(e.FullPath);
        watcher.Changed += (_, e) => OnChanged(e.FullPath);
        watcher.Renamed += (_, e) => OnChanged(e.FullPath);
        watcher.Error += (_, e) =>
        {
            PipelineLog.WatcherOverflow(_logger, _root, e.GetException().Message);
            Interlocked.Exchange(ref _scanRequested, 1);
        };
        watcher.EnableRaisingEvents = true;

        if (scanFirst)
        {
            await ScanAsync(cancellationToken).ConfigureAwait(false);
        }

        var tick = Debounce / 4;
        if (tick < TimeSpan.FromMilliseconds(50))
        {
            tick = TimeSpan.FromMilliseconds(50);
        }

        using var timer = new PeriodicTimer(tick, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Interlocked.Exchange(ref _scanRequested, 0) == 1)
                {
                    await ScanAsync(cancellationToken).ConfigureAwait(false);
                }

                await TakeSettledAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped
        }
    }

    private void OnChanged(string fullPath)
    {
        if (Directory.Exists(fullPath))
        {
            // a folder moved in raises one event for the folder, none for its files
            Interlocked.Exchange(ref _scanRequested, 1);
            return;
        }

        var key = Path.GetRelativePath(_root, fullPath).Replace(Path.DirectorySeparatorChar, '/');
        if (key.StartsWith("../", StringComparison.Ordinal) || _processor.GetFilterReason(key) is not null)
        {
            return;
        }

        _pending[key] = new Pending(fullPath, _timeProvider.GetTimestamp(), -1, default);
    }

    private async Task TakeSettledAsync(CancellationToken cancellationToken)
    {
        foreach (var (key, pending) in _pending)
        {
            if (_timeProvider.GetElapsedTime(pending.LastEvent) < Debounce)
            {
                continue;
            }

            var file = new FileInfo(pending.FullPath);
            if (!file.Exists)
            {
                _pending.TryRemove(new KeyValuePair<string, Pending>(key, pending));
                continue;
            }

            if (file.Length != pending.Size || file.LastWriteTimeUtc != pending.LastWrite)
            {
                // still changing (or first look): wait another debounce period
                _pending.TryUpdate(key, pending with { LastEvent = _timeProvider.GetTimestamp(), Size = file.Length, LastWrite = file.LastWriteTimeUtc }, pending);
                continue;
            }

            if (!_pending.TryRemove(new KeyValuePair<string, Pending>(key, pending)))
            {
                continue;
            }

            var info = await _processor.Source.HeadAsync(key, cancellationToken).ConfigureAwait(false);
            if (info is not null)
            {
                PipelineLog.ObjectAppeared(_logger, key);
                _queue.Enqueue(Notification(info));
            }
        }
    }

    private R2EventNotification Notification(R2ObjectInfo info) => new()
    {
        Account = "local",
        Action = R2EventAction.PutObject,
        Bucket = _processor.Source.Name,
        Object = new R2EventObject(info.Key, info.Size, info.ETag),
        EventTime = info.LastModified == default ? _timeProvider.GetUtcNow() : info.LastModified,
    };

    private sealed record Pending(string FullPath, long LastEvent, long Size, DateTime LastWrite);
}
