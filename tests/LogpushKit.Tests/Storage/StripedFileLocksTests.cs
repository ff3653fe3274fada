using LogpushKit.Storage;
using LogpushKit.Testing;

namespace LogpushKit.Tests.Storage;

public sealed class StripedFileLocksTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task LockAsync_ManyStripesAtOnceIntoAFolderNotMadeYet_EveryLockTaken()
    {
        // the first locks race to make the folder: a lock whose open failed before another made it is told "file not
        // found" rather than "folder not found" by .NET (which looks for the folder after the failure), and must still make it
        for (var round = 0; round < 40; round++)
        {
            var folder = _temp.File($"round{round}/state.db.locks");
            var locks = new StripedFileLocks(folder, string.Empty, ".lock", 256, ignoreCase: false, TimeProvider.System, (_, path, ex) => new IOException($"cannot take the lock file '{path}'", ex));
            using var start = new ManualResetEventSlim();
            var takers = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            {
                start.Wait();
                await using var held = await locks.LockAsync($"key{i}", CancellationToken.None);
            })).ToArray();
            start.Set();

            await Task.WhenAll(takers);
            Assert.True(Directory.Exists(folder));
        }
    }
}
