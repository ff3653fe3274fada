using System.Runtime.CompilerServices;
using LogpushKit.Pipeline;

namespace LogpushKit.State;

/// <summary>
/// The conversion state in memory, for tests and for library users whose process is the only writer and who do not
/// need it to outlive the process. Thread-safe; <see cref="LockAsync"/> serialises callers within the process only.
/// </summary>
public sealed class InMemoryConversionStateStore : IConversionStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Target, string TargetKey), ConversionRecord> _conversions = [];
    private readonly Dictionary<(string Source, string SourceKey, string Target), ConversionFailure> _failures = [];
    private readonly KeyedLock _locks = new();

    /// <inheritdoc />
    public string Location => "memory";

    /// <summary>The number of conversions recorded.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _conversions.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<ConversionRecord?> FindByTargetAsync(string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetKey);
        lock (_gate)
        {
            return ValueTask.FromResult(_conversions.GetValueOrDefault((target, targetKey)));
        }
    }

    /// <inheritdoc />
    public ValueTask<ConversionRecord?> FindBySourceAsync(string source, string sourceKey, string target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        lock (_gate)
        {
            return ValueTask.FromResult(_conversions.Values
                .Where(r => r.Source == source && r.SourceKey == sourceKey && r.Target == target)
                .MaxBy(r => r.ConvertedAt));
        }
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(ConversionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            _conversions[(record.Target, record.TargetKey)] = record;
            _failures.Remove((record.Source, record.SourceKey, record.Target));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<ConversionFailure> RecordFailureAsync(string source, string sourceKey, string target, string? sourceETag, string reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        lock (_gate)
        {
            var failure = _failures.TryGetValue((source, sourceKey, target), out var earlier) && !IsAnotherVersion(earlier.SourceETag, sourceETag)
                ? earlier with { SourceETag = sourceETag, Reason = reason, Attempts = earlier.Attempts + 1, LastFailedAt = at }
                : new ConversionFailure(source, sourceKey, target) { SourceETag = sourceETag, Reason = reason, Attempts = 1, FirstFailedAt = at, LastFailedAt = at };
            _failures[(source, sourceKey, target)] = failure;
            return ValueTask.FromResult(failure);
        }
    }

    /// <inheritdoc />
    public ValueTask MarkQuarantinedAsync(string source, string sourceKey, string target, string? quarantineKey, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_failures.TryGetValue((source, sourceKey, target), out var failure))
            {
                _failures[(source, sourceKey, target)] = failure with { Quarantined = true, QuarantineKey = quarantineKey };
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> ForgetEarlierTargetsAsync(string family, string current, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(family);
        ArgumentNullException.ThrowIfNull(current);
        lock (_gate)
        {
            var forgotten = 0;
            foreach (var key in _conversions.Keys.Where(k => IsEarlierTarget(k.Target, family, current)).ToList())
            {
                forgotten += _conversions.Remove(key) ? 1 : 0;
            }

            foreach (var key in _failures.Keys.Where(k => IsEarlierTarget(k.Target, family, current)).ToList())
            {
                forgotten += _failures.Remove(key) ? 1 : 0;
            }

            return ValueTask.FromResult(forgotten);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ConversionRecord> ListAsync(string source, string target, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ConversionRecord[] records;
        lock (_gate)
        {
            records = _conversions.Values.Where(r => r.Source == source && r.Target == target)
                .OrderBy(r => r.SourceKey, StringComparer.Ordinal).ThenBy(r => r.TargetKey, StringComparer.Ordinal).ToArray();
        }

        foreach (var record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ConversionFailure> ListFailuresAsync(string source, string target, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ConversionFailure[] failures;
        lock (_gate)
        {
            failures = _failures.Values.Where(f => f.Source == source && f.Target == target).OrderBy(f => f.SourceKey, StringComparer.Ordinal).ToArray();
        }

        foreach (var failure in failures)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return failure;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable> LockAsync(string target, string targetKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetKey);
        return new Hold(await _locks.AcquireAsync(target + "\n" + targetKey, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static bool IsAnotherVersion(string? earlier, string? now) =>
        earlier is not null && now is not null && !string.Equals(earlier, now, StringComparison.Ordinal);

    private static bool IsEarlierTarget(string target, string family, string current) =>
        target.Length > family.Length && target.StartsWith(family, StringComparison.Ordinal)
        && !target.AsSpan(family.Length).Contains('/') && !string.Equals(target, current, StringComparison.Ordinal);

    private sealed class Hold(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
