using System.Collections.Concurrent;
using LogpushKit.Events;
using LogpushKit.State;
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
/// When the watcher loses events (buffer overflow) it scans the whole bucket and enqueues every object; a folder that
/// appears (created or moved in) is scanned alone, not the whole tree. The processor skips objects already converted.
/// <para><b>One message per object, a bounded number of attempts.</b> An object is enqueued once and not again while its
/// message is queued or being retried (a change meanwhile enqueues it once more when the message is done). After
/// <see cref="MaxAttempts"/> failed attempts it is given up (quarantined): reported once with its reason
/// (<see cref="GaveUp"/>, an error log line), counted (<see cref="PipelineStatistics"/>' given-up count and
/// <see cref="GivenUpCount"/>), and not enqueued again by events or scans until its file changes size or last-write
/// time. Nothing is kept for an object once it is done, except this given-up mark. With a state store
/// (<see cref="LogpushObjectProcessorOptions.State"/>) the give-up is also written there (the failure the processor recorded
/// is marked quarantined), so <c>status</c> reports it and a later watch does not try it again while the file's content
/// (its ETag) is the one that failed (<see cref="RestoreQuarantinedAsync"/>). A failed state write is logged.</para>
/// <para><b>Errors never end the watch.</b> The folder must exist when <see cref="RunAsync"/> starts (it is a source:
/// it is never created). After that, a file that cannot be read (permission denied) is still enqueued, so its failure
/// is counted by the consumer like any object's and retried by the queue; a scan that cannot read part of the folder
/// (an unreadable subfolder) or fails as a whole is logged, counted in <see cref="Statistics"/> (one failure per
/// unreadable part), and tried again after <see cref="RetryDelay"/>, doubling up to ten minutes while it keeps failing.
/// Only cancellation ends <see cref="RunAsync"/>.</para>
/// </remarks>
internal sealed class SourceFolderWatcher
{
    private readonly string _root;
    private readonly LogpushObjectProcessor _processor;
    private readonly InProcessEventQueue _queue;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _queued = new(StringComparer.Ordinal); // value: changed since enqueued
    private readonly ConcurrentDictionary<string, GivenUpMark> _givenUp = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _stateWrites = new();
    private readonly ConcurrentDictionary<string, byte> _folderScans = new(StringComparer.Ordinal);
    private readonly Lock _healthLock = new();
    private int _scanRequested;
    private long _rescanAt;
    private TimeSpan _nextRetryDelay;
    private DateTimeOffset? _failingSince;
    private string? _lastError;

