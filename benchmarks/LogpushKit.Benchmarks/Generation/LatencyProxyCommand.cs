using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LogpushKit.Benchmarks.Generation;

/// <summary>
/// <c>latency-proxy --upstream URL --delay-ms 50</c>: a loopback HTTP/1.1 proxy in front of a plain-HTTP server that
/// holds every request for a fixed delay before forwarding it, so a local S3 server behaves like a far-away bucket
/// (one round trip per request). Prints <c>http://127.0.0.1:PORT/</c> on stdout once it listens and runs until its
/// standard input closes (or it is killed). Each connection carries one request (<c>Connection: close</c> is added),
/// like the tests' fault-injecting proxy, so the delay is paid once per request, never once per connection only.
/// </summary>
internal static class LatencyProxyCommand
{
    public static Command Create()
    {
        var upstream = new Option<string>("--upstream") { Description = "The plain-HTTP server to forward to, e.g. http://127.0.0.1:4568.", Required = true };
        var delay = new Option<int>("--delay-ms") { Description = "Milliseconds added to every request before it is forwarded.", DefaultValueFactory = _ => 50 };
        var command = new Command("latency-proxy", "A loopback HTTP proxy adding a fixed delay to every request (a far-away bucket in front of a local S3 server).")
        {
            upstream, delay,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var target = new Uri(parseResult.GetRequiredValue(upstream));
            var wait = TimeSpan.FromMilliseconds(parseResult.GetValue(delay));
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start(512);
            await Console.Out.WriteLineAsync($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
            await Console.Out.FlushAsync(cancellationToken);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _ = Task.Run(async () =>
            {
                // ends when whoever started the proxy closes its standard input (or goes away)
                await Console.In.ReadToEndAsync(stop.Token);
                await stop.CancelAsync();
            }, CancellationToken.None);
            while (!stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync(stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    break;
                }

                _ = Task.Run(() => HandleAsync(client, target, wait, stop.Token), CancellationToken.None);
            }

            return 0;
        });
        return command;
    }

    private static async Task HandleAsync(Socket client, Uri upstreamUri, TimeSpan delay, CancellationToken token)
    {
        using var clientGuard = client;
        try
        {
            var (head, extra) = await ReadHeadAsync(client, token);
            if (head is null)
            {
                return;
            }

            await Task.Delay(delay, token);
            using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await upstream.ConnectAsync(upstreamUri.Host, upstreamUri.Port, token);
            var lines = head[..^4].Split("\r\n").Where(l => !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase));
            await upstream.SendAsync(Encoding.ASCII.GetBytes(string.Join("\r\n", lines) + "\r\nConnection: close\r\n\r\n"), SocketFlags.None, token);
            if (extra.Length > 0)
            {
                await upstream.SendAsync(extra, SocketFlags.None, token);
            }

            using var pumps = CancellationTokenSource.CreateLinkedTokenSource(token);
            var toUpstream = PumpAsync(client, upstream, pumps.Token);
            await PumpAsync(upstream, client, token);
            client.Shutdown(SocketShutdown.Send);
            await pumps.CancelAsync();
            try
            {
                await toUpstream;
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client or the server went away
        }
    }

    private static async Task<(string? Head, byte[] Extra)> ReadHeadAsync(Socket client, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token);
            if (read == 0)
            {
                return (null, []);
            }

            filled += read;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(buffer, 0, end + 4), buffer[(end + 4)..filled]);
            }
        }

        throw new IOException("Request head larger than 64 KiB.");
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
        {
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
        }
    }
}
