using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Client.Http;

/// <summary>
/// Sends one API call: JSON body, bearer key, retries by <see cref="RetryPolicy"/>, and errors turned into
/// <see cref="QuotasApiException"/> or <see cref="QuotaExceededException"/>.
/// </summary>
internal sealed class ApiTransport
{
    public const string IdempotencyHeader = "Idempotency-Key";
    private const string TooManyRejectedKeys = "too_many_rejected_keys";

    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue s_eventStream = new("text/event-stream");

    private readonly HttpClient _http;
    private readonly QuotasClientOptions _options;
    private readonly RetryPolicy _retries;
    private readonly Uri _base;

    public ApiTransport(HttpClient http, QuotasClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _http = http;
        _options = options;
        _retries = new RetryPolicy(options);
        var text = options.BaseAddress!.ToString();
        _base = new Uri(text.EndsWith('/') ? text : text + "/");
    }

    /// <summary>Web defaults, enums as camelCase strings, nulls left out; unknown fields in answers are ignored, and
    /// unknown enum names read as <c>Unknown</c>, so that an SDK keeps working against a newer server.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new TolerantEnumConverter() },
    };

    /// <summary>A fresh key for a call that may be retried: the server answers a repeat with the first answer.</summary>
    public static string NewIdempotencyKey() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// The caller's key, or a fresh one. A key is sent as a header, which takes 1 to 128 visible ASCII characters:
    /// another is refused here, before anything is sent, rather than failing every attempt as a lost connection would.
    /// </summary>
    public static string IdempotencyKeyOrNew(string? idempotencyKey, string parameterName)
    {
        if (idempotencyKey is null)
        {
            return NewIdempotencyKey();
        }

        if (idempotencyKey.Length is 0 or > 128 || idempotencyKey.Any(c => c is < '!' or > '~'))
        {
            throw new ArgumentException(
                $"An idempotency key is 1 to 128 visible ASCII characters (no spaces); '{idempotencyKey}' is not. Use, for example, a GUID or your own id of the request.",
                parameterName);
        }

        return idempotencyKey;
    }

    /// <summary>
    /// Sends a call and reads its answer. <paramref name="keyedByBody"/>: the body carries the request's key (a usage
    /// event's id), so that the call may be repeated without an Idempotency-Key.
    /// </summary>
    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken cancellationToken, bool keyedByBody = false)
    {
        using var response = await SendCheckedAsync(method, path, body, idempotencyKey, cancellationToken, keyedByBody: keyedByBody).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
                ?? throw new QuotasApiException($"{method} {path} answered {(int)response.StatusCode} without a body.");
        }
        catch (JsonException e)
        {
            // A proxy's page in front of the gateway, say: the caller learns what answered, as for any other bad answer.
            throw new QuotasApiException(
                $"{method} {path} answered {(int)response.StatusCode} with a body that is not the API's JSON ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}): {e.Message} Check that BaseAddress is the gateway's.",
                e);
        }
    }

    /// <summary>
    /// Sends a call that answers nothing. A DELETE retried after an attempt that may have run (its connection failed, or
    /// it answered 502, 503 or 504) and then answered 404 is done: the first attempt deleted what the retry did not find.
    /// With <paramref name="conflictMayBeOwnDelete"/> (a pool's delete), so is one retried after 409 with Retry-After:
    /// the delete in progress it met may be its own first attempt.
    /// </summary>
    public async Task SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken cancellationToken, bool conflictMayBeOwnDelete = false)
    {
        using var response = await SendCheckedAsync(
            method, path, body, idempotencyKey, cancellationToken, goneAfterRetryIsDone: method == HttpMethod.Delete, conflictMayBeOwnDelete: conflictMayBeOwnDelete).ConfigureAwait(false);
    }

    /// <summary>Every item of a list, page after page, following <c>nextCursor</c>.</summary>
    public IAsyncEnumerable<T> ListAsync<T>(string path, int pageSize, CancellationToken cancellationToken) =>
        ListAsync<T, Page<T>>(path, pageSize, null, cancellationToken);

    /// <summary>The items of every page, in order; <paramref name="onPage"/> sees each page before its items are given.</summary>
    public async IAsyncEnumerable<T> ListAsync<T, TPage>(string path, int pageSize, Action<TPage>? onPage, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TPage : IPage<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 1000);
        string? cursor = null;
        var sent = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            var query = $"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}limit={pageSize}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await SendAsync<TPage>(HttpMethod.Get, query, null, null, cancellationToken).ConfigureAwait(false);
            if (page.Items is null)
            {
                // JSON of another service (BaseAddress pointing elsewhere): no list to walk.
                throw new QuotasApiException($"GET {path} answered a page without items; check that BaseAddress is the gateway's.");
            }

            onPage?.Invoke(page);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            if (page.NextCursor is { } next && (next.Length == 0 || !sent.Add(next)))
            {
                // Followed, it would ask for pages already given, for ever.
                throw new QuotasApiException($"GET {path} answered a page whose next cursor {(next.Length == 0 ? "is empty" : next == cursor ? "is the one just sent" : "was sent before")}; the listing stops here rather than repeat it.");
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>The clock the SDK waits on (retries, reconnections).</summary>
    public TimeProvider Time => _options.TimeProvider;

    /// <summary>
    /// Opens a stream of server-sent events: a GET in one attempt, answered as soon as its headers arrive; the caller
    /// reads the body and disposes the response. <paramref name="lastEventId"/> resumes after that event. Not retried
    /// here: the stream connects again itself, after at least a refusal's Retry-After (retried here too, the wait ran
    /// inside the stream's idle watchdog, which cut it short and lost the Retry-After).
    /// </summary>
    public Task<HttpResponseMessage> OpenEventStreamAsync(string path, string? lastEventId, CancellationToken cancellationToken) =>
        SendCheckedAsync(HttpMethod.Get, path, null, null, cancellationToken, HttpCompletionOption.ResponseHeadersRead, request =>
        {
            request.Headers.Accept.Add(s_eventStream);
            if (lastEventId is not null)
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
            }
        }, retried: false);

    private async Task<HttpResponseMessage> SendCheckedAsync(
        HttpMethod method,
        string path,
        object? body,
        string? idempotencyKey,
        CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        Action<HttpRequestMessage>? decorate = null,
        bool goneAfterRetryIsDone = false,
        bool conflictMayBeOwnDelete = false,
        bool keyedByBody = false,
        bool retried = true)
    {
        try
        {
            return await SendWithRetriesAsync(method, path, body, idempotencyKey, cancellationToken, completion, decorate, goneAfterRetryIsDone, conflictMayBeOwnDelete, keyedByBody, retried).ConfigureAwait(false);
        }
        catch (Exception failure) when (idempotencyKey is not null && failure is HttpRequestException or OperationCanceledException)
        {
            // An attempt may have run (also when the caller cancelled while a retry waited): the caller can try again
            // later with the key this call used, and meet that attempt's answer rather than run the request twice.
            failure.Data[QuotasApiException.IdempotencyKeyData] = idempotencyKey;
            throw;
        }
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(
        HttpMethod method,
        string path,
        object? body,
        string? idempotencyKey,
        CancellationToken cancellationToken,
        HttpCompletionOption completion,
        Action<HttpRequestMessage>? decorate,
        bool goneAfterRetryIsDone,
        bool conflictMayBeOwnDelete,
        bool keyedByBody,
        bool retried)
    {
        var payload = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        var repeatable = retried && RetryPolicy.IsRepeatable(method, idempotencyKey is not null || keyedByBody);
        var mayHaveRun = false;
        for (var retry = 1; ; retry++)
        {
            HttpResponseMessage response;
            try
            {
                using var request = Request(method, path, payload, idempotencyKey);
                decorate?.Invoke(request);
                response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException failure) when (_retries.DelayAfterFailure(retry, repeatable) is { } wait)
            {
                mayHaveRun |= MayHaveReachedServer(failure);
                await Task.Delay(wait, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _retries.DelayAfterFailure(retry, repeatable) is { } wait)
            {
                // HttpClient.Timeout ran out (the caller did not cancel): the request may have run, as after a lost answer.
                mayHaveRun = true;
                await Task.Delay(wait, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (response.IsSuccessStatusCode || (goneAfterRetryIsDone && mayHaveRun && response.StatusCode == HttpStatusCode.NotFound))
            {
                return response;
            }

            var retryAfter = RetryAfter(response);
            if (_retries.DelayAfterResponse(retry, repeatable, response.StatusCode, retryAfter) is { } delay)
            {
                // A pool's delete told to wait (409 with Retry-After: a delete in progress) may have met its own first
                // attempt, still running: the pool gone afterwards is its success.
                mayHaveRun |= response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
                    || (conflictMayBeOwnDelete && response.StatusCode == HttpStatusCode.Conflict);
                response.Dispose();
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            using (response)
            {
                var error = await ErrorAsync(response, retryAfter, cancellationToken).ConfigureAwait(false);
                error.IdempotencyKey = idempotencyKey;
                throw error;
            }
        }
    }

    /// <summary>
    /// False when the request cannot have reached the server: the connection was never made (refused, no such host,
    /// the TLS handshake failed). Anything else may have failed after the request was sent, so that it ran.
    /// </summary>
    private static bool MayHaveReachedServer(HttpRequestException failure) =>
        failure.HttpRequestError is not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError);

    private HttpRequestMessage Request(HttpMethod method, string path, byte[]? payload, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, new Uri(_base, path.TrimStart('/')));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyHeader, idempotencyKey);
        }

        if (payload is not null)
        {
            request.Content = new ByteArrayContent(payload);
            request.Content.Headers.ContentType = s_json;
        }

        return request;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        // Against the answer's own Date when it has one: the client's clock may be off from the server's by more than the wait.
        { Date: { } date } => date - (response.Headers.Date ?? _options.TimeProvider.GetUtcNow()) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static async Task<QuotasApiException> ErrorAsync(HttpResponseMessage response, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var problem = QuotasProblem.Parse((int)response.StatusCode, text);
        // A 429 for keys that are not valid (too_many_rejected_keys) refuses the key, not a quota.
        return response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.InsufficientStorage && problem.Code != TooManyRejectedKeys
            ? new QuotaExceededException(response.StatusCode, problem, retryAfter, RateLimitState.From(response.Headers))
            : new QuotasApiException(response.StatusCode, problem, retryAfter);
    }
}
