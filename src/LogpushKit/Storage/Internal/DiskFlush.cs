using System.Collections.Concurrent;

namespace LogpushKit.Storage;

/// <summary>
/// Flushes files to disk (<c>fsync</c>) on threads of its own, and lets the caller await it.
/// </summary>
/// <remarks>
/// .NET has no asynchronous flush to disk. Called on a thread-pool thread, an <c>fsync</c> holds that thread while the
/// device writes (about a millisecond for a small file on a local disk, far more on a network one), and the pool adds
/// threads only slowly. Between local folders the pool has about one thread per core, so while an object's CSV was
/// flushed a core idled instead of converting the next object. Here the waiting is done by a few dedicated threads,
/// started on first use and kept for the life of the process; the caller's continuation runs on the pool again.
/// </remarks>
internal static class DiskFlush
{
    /// <summary>Flushes at once, at most: enough to keep a device's queue busy, and cheap when idle.</summary>
    private static readonly int Threads = Math.Max(4, 2 * Environment.ProcessorCount);

    private static readonly BlockingCollection<(FileStream File, TaskCompletionSource Done)> Queue = Start();

    /// <summary>Writes <paramref name="file"/>'s buffered bytes and flushes it to disk; completes when the device has them.</summary>
    /// <exception cref="IOException">The flush failed (the exception of <see cref="FileStream.Flush(bool)"/>).</exception>
    public static Task FlushAsync(FileStream file)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((file, done));
        return done.Task;
    }

    private static BlockingCollection<(FileStream, TaskCompletionSource)> Start()
    {
        var queue = new BlockingCollection<(FileStream, TaskCompletionSource)>();
        for (var i = 0; i < Threads; i++)
        {
            new Thread(() => Run(queue)) { IsBackground = true, Name = "LogpushKit disk flush" }.Start();
        }

        return queue;
    }

    private static void Run(BlockingCollection<(FileStream File, TaskCompletionSource Done)> queue)
    {
        foreach (var (file, done) in queue.GetConsumingEnumerable())
        {
            try
            {
                file.Flush(flushToDisk: true);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        }
    }
}
