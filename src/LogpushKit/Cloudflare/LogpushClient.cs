using System.Globalization;
using System.Text.Json;
using LogpushKit.Datasets;
using LogpushKit.Json;
using Microsoft.Extensions.Logging;

namespace LogpushKit.Cloudflare;

/// <summary>
/// The Logpush API at account or zone scope (<see cref="LogpushScope"/>): jobs, dataset fields, destination and origin
/// validation, ownership challenges. Needs a token with Logs Edit (job configs contain secrets).
/// </summary>
/// <remarks>
/// <para><b>Retries.</b> Every method retries a 429 and a connection that failed before the request was sent. What happens
/// after a 5xx, a timeout or a connection lost after sending — when the server may have acted — depends on the call, and
/// each method says it: reads, validations and the update (the same body twice gives the same job) are retried; a create is
/// not (a retry could create a second job); a delete is retried and a 404 on the retry counts as deleted.</para>
/// </remarks>
public class LogpushClient : CloudflareApiClient
{
    /// <summary>Creates a client over a caller-owned <see cref="HttpClient"/> (e.g. from <c>IHttpClientFactory</c>).</summary>
    /// <param name="httpClient">The HTTP client; not disposed by this client.</param>
    /// <param name="options">The options (credentials, base address, retries).</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public LogpushClient(HttpClient httpClient, LogpushClientOptions options, ILogger<LogpushClient>? logger = null)
        : base(httpClient ?? throw new ArgumentNullException(nameof(httpClient)), options, logger)
    {
    }

    /// <summary>Creates a client with its own <see cref="HttpClient"/> (disposed with this client).</summary>
    /// <param name="options">The options (credentials, base address, retries).</param>
    /// <param name="logger">Logs one Debug line per request.</param>
    public LogpushClient(LogpushClientOptions options, ILogger<LogpushClient>? logger = null)
        : base(null, options, logger)
    {
    }

    /// <summary>For mocking.</summary>
    protected LogpushClient()
    {
    }