    /// <summary>Creates a watcher of <paramref name="rootPath"/>, the folder behind <paramref name="processor"/>'s source bucket.</summary>
    /// <param name="rootPath">The source folder; it must exist when <see cref="RunAsync"/> starts.</param>
    /// <param name="processor">Filters keys and owns the source bucket.</param>
    /// <param name="queue">Where object events go.</param>
    /// <param name="debounce">How long a file must stay unchanged before it is taken. Default 1 s.</param>
    /// <param name="logger">Receives one line per appearing object and per problem.</param>
    /// <param name="timeProvider">The clock for debouncing and retries.</param>
    /// <param name="retryDelay">How long after a failed scan the folder is scanned again (doubling while it keeps failing). Default 30 s.</param>
    public SourceFolderWatcher(string rootPath, LogpushObjectProcessor processor, InProcessEventQueue queue, TimeSpan? debounce = null, ILogger<SourceFolderWatcher>? logger = null, TimeProvider? timeProvider = null, TimeSpan? retryDelay = null)
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
        RetryDelay = retryDelay ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryDelay, TimeSpan.Zero, nameof(retryDelay));
        _nextRetryDelay = RetryDelay;
        Statistics = new PipelineStatistics(_timeProvider);
    }

    /// <summary>How long a file must stay unchanged before it is taken. Default 1 s.</summary>
    public TimeSpan Debounce { get; }

    /// <summary>Failed attempts after which an object is given up until its file changes: the queue's delivery limit.</summary>
    public int MaxAttempts => _queue.MaxAttempts;

    /// <summary>Called once when an object is given up, with its last failure and the number of attempts.</summary>
    public Action<ObjectProcessingResult, int>? GaveUp { get; init; }

    /// <summary>Called once per object that an earlier watch gave up on, found unchanged at <see cref="RestoreQuarantinedAsync"/>.</summary>
    public Action<ConversionFailure>? StillQuarantined { get; init; }

    /// <summary>Objects given up on now (their files unchanged since), including those an earlier watch gave up on.</summary>
    public int GivenUpCount => _givenUp.Count;

    /// <summary>
    /// Objects this watcher gave up on whose files are still unchanged now: not those found quarantined by an earlier
    /// watch, nor those converted or changed since.
    /// </summary>
    public int GivenUpNowCount => _givenUp.Count(g => !g.Value.Earlier && g.Value.Version == FileVersion.Of(PathOf(g.Key)));

    /// <summary>How long after a failed scan the folder is scanned again (the first time; it doubles up to ten minutes).</summary>
    public TimeSpan RetryDelay { get; }

    /// <summary>
    /// What the watcher itself could not do while <see cref="RunAsync"/> ran: one failure per unreadable part of a scan,
    /// one per failed scan. Objects' own failures are counted by whoever processes the queue.
    /// </summary>
    public PipelineStatistics Statistics { get; }

    /// <summary>
    /// When the watcher's current run of failures began (a scan or a part of one failed, and no scan has succeeded since),
    /// or <see langword="null"/> while it works. A host reports the watcher unhealthy while this is set.
    /// </summary>
    public DateTimeOffset? FailingSince
    {
        get
        {
            lock (_healthLock)
            {
                return _failingSince;
            }
        }
    }

    /// <summary>The watcher's last failure (what could not be read or done, and why), or <see langword="null"/>.</summary>
    public string? LastError
    {
        get
        {
            lock (_healthLock)
            {
                return _lastError;
            }
        }
    }

    /// <summary>
    /// Enqueues an event for every object of the source bucket that passes the filter (a startup reconcile through the
    /// queue). An object written less than <see cref="Debounce"/> ago is not enqueued yet: <see cref="RunAsync"/> takes it
    /// once it has stayed unchanged for a debounce period, as it takes files that events name.
    /// </summary>
    /// <returns>The number of events enqueued now.</returns>
    /// <exception cref="R2ListIncompleteException">Part of the folder could not be read; every readable object was enqueued first.</exception>
    /// <exception cref="R2BucketException">The folder cannot be listed (it does not exist).</exception>
    public Task<int> ScanAsync(CancellationToken cancellationToken = default) => ScanPrefixAsync(_processor.Options.Prefix, cancellationToken);

    /// <summary>
    /// Takes the outcome of one processed message (see <see cref="LogpushQueueConsumer"/>): a success or a skip ends the
    /// object's message; a failure on the last attempt gives it up until its file changes.
    /// </summary>
    public void OnProcessed(ObjectEventMessage message, ObjectProcessingResult result)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(result);
        if (message.Notification is not { } notification)
        {
            return;
        }

        var key = notification.Object.Key;
        if (result.IsFailure && message.Attempts < MaxAttempts)
        {
            return; // the queue tries it again after its delay; it stays queued
        }

        if (result.IsFailure)
        {
            GiveUp(key, result, message.Attempts);
        }
        else
        {
            _givenUp.TryRemove(key, out _);
        }

        if (_queued.TryRemove(key, out var changed) && changed)
        {
            // it changed while its message was out: take the new version like any new file
            _pending[key] = new Pending(PathOf(key), _timeProvider.GetTimestamp(), -1, default);
        }
    }

    /// <summary>
    /// Whether a reconcile pass beside the watcher leaves <paramref name="key"/> alone: its message is out (the queue
    /// retries it), or it was given up and its file has not changed since (size or last-write time).
    /// </summary>
    public bool Owns(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _queued.ContainsKey(key) || (_givenUp.TryGetValue(key, out var mark) && mark.Version == FileVersion.Of(PathOf(key)));
    }

    /// <summary>
    /// Takes the failure of an object in a reconcile pass beside the watcher (the first pass of a watch, or a periodic
    /// one) as its first failed attempt: given up at once when <see cref="MaxAttempts"/> is 1, else enqueued for its next
    /// attempt after <paramref name="retryDelay"/>, so that it is retried and given up like a file that arrived later.
    /// Nothing is done for an object whose message is already out (the queue counts its attempts).
    /// </summary>
    public void OnPassFailed(ObjectProcessingResult result, TimeSpan retryDelay)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.IsFailure)
        {
            return;
        }

        var key = result.SourceKey;
        _givenUp.TryRemove(key, out _); // a given-up file the pass saw changed, and that failed again: its attempts start over
        if (MaxAttempts <= 1)
        {
            if (!_queued.ContainsKey(key))
            {
                GiveUp(key, result, 1);
            }

            return;
        }

        if (_queued.TryAdd(key, false))
        {
            Track(EnqueueRetryAsync(result, retryDelay));
        }
    }

    /// <summary>
    /// Reads the quarantined failures of the state store (<see cref="LogpushObjectProcessorOptions.State"/>) and marks every
    /// object whose file still has the content that failed (the ETag the failure recorded) as given up, so that this watch
    /// does not try it again until the file changes; each is reported once (<see cref="StillQuarantined"/>, a warning log
    /// line). A failure without an ETag, or a file changed or gone since, is left to be tried again. Reading the state
    /// failing is logged and the watch goes on (those objects are then tried again).
    /// </summary>
    /// <returns>How many objects stay quarantined.</returns>
    public async Task<int> RestoreQuarantinedAsync(CancellationToken cancellationToken = default)
    {
        if (_processor.Options.State is not { } state)
        {
            return 0;
        }

        var count = 0;
        try
        {
            var (source, target) = _processor.StateStores;
            await foreach (var failure in state.ListFailuresAsync(source, target, cancellationToken).ConfigureAwait(false))
            {
                var key = failure.SourceKey;
                if (!failure.Quarantined || _processor.GetFilterReason(key) is not null)
                {
                    continue;
                }

                var version = FileVersion.Of(PathOf(key));
                R2ObjectInfo? now;
                try
                {
                    now = await _processor.Source.HeadAsync(key, cancellationToken).ConfigureAwait(false);
                }
                catch (R2BucketException)
                {
                    now = null; // unreadable now: tried again, so that its failure is reported as it is now
                }

                if (failure.SourceETag is null || now is null || !string.Equals(failure.SourceETag, LogpushObjectProcessor.NormalizeETag(now.ETag), StringComparison.Ordinal))
                {
                    if (now is not null)
                    {
                        Log.WatcherQuarantinedChanged(_logger, ObjectKeyText.Escape(key));
                    }

                    continue;
                }

                if (_givenUp.TryAdd(key, new GivenUpMark(version, Earlier: true)))
                {
                    count++;
                    Log.WatcherStillQuarantined(_logger, ObjectKeyText.Escape(key), failure.Attempts, failure.Reason);
                    StillQuarantined?.Invoke(failure);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.WatcherQuarantineNotRead(_logger, state.Location, ex.Message);
        }

        return count;
    }

    /// <summary>Waits for the state writes still under way (give-ups being recorded, retries being enqueued).</summary>
    public async Task FlushAsync()
    {
        foreach (var write in _stateWrites.Keys)
        {
            await write.ConfigureAwait(false); // each logs its own failure, never throws
        }
    }

    private void Track(Task task)
    {
        if (task.IsCompleted)
        {
            return;
        }

        _stateWrites.TryAdd(task, 0);
        _ = task.ContinueWith(t => _stateWrites.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Enqueues the next attempt of an object a reconcile pass failed on, with its ETag now (a pass lists a folder without
    /// reading the files), so that the failure the attempt records holds the content that failed.
    /// </summary>
    private async Task EnqueueRetryAsync(ObjectProcessingResult result, TimeSpan retryDelay)
    {
        var key = result.SourceKey;
        var etag = result.SourceETag;
        if (etag is null)
        {
            try
            {
                etag = (await _processor.Source.HeadAsync(key, CancellationToken.None).ConfigureAwait(false))?.ETag;
            }
            catch (Exception ex) when (ex is R2BucketException or IOException or UnauthorizedAccessException)
            {
                // unreadable: the attempt reports why
            }
        }

        _queue.Enqueue(Notification(new R2ObjectInfo(key, result.SourceSize ?? 0, etag ?? string.Empty, default)), attempts: 1, retryDelay);
    }

    private void GiveUp(string key, ObjectProcessingResult result, int attempts)
    {
        _givenUp[key] = new GivenUpMark(FileVersion.Of(PathOf(key)), Earlier: false);
        Statistics.AddGivenUp();
        Log.WatcherGaveUp(_logger, ObjectKeyText.Escape(key), attempts, result.Reason);
        GaveUp?.Invoke(result, attempts);
        if (_processor.Options.State is { } state)
        {
            Track(MarkQuarantinedAsync(state, key, result.QuarantineKey));
        }
    }

    /// <summary>Marks the failure the processor recorded for <paramref name="key"/> as quarantined; a failure to do so is logged.</summary>
    private async Task MarkQuarantinedAsync(IConversionStateStore state, string key, string? quarantineKey)
    {
        try
        {
            var (source, target) = _processor.StateStores;
            await state.MarkQuarantinedAsync(source, key, target, quarantineKey, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.WatcherQuarantineNotRecorded(_logger, ObjectKeyText.Escape(key), state.Location, ex.Message);
        }
    }

    private async Task<int> ScanPrefixAsync(string? prefix, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var item in _processor.Source.ListAsync(new R2ListOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (item.Object is { } info && _processor.GetFilterReason(info.Key) is null)
            {
                if (IsRecent(info))
                {
                    // Written within the debounce period (a file being copied into a folder that just appeared): taken
                    // like a file an event named, once it has not changed for a debounce period.
                    _pending[info.Key] = new Pending(PathOf(info.Key), _timeProvider.GetTimestamp(), -1, default);
                    continue;
                }

                if (TryEnqueue(info))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Watches until <paramref name="cancellationToken"/> fires; with <paramref name="scanFirst"/>, starts with <see cref="ScanAsync"/>.</summary>
    /// <exception cref="R2BucketException">The folder does not exist (a source is never created).</exception>
    public async Task RunAsync(bool scanFirst = false, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(_root))
        {
            throw new R2BucketException($"Source folder '{_root}' (bucket '{_processor.Source.Name}') does not exist; it is not created, only targets are.", _processor.Source.Name, null);
        }

        using var watcher = new FileSystemWatcher(_root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.LastWrite,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Created += (_, e) => OnChanged(e.FullPath, appeared: true);
        watcher.Changed += (_, e) => OnChanged(e.FullPath, appeared: false);
        watcher.Renamed += (_, e) => OnChanged(e.FullPath, appeared: true);
        watcher.Error += (_, e) =>
        {
            Log.WatcherOverflow(_logger, _root, e.GetException().Message);
            Interlocked.Exchange(ref _scanRequested, 1);
        };
        watcher.EnableRaisingEvents = true;

        if (scanFirst)
        {
            await ScanGuardedAsync(null, cancellationToken).ConfigureAwait(false);
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
                var rescanAt = Interlocked.Read(ref _rescanAt);
                if (Interlocked.Exchange(ref _scanRequested, 0) == 1 || (rescanAt != 0 && _timeProvider.GetTimestamp() >= rescanAt))
                {
                    _folderScans.Clear(); // the whole tree covers them
                    await ScanGuardedAsync(null, cancellationToken).ConfigureAwait(false);
                }

                foreach (var folder in _folderScans.Keys)
                {
                    if (_folderScans.TryRemove(folder, out _) && FolderPrefix(folder) is { } prefix)
                    {
                        await ScanGuardedAsync(prefix, cancellationToken).ConfigureAwait(false);
                    }
                }

                try
                {
                    await TakeSettledAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    RecordFailure(string.Empty, ex.Message, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped
        }
    }

    /// <summary>
    /// A scan of the whole tree (<paramref name="prefix"/> <see langword="null"/>) or of one folder that reports and counts
    /// its problems and schedules the next attempt (of the whole tree) instead of throwing.
    /// </summary>
    private async Task ScanGuardedAsync(string? prefix, CancellationToken cancellationToken)
    {
        if (prefix is null)
        {
            Interlocked.Exchange(ref _rescanAt, 0);
        }

        try
        {
            await ScanPrefixAsync(prefix ?? _processor.Options.Prefix, cancellationToken).ConfigureAwait(false);
            _nextRetryDelay = RetryDelay;
            lock (_healthLock)
            {
                _failingSince = null;
            }
        }
        catch (R2ListIncompleteException ex)
        {
            var retry = ScheduleRescan();
            foreach (var problem in ex.Problems)
            {
                Log.WatcherProblem(_logger, _root, ObjectKeyText.Escape(problem.Key), problem.Reason, retry.TotalSeconds);
                var reason = $"'{ObjectKeyText.Escape(problem.Key)}' could not be read: {problem.Reason}";
                MarkFailing(reason);
                Statistics.Add(new ObjectProcessingResult(ObjectProcessingStatus.Failed, problem.Key) { Reason = reason, Exception = ex });
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            RecordFailure(string.Empty, ex.Message, ex);
        }
    }

    private void RecordFailure(string key, string reason, Exception exception)
    {
        var retry = ScheduleRescan();
        Log.WatcherFailed(_logger, _root, reason, retry.TotalSeconds, exception);
        var text = $"watching '{_root}' failed: {reason}";
        MarkFailing(text);
        Statistics.Add(new ObjectProcessingResult(ObjectProcessingStatus.Failed, key) { Reason = text, Exception = exception });
    }

    private void MarkFailing(string error)
    {
        var now = _timeProvider.GetUtcNow();
        lock (_healthLock)
        {
            _failingSince ??= now;
            _lastError = error;
        }
    }

    private TimeSpan ScheduleRescan()
    {
        var delay = _nextRetryDelay;
        _nextRetryDelay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
        Interlocked.Exchange(ref _rescanAt, _timeProvider.GetTimestamp() + (long)(delay.TotalSeconds * _timeProvider.TimestampFrequency));
        return delay;
    }

    private void OnChanged(string fullPath, bool appeared)
    {
        if (Directory.Exists(fullPath))
        {
            // A folder moved in raises one event for the folder, none for its files; a new folder may get files before
            // its own watch is set up. Either way that folder alone is scanned. A folder that merely changed (a file
            // written in it) raises the file's own event too: nothing to do for the folder.
            if (appeared)
            {
                _folderScans.TryAdd(Path.GetRelativePath(_root, fullPath).Replace(Path.DirectorySeparatorChar, '/'), 0);
            }

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

            R2ObjectInfo? info;
            try
            {
                info = await _processor.Source.HeadAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (R2BucketException)
            {
                // Unreadable (permission denied, I/O error): enqueue it anyway, so that its failure is reported and counted
                // where every object's is, and the queue retries it.
                info = new R2ObjectInfo(key, file.Length, string.Empty, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
            }

            if (info is not null && TryEnqueue(info))
            {
                Log.ObjectAppeared(_logger, ObjectKeyText.Escape(key));
            }
        }
    }

    /// <summary>
    /// Enqueues <paramref name="info"/> unless its message is already out (then it is marked changed, and taken again when
    /// that message is done) or it was given up and its file has not changed since.
    /// </summary>
    private bool TryEnqueue(R2ObjectInfo info)
    {
        var key = info.Key;
        if (_givenUp.TryGetValue(key, out var mark))
        {
            if (mark.Version == FileVersion.Of(PathOf(key)))
            {
                return false;
            }

            if (_givenUp.TryRemove(new KeyValuePair<string, GivenUpMark>(key, mark)))
            {
                Log.WatcherRetryChanged(_logger, ObjectKeyText.Escape(key));
            }
        }

        if (!_queued.TryAdd(key, false))
        {
            _queued.TryUpdate(key, true, false);
            return false;
        }

        _queue.Enqueue(Notification(info));
        return true;
    }

    /// <summary>The listing prefix of a scan of <paramref name="folder"/> (relative, <c>/</c>-separated), or <see langword="null"/> when nothing in it is in scope.</summary>
    private string? FolderPrefix(string folder)
    {
        var prefix = folder.TrimEnd('/') + "/";
        var scope = _processor.Options.Prefix ?? string.Empty;
        return prefix.StartsWith(scope, StringComparison.Ordinal) ? prefix
            : scope.StartsWith(prefix, StringComparison.Ordinal) ? scope
            : null;
    }

    private string PathOf(string key) => Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Whether <paramref name="info"/> changed less than <see cref="Debounce"/> ago (so it may still be being written).</summary>
    private bool IsRecent(R2ObjectInfo info)
        => info.LastModified != default && (_timeProvider.GetUtcNow() - info.LastModified).Duration() < Debounce;

    private R2EventNotification Notification(R2ObjectInfo info) => new()
    {
        Account = "local",
        Action = R2EventAction.PutObject,
        Bucket = _processor.Source.Name,
        Object = new R2EventObject(info.Key, info.Size, info.ETag),
        EventTime = info.LastModified == default ? _timeProvider.GetUtcNow() : info.LastModified,
    };

    private sealed record Pending(string FullPath, long LastEvent, long Size, DateTime LastWrite);

    /// <summary>A given-up object: its file's version then, and whether an earlier watch gave it up (found in the state).</summary>
    private readonly record struct GivenUpMark(FileVersion Version, bool Earlier);

    /// <summary>What tells that a file changed: its size and last-write time (default when it cannot be read).</summary>
    private readonly record struct FileVersion(long Size, DateTime LastWrite)
    {
        public static FileVersion Of(string path)
        {
            try
            {
                var file = new FileInfo(path);
                return file.Exists ? new FileVersion(file.Length, file.LastWriteTimeUtc) : default;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return default;
            }
        }
    }
}
