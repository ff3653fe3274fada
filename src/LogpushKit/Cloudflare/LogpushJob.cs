using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LogpushKit.Json;

namespace LogpushKit.Cloudflare;

/// <summary>
/// A Logpush job as the Logpush API returns and accepts it (account or zone scope). Every documented field is mapped;
/// anything else is kept in <see cref="CloudflareObject.AdditionalProperties"/> (and not sent in create or update bodies,
/// except inside <see cref="OutputOptions"/>). <see cref="object.ToString"/> masks every secret (see
/// <see cref="WithMaskedSecrets"/>).
/// </summary>
public sealed record LogpushJob : CloudflareObject
{
    /// <summary>The job id (server-assigned, read-only).</summary>
    [JsonPropertyName("id")]
    public long? Id { get; init; }

    /// <summary>The dataset, e.g. <c>gateway_http</c>. Cannot be changed after creation.</summary>
    [JsonPropertyName("dataset")]
    public string? Dataset { get; init; }

    /// <summary>A free-text name (not unique).</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>Whether the job pushes logs. Jobs are created disabled unless this is <see langword="true"/>.</summary>
    [JsonPropertyName("enabled")]
    public bool? Enabled { get; init; }

    /// <summary>
    /// Where logs go, e.g. <c>r2://bucket/path?account-id=…&amp;access-key-id=…&amp;secret-access-key=…</c>. Holds secrets:
    /// print it through <see cref="Cloudflare.DestinationConf.Mask(string?)"/> (the record's <c>ToString</c> does).
    /// </summary>
    [JsonPropertyName("destination_conf")]
    public string? DestinationConf { get; init; }

    /// <summary>The filter as JSON text (<c>{"where":{…}}</c>).</summary>
    [JsonPropertyName("filter")]
    public string? Filter { get; init; }

    /// <summary>The output options; when present, <see cref="LogpullOptions"/> is ignored by Cloudflare.</summary>
    [JsonPropertyName("output_options")]
    public LogpushOutputOptions? OutputOptions { get; init; }

    /// <summary>Maximum uncompressed bytes per file: 0 (off) or 5,000,000 – 1,000,000,000.</summary>
    [JsonPropertyName("max_upload_bytes")]
    public long? MaxUploadBytes { get; init; }

    /// <summary>Maximum records per file: 0 (off) or 1,000 – 1,000,000.</summary>
    [JsonPropertyName("max_upload_records")]
    public long? MaxUploadRecords { get; init; }

    /// <summary>Maximum seconds per file: 0 (off) or 30 – 300.</summary>
    [JsonPropertyName("max_upload_interval_seconds")]
    public int? MaxUploadIntervalSeconds { get; init; }

    /// <summary><c>""</c> (Logpush) or <c>edge</c> (Edge Log Delivery); create-time only (<see cref="LogpushClient.UpdateJobAsync"/> does not send it).</summary>
    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    /// <summary>Deprecated: <c>high</c> or <c>low</c>; use the <c>MaxUpload*</c> properties.</summary>
    [JsonPropertyName("frequency")]
    public string? Frequency { get; init; }

    /// <summary>Deprecated legacy options as a query string (<c>fields=…&amp;timestamps=…</c>).</summary>
    [JsonPropertyName("logpull_options")]
    public string? LogpullOptions { get; init; }

    /// <summary>The ownership-challenge token (request only; needed for S3, GCS, Azure, Sumo Logic).</summary>
    [JsonPropertyName("ownership_challenge")]
    public string? OwnershipChallenge { get; init; }

    /// <summary>End of the last successfully pushed time range (read-only).</summary>
    [JsonPropertyName("last_complete")]
    [JsonConverter(typeof(Rfc3339DateTimeOffsetConverter))]
    public DateTimeOffset? LastComplete { get; init; }

    /// <summary>Time of the last failure; set while the job is failing (read-only).</summary>
    [JsonPropertyName("last_error")]
    [JsonConverter(typeof(Rfc3339DateTimeOffsetConverter))]
    public DateTimeOffset? LastError { get; init; }

    /// <summary>Text of the last failure (read-only).</summary>
    [JsonPropertyName("error_message")]
    public string? ErrorMessage { get; init; }

