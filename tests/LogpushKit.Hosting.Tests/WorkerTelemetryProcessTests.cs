using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LogpushKit.Testing;

namespace LogpushKit.Hosting.Tests;

/// <summary>
/// The worker sample as a real process with a loopback OTLP/HTTP receiver: it exports its traces and metrics (protobuf
/// POSTs to /v1/traces and /v1/metrics) when OTEL_EXPORTER_OTLP_ENDPOINT is set, and nothing at all when it is not, even
/// with every other OTLP setting pointing at the receiver.
/// </summary>
public sealed class WorkerTelemetryProcessTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new("logpushkit-worker-otlp");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Worker_OtlpEndpointSet_ExportsTracesAndMetricsOverHttpProtobuf()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGTERM is POSIX
        }

        using var receiver = OtlpReceiver.Start();
        var settings = Settings();
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Address;

        var (exitCode, output) = await RunAsync(settings, async () =>
        {
            await receiver.WaitForAsync("/v1/traces", Bound);
            await receiver.WaitForAsync("/v1/metrics", Bound);
        });

        Assert.True(exitCode == 0, output);
        var traces = receiver.Requests.Where(r => r.Path == "/v1/traces").ToList();
        Assert.All(receiver.Requests, r => Assert.Equal(("POST", "application/x-protobuf"), (r.Method, r.ContentType)));
        // the span of the converted object, by its activity source's name in the protobuf payload
        Assert.Contains(traces, r => r.Body.Contains("LogpushKit", StringComparison.Ordinal));
        Assert.Contains(receiver.Requests, r => r.Path == "/v1/metrics" && r.Body.Contains("logpushkit", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Worker_OtlpEndpointUnset_ExportsNothing()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var receiver = OtlpReceiver.Start();
        var settings = Settings();
        // every other OTLP setting points at the receiver: an exporter registered regardless would post there
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty;
        settings["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = receiver.Address + "/v1/traces";
        settings["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = receiver.Address + "/v1/metrics";
        var csv = Path.Combine(_dir.Path, "csv", "gw", "20240601", "a.csv");

        var (exitCode, output) = await RunAsync(settings, async () =>
        {
            using var timeout = new CancellationTokenSource(Bound);
            while (!File.Exists(csv))
            {
                await Task.Delay(100, timeout.Token);
            }

            // several export intervals and batch delays (200 ms, 100 ms) after the object's span ended; stopping flushes too
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        });

        Assert.True(exitCode == 0, output);
        Assert.True(File.Exists(csv));
        Assert.Empty(receiver.Requests);
    }

    private Dictionary<string, string> Settings()
    {
        var source = Path.Combine(_dir.Path, "logpush");
        Directory.CreateDirectory(Path.Combine(source, "gw", "20240601"));
        File.WriteAllBytes(Path.Combine(source, "gw", "20240601", "a.log.gz"), PipelineTestData.Gzip(PipelineTestData.Ndjson(3, 1)));
        var settings = WorkerProcessTests.Settings(source, Path.Combine(_dir.Path, "csv"));
        settings["LogpushKit__WatchDebounceMilliseconds"] = "100";
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "200";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "100";
        return settings;
    }

    /// <summary>Starts the worker, runs <paramref name="whileRunning"/>, stops it with SIGTERM; bounded throughout.</summary>
    private async Task<(int ExitCode, string Output)> RunAsync(Dictionary<string, string> settings, Func<Task> whileRunning)
    {
        using var process = WorkerProcess.Start(_dir.Path, settings);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await whileRunning().WaitAsync(Bound);
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(Bound);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stderr + await stdout);
    }

    /// <summary>An OTLP/HTTP receiver on 127.0.0.1 that records every request and answers 200 with an empty body.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
        private readonly Task _loop;

        private OtlpReceiver(HttpListener listener, string address)
        {
            _listener = listener;
            Address = address;
            _loop = Task.Run(LoopAsync);
        }

        public string Address { get; }

        public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

        public static OtlpReceiver Start()
        {
            // a free port: bind port 0, read it, release it for the listener
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var address = $"http://127.0.0.1:{port}";
            var listener = new HttpListener();
            listener.Prefixes.Add(address + "/");
            listener.Start();
            return new OtlpReceiver(listener, address);
        }

        public async Task WaitForAsync(string path, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (!_requests.Any(r => r.Path == path))
            {
                await Task.Delay(50, cts.Token);
            }
        }

        public void Dispose()
        {
            _listener.Close();
            _ = _loop.Wait(TimeSpan.FromSeconds(5));
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                // protobuf, read as Latin-1 so that the strings inside (scope and metric names) can be searched
                _requests.Enqueue(new ReceivedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.ContentType, Encoding.Latin1.GetString(body.ToArray())));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }
    }

    private sealed record ReceivedRequest(string Method, string Path, string? ContentType, string Body)
    {
        public override string ToString() => $"{Method} {Path} ({ContentType}, {Body.Length} bytes)";
    }
}
