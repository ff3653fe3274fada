using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LogpushKit.Testing.S3;

/// <summary>One HTTP request as the proxy saw it.</summary>
/// <param name="Index">0-based arrival order.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Target">The request target (path and query), as sent.</param>
/// <param name="Fault">The fault injected, or <see langword="null"/> when the request was forwarded.</param>
/// <param name="ContentLength">The request's <c>Content-Length</c>, when it had one.</param>
public sealed record ProxiedRequest(int Index, string Method, string Target, ProxyFault? Fault, long? ContentLength = null)
{
    /// <summary>Whether this is an UploadPart request (<c>PUT …?partNumber=…&amp;uploadId=…</c>).</summary>
    public bool IsUploadPart => Method == "PUT" && Target.Contains("uploadId=", StringComparison.Ordinal) && Target.Contains("partNumber=", StringComparison.Ordinal);

    /// <summary>Whether this is a PutObject request (a PUT without an upload id).</summary>
    public bool IsPutObject => Method == "PUT" && !Target.Contains("uploadId=", StringComparison.Ordinal);

    /// <summary>Whether this is an AbortMultipartUpload request.</summary>
    public bool IsAbort => Method == "DELETE" && Target.Contains("uploadId=", StringComparison.Ordinal);

    /// <summary>Whether this is a CompleteMultipartUpload request.</summary>
    public bool IsComplete => Method == "POST" && Target.Contains("uploadId=", StringComparison.Ordinal);
}

/// <summary>What the proxy does instead of forwarding a request.</summary>
/// <param name="Status">The HTTP status to answer with; 0 to reset the connection instead.</param>
public sealed record ProxyFault(int Status)
{
    /// <summary>Answer with an S3-style error of <paramref name="status"/>.</summary>
    public static ProxyFault Respond(int status) => new(status);

    /// <summary>Reset the TCP connection (RST) after reading the request head.</summary>
    public static ProxyFault Reset { get; } = new(0);
}

/// <summary>
/// A loopback HTTP/1.1 proxy in front of a plain-HTTP server that fails chosen requests: it answers them with an
/// error status (500, 503, 403, …) or resets the connection, and forwards the others byte for byte (adding
/// <c>Connection: close</c>, so each connection carries one request). Requests are recorded in arrival order.
/// </summary>
public sealed class FaultInjectingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _upstream;
    private readonly Func<ProxiedRequest, ProxyFault?> _decide;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ProxiedRequest> _requests = [];
    private readonly Task _acceptLoop;

    /// <param name="upstream">The plain-HTTP server to forward to.</param>
    /// <param name="decide">
    /// Called for each request (with <see cref="ProxiedRequest.Fault"/> <see langword="null"/>); returns the fault to
    /// inject or <see langword="null"/> to forward. Called under a lock, so it may keep counters.
    /// </param>
    public FaultInjectingProxy(Uri upstream, Func<ProxiedRequest, ProxyFault?> decide)
    {
        _upstream = upstream;
        _decide = decide;
        _listener.Start();
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The proxy's address.</summary>
    public Uri Endpoint { get; }

    /// <summary>Every request seen so far.</summary>
    public IReadOnlyList<ProxiedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(Socket client)
    {
        using var clientGuard = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var token = timeout.Token;
        try
        {
            var (head, extra) = await ReadHeadAsync(client, token);
            if (head is null)
            {
                return;
            }

            var firstLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
            ProxiedRequest request;
            lock (_requests)
            {
                request = new ProxiedRequest(_requests.Count, firstLine[0], firstLine[1], null, ContentLength(head));
                request = request with { Fault = _decide(request) };
                _requests.Add(request);
            }

            if (request.Fault is { Status: 0 })
            {
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                return;
            }

            if (request.Fault is { } fault)
            {
                await RespondAsync(client, fault.Status, token);
                return;
            }

            await ForwardAsync(client, head, extra, token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client or the server went away; nothing to report.
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

    private static long? ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) &&
                long.TryParse(line.AsSpan("Content-Length:".Length).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var length))
            {
                return length;
            }
        }

        return null;
    }

    private static async Task RespondAsync(Socket client, int status, CancellationToken token)
    {
        var code = status switch
        {
            500 => "InternalError",
            503 => "SlowDown",
            403 => "AccessDenied",
            _ => "InjectedFault",
        };
        var body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>Fault injected by the test proxy.</Message></Error>";
        var response = $"HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await client.SendAsync(Encoding.UTF8.GetBytes(response), SocketFlags.None, token);
        client.Shutdown(SocketShutdown.Send);

        // Read whatever the client still sends (a request body) until it closes, so closing does not turn into a reset.
        var sink = new byte[64 * 1024];
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(token);
        drain.CancelAfter(TimeSpan.FromSeconds(10));
        while (await client.ReceiveAsync(sink, SocketFlags.None, drain.Token) > 0)
        {
        }
    }

    private async Task ForwardAsync(Socket client, string head, byte[] extra, CancellationToken token)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await upstream.ConnectAsync(_upstream.Host, _upstream.Port, token);
        var lines = head[..^4].Split("\r\n").Where(l => !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase));
        var rewritten = string.Join("\r\n", lines) + "\r\nConnection: close\r\n\r\n";
        await upstream.SendAsync(Encoding.ASCII.GetBytes(rewritten), SocketFlags.None, token);
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
