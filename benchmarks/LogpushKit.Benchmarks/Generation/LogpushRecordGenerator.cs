using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace LogpushKit.Benchmarks.Generation;

/// <summary>How generated Logpush records are written (the job's <c>output_type</c>).</summary>
public enum GeneratedRecordFormat
{
    /// <summary>One compact JSON object per line, keys in field order, escaped like Go's encoding/json.</summary>
    Ndjson,

    /// <summary>Logpush <c>output_type: csv</c>: the same values, field order, no header, RFC 4180 quoting, LF rows.</summary>
    Csv,
}

/// <summary>How generated timestamps are written (the job's <c>timestamp_format</c>).</summary>
public enum GeneratedTimestampFormat
{
    /// <summary>Integer seconds.</summary>
    Unix,

    /// <summary>Integer nanoseconds (the Logpush API default).</summary>
    UnixNano,

    /// <summary><c>2024-06-01T00:00:07Z</c>.</summary>
    Rfc3339,

    /// <summary><c>2024-06-01T00:00:07.123Z</c>.</summary>
    Rfc3339Ms,

    /// <summary><c>2024-06-01T00:00:07.123456789Z</c>.</summary>
    Rfc3339Ns,
}

/// <summary>Settings of a <see cref="LogpushRecordGenerator"/>.</summary>
public sealed record LogpushRecordGeneratorOptions
{
    /// <summary>The seed: the same seed, fields and options give the same records.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Record format. Default ndjson.</summary>
    public GeneratedRecordFormat Format { get; init; } = GeneratedRecordFormat.Ndjson;

    /// <summary>Timestamp format. Default unixnano (the API default).</summary>
    public GeneratedTimestampFormat Timestamps { get; init; } = GeneratedTimestampFormat.UnixNano;

    /// <summary>The time of the first record.</summary>
    public DateTimeOffset Start { get; init; } = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Time between consecutive records (they carry a little jitter on top).</summary>
    public TimeSpan RecordInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// The share of string values that get a rare shape: an embedded newline, CRLF, a quote, a control character or HTML
    /// characters (written as <c>\u003c</c> by Go). Default 0.004.
    /// </summary>
    public double OddValueRate { get; init; } = 0.004;
}

/// <summary>
/// Makes realistic synthetic Cloudflare Logpush records for any dataset: values chosen by field type and by common
/// field-name patterns (IPs, hosts, URLs with unicode, quotes and commas, user agents, countries, ids, timestamps,
/// arrays, objects, nulls). Written as Logpush writes them: ndjson escaped like Go's encoding/json, or headerless csv.
/// Deterministic for a seed. It invents every value: nothing is copied from real or third-party sample logs.
/// </summary>
public sealed class LogpushRecordGenerator
{
    private static readonly string[] Hosts =
    [
        "www.example.com", "api.example.com", "static.example.net", "shop.example.org", "login.example.com",
        "cdn.example-assets.net", "docs.example.io", "mail.example.com", "intranet.corp.example", "wiki.corp.example",
        "münchen.example.de", "例え.example.jp", "files.example-storage.net", "status.example.com", "app.example.dev",
    ];

    private static readonly string[] Paths =
    [
        "/", "/index.html", "/api/v1/items", "/api/v2/orders/8812/lines", "/login", "/logout", "/search",
        "/static/js/main.7c1e2f.js", "/static/css/site.css", "/images/hero.webp", "/favicon.ico", "/robots.txt",
        "/wiki/Zürich", "/wiki/東京", "/products/café-crème", "/download/installer.msi", "/graphql", "/health",
        "/files/Q3 report, final.pdf", "/cgi-bin/test.cgi", "/wp-login.php", "/.env", "/upload",
    ];

