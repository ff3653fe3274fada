using System.CommandLine;
using BenchmarkDotNet.Running;
using LogpushKit.Benchmarks.Generation;

// `generate ...` makes synthetic Logpush objects, `inflate FILE` is the floor of one file, `floor SOURCE TARGET` the floor
// of a folder run, `latency-proxy` a far-away bucket in front of a local S3 server; anything else goes to BenchmarkDotNet (e.g. `--filter '*' --job short`).
if (args.Length > 0 && args[0] is "generate" or "inflate" or "floor" or "latency-proxy")
{
    var root = new RootCommand("LogpushKit benchmarks and data generator.") { GenerateCommand.Create(), InflateCommand.Create(), FloorCommand.Create(), LatencyProxyCommand.Create() };
    return root.Parse(args).Invoke();
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
