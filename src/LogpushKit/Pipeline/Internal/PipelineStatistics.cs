namespace LogpushKit.Pipeline;

/// <summary>Thread-safe running totals of <see cref="ObjectProcessingResult"/>s.</summary>
internal sealed class PipelineStatistics
{
    private readonly TimeProvider _timeProvider;
    private readonly long _started;
    private readonly Lock _failuresLock = new();
    private readonly List<ObjectProcessingResult> _failures = [];
    private long _converted;
    private long _convertedNew;
    private long _convertedSourceChanged;
    private long _convertedOptionsChanged;
    private long _convertedForced;
    private long _datasetUnknown;
    private long _newKeys;
    private long _duplicate;
    private long _filtered;
    private long _notFound;
    private long _failed;
    private long _records;
    private long _rows;
    private long _badLines;
    private long _bytesIn;
    private long _bytesDecompressed;
    private long _bytesOut;
    private long _leftoversRemoved;
    private long _unsettled;
    private long _givenUp;

    /// <summary>Starts the clock.</summary>
    public PipelineStatistics(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _started = _timeProvider.GetTimestamp();
    }

    /// <summary>Adds one object's outcome.</summary>
    public void Add(ObjectProcessingResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        switch (result.Status)
        {
            case ObjectProcessingStatus.Converted:
                Interlocked.Increment(ref _converted);
                switch (result.ConversionReason)
                {
                    case ConversionReason.SourceChanged:
                        Interlocked.Increment(ref _convertedSourceChanged);
                        break;
                    case ConversionReason.OptionsChanged:
                        Interlocked.Increment(ref _convertedOptionsChanged);
                        break;
                    case ConversionReason.Forced:
                        Interlocked.Increment(ref _convertedForced);
                        break;
                    default:
                        Interlocked.Increment(ref _convertedNew);
                        break;
                }

                if (result.DatasetSource == Datasets.DatasetSource.Unknown)
                {
                    Interlocked.Increment(ref _datasetUnknown);
                }

                if (result.Transform is { } t)
                {
                    Interlocked.Add(ref _newKeys, t.NewKeyNames.Count);
                    Interlocked.Add(ref _records, t.Records);
                    Interlocked.Add(ref _rows, t.Rows);
                    Interlocked.Add(ref _badLines, t.BadLines);
                    Interlocked.Add(ref _bytesIn, t.BytesIn);
                    Interlocked.Add(ref _bytesDecompressed, t.BytesDecompressed);
                    Interlocked.Add(ref _bytesOut, t.BytesOut);
                }

                break;
            case ObjectProcessingStatus.SkippedDuplicate:
                Interlocked.Increment(ref _duplicate);
                break;
            case ObjectProcessingStatus.SkippedFiltered:
                Interlocked.Increment(ref _filtered);
                break;
            case ObjectProcessingStatus.SkippedNotFound:
                Interlocked.Increment(ref _notFound);
                break;
            default:
                Interlocked.Increment(ref _failed);
                lock (_failuresLock)
                {
                    if (_failures.Count < PipelineSummary.MaxFailuresKept)
                    {
                        _failures.Add(result);
                    }
                }

                break;
        }
    }

    /// <summary>Counts an object left out without processing (e.g. outside a reconcile's time window) as filtered.</summary>
    public void AddFiltered() => Interlocked.Increment(ref _filtered);

    /// <summary>Counts an object skipped because it was still being written.</summary>
    public void AddUnsettled() => Interlocked.Increment(ref _unsettled);

    /// <summary>Counts an object given up on after its last attempt failed.</summary>
    public void AddGivenUp() => Interlocked.Increment(ref _givenUp);

    /// <summary>Counts leftovers of interrupted puts removed from the target.</summary>
    public void AddLeftoversRemoved(long count) => Interlocked.Add(ref _leftoversRemoved, count);

    /// <summary>The totals so far.</summary>
    public PipelineSummary Snapshot()
    {
        ObjectProcessingResult[] failures;
        lock (_failuresLock)
        {
            failures = [.. _failures];
        }

        return new PipelineSummary
        {
            Converted = Interlocked.Read(ref _converted),
            ConvertedNew = Interlocked.Read(ref _convertedNew),
            ConvertedSourceChanged = Interlocked.Read(ref _convertedSourceChanged),
            ConvertedOptionsChanged = Interlocked.Read(ref _convertedOptionsChanged),
            ConvertedForced = Interlocked.Read(ref _convertedForced),
            DatasetUnknown = Interlocked.Read(ref _datasetUnknown),
            NewKeys = Interlocked.Read(ref _newKeys),
            SkippedDuplicate = Interlocked.Read(ref _duplicate),
            SkippedFiltered = Interlocked.Read(ref _filtered),
            SkippedNotFound = Interlocked.Read(ref _notFound),
            Failed = Interlocked.Read(ref _failed),
            SkippedUnsettled = Interlocked.Read(ref _unsettled),
            GivenUp = Interlocked.Read(ref _givenUp),
            Records = Interlocked.Read(ref _records),
            Rows = Interlocked.Read(ref _rows),
            BadLines = Interlocked.Read(ref _badLines),
            BytesIn = Interlocked.Read(ref _bytesIn),
            BytesDecompressed = Interlocked.Read(ref _bytesDecompressed),
            BytesOut = Interlocked.Read(ref _bytesOut),
            Elapsed = _timeProvider.GetElapsedTime(_started),
            LeftoversRemoved = Interlocked.Read(ref _leftoversRemoved),
            Failures = failures,
        };
    }
}
