using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Storage;

/// <summary>The folder bucket's flush to disk, done on threads of its own so that a thread-pool thread never waits for the device.</summary>
public sealed class DiskFlushTests : IDisposable
{
    private readonly TempDirectory _temp = new("diskflush");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task FlushAsync_ManyFilesAtOnce_EachGetsItsBufferedBytes_FlushedToDiskOffTheThreadPool()
    {
        // more files than flushing threads, each with bytes still in its buffer
        var files = Enumerable.Range(0, 40).Select(i => new RecordingFileStream(_temp.File($"{i:00}"))).ToArray();
        try
        {
            for (var i = 0; i < files.Length; i++)
            {
                files[i].Write(Bytes(i));
            }

            await Task.WhenAll(files.Select(f => DiskFlush.FlushAsync(f)));

            for (var i = 0; i < files.Length; i++)
            {
                Assert.Equal(Bytes(i), await File.ReadAllBytesAsync(_temp.File($"{i:00}")));
                Assert.True(files[i].FlushedToDisk);
                Assert.False(files[i].FlushedOnThreadPool);
            }
        }
        finally
        {
            foreach (var file in files)
            {
                await file.DisposeAsync();
            }
        }

        static byte[] Bytes(int i) => [.. Enumerable.Range(0, 100 + i).Select(b => (byte)(b + i))];
    }

    [Fact]
    public async Task FlushAsync_FlushFails_TheCallerGetsTheException()
    {
        var file = new FileStream(_temp.File("closed"), FileMode.CreateNew, FileAccess.Write);
        await file.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => DiskFlush.FlushAsync(file));
    }

    private sealed class RecordingFileStream(string path) : FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 4096)
    {
        public bool FlushedToDisk { get; private set; }

        public bool FlushedOnThreadPool { get; private set; }

        public override void Flush(bool flushToDisk)
        {
            FlushedOnThreadPool = Thread.CurrentThread.IsThreadPoolThread;
            base.Flush(flushToDisk);
            FlushedToDisk = flushToDisk;
        }
    }
}
