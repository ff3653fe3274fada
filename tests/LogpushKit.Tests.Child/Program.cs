using LogpushKit.Pipeline;
using LogpushKit.R2;
using LogpushKit.Storage;
using LogpushKit.Testing.Streams;
using LogpushKit.Transform;

// A child process for the tests that need a real second process (a kill, an operating-system lock, a race between
// processes, a process without the permission override of root). Modes:
//   <folder> <key>                    put <key> from a source that never ends (64 KiB every 20 ms); prints "writing"
//                                     once the first bytes are read, so the parent can kill it mid-put
//   lock <folder> <key>               takes FileSystemBucket.LockAsync(<key>), prints "locked", then waits forever
//   list <folder>                     lists the folder bucket: "key<TAB>k" per object, then "incomplete<TAB>k<TAB>reason"
//                                     per unreadable part, or "error<TAB>type<TAB>message"
//   reconcile <source-folder> <target> [--start-when <file>] [--concurrency N] [--template T]
//                                     one reconcile pass; <target> is a folder, or s3://bucket with the endpoint and
//                                     credentials in LOGPUSHKIT_TEST_S3_ENDPOINT / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY;
//                                     waits for <file> to exist before starting (so two children start together);
//                                     prints "result<TAB>status<TAB>key<TAB>reason" per object and
//                                     "summary<TAB>converted<TAB>duplicates<TAB>failed<TAB>leftovers<TAB>source GETs"
if (args.Length == 2 && args[0] is not ("list" or "lock"))
{
    var bucket = new FileSystemBucket(args[0]);
    await bucket.PutAsync(args[1], new SlowStream(long.MaxValue, 64 * 1024, TimeSpan.FromMilliseconds(20), onFirstRead: () =>
    {
        Console.Out.WriteLine("writing");
        Console.Out.Flush();
    }));
    return 0;
}

switch (args.FirstOrDefault())
{
    case "lock" when args.Length == 3:
        {
            var bucket = new FileSystemBucket(args[1]);
            await using var held = await ((IR2Bucket)bucket).LockAsync(args[2]);
            await Console.Out.WriteLineAsync(held is null ? "no lock" : "locked");
            await Console.Out.FlushAsync();
            await Task.Delay(Timeout.Infinite);
            return 0;
        }

    case "list" when args.Length == 2:
        {
            var bucket = new FileSystemBucket(args[1]);
            try
            {
                await foreach (var item in bucket.ListAsync())
                {
                    await Console.Out.WriteLineAsync($"key\t{item.Key}");
                }
            }
            catch (R2ListIncompleteException ex)
            {
                foreach (var problem in ex.Problems)
                {
                    await Console.Out.WriteLineAsync($"incomplete\t{problem.Key}\t{problem.Reason}");
                }
            }
            catch (Exception ex)
            {
                await Console.Out.WriteLineAsync($"error\t{ex.GetType().Name}\t{ex.Message}");
                return 1;
            }

            return 0;
        }

    case "reconcile" when args.Length >= 3:
        return await ReconcileAsync(args[1], args[2], args[3..]);

    default:
        await Console.Error.WriteLineAsync("usage: LogpushKit.Tests.Child <folder> <key> | lock <folder> <key> | list <folder> | reconcile <source> <target> [options]");
        return 2;
}

static async Task<int> ReconcileAsync(string sourceFolder, string target, string[] options)
{
    string? startWhen = null;
    var concurrency = 1;
    var template = TargetKeyTemplate.Default;
    for (var i = 0; i + 1 < options.Length; i += 2)
    {
        switch (options[i])
        {
            case "--start-when":
                startWhen = options[i + 1];
                break;
            case "--concurrency":
                concurrency = int.Parse(options[i + 1], System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "--template":
                template = new TargetKeyTemplate(options[i + 1]);
                break;
        }
    }

    var source = new CountingSource(new FileSystemBucket(sourceFolder, "source"));
    using var remote = target.StartsWith("s3://", StringComparison.Ordinal)
        ? new R2Bucket(new R2BucketOptions
        {
            Bucket = target["s3://".Length..].TrimEnd('/'),
            Endpoint = new Uri(Environment.GetEnvironmentVariable("LOGPUSHKIT_TEST_S3_ENDPOINT")!),
            AccessKeyId = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"),
            SecretAccessKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"),
            PartSize = R2BucketOptions.MinPartSize,
        })
        : null;
    IR2Bucket targetBucket = remote is not null ? remote : new FileSystemBucket(target, "target");
    var processor = new LogpushObjectProcessor(source, targetBucket, new LogpushObjectProcessorOptions { TargetKeyTemplate = template, Transform = TransformOptions.Default });
    var reconciler = new LogpushReconciler(processor);

    await Console.Out.WriteLineAsync("ready");
    await Console.Out.FlushAsync();
    if (startWhen is not null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(startWhen) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
    }

    var results = new List<ObjectProcessingResult>();
    var summary = await reconciler.RunAsync(
        new ReconcileOptions { MaxConcurrency = concurrency },
        new SynchronousProgress(p =>
        {
            if (p.Last is { } last)
            {
                lock (results)
                {
                    results.Add(last);
                }
            }
        }));
    foreach (var result in results)
    {
        await Console.Out.WriteLineAsync($"result\t{result.Status}\t{ObjectKeyText.Escape(result.SourceKey)}\t{result.Reason}");
    }

    await Console.Out.WriteLineAsync($"summary\t{summary.Converted}\t{summary.SkippedDuplicate}\t{summary.Failed}\t{summary.LeftoversRemoved}\t{source.Gets}");
    return 0;
}

/// <summary>The source bucket, counting GETs: an object converted once across processes is read once.</summary>
internal sealed class CountingSource(IR2Bucket inner) : IR2Bucket
{
    private int _gets;

    public int Gets => Volatile.Read(ref _gets);

    public string Name => inner.Name;

    public R2BucketIdentity? Identity => inner.Identity;

    public Task<R2ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

    public Task<R2ObjectBody?> GetAsync(string key, R2Range? range = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        return inner.GetAsync(key, range, cancellationToken);
    }

    public Task<R2ObjectInfo> PutAsync(string key, Stream content, R2PutOptions? options = null, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, options, cancellationToken);

    public IAsyncEnumerable<R2ListItem> ListAsync(R2ListOptions? options = null, CancellationToken cancellationToken = default) => inner.ListAsync(options, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
}

internal sealed class SynchronousProgress(Action<ReconcileProgress> report) : IProgress<ReconcileProgress>
{
    public void Report(ReconcileProgress value) => report(value);
}