    /// <summary>
    /// A copy for printing: every text member masked (<see cref="SecretRedactor"/>) — the destination's userinfo and query
    /// values, secrets inside <see cref="ErrorMessage"/> and any other text (also in members this version does not know),
    /// and every secret this process was given (API token, R2 keys) wherever a server echoed it;
    /// <see cref="OwnershipChallenge"/> replaced by <c>***</c>. Never send it back to the API.
    /// </summary>
    /// <returns>The masked copy.</returns>
    public LogpushJob WithMaskedSecrets()
    {
        var node = JsonNode.Parse(CloudflareJson.Serialize(this))!;
        MaskStrings(node, null);
        return CloudflareJson.Deserialize<LogpushJob>(node.ToJsonString())!;
    }

    /// <summary>
    /// The body of a create call (<c>logpush_job_create</c> in Cloudflare's schema): the members the schema lists, nothing
    /// read-only (<c>id</c>, <c>last_complete</c>, <c>last_error</c>, <c>error_message</c>) and no unknown top-level member.
    /// </summary>
    internal JsonObject ForCreate() => RequestBody(CreateMembers);

    /// <summary>
    /// The body of an update call (<c>logpush_job_update</c>): as <see cref="ForCreate"/> without the create-time members
    /// <c>dataset</c> and <c>kind</c>.
    /// </summary>
    internal JsonObject ForUpdate() => RequestBody(UpdateMembers);

    // Members of Cloudflare's request schemas (cloudflare-typescript src/resources/logpush/jobs.ts JobCreateParams and
    // JobUpdateParams); the value says whether the schema lets it be null. An explicit null is sent only where it may be.
    private static readonly Dictionary<string, bool> UpdateMembers = new(StringComparer.Ordinal)
    {
        ["destination_conf"] = false,
        ["enabled"] = false,
        ["filter"] = true,
        ["frequency"] = true,
        ["logpull_options"] = true,
        ["max_upload_bytes"] = true,
        ["max_upload_interval_seconds"] = true,
        ["max_upload_records"] = true,
        ["name"] = true,
        ["output_options"] = true,
        ["ownership_challenge"] = false,
    };

    private static readonly Dictionary<string, bool> CreateMembers = new(UpdateMembers, StringComparer.Ordinal)
    {
        ["dataset"] = true,
        ["kind"] = false,
    };

    // Unknown members inside output_options are kept: output_options is replaced as a whole on update, and a member there
    // is an output setting added after this version — dropping it would silently reset it. Unknown top-level members are
    // not sent: a reply's extra member is as likely read-only (created_on, ...) as settable.
    private JsonObject RequestBody(Dictionary<string, bool> allowed)
    {
        var all = JsonNode.Parse(CloudflareJson.Serialize(this))!.AsObject();
        var body = new JsonObject();
        foreach (var (name, value) in all)
        {
            if (allowed.TryGetValue(name, out var nullable) && (value is not null || nullable))
            {
                body[name] = value?.DeepClone();
            }
        }

        return body;
    }

