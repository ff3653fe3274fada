using LogpushKit.Cli.Infrastructure;
using LogpushKit.Testing;

namespace LogpushKit.Cli.Tests.Infrastructure;

public sealed class CliStreamsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task CreateOutput_BeforeCommit_WritesOnlyAHiddenTemporaryFile()
    {
        await using var output = CliStreams.CreateOutput(_dir.File("out.csv"), CancellationToken.None);
        await output.Stream.WriteAsync("a\n"u8.ToArray());

        var name = Assert.Single(_dir.FileNames());
        Assert.Matches(@"^\.out\.csv\.[a-z0-9]+\.tmp$", name);
    }

    [Fact]
    public async Task CommitAsync_RenamesOverTheTarget()
    {
        await File.WriteAllTextAsync(_dir.File("out.csv"), "old");
        await using (var output = CliStreams.CreateOutput(_dir.File("out.csv"), CancellationToken.None))
        {
            await output.Stream.WriteAsync("new\n"u8.ToArray());
            await output.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(["out.csv"], _dir.FileNames());
        Assert.Equal("new\n", await File.ReadAllTextAsync(_dir.File("out.csv")));
    }

    [Fact]
    public async Task DisposeAsync_WithoutCommit_DeletesTheTemporaryFile()
    {
        await using (var output = CliStreams.CreateOutput(_dir.File("out.csv"), CancellationToken.None))
        {
            await output.Stream.WriteAsync("partial"u8.ToArray());
        }

        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public async Task CreateOutput_Cancelled_DeletesTheTemporaryFileAtOnce()
    {
        using var cts = new CancellationTokenSource();
        await using var output = CliStreams.CreateOutput(_dir.File("out.csv"), cts.Token);
        await output.Stream.WriteAsync("partial"u8.ToArray());

        await cts.CancelAsync();

        Assert.Empty(_dir.FileNames());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => output.CommitAsync(cts.Token));
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public async Task OpenInput_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => CliStreams.OpenInput(_dir.File("absent.log.gz")));
        await Task.CompletedTask;
    }
}