    /// <summary>Lists the jobs of a scope (a read: retried after a 5xx).</summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The jobs (pages, if Cloudflare ever pages this list, are fetched as needed).</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual IAsyncEnumerable<LogpushJob> ListJobsAsync(LogpushScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return Connection.PaginateAsync(JobsPath(scope), CloudflareJsonContext.Default.CloudflareEnvelopeIReadOnlyListLogpushJob, null, null, cancellationToken);
    }

    /// <summary>Lists the jobs of one dataset (a read: retried after a 5xx).</summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="dataset">The dataset, e.g. <c>gateway_http</c>.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The jobs.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual IAsyncEnumerable<LogpushJob> ListDatasetJobsAsync(LogpushScope scope, string dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        return Connection.PaginateAsync($"{scope.PathPrefix}/logpush/datasets/{Escape(dataset)}/jobs", CloudflareJsonContext.Default.CloudflareEnvelopeIReadOnlyListLogpushJob, null, null, cancellationToken);
    }

    /// <summary>Gets one job (a read: retried after a 5xx).</summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. unknown id).</exception>
    public virtual async Task<LogpushJob> GetJobAsync(LogpushScope scope, long jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var path = JobPath(scope, jobId);
        var job = await Connection.GetAsync(path, CloudflareJsonContext.Default.CloudflareEnvelopeLogpushJob, null, cancellationToken).ConfigureAwait(false);
        return job ?? throw EmptyResult("GET", path);
    }

    /// <summary>
    /// Creates a job. <see cref="LogpushJob.DestinationConf"/> is required; jobs are created disabled unless
    /// <see cref="LogpushJob.Enabled"/> is <see langword="true"/>. Only the members of Cloudflare's create schema are sent.
    /// Retried only when Cloudflare certainly did not act on it (429, or no connection), never after a 5xx or a timeout, so
    /// that a job is never created twice; such a failure has <see cref="CloudflareApiException.MayHaveSucceeded"/> set —
    /// list the jobs before creating again.
    /// </summary>
    /// <param name="scope">Account or zone, matching the dataset's scope.</param>
    /// <param name="job">The job; read-only members (<see cref="LogpushJob.Id"/>, <see cref="LogpushJob.LastComplete"/>, …) and unknown top-level members are not sent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The created job.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<LogpushJob> CreateJobAsync(LogpushScope scope, LogpushJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(job);
        if (string.IsNullOrWhiteSpace(job.DestinationConf))
        {
            throw new ArgumentException("A Logpush job needs a destination_conf (e.g. DestinationConf.R2(...).ToUnmaskedString()).", nameof(job));
        }

        var path = JobsPath(scope);
        var created = await Connection.SendAsync(
            HttpMethod.Post, path, job.ForCreate(), CloudflareJsonContext.Default.JsonObject, CloudflareJsonContext.Default.CloudflareEnvelopeLogpushJob, retryOnServerError: false, null, cancellationToken).ConfigureAwait(false);
        return created ?? throw EmptyResult("POST", path);
    }

    /// <summary>
    /// Creates a job that emits every field of its dataset: fetches the dataset's field list first (what
    /// <c>curl … | jq -r '.result | keys'</c> did) and puts all names, in Cloudflare's order, into
    /// <see cref="LogpushOutputOptions.FieldNames"/>.
    /// </summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="job">The job; <see cref="LogpushJob.Dataset"/> is required; its other output options are kept.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The created job.</returns>
    /// <exception cref="CloudflareApiException">An API call failed.</exception>
    public virtual async Task<LogpushJob> CreateJobWithAllFieldsAsync(LogpushScope scope, LogpushJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (string.IsNullOrWhiteSpace(job.Dataset))
        {
            throw new ArgumentException("Creating a job with all fields needs its Dataset.", nameof(job));
        }

        var fields = await GetDatasetFieldsAsync(scope, job.Dataset, cancellationToken).ConfigureAwait(false);
        if (fields.Count == 0)
        {
            throw new CloudflareApiException("GET", FieldsPath(scope, job.Dataset), null, null, null, $"Cloudflare returned no fields for dataset '{job.Dataset}'.");
        }

        var options = (job.OutputOptions ?? new LogpushOutputOptions()) with { FieldNames = [.. fields.Keys] };
        return await CreateJobAsync(scope, job with { OutputOptions = options }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Updates a job. Only the non-null members of <paramref name="changes"/> that Cloudflare's update schema allows are
    /// sent (a partial update such as <c>{"enabled":true}</c>): never the read-only members (<c>id</c>, <c>last_complete</c>,
    /// <c>last_error</c>, <c>error_message</c>), never the create-time members <c>dataset</c> and <c>kind</c>, never an
    /// unknown top-level member; unknown members inside <c>output_options</c> are sent back (they are output settings, and
    /// output_options is replaced as a whole). So a job read from the API can be sent back with changes
    /// (<c>job with { Enabled = true }</c>). A member cannot be cleared by setting it to <see langword="null"/>. Idempotent
    /// (the same body twice gives the same job), so retried after a 5xx.
    /// </summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="jobId">The job id.</param>
    /// <param name="changes">The members to change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The updated job.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<LogpushJob> UpdateJobAsync(LogpushScope scope, long jobId, LogpushJob changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(changes);
        var path = JobPath(scope, jobId);
        var updated = await Connection.SendAsync(
            HttpMethod.Put, path, changes.ForUpdate(), CloudflareJsonContext.Default.JsonObject, CloudflareJsonContext.Default.CloudflareEnvelopeLogpushJob, retryOnServerError: true, null, cancellationToken).ConfigureAwait(false);
        return updated ?? throw EmptyResult("PUT", path);
    }

    /// <summary>
    /// Deletes a job (irreversible). Retried after a 5xx or a timeout; when such a retry finds the job gone (404), an
    /// earlier attempt deleted it and the call succeeds. A 404 on a call that never met a 5xx is an error (no such job).
    /// </summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the job is deleted.</returns>
    /// <exception cref="CloudflareApiException">The API call failed (e.g. 404: no such job).</exception>
    public virtual async Task DeleteJobAsync(LogpushScope scope, long jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        try
        {
            await Connection.SendAsync<object, JsonElement>(
                HttpMethod.Delete, JobPath(scope, jobId), null, null, CloudflareJsonContext.Default.CloudflareEnvelopeJsonElement, retryOnServerError: true, null, cancellationToken).ConfigureAwait(false);
        }
        catch (CloudflareApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound && ex.Attempts > 1 && ex.MayHaveSucceeded)
        {
            // an attempt before this 404 got a 5xx or timed out after the server had deleted the job: it is gone, as asked
        }
    }

    /// <summary>
    /// The fields of a dataset as Cloudflare lists them: name → the API's text (<c>"&lt;type&gt;; &lt;description&gt;"</c> or a
    /// description), in Cloudflare's order. A read: retried after a 5xx. <see cref="GetDatasetAsync"/> parses the types.
    /// </summary>
    /// <param name="scope">Account or zone (the dataset's scope).</param>
    /// <param name="dataset">The dataset, e.g. <c>gateway_http</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The fields.</returns>
    /// <exception cref="CloudflareApiException">The API call failed or the result is not a name → description map.</exception>
    public virtual async Task<IReadOnlyDictionary<string, string>> GetDatasetFieldsAsync(LogpushScope scope, string dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        var path = FieldsPath(scope, dataset);
        var map = await Connection.GetAsync(path, CloudflareJsonContext.Default.CloudflareEnvelopeDictionaryStringJsonElement, null, cancellationToken).ConfigureAwait(false);
        if (map is null)
        {
            throw EmptyResult("GET", path);
        }

        var fields = new OrderedDictionary<string, string>(map.Count, StringComparer.Ordinal);
        foreach (var (name, value) in map)
        {
            fields[name] = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? string.Empty,
                JsonValueKind.Null => string.Empty,
                _ => value.GetRawText(),
            };
        }

        return fields;
    }

    /// <summary>
    /// A dataset refreshed from the live fields API: the fields Cloudflare lists now, in its order, with the types the API
    /// gives (<c>"&lt;type&gt;; &lt;description&gt;"</c>); where the API gives no type, the documented type from
    /// <paramref name="catalog"/> (<see cref="LogpushDatasetCatalog.Default"/> when <see langword="null"/>), the offline
    /// fallback. So a timestamp field the embedded catalog does not know is still a timestamp. A read: retried after a 5xx.
    /// </summary>
    /// <param name="scope">Account or zone (the dataset's scope).</param>
    /// <param name="dataset">The dataset, e.g. <c>gateway_http</c>.</param>
    /// <param name="catalog">Where types come from when the API gives none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dataset with the live field list.</returns>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual async Task<LogpushDataset> GetDatasetAsync(LogpushScope scope, string dataset, LogpushDatasetCatalog? catalog = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var fields = await GetDatasetFieldsAsync(scope, dataset, cancellationToken).ConfigureAwait(false);
        var datasetScope = scope.Kind == LogpushScopeKind.Account ? LogpushDatasetScope.Account : LogpushDatasetScope.Zone;
        (catalog ?? LogpushDatasetCatalog.Default).TryGet(dataset, datasetScope, out var documented);
        return LogpushDataset.FromFields(dataset, datasetScope, fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)), documented);
    }

    /// <summary>
    /// A dataset catalog with live entries: <paramref name="catalog"/> (<see cref="LogpushDatasetCatalog.Default"/> when
    /// <see langword="null"/>) with each of <paramref name="datasets"/> replaced by what <see cref="GetDatasetAsync"/> returns
    /// for it. Give it to <c>TransformOptions.DatasetCatalog</c> so conversions use the live timestamp fields; datasets
    /// not asked for keep their documented entries.
    /// </summary>
    /// <param name="scope">Account or zone (the datasets' scope).</param>
    /// <param name="datasets">The datasets to refresh.</param>
    /// <param name="catalog">The catalog to start from.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The refreshed catalog.</returns>
    /// <exception cref="CloudflareApiException">An API call failed.</exception>
    public virtual async Task<LogpushDatasetCatalog> GetDatasetCatalogAsync(LogpushScope scope, IEnumerable<string> datasets, LogpushDatasetCatalog? catalog = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(datasets);
        var result = catalog ?? LogpushDatasetCatalog.Default;
        foreach (var name in datasets.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            result = result.With(await GetDatasetAsync(scope, name, catalog, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>Validates that Cloudflare can write to a destination. Changes nothing, so retried after a 5xx.</summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="destinationConf">The destination (unmasked).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it is valid, and why not; <see langword="null"/> when the reply has no result (see remarks).</returns>
    /// <remarks>Cloudflare's schema allows a 2xx reply without a <c>result</c> (the SDKs type it <c>| null</c>); then this returns <see langword="null"/>: Cloudflare said nothing either way, and the caller decides (LogpushKit's own callers report it as unknown, never as valid).</remarks>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual Task<LogpushValidationResult?> ValidateDestinationAsync(LogpushScope scope, string destinationConf, CancellationToken cancellationToken = default) =>
        PostDestinationAsync(scope, "logpush/validate/destination", destinationConf, null, CloudflareJsonContext.Default.CloudflareEnvelopeLogpushValidationResult, cancellationToken);

    /// <summary>Checks whether a job already writes to a destination. A read: retried after a 5xx.</summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="destinationConf">The destination (unmasked).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it exists; <see langword="null"/> when the reply has no result (see remarks).</returns>
    /// <remarks>Cloudflare's schema allows a 2xx reply without a <c>result</c> (the SDKs type it <c>| null</c>); then this returns <see langword="null"/>: Cloudflare said nothing either way, and the caller decides (LogpushKit's own callers report it as unknown, never as valid).</remarks>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual Task<LogpushDestinationExistsResult?> ValidateDestinationExistsAsync(LogpushScope scope, string destinationConf, CancellationToken cancellationToken = default) =>
        PostDestinationAsync(scope, "logpush/validate/destination/exists", destinationConf, null, CloudflareJsonContext.Default.CloudflareEnvelopeLogpushDestinationExistsResult, cancellationToken);

    /// <summary>Validates legacy <c>logpull_options</c>. Changes nothing, so retried after a 5xx.</summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="logpullOptions">The options query string, e.g. <c>fields=RayID,ClientIP&amp;timestamps=rfc3339</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether they are valid; <see langword="null"/> when the reply has no result (see remarks).</returns>
    /// <remarks>Cloudflare's schema allows a 2xx reply without a <c>result</c> (the SDKs type it <c>| null</c>); then this returns <see langword="null"/>: Cloudflare said nothing either way, and the caller decides (LogpushKit's own callers report it as unknown, never as valid).</remarks>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual Task<LogpushValidationResult?> ValidateOriginAsync(LogpushScope scope, string logpullOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(logpullOptions);
        return Connection.SendAsync(
            HttpMethod.Post, $"{scope.PathPrefix}/logpush/validate/origin", new LogpushOriginRequest { LogpullOptions = logpullOptions }, CloudflareJsonContext.Default.LogpushOriginRequest,
            CloudflareJsonContext.Default.CloudflareEnvelopeLogpushValidationResult, retryOnServerError: true, null, cancellationToken);
    }

    /// <summary>
    /// Asks Cloudflare to write an ownership-challenge file into the destination (needed for S3, GCS, Azure, Sumo Logic;
    /// not for R2). Retried after a 5xx: a repeat only writes a fresh challenge, and the last one written is valid.
    /// </summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="destinationConf">The destination (unmasked).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Where the file was written; <see langword="null"/> when the reply has no result (see remarks).</returns>
    /// <remarks>Cloudflare's schema allows a 2xx reply without a <c>result</c> (the SDKs type it <c>| null</c>); then this returns <see langword="null"/>: Cloudflare said nothing either way, and the caller decides (LogpushKit's own callers report it as unknown, never as valid).</remarks>
    /// <exception cref="CloudflareApiException">The API call failed.</exception>
    public virtual Task<LogpushOwnershipChallenge?> RequestOwnershipChallengeAsync(LogpushScope scope, string destinationConf, CancellationToken cancellationToken = default) =>
        PostDestinationAsync(scope, "logpush/ownership", destinationConf, null, CloudflareJsonContext.Default.CloudflareEnvelopeLogpushOwnershipChallenge, cancellationToken);

    /// <summary>Validates an ownership-challenge token read from the challenge file (valid 7 days, bound to the exact destination). Changes nothing, so retried after a 5xx.</summary>
    /// <param name="scope">Account or zone.</param>
    /// <param name="destinationConf">The destination (unmasked).</param>
    /// <param name="ownershipChallenge">The token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the token is valid; <see langword="null"/> when the reply has no result (see remarks).</returns>
    /// <remarks>Cloudflare's schema allows a 2xx reply without a <c>result</c> (the SDKs type it <c>| null</c>); then this returns <see langword="null"/>: Cloudflare said nothing either way, and the caller decides (LogpushKit's own callers report it as unknown, never as valid).</remarks>
    /// <exception cref="CloudflareApiException">The API call failed (a wrong token gives HTTP 400, code 1002).</exception>
    public virtual Task<LogpushOwnershipValidation?> ValidateOwnershipChallengeAsync(LogpushScope scope, string destinationConf, string ownershipChallenge, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownershipChallenge);
        return PostDestinationAsync(scope, "logpush/ownership/validate", destinationConf, ownershipChallenge, CloudflareJsonContext.Default.CloudflareEnvelopeLogpushOwnershipValidation, cancellationToken);
    }

    private Task<T?> PostDestinationAsync<T>(
        LogpushScope scope, string tail, string destinationConf, string? ownershipChallenge, System.Text.Json.Serialization.Metadata.JsonTypeInfo<CloudflareEnvelope<T>> resultType, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationConf);
        var request = new LogpushDestinationRequest { DestinationConf = destinationConf, OwnershipChallenge = ownershipChallenge };
        return Connection.SendAsync(
            HttpMethod.Post, $"{scope.PathPrefix}/{tail}", request, CloudflareJsonContext.Default.LogpushDestinationRequest, resultType, retryOnServerError: true, null, cancellationToken);
    }

    private static string JobsPath(LogpushScope scope) => $"{scope.PathPrefix}/logpush/jobs";

    private static string JobPath(LogpushScope scope, long jobId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobId, 1);
        return string.Create(CultureInfo.InvariantCulture, $"{scope.PathPrefix}/logpush/jobs/{jobId}");
    }

    private static string FieldsPath(LogpushScope scope, string dataset) => $"{scope.PathPrefix}/logpush/datasets/{Escape(dataset)}/fields";

    private static CloudflareApiException EmptyResult(string method, string path) =>
        new(method, path, System.Net.HttpStatusCode.OK, null, null, "the envelope has no result");
}
