using System.CommandLine;
using System.IO.Compression;

namespace LogpushKit.Benchmarks.Generation;

/// <summary>
/// <c>floor SOURCE TARGET</c>: the floor of a folder-to-folder <c>run</c>, everything it must do minus the conversion.
/// Every <c>*.log.gz</c> under SOURCE is inflated into TARGET at the same relative path with <c>.csv</c> in place of
/// <c>.log.gz</c>, durably (a temporary file beside it, fsync, rename), one object per core. Prints the object and byte
/// counts, so a script can check the floor did the whole job.
/// </summary>
internal static class FloorCommand
{
    public static Command Create()
    {
        var source = new Argument<DirectoryInfo>("source") { Description = "A folder of Logpush objects (*.log.gz, searched recursively)." };
        var target = new Argument<DirectoryInfo>("target") { Description = "The folder to write <same path>.csv into (created)." };
        var parallelism = new Option<int>("--parallelism") { Description = "Objects at once.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var noFsync = new Option<bool>("--no-fsync") { Description = "Skip the fsync before each rename (not durable)." };
        var command = new Command("floor", "Inflate every object of a folder into its .csv, durably, with no conversion (the floor a folder run is compared against).")
        {
            source, target, parallelism, noFsync,
        };
        parallelism.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--parallelism must be at least 1.");
            }
        });
        command.SetAction(parseResult =>
        {
            var from = parseResult.GetRequiredValue(source).FullName;
            var to = parseResult.GetRequiredValue(target).FullName;
            if (!Directory.Exists(from))
            {
                Console.Error.WriteLine($"floor: the source folder '{from}' does not exist.");
                return 2;
            }

            var sync = !parseResult.GetValue(noFsync);
            var files = Directory.GetFiles(from, "*.log.gz", SearchOption.AllDirectories);
            long bytes = 0;
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = parseResult.GetValue(parallelism) }, file =>
            {
                var relative = Path.GetRelativePath(from, file);
                var csv = Path.Combine(to, relative[..^".log.gz".Length] + ".csv");
                var directory = Path.GetDirectoryName(csv)!;
                Directory.CreateDirectory(directory);
                var temporary = Path.Combine(directory, $".{Path.GetFileName(csv)}.{Guid.NewGuid():N}.tmp");
                using (var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                using (var gzip = new GZipStream(input, CompressionMode.Decompress))
                using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    gzip.CopyTo(output, 1 << 18);
                    if (sync)
                    {
                        output.Flush(flushToDisk: true);
                    }

                    Interlocked.Add(ref bytes, output.Length);
                }

                File.Move(temporary, csv, overwrite: true);
            });
            Console.WriteLine($"{files.Length} objects, {bytes} bytes");
            return 0;
        });
        return command;
    }
}
