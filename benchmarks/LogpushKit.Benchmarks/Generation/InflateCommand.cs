using System.CommandLine;
using System.IO.Compression;

namespace LogpushKit.Benchmarks.Generation;

/// <summary>
/// <c>inflate FILE</c>: the physical floor of one file's conversion, a bare GZipStream inflate to nowhere (all members),
/// printing the decompressed byte count. Whole-process timings compare <c>logpushkit convert</c> with it.
/// </summary>
internal static class InflateCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A gzip file." };
        var command = new Command("inflate", "Inflate a gzip file to nowhere with .NET's GZipStream (the floor whole-process timings compare against).") { file };
        command.SetAction(parseResult =>
        {
            using var input = new FileStream(parseResult.GetRequiredValue(file), FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                total += read;
            }

            Console.WriteLine(total);
            return 0;
        });
        return command;
    }
}
