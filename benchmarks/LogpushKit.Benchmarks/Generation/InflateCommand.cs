using System.CommandLine;
using LogpushKit.Benchmarks.Infrastructure;

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
            var input = new FileStream(parseResult.GetRequiredValue(file), FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            Console.WriteLine(BareInflate.Run(input, new byte[81920]));
            return 0;
        });
        return command;
    }
}
