using System.Buffers;
using System.IO.Hashing;

namespace LogpushKit.Storage;

/// <summary>What the processor with a state store uses of a folder: a read without MD5, a write without pipe, MD5 or sidecar.</summary>
public sealed partial class FileSystemBucket
{
    /// <summary>The prefix of the content version <see cref="GetWithContentHashAsync"/> reports in place of an ETag.</summary>
    internal const string ContentHashPrefix = "xxh128:";

    /// <summary>
    /// Opens the object at <paramref name="key"/> for reading, like <see cref="GetAsync"/>, but reports as its ETag
    /// <c>xxh128:</c> and the XXH128 of its bytes (read once, from the start; the body is then positioned at 0) in place of
    /// the MD5: a version of the content that tells the same bytes under a new time from new bytes, at a small fraction of
    /// an MD5's cost (for the state's records of folder sources; an MD5 of every source was 7% of a folder run's CPU). No
    /// metadata is read. <see langword="null"/> when there is no such object.
    /// </summary>
    /// <exception cref="ObjectKeyException">The key is not allowed.</exception>
    /// <exception cref="R2BucketException">The file cannot be read.</exception>
    internal async Task<R2ObjectBody?> GetWithContentHashAsync(string key, CancellationToken cancellationToken)
    {
        var path = ResolvePath(key);
        var handle = OpenForRead(path, key);
        if (handle is null)
        {
            return null;
        }

        try
        {
            var size = RandomAccess.GetLength(handle);
            var lastWrite = File.GetLastWriteTimeUtc(handle);
            var hash = new XxHash128();
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            try
            {
                long offset = 0;
                int read;
                while ((read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, CopyBufferSize), offset, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.Append(buffer.AsSpan(0, read));
                    offset += read;
                }

                size = offset;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new R2BucketException($"File-system bucket '{Name}': could not read '{ObjectKeyText.Escape(key)}': {ex.Message}", Name, key, innerException: ex);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            var info = new R2ObjectInfo(key, size, ContentHashPrefix + Convert.ToHexStringLower(hash.GetCurrentHash()), new DateTimeOffset(lastWrite, TimeSpan.Zero));
            return new R2ObjectBody(info, new FileStream(handle, FileAccess.Read, bufferSize: 0, isAsync: false));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts a put the caller writes into directly: the bytes go straight into the object's hidden temporary file, on the
    /// caller's thread, with no copy through a pipe and no MD5, and <see cref="DirectPut.CommitAsync"/> flushes the file to
    /// disk and renames it into place. For writers that keep no metadata on the object (the processor with a state store):
    /// the object is served like a file another program put there (no sidecar; its ETag computed from its bytes when
    /// asked). Disposing a put that was not committed removes its temporary file.
    /// </summary>
    /// <param name="key">The object's key.</param>
    /// <exception cref="ObjectKeyException">The key cannot name a file in this folder.</exception>
    /// <exception cref="R2BucketException">The temporary file cannot be created.</exception>
    internal DirectPut BeginPut(string key)
    {
        var path = ResolvePath(key);
        var directory = Path.GetDirectoryName(path)!;
        var temp = TempPath(directory, Path.GetFileName(path));
        try
        {
            return new DirectPut(this, key, path, temp, CreateTempFile(temp, directory, key, asynchronous: false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw WriteFailure(key, ex);
        }
    }

    private R2BucketException WriteFailure(string key, Exception ex) =>
        new($"File-system bucket '{Name}': could not write '{ObjectKeyText.Escape(key)}': {ex.Message}", Name, key, innerException: ex);

    /// <summary>A put in progress from <see cref="BeginPut"/>: write <see cref="Content"/>, then commit, then dispose.</summary>
    internal sealed class DirectPut : IAsyncDisposable
    {
        private readonly FileSystemBucket _bucket;
        private readonly string _key;
        private readonly string _path;
        private readonly string _temp;
        private readonly FileStream _file;
        private bool _committed;

        internal DirectPut(FileSystemBucket bucket, string key, string path, string temp, FileStream file)
        {
            _bucket = bucket;
            _key = key;
            _path = path;
            _temp = temp;
            _file = file;
            Content = new ContentStream(this);
        }

        /// <summary>Where the object's bytes are written: synchronously, also through <c>WriteAsync</c> (page-cache writes are faster than a thread hand-off).</summary>
        public Stream Content { get; }

        /// <summary>Flushes the bytes to disk and renames the file into place, replacing any object under the key.</summary>
        /// <returns>The object's size and last-write time.</returns>
        public async Task<(long Size, DateTimeOffset LastModified)> CommitAsync(CancellationToken cancellationToken)
        {
            long size;
            DateTime lastWrite;
            try
            {
                await DiskFlush.FlushAsync(_file).ConfigureAwait(false);
                size = _file.Length;
                lastWrite = File.GetLastWriteTimeUtc(_file.SafeFileHandle);
                await _file.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw _bucket.WriteFailure(_key, ex);
            }

            cancellationToken.ThrowIfCancellationRequested();
            await _bucket._commit.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // an earlier put's metadata must not stay beside the new object
                File.Delete(SidecarPath(Path.GetDirectoryName(_path)!, Path.GetFileName(_path)));
                File.Move(_temp, _path, overwrite: true);
                _committed = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw _bucket.WriteFailure(_key, ex);
            }
            finally
            {
                _bucket._commit.Release();
            }

            return (size, new DateTimeOffset(lastWrite, TimeSpan.Zero));
        }

        public async ValueTask DisposeAsync()
        {
            await _file.DisposeAsync().ConfigureAwait(false);
            if (!_committed)
            {
                TryDelete(_temp);
                _bucket.PruneEmptyFolders(Path.GetDirectoryName(_path)!);
            }
        }

        private sealed class ContentStream(DirectPut put) : ForwardOnlyStream
        {
            public override bool CanRead => false;

            public override bool CanWrite => true;

            public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

            public override void Write(ReadOnlySpan<byte> buffer)
            {
                try
                {
                    put._file.Write(buffer);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw put._bucket.WriteFailure(put._key, ex);
                }
            }

            public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Write(buffer.Span);
                return ValueTask.CompletedTask;
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override void Flush()
            {
            }

            public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