    private static readonly string[] QueryParts =
    [
        "q=cloudflare", "page=2", "lang=en", "lang=ja", "id=42", "sort=desc", "utm_source=newsletter", "ref=home",
        "q=%22quoted%22", "tags=a,b,c", "name=Jos%C3%A9", "q=naïve café", "redirect=https%3A%2F%2Fexample.com%2F",
        "x=<script>", "a=1&b=2", "emoji=😀", "filter=price>10", "token=eyJhbGciOi",
    ];

    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
        "curl/8.8.0", "Wget/1.24.5", "python-httpx/0.27.0", "Go-http-client/1.1", "okhttp/4.12.0",
        "ExampleBot/1.0 (+https://bot.example.com/\"about\")", "Teams/24.1 (Windows; \"x64\", Electron)", string.Empty,
    ];

    private static readonly string[] Names =
    [
        "Allow corporate SaaS", "Block malware", "Isolate uncategorized", "Block \"gambling\", \"adult\"",
        "Default", "DLP – block PII uploads", "Bypass: banking, health", "ポリシー（日本）", "Règle générale",
        "laptop-0042", "Zoë's MacBook Air", "build-agent, rack 7", "kiosk-lobby", "Google Workspace", "Microsoft 365",
        "GitHub", "Slack", "Zoom", "Dropbox", "Security Risks", "Social Networks", "Streaming Media", "Technology",
    ];

    private static readonly string[] Words =
    [
        "allow", "block", "challenge", "managed_challenge", "log", "skip", "js_challenge", "bypass", "isolate", "noscan",
        "cached", "miss", "hit", "expired", "dynamic", "ok", "error", "unknown", "success", "none", "passthrough",
    ];

    private static readonly string[] Descriptions =
    [
        "Request blocked by rule", "SQLi attempt: ' OR 1=1 --", "Path traversal (../../etc/passwd)",
        "XSS probe <script>alert(1)</script>", "Rate limit exceeded, 100 req/min", "Bot score < 30 & not verified",
        "Größe überschritten", "リクエストが拒否されました", "Comma, \"quotes\" and more", "",
    ];

    private static readonly string[] Countries = ["us", "gb", "de", "fr", "jp", "br", "in", "ca", "au", "nl", "sg", "za", "xx", "t1"];

    private static readonly string[] Continents = ["NA", "EU", "AS", "SA", "OC", "AF"];

    private static readonly string[] Colos = ["SJC", "IAD", "FRA", "LHR", "NRT", "SIN", "GRU", "SYD", "AMS", "CDG"];

    private static readonly string[] Cities = ["San Francisco", "London", "Zürich", "São Paulo", "東京", "München", "Montréal", "Reykjavík"];

    private static readonly string[] Methods = ["GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];

    private static readonly int[] Statuses = [200, 200, 200, 200, 200, 204, 206, 301, 302, 304, 400, 401, 403, 404, 429, 500, 502, 503];

    private static readonly string[] ContentTypes = ["text/html; charset=utf-8", "application/json", "image/webp", "text/css", "application/javascript", "application/octet-stream"];

    private static readonly string[] FileNames = ["report.pdf", "setup.exe", "budget, 2024.xlsx", "photo \"final\".jpg", "名前.docx", "résumé.pdf", "notes.txt"];

    private static readonly string[] Domains = ["example.com", "corp.example", "example.org", "münchen.example"];

    private static readonly string[] People = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "zoë", "renée", "jürgen"];

    private static readonly string[] RarelySetPrefixes = ["Blocked", "Redirect", "Private", "Custom", "Forensic", "Matched", "Internal", "Virtual", "Leaked", "Fraud", "Parent", "Originator"];

    private static readonly int[] ArrayLengths = [0, 0, 0, 0, 1, 1, 1, 2, 3];

    private static readonly string[] OddSuffixes =
    [
        "\nsecond line", "\r\nX-Injected: \"yes\"", " \"quoted\"", ", with comma", "\t<b>&amp;</b>", "\u0001ctl",
        "\u2028sep", " 🚀", "=HYPERLINK(\"http://evil.example\")",
    ];

    private readonly IReadOnlyList<GeneratorField> _fields;
    private readonly LogpushRecordGeneratorOptions _options;
    private readonly Random _random;
    private readonly StringBuilder _line = new(2048);
    private readonly Dictionary<string, string[]> _pools = new(StringComparer.Ordinal);
    private long _index;

    /// <summary>Creates a generator for records with <paramref name="fields"/>, in that order.</summary>
    public LogpushRecordGenerator(IReadOnlyList<GeneratorField> fields, LogpushRecordGeneratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0)
        {
            throw new ArgumentException("At least one field is needed.", nameof(fields));
        }

        _fields = fields;
        _options = options ?? new LogpushRecordGeneratorOptions();
        _random = new Random(_options.Seed);
    }

    /// <summary>The fields of each record, in order.</summary>
    public IReadOnlyList<GeneratorField> Fields => _fields;

    /// <summary>The time of the first record written, once one was.</summary>
    public DateTimeOffset? FirstTime { get; private set; }

    /// <summary>The time of the last record written, once one was.</summary>
    public DateTimeOffset? LastTime { get; private set; }

    /// <summary>Makes the next record: field name → value (string, long, bool, null, number text, list, object).</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> NextRecord()
    {
        var time = _options.Start
            + (_options.RecordInterval * _index)
            + TimeSpan.FromTicks(_random.NextInt64(_options.RecordInterval.Ticks + 1))
            + TimeSpan.FromTicks(_random.Next(100) / 10);
        _index++;
        FirstTime ??= time;
        LastTime = time;

        var context = new RecordContext(
            time,
            Pick(Hosts),
            Pick(Paths) + (_random.NextDouble() < 0.5 ? "?" + string.Join('&', Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Pick(QueryParts))) : string.Empty),
            _random.Next(12));
        var record = new List<KeyValuePair<string, object?>>(_fields.Count);
        foreach (var field in _fields)
        {
            record.Add(new(field.Name, ValueFor(field, context)));
        }

        return record;
    }

    /// <summary>Starts the next object: <see cref="FirstTime"/> and <see cref="ObjectName"/> begin at the next record.</summary>
    public void BeginObject() => FirstTime = null;

    /// <summary>Appends <paramref name="count"/> records, one line each (LF), to <paramref name="writer"/>.</summary>
    public void WriteRecords(TextWriter writer, long count)
    {
        ArgumentNullException.ThrowIfNull(writer);
        for (long i = 0; i < count; i++)
        {
            _line.Clear();
            AppendLine(_line, NextRecord());
            writer.Write(_line);
        }
    }

    /// <summary>
    /// Writes <paramref name="count"/> records to <paramref name="output"/> as gzip (one member, or
    /// <paramref name="gzipMembers"/> concatenated members as Logpush's multi-part uploads produce), or plain.
    /// </summary>
    public void WriteObject(Stream output, long count, bool gzip = true, int gzipMembers = 1)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(gzipMembers, 1);
        if (!gzip)
        {
            using var plain = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            WriteRecords(plain, count);
            return;
        }

        var written = 0L;
        for (var member = 0; member < gzipMembers; member++)
        {
            var part = member == gzipMembers - 1 ? count - written : count / gzipMembers;
            using var compressor = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
            using var writer = new StreamWriter(compressor, new UTF8Encoding(false), 1 << 16);
            WriteRecords(writer, part);
            written += part;
        }
    }

    /// <summary>
    /// The Logpush object name for the records written so far: <c>&lt;start&gt;_&lt;end&gt;_&lt;8 hex&gt;.log.gz</c>,
    /// with times as <c>yyyyMMddTHHmmssZ</c>; prefix it with <c>&lt;yyyyMMdd&gt;/</c> for the <c>{DATE}</c> folder.
    /// </summary>
    public string ObjectName(bool gzip = true)
    {
        var first = FirstTime ?? _options.Start;
        var last = LastTime ?? first;
        var id = Hex(8);
        return string.Create(CultureInfo.InvariantCulture, $"{first.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{last.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{id}.log{(gzip ? ".gz" : string.Empty)}");
    }

    /// <summary>Appends one record as a line (with LF) in the configured format.</summary>
    public void AppendLine(StringBuilder builder, IReadOnlyList<KeyValuePair<string, object?>> record)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(record);
        if (_options.Format == GeneratedRecordFormat.Ndjson)
        {
            GoJson.WriteValue(builder, record);
        }
        else
        {
            for (var i = 0; i < record.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }

                AppendCsvCell(builder, record[i].Value);
            }
        }

        builder.Append('\n');
    }

    /// <summary>The CSV cell text of a value (before quoting): strings decoded, arrays and objects as JSON text.</summary>
    public static string CellText(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        JsonNumberText n => n.Text,
        _ => GoJson.ToText(value),
    };

    private static void AppendCsvCell(StringBuilder builder, object? value)
    {
        var text = CellText(value);
        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            builder.Append(text);
            return;
        }

        builder.Append('"').Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private object? ValueFor(GeneratorField field, RecordContext context)
    {
        var name = field.Name;
        return field.Kind switch
        {
            GeneratorFieldKind.Timestamp => Timestamp(name, context),
            GeneratorFieldKind.Int => IntFor(name, context),
            GeneratorFieldKind.Float => new JsonNumberText(Math.Round(_random.NextDouble() * Pick([1.0, 10, 100]), _random.Next(0, 4)).ToString("R", CultureInfo.InvariantCulture)),
            GeneratorFieldKind.Bool => _random.NextDouble() < 0.2,
            GeneratorFieldKind.StringArray => Repeat(() => Singular(name, context), Pick(ArrayLengths)),
            GeneratorFieldKind.IntArray => Repeat(() => (object?)(long)Pick([7, 12, 21, 26, 34, 80, 83, 128, 155, 163, 3_400_001]), Pick(ArrayLengths)),
            GeneratorFieldKind.Object => ObjectFor(name, context),
            GeneratorFieldKind.ObjectArray => Repeat(() => SmallObject(context), _random.Next(0, 3)),
            _ => StringFor(name, context),
        };
    }

    private object Timestamp(string name, RecordContext context)
    {
        var time = context.Time;
        if (name.Contains("End", StringComparison.Ordinal) || name.Contains("Finish", StringComparison.Ordinal) || name.Contains("Completed", StringComparison.Ordinal))
        {
            time += TimeSpan.FromMilliseconds(_random.Next(1, 900));
        }

        var nanos = (time - DateTimeOffset.UnixEpoch).Ticks * 100 + _random.Next(100);
        return _options.Timestamps switch
        {
            GeneratedTimestampFormat.Unix => nanos / 1_000_000_000,
            GeneratedTimestampFormat.UnixNano => nanos,
            GeneratedTimestampFormat.Rfc3339 => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            GeneratedTimestampFormat.Rfc3339Ms => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            _ => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + (nanos % 100).ToString("00", CultureInfo.InvariantCulture) + "Z",
        };
    }

    private long IntFor(string name, RecordContext context)
    {
        if (name.EndsWith("Port", StringComparison.Ordinal))
        {
            return name.StartsWith("Dst", StringComparison.Ordinal) || name.StartsWith("Destination", StringComparison.Ordinal)
                ? Pick([443L, 443, 443, 80, 53, 8443])
                : _random.Next(1024, 65536);
        }

        if (name.EndsWith("ASN", StringComparison.Ordinal))
        {
            return Pick([13335L, 15169, 16509, 8075, 3320, 7922, 2914, 4134]);
        }

        if (name.Contains("Status", StringComparison.Ordinal))
        {
            return Statuses[(context.Variant + _random.Next(3)) % Statuses.Length];
        }

        if (name.Contains("RCode", StringComparison.Ordinal) || name == "ResponseCode")
        {
            return Pick([0L, 0, 0, 3, 2, 5]);
        }

        if (name.EndsWith("Bytes", StringComparison.Ordinal) || name.EndsWith("Size", StringComparison.Ordinal))
        {
            return _random.NextInt64(0, _random.NextDouble() < 0.1 ? 50_000_000 : 60_000);
        }

        if (name.EndsWith("Ms", StringComparison.Ordinal) || name.Contains("Duration", StringComparison.Ordinal) || name.EndsWith("Time", StringComparison.Ordinal))
        {
            return _random.Next(0, 2500);
        }

        if (name.Contains("Score", StringComparison.Ordinal))
        {
            return _random.Next(1, 100);
        }

        if (name == "QueryType")
        {
            return Pick([1L, 28, 5, 15, 16, 65, 33]);
        }

        return name.EndsWith("ID", StringComparison.Ordinal) ? _random.NextInt64(1, 5_000_000_000) : _random.Next(0, 1000);
    }

    private object? StringFor(string name, RecordContext context)
    {
        var rarelySet = Array.Exists(RarelySetPrefixes, p => name.StartsWith(p, StringComparison.Ordinal));
        if (_random.NextDouble() < (rarelySet ? 0.85 : 0.08) && !name.EndsWith("RayID", StringComparison.Ordinal) && !name.EndsWith("IP", StringComparison.Ordinal))
        {
            return string.Empty; // Logpush writes empty strings for absent values
        }

        var value = Singular(name, context);
        if (_random.NextDouble() < _options.OddValueRate && value is string { Length: > 0 } text)
        {
            value = text + Pick(OddSuffixes);
        }

        return value;
    }

    private string Singular(string name, RecordContext context)
    {
        bool Ends(string suffix) => name.EndsWith(suffix, StringComparison.Ordinal);
        bool Has(string part) => name.Contains(part, StringComparison.Ordinal);

        if (Ends("IPs") || Ends("IP") || Has("IPAddress") || Ends("Address"))
        {
            return Has("Internal") || Has("Private") ? Ip(@private: true) : Ip(@private: false);
        }

        if (Has("ContinentCode"))
        {
            return Pick(Continents);
        }

        if (Has("CountryCode") || Ends("Country") || Ends("Countries"))
        {
            return Pick(Countries);
        }

        if (Has("Colo") && Ends("Code"))
        {
            return Pick(Colos);
        }

        if (Has("Email"))
        {
            return Pooled("Email", 40, () => $"{Pick(People)}.{Pick(People)}{_random.Next(100)}@{Pick(Domains)}");
        }

        if (Has("UserAgent"))
        {
            return Pick(UserAgents);
        }

        if (Has("URL") || Has("URI") || Ends("Referer") || Has("Url"))
        {
            return Ends("RequestURI") ? context.Path : $"https://{context.Host}{context.Path}";
        }

        if (Ends("Host") || Ends("Hostname") || Ends("Domain") || (Ends("Name") && Has("Query")) || Name("ZoneName", name) || Has("CNAME") || Has("Server"))
        {
            return Has("Query") ? context.Host + "." : context.Host;
        }

        if (Ends("Path"))
        {
            var question = context.Path.IndexOf('?', StringComparison.Ordinal);
            return question < 0 ? context.Path : context.Path[..question];
        }

        if (Ends("Query"))
        {
            var question = context.Path.IndexOf('?', StringComparison.Ordinal);
            return question < 0 ? string.Empty : context.Path[question..];
        }

        if (Ends("Method"))
        {
            return Pick(Methods);
        }

        if (Ends("Scheme"))
        {
            return _random.NextDouble() < 0.9 ? "https" : "http";
        }

        if (Has("SSL") || Has("TLS"))
        {
            return Ends("Cipher") ? Pick(["AEAD-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AEAD-CHACHA20-POLY1305-SHA256"]) : Pick(["TLSv1.3", "TLSv1.3", "TLSv1.2", "none"]);
        }

        if (Ends("Protocol") || Ends("Version"))
        {
            return Pick(["HTTP/1.1", "HTTP/2", "HTTP/2", "HTTP/3"]);
        }

        if (Ends("RayID"))
        {
            return Hex(16);
        }

        if (Has("Hash") || Has("Fingerprint") || Has("SHA256"))
        {
            return Hex(Has("JA3") ? 32 : 64);
        }

        if (Ends("ID") || Ends("Id") || Ends("IDs") || Ends("AUD"))
        {
            // A few accounts, zones and policies and some dozens of users and devices recur; request ids are unique.
            if (Has("Account") || Has("Zone") || Has("AUD") || Has("VirtualNetwork"))
            {
                return Pooled(name, 3, () => Hex(32));
            }

            if (Has("Policy") || Has("Rule") || Has("Application") || Has("Location"))
            {
                return Pooled(name, 12, Uuid);
            }

            if (Has("User") || Has("Device") || Has("Registration") || Has("Actor") || Has("Owner"))
            {
                return Pooled(name, 40, Uuid);
            }

            return Has("Request") || Has("Query") ? Hex(32) : Uuid();
        }

        if (Has("City"))
        {
            return Pick(Cities);
        }

        if (Ends("Latitude") || Ends("Longitude"))
        {
            return (_random.NextDouble() * 180 - 90).ToString("0.0000", CultureInfo.InvariantCulture);
        }

        if (Has("ContentType"))
        {
            return Pick(ContentTypes);
        }

        if (Has("File"))
        {
            return Pick(FileNames);
        }

        if (Ends("Name") || Ends("Names") || Ends("Location") || Ends("Policy"))
        {
            return Pick(Names);
        }

        if (Has("Description") || Has("Message") || Has("Reason") || Has("Details"))
        {
            return Pick(Descriptions);
        }

        return Pick(Words);
    }

    private object? ObjectFor(string name, RecordContext context)
    {
        var roll = _random.NextDouble();
        if (roll < 0.1)
        {
            return null;
        }

        if (roll < 0.25)
        {
            return new List<KeyValuePair<string, object?>>();
        }

        if (name.Contains("Header", StringComparison.Ordinal) || name == "Cookies")
        {
            return new List<KeyValuePair<string, object?>>
            {
                new(name == "Cookies" ? "session" : "accept", name == "Cookies" ? Hex(24) : "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
                new(name == "Cookies" ? "lang" : "x-forwarded-for", name == "Cookies" ? "de-CH" : Ip(@private: false)),
                new("x-request-note", Pick(Descriptions)),
            };
        }

        if (name == "FileInfo")
        {
            return new List<KeyValuePair<string, object?>>
            {
                new("files", new List<object?>
                {
                    new List<KeyValuePair<string, object?>>
                    {
                        new("name", Pick(FileNames)),
                        new("size", _random.NextInt64(100, 50_000_000)),
                        new("sha256", Hex(64)),
                        new("contentType", "application/octet-stream"),
                    },
                }),
                new("scanned", true),
            };
        }

        return SmallObject(context);
    }

    private List<KeyValuePair<string, object?>> SmallObject(RecordContext context) =>
    [
        new("name", Pick(Names)),
        new("value", Pick(Words)),
        new("count", (long)_random.Next(0, 50)),
        new("ratio", new JsonNumberText(_random.Next(0, 2) == 0 ? "0.5" : "1.25")),
        new("enabled", _random.NextDouble() < 0.5),
        new("host", context.Host),
        new("tags", new List<object?> { Pick(Words), Pick(Words) }),
        new("note", _random.NextDouble() < 0.3 ? null : Pick(Descriptions)),
    ];

    private List<object?> Repeat(Func<object?> make, int count)
    {
        var items = new List<object?>(count);
        for (var i = 0; i < count; i++)
        {
            items.Add(make());
        }

        return items;
    }

    private string Ip(bool @private)
    {
        if (@private)
        {
            return string.Create(CultureInfo.InvariantCulture, $"10.{_random.Next(256)}.{_random.Next(256)}.{_random.Next(1, 255)}");
        }

        return _random.NextDouble() < 0.15
            ? string.Create(CultureInfo.InvariantCulture, $"2001:db8:{_random.Next(65536):x}:{_random.Next(65536):x}::{_random.Next(1, 65536):x}")
            : string.Create(CultureInfo.InvariantCulture, $"{_random.Next(1, 224)}.{_random.Next(256)}.{_random.Next(256)}.{_random.Next(1, 255)}");
    }

    private string Uuid()
    {
        var h = Hex(32);
        return $"{h[..8]}-{h[8..12]}-{h[12..16]}-{h[16..20]}-{h[20..]}";
    }

    private string Hex(int length)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = "0123456789abcdef"[_random.Next(16)];
        }

        return new string(chars);
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private string Pooled(string key, int size, Func<string> make)
    {
        if (!_pools.TryGetValue(key, out var pool))
        {
            pool = new string[size];
            for (var i = 0; i < size; i++)
            {
                pool[i] = make();
            }

            _pools[key] = pool;
        }

        return pool[_random.Next(size)];
    }

    private static bool Name(string expected, string actual) => string.Equals(expected, actual, StringComparison.Ordinal);

    private sealed record RecordContext(DateTimeOffset Time, string Host, string Path, int Variant);
}