    private static void MaskStrings(JsonNode? node, string? name)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    if (child is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        var text = v.GetValue<string>();
                        o[key] = key switch
                        {
                            "destination_conf" => SecretRedactor.MaskDestination(text),
                            "ownership_challenge" => SecretRedactor.MaskedValue,
                            _ => SecretRedactor.MaskText(text),
                        };
                    }
                    else
                    {
                        MaskStrings(child, key);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        a[i] = SecretRedactor.MaskText(v.GetValue<string>());
                    }
                    else
                    {
                        MaskStrings(a[i], name);
                    }
                }

                break;
        }
    }

    /// <inheritdoc />
    protected override bool PrintMembers(StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var masked = WithMaskedSecrets();
        builder.Append("Id = ").Append(masked.Id)
            .Append(", Dataset = ").Append(masked.Dataset)
            .Append(", Name = ").Append(masked.Name)
            .Append(", Enabled = ").Append(masked.Enabled)
            .Append(", DestinationConf = ").Append(masked.DestinationConf)
            .Append(", Filter = ").Append(masked.Filter)
            .Append(", OutputOptions = ").Append(masked.OutputOptions)
            .Append(", MaxUploadBytes = ").Append(masked.MaxUploadBytes)
            .Append(", MaxUploadRecords = ").Append(masked.MaxUploadRecords)
            .Append(", MaxUploadIntervalSeconds = ").Append(masked.MaxUploadIntervalSeconds)
            .Append(", Kind = ").Append(masked.Kind)
            .Append(", Frequency = ").Append(masked.Frequency)
            .Append(", LogpullOptions = ").Append(masked.LogpullOptions)
            .Append(", OwnershipChallenge = ").Append(masked.OwnershipChallenge)
            .Append(", LastComplete = ").Append(masked.LastComplete?.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            .Append(", LastError = ").Append(masked.LastError?.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            .Append(", ErrorMessage = ").Append(masked.ErrorMessage);
        if (base.PrintMembers(builder.Append(", ")))
        {
            return true;
        }

        builder.Length -= 2;
        return true;
    }
}

/// <summary>The <c>output_options</c> of a Logpush job. All keys are optional; Cloudflare applies per-<see cref="OutputType"/> defaults.</summary>
public sealed record LogpushOutputOptions : CloudflareObject
{
    /// <summary>Fields to emit, in this order. There is no "all fields" wildcard.</summary>
    /// <remarks>Typed nullable on purpose, unlike the other collections of the models: absent means Cloudflare's default field set.</remarks>
    [JsonPropertyName("field_names")]
    public IReadOnlyList<string>? FieldNames { get; init; }

    /// <summary><c>ndjson</c> (default) or <c>csv</c>; see <see cref="LogpushOutputTypes"/>.</summary>
    [JsonPropertyName("output_type")]
    public string? OutputType { get; init; }

    /// <summary>Written once before each batch (file).</summary>
    [JsonPropertyName("batch_prefix")]
    public string? BatchPrefix { get; init; }

    /// <summary>Written once after each batch (file).</summary>
    [JsonPropertyName("batch_suffix")]
    public string? BatchSuffix { get; init; }

    /// <summary>Written before each record (ndjson default <c>{</c>).</summary>
    [JsonPropertyName("record_prefix")]
    public string? RecordPrefix { get; init; }

    /// <summary>Written after each record (ndjson default <c>}\n</c>, csv default <c>\n</c>).</summary>
    [JsonPropertyName("record_suffix")]
    public string? RecordSuffix { get; init; }

    /// <summary>A stripped-down Go template for each record; ignored fields become <c>null</c>.</summary>
    [JsonPropertyName("record_template")]
    public string? RecordTemplate { get; init; }

    /// <summary>Written between records (default empty).</summary>
    [JsonPropertyName("record_delimiter")]
    public string? RecordDelimiter { get; init; }

    /// <summary>Joins fields (default <c>,</c>); ignored when <see cref="RecordTemplate"/> is set.</summary>
    [JsonPropertyName("field_delimiter")]
    public string? FieldDelimiter { get; init; }

    /// <summary><c>unixnano</c> (API default), <c>unix</c>, <c>rfc3339</c>, <c>rfc3339ms</c> or <c>rfc3339ns</c>; see <see cref="LogpushTimestampFormats"/>.</summary>
    [JsonPropertyName("timestamp_format")]
    public string? TimestampFormat { get; init; }

    /// <summary>Sampling rate in (0, 1]; 0.1 keeps one record in ten.</summary>
    [JsonPropertyName("sample_rate")]
    public double? SampleRate { get; init; }

    /// <summary>The Log4Shell guard: replaces every <c>${</c> in the output with <c>x{</c>.</summary>
    [JsonPropertyName("CVE-2021-44228")]
    public bool? Cve202144228 { get; init; }

    /// <summary>Merge Worker subrequests into the parent request (<c>http_requests</c> only).</summary>
    [JsonPropertyName("merge_subrequests")]
    public bool? MergeSubrequests { get; init; }
}

/// <summary>The documented values of <see cref="LogpushOutputOptions.OutputType"/>.</summary>
public static class LogpushOutputTypes
{
    /// <summary>Newline-delimited JSON (the default).</summary>
    public const string Ndjson = "ndjson";

    /// <summary>Comma-separated values without a header.</summary>
    public const string Csv = "csv";
}

/// <summary>The documented values of <see cref="LogpushOutputOptions.TimestampFormat"/>.</summary>
public static class LogpushTimestampFormats
{
    /// <summary>Nanoseconds since the epoch (API default).</summary>
    public const string UnixNano = "unixnano";

    /// <summary>Seconds since the epoch.</summary>
    public const string Unix = "unix";

    /// <summary>RFC 3339 with second precision.</summary>
    public const string Rfc3339 = "rfc3339";

    /// <summary>RFC 3339 with milliseconds.</summary>
    public const string Rfc3339Ms = "rfc3339ms";

    /// <summary>RFC 3339 with nanoseconds.</summary>
    public const string Rfc3339Ns = "rfc3339ns";
}
