using LogpushKit.Pipeline;
using LogpushKit.State;
using LogpushKit.Storage;
using LogpushKit.Testing;
using LogpushKit.Transform;

namespace LogpushKit.Tests.Pipeline;

/// <summary>The processor and reconciler with a conversion state store (issue 13 item 6, issue 14's no-op rerun).</summary>
public sealed class LogpushObjectProcessorStateTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private (FileSystemBucket Source, FileSystemBucket Target) Folders()
    {
        Directory.CreateDirectory(_temp.File("src"));
        return (new FileSystemBucket(_temp.File("src")), new FileSystemBucket(_temp.File("dst")));
    }

    private void WriteSource(string key, int records, int seed = 0)
    {
        var path = Path.Combine(_temp.File("src"), key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(records, seed)));
    }

    private static string[] Files(string root) =>
        [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Reconcile_ConsumedCsvsDeleted_AreNotProducedAgain_AndTheFolderHoldsOnlyCsv()
    {
        var (source, target) = Folders();
        WriteSource("gw/a.log.gz", 2, 1);
        WriteSource("gw/b.log.gz", 3, 2);
        await using var state = SqliteConversionStateStore.Open(_temp.File("state/state.db"));
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state });

        var first = await new LogpushReconciler(processor).RunAsync();
        Assert.Equal(2, first.Converted);
        Assert.Equal(["gw/a.csv", "gw/b.csv"], Files(_temp.File("dst")));
        Assert.Equal(PipelineTestData.ExpectedCsv(3, 2), await File.ReadAllTextAsync(Path.Combine(_temp.File("dst"), "gw", "b.csv")));
        var record = await state.FindByTargetAsync(LogpushObjectProcessor.StoreOf(target), "gw/b.csv");
        Assert.NotNull(record);
        Assert.Equal("gw/b.log.gz", record.SourceKey);
        Assert.Equal(3, record.Rows);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(_temp.File("dst"), "gw", "b.csv")))), record.Sha256);
        Assert.NotNull(record.SourceFileId);

        // the SIEM forwarder consumes the CSV files (and the folders they were in)
        Directory.Delete(_temp.File("dst/gw"), recursive: true);
        var second = await new LogpushReconciler(new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state })).RunAsync();

        Assert.Equal(0, second.Converted);
        Assert.Equal(2, second.SkippedDuplicate);
        Assert.Empty(Files(_temp.File("dst")));
    }

    [Fact]
    public async Task Reconcile_TargetFolderRemovedAndMadeAgain_IsANewTarget_EveryCsvProducedAgain()
    {
        var (source, target) = Folders();
        WriteSource("gw/a.log.gz", 2, 1);
        WriteSource("gw/b.log.gz", 3, 2);
        await using var state = SqliteConversionStateStore.Open(_temp.File("state/state.db"));
        Assert.Equal(2, (await new LogpushReconciler(new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state })).RunAsync()).Converted);
        var before = LogpushObjectProcessor.StoreOf(target);

        // the folder itself removed (not files consumed from it): the next run starts the target anew
        Directory.Delete(_temp.File("dst"), recursive: true);
        var again = await new LogpushReconciler(new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state })).RunAsync();

        Assert.Equal(2, again.Converted);
        Assert.Equal(2, again.ConvertedNew);
        Assert.Equal(["gw/a.csv", "gw/b.csv"], Files(_temp.File("dst")));
        Assert.Equal(PipelineTestData.ExpectedCsv(3, 2), await File.ReadAllTextAsync(Path.Combine(_temp.File("dst"), "gw", "b.csv")));
        Assert.NotEqual(before, LogpushObjectProcessor.StoreOf(target));
        Assert.NotNull(await state.FindByTargetAsync(LogpushObjectProcessor.StoreOf(target), "gw/b.csv"));

        // the removed folder's records can never be used again: forgotten, not left to pile up
        Assert.Null(await state.FindByTargetAsync(before, "gw/b.csv"));
        Assert.Empty(await state.ListAsync(LogpushObjectProcessor.StoreOf(source), before).ToListAsync());

        // and the files consumed from the new folder are not produced again
        Directory.Delete(_temp.File("dst/gw"), recursive: true);
        var third = await new LogpushReconciler(new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state })).RunAsync();
        Assert.Equal(0, third.Converted);
        Assert.Equal(2, third.SkippedDuplicate);
    }

    [Fact]
    public async Task ProcessAsync_TargetFolderCannotBeMadeYet_FailsEachObjectUntilItCan_ThenConverts()
    {
        Directory.CreateDirectory(_temp.File("src"));
        WriteSource("a.log.gz", 2, 1);
        await File.WriteAllTextAsync(_temp.File("blocked"), "a file where the target's parent folder should be");
        var source = new FileSystemBucket(_temp.File("src"));
        var target = new FileSystemBucket(_temp.File("blocked/dst"));
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state });

        var failed = await processor.ProcessAsync("a.log.gz");
        File.Delete(_temp.File("blocked"));
        var converted = await processor.ProcessAsync("a.log.gz");

        Assert.True(failed.IsFailure);
        Assert.IsType<R2BucketException>(failed.Exception);
        Assert.Equal(ObjectProcessingStatus.Converted, converted.Status);
        Assert.True(File.Exists(_temp.File("blocked/dst/a.csv")));
    }

    [Fact]
    public async Task Reconcile_FolderSourceTouchedOrCopiedBack_SameBytes_IsNotConvertedAgain_AndRememberedAsItIsNow()
    {
        var (source, target) = Folders();
        WriteSource("a.log.gz", 2, 1);
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state });
        Assert.Equal(1, (await new LogpushReconciler(processor).RunAsync()).Converted);
        var first = await state.FindByTargetAsync(LogpushObjectProcessor.StoreOf(target), "a.csv");

        // the version of a folder source is the XXH128 of its bytes (no MD5 of every source)
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_temp.File("src"), "a.log.gz"));
        Assert.Equal("xxh128:" + Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(bytes)), first!.SourceETag);

        // copied back (a new inode and time, the same bytes), as a restore from a backup does
        var path = Path.Combine(_temp.File("src"), "a.log.gz");
        File.Delete(path);
        await File.WriteAllBytesAsync(path, bytes);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-3));
        File.Delete(Path.Combine(_temp.File("dst"), "a.csv"));

        var again = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(0, again.Converted);
        Assert.Equal(1, again.SkippedDuplicate);
        Assert.Empty(Files(_temp.File("dst")));
        var now = await state.FindByTargetAsync(LogpushObjectProcessor.StoreOf(target), "a.csv");
        Assert.Equal(File.GetLastWriteTimeUtc(path), now!.SourceLastModified!.Value.UtcDateTime);
        Assert.NotEqual(first.SourceLastModified, now.SourceLastModified);
    }

    [Fact]
    public async Task TryUpToDate_UnchangedFile_IsDoneFromTheListingAndTheBatchRead_AChangedOneIsNot()
    {
        var (source, target) = Folders();
        WriteSource("gw/a.log.gz", 2, 1);
        WriteSource("gw/b.log.gz", 3, 2);
        await using var state = SqliteConversionStateStore.Open(_temp.File("state/state.db"));
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state });
        Assert.Equal(2, (await new LogpushReconciler(processor).RunAsync()).Converted);
        File.SetLastWriteTimeUtc(Path.Combine(_temp.File("src"), "gw", "b.log.gz"), DateTime.UtcNow.AddMinutes(-5));

        var listed = await source.ListFilesAsync(null).ToListAsync();
        var (sourceStore, targetStore) = processor.StateStores;
        var records = await state.FindBySourcesAsync(sourceStore, [.. listed.Select(f => f.Key), "gw/none.log.gz"], targetStore);

        Assert.Equal(["gw/a.log.gz", "gw/b.log.gz"], records.Keys.Order(StringComparer.Ordinal));
        Assert.True(processor.TryUpToDate("gw/a.log.gz", listed[0].Stat, records["gw/a.log.gz"], out var skipped));
        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, skipped.Status);
        Assert.Equal("gw/a.csv", skipped.TargetKey);
        Assert.False(processor.TryUpToDate("gw/b.log.gz", listed[1].Stat, records["gw/b.log.gz"], out _)); // touched: read again
        Assert.False(processor.TryUpToDate("gw/a.log.gz", listed[0].Stat, null, out _)); // no record
    }

    [Fact]
    public async Task Reconcile_UnchangedFolderSource_IsNotRead()
    {
        var (source, target) = Folders();
        WriteSource("a.log.gz", 2, 1);
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state });
        Assert.Equal(1, (await new LogpushReconciler(processor).RunAsync()).Converted);

        // Other bytes of the same size written in place (same inode), the time put back: a reader would see the change
        // (another ETag: "source changed"); recognising the file by size, time and identity does not read it.
        var path = Path.Combine(_temp.File("src"), "a.log.gz");
        var time = File.GetLastWriteTimeUtc(path);
        var bytes = await File.ReadAllBytesAsync(path);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Write(new byte[bytes.Length]);
        }

        File.SetLastWriteTimeUtc(path, time);
        var summary = await new LogpushReconciler(processor).RunAsync();

        Assert.Equal(0, summary.Converted);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(1, summary.SkippedDuplicate);

        // a real change (a new time) is seen, read, and fails on the zeroed bytes: recorded as a failure in the state
        File.SetLastWriteTimeUtc(path, time.AddSeconds(5));
        var changed = await new LogpushReconciler(processor).RunAsync();
        Assert.Equal(1, changed.Failed);
        var failure = Assert.Single(await state.ListFailuresAsync(LogpushObjectProcessor.StoreOf(source), LogpushObjectProcessor.StoreOf(target)).ToListAsync());
        Assert.Equal("a.log.gz", failure.SourceKey);

        // and a later success clears it
        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip(PipelineTestData.Ndjson(4, 3)));
        var fixedRun = await new LogpushReconciler(processor).RunAsync();
        Assert.Equal(1, fixedRun.Converted);
        Assert.Equal(1, fixedRun.ConvertedSourceChanged);
        Assert.Empty(await state.ListFailuresAsync(LogpushObjectProcessor.StoreOf(source), LogpushObjectProcessor.StoreOf(target)).ToListAsync());
    }

    [Fact]
    public async Task Process_OtherOptions_Reconverts_AndForceReconverts()
    {
        var (source, target) = Folders();
        WriteSource("a.log.gz", 2, 1);
        await using var state = new InMemoryConversionStateStore();
        var plain = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state });
        Assert.Equal(ObjectProcessingStatus.Converted, (await plain.ProcessAsync("a.log.gz")).Status);
        Assert.Equal(ObjectProcessingStatus.SkippedDuplicate, (await plain.ProcessAsync("a.log.gz")).Status);

        var tabs = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state, Transform = TransformOptions.Default with { Delimiter = '\t' } });
        var changed = await tabs.ProcessAsync("a.log.gz");
        Assert.Equal(ObjectProcessingStatus.Converted, changed.Status);
        Assert.Equal(ConversionReason.OptionsChanged, changed.ConversionReason);

        var forced = await new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state, Transform = TransformOptions.Default with { Delimiter = '\t' }, Force = true }).ProcessAsync("a.log.gz");
        Assert.Equal(ConversionReason.Forced, forced.ConversionReason);
    }

    [Fact]
    public async Task Process_TwoSourcesOneTarget_SecondIsRefusedFromTheState()
    {
        var (source, target) = Folders();
        WriteSource("a/x.log.gz", 1, 1);
        WriteSource("b/x.log.gz", 1, 2);
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state, TargetKeyTemplate = new TargetKeyTemplate("{name}.csv") });

        Assert.Equal(ObjectProcessingStatus.Converted, (await processor.ProcessAsync("a/x.log.gz")).Status);
        var second = await processor.ProcessAsync("b/x.log.gz");

        Assert.Equal(ObjectProcessingStatus.Failed, second.Status);
        Assert.IsType<TargetConflictException>(second.Exception);
        Assert.Contains("a/x.log.gz", second.Reason, StringComparison.Ordinal);
        Assert.Equal(PipelineTestData.ExpectedCsv(1, 1), await File.ReadAllTextAsync(Path.Combine(_temp.File("dst"), "x.csv")));
    }

    [Fact]
    public async Task Process_BadLinesWithAQuarantineLocation_GoThere_AndTheTargetHoldsOnlyCsv()
    {
        var (source, target) = Folders();
        var path = Path.Combine(_temp.File("src"), "a.log.gz");
        await File.WriteAllBytesAsync(path, PipelineTestData.Gzip("{\"a\":1}\nnot json\n{\"a\":2}\n"));
        var quarantine = new FileSystemBucket(_temp.File("quarantine"));
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions
        {
            State = state,
            Quarantine = quarantine,
            Transform = TransformOptions.Default with { OnBadLine = BadLinePolicy.Quarantine },
        });

        var result = await processor.ProcessAsync("a.log.gz");

        Assert.Equal(ObjectProcessingStatus.Converted, result.Status);
        Assert.Equal(["a.csv"], Files(_temp.File("dst")));
        Assert.Equal(["a.csv.quarantine"], Files(_temp.File("quarantine")));
        Assert.Contains("not json", await File.ReadAllTextAsync(Path.Combine(_temp.File("quarantine"), "a.csv.quarantine")), StringComparison.Ordinal);
        Assert.Equal("a.csv.quarantine", (await state.FindByTargetAsync(LogpushObjectProcessor.StoreOf(target), "a.csv"))!.QuarantineKey);
    }

    [Fact]
    public async Task Process_BucketTarget_KeepsProvenanceOnTheObject_AndRecordsInTheState()
    {
        var (source, _) = Folders();
        WriteSource("a.log.gz", 2, 1);
        var target = new InMemoryBucket("csv");
        await using var state = new InMemoryConversionStateStore();
        var processor = new LogpushObjectProcessor(source, target, new LogpushObjectProcessorOptions { State = state });

        Assert.Equal(ObjectProcessingStatus.Converted, (await processor.ProcessAsync("a.log.gz")).Status);

        var head = await target.HeadAsync("a.csv");
        Assert.Equal("a.log.gz", Uri.UnescapeDataString(head!.CustomMetadata[ProvenanceMetadata.SourceKey]));
        Assert.Equal(1, state.Count);
    }
}
