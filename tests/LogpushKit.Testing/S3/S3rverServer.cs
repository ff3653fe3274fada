using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace LogpushKit.Testing.S3;

/// <summary>
/// A real S3 protocol server for tests: s3rver 3.7.1 (pinned by <c>tests/tools/s3rver/package-lock.json</c>) on
/// 127.0.0.1, once over TLS with a self-signed certificate made here and once over plain HTTP. Use it as an xunit
/// collection fixture (<c>ICollectionFixture&lt;S3rverServer&gt;</c>).
/// </summary>
/// <remarks>
/// Needs <c>node</c> and <c>npm</c> on the PATH; when <c>node_modules</c> is missing it runs <c>npm ci</c> first
/// (serialised across test processes by a lock file). Each instance picks a free port, waits until it answers, and
/// is killed with its whole process tree on dispose; its data folder and certificate files are deleted.
/// s3rver checks SigV4 signatures against <see cref="AccessKeyId"/>/<see cref="SecretAccessKey"/>, and accepts
/// unsigned requests (used by <c>CreateBucketAsync</c>).
/// </remarks>
public sealed partial class S3rverServer : IAsyncLifetime
{
    /// <summary>The access key id s3rver accepts.</summary>
    public const string AccessKeyId = "S3RVER";

    /// <summary>The secret access key s3rver accepts.</summary>
    public const string SecretAccessKey = "S3RVER";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new("s3rver");
    private readonly List<Process> _processes = [];
    private readonly StringBuilder _output = new();
    private int _bucketCounter;

    /// <summary>The self-signed certificate the TLS instance serves (CN=localhost, SAN 127.0.0.1 and localhost).</summary>
    public X509Certificate2 Certificate { get; private set; } = null!;

    /// <summary>The TLS instance, e.g. <c>https://127.0.0.1:41234</c>.</summary>
    public Uri HttpsEndpoint { get; private set; } = null!;

    /// <summary>The plain-HTTP instance (same kind of server, separate data).</summary>
    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>The data folder of the TLS instance (objects and multipart parts live under it).</summary>
    public string HttpsDataDirectory => Path.Combine(_work.Path, "data-https");

    /// <summary>The data folder of the plain-HTTP instance.</summary>
    public string HttpDataDirectory => Path.Combine(_work.Path, "data-http");

    public async Task InitializeAsync()
    {
        var tools = FindToolsDirectory();
        await EnsureInstalledAsync(tools);
        Certificate = CreateCertificate(out var certPath, out var keyPath);
        var script = Path.Combine(tools, "node_modules", "s3rver", "bin", "s3rver.js");
        HttpsEndpoint = await StartAsync(script, HttpsDataDirectory, "https", ["--key", keyPath, "--cert", certPath]);
        HttpEndpoint = await StartAsync(script, HttpDataDirectory, "http", []);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await process.WaitForExitAsync(timeout.Token);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
                // Already gone, or will be reaped by the OS.
            }

            process.Dispose();
        }

        Certificate?.Dispose();
        _work.Dispose();
    }

    /// <summary>
    /// A handler that trusts exactly <see cref="Certificate"/> (and does normal validation otherwise). The caller
    /// owns it.
    /// </summary>
    public HttpMessageHandler CreateTrustingHandler()
    {
        var thumbprint = Certificate.GetCertHashString(HashAlgorithmName.SHA256);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None ||
                    (certificate is not null && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), thumbprint, StringComparison.OrdinalIgnoreCase)),
            },
        };
    }

    /// <summary>A bucket name not used before by this server (lower-case, valid for S3 and R2).</summary>
    public string NewBucketName(string prefix = "test") =>
        $"{prefix}-{Interlocked.Increment(ref _bucketCounter)}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Creates <paramref name="bucket"/> on the server at <paramref name="endpoint"/> (an unsigned request).</summary>
    public async Task CreateBucketAsync(Uri endpoint, string bucket)
    {
        using var client = new HttpClient(CreateTrustingHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.PutAsync(new Uri(endpoint, bucket), content: null);
        Assert.True(response.IsSuccessStatusCode, $"Creating bucket '{bucket}' on {endpoint} answered {(int)response.StatusCode}.");
    }

    /// <summary>Creates a new bucket on the TLS instance and returns its name.</summary>
    public async Task<string> CreateBucketAsync(string prefix = "test")
    {
        var name = NewBucketName(prefix);
        await CreateBucketAsync(HttpsEndpoint, name);
        return name;
    }

    private static string FindToolsDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "tools", "s3rver");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"tests/tools/s3rver/package-lock.json not found above {AppContext.BaseDirectory}.");
    }

    private static async Task EnsureInstalledAsync(string tools)
    {
        var marker = Path.Combine(tools, "node_modules", "s3rver", "package.json");
        if (File.Exists(marker))
        {
            return;
        }

        // Several test processes may start at once: one installs, the others wait for the lock and find it done.
        var lockPath = Path.Combine(Path.GetTempPath(), "logpushkit-s3rver-npm-ci.lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        FileStream? held = null;
        while (held is null)
        {
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }

        await using (held)
        {
            if (File.Exists(marker))
            {
                return;
            }

            var npm = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
            {
                WorkingDirectory = tools,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
            {
                npm.ArgumentList.Add(argument);
            }

            using var process = Process.Start(npm) ?? throw new InvalidOperationException("Could not start npm.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"'npm ci' in {tools} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
            }
        }
    }

    private X509Certificate2 CreateCertificate(out string certPath, out string keyPath)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        certPath = Path.Combine(_work.Path, "cert.pem");
        keyPath = Path.Combine(_work.Path, "key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    private async Task<Uri> StartAsync(string script, string dataDirectory, string scheme, string[] extra)
    {
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver's continuation tokens use DES, which Node 17+ (OpenSSL 3) only offers through the legacy provider.
        foreach (var argument in new[] { "--openssl-legacy-provider", script, "-d", dataDirectory, "-a", "127.0.0.1", "-p", "0", "--silent", "--no-vhost-buckets" }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        _processes.Add(process);
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(e.Data);
            }

            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_output)
            {
                _output.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = process.WaitForExitAsync().ContinueWith(_ => port.TrySetException(new InvalidOperationException($"s3rver exited early:\n{Output()}")), TaskScheduler.Default);

        int listening;
        try
        {
            listening = await port.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"s3rver did not report a port within {StartTimeout.TotalSeconds} s:\n{Output()}");
        }

        var endpoint = new Uri($"{scheme}://127.0.0.1:{listening}/");
        await WaitUntilAnsweringAsync(endpoint);
        return endpoint;
    }

    private async Task WaitUntilAnsweringAsync(Uri endpoint)
    {
        using var client = new HttpClient(CreateTrustingHandler()) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(endpoint);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            catch (TaskCanceledException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException($"s3rver at {endpoint} did not answer within {StartTimeout.TotalSeconds} s:\n{Output()}");
            }

            await Task.Delay(100);
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    [GeneratedRegex(@"listening on [^\s:]+:(\d+)")]
    private static partial Regex ListeningLine();
}
