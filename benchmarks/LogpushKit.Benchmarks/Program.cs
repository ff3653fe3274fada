using System.CommandLine;
using BenchmarkDotNet.Running;
using LogpushKit.Benchmarks.Generation;

// `generate ...` makes synthetic Logpush objects, `inflate FILE` times the floor; anything else goes to BenchmarkDotNet
// (e.g. `--filter '*' --job short`).
if (args.Length > 0 && args[0] is "generate" or "inflate")
{
    var root = new RootCommand("LogpushKit benchmarks and data generator.") { GenerateCommand.Create(), InflateCommand.Create() };
    return root.Parse(args).Invoke();
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
