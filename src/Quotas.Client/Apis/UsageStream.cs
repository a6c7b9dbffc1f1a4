using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>
/// Reads a tenant's usage stream (server-sent events) and connects again when the gateway ends it, the connection drops
/// or the gateway cannot serve it for now (429, 502, 503, 504, or an error event with such a status), going on after the
/// last alert given (the gateway replays alerts after the <c>Last-Event-ID</c> it is sent). Only an answer that waiting
/// cannot change (a 4xx: a revoked key, a deleted tenant; a 500, the server's own error) ends it, with its exception.
/// </summary>
internal sealed class UsageStream(ApiTransport api, string path, TimeSpan? interval, long? afterAlert)
{
    private const string UsageEvent = "usage";
    private const string AlertEvent = "alert";
    private const string ErrorEvent = "error";
    private static readonly TimeSpan s_defaultInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_shortestReconnect = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestReconnect = TimeSpan.FromSeconds(60);

    /// <summary>The longest a refusal's Retry-After is waited for: beyond 49 days the wait threw out of the caller's loop.</summary>
    private static readonly TimeSpan s_longestRefusalWait = TimeSpan.FromMinutes(10);

    public async IAsyncEnumerable<UsageStreamEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var lastAlert = afterAlert?.ToString(CultureInfo.InvariantCulture);
        var reconnectAfter = interval ?? s_defaultInterval;
        var failures = 0;
        using var watchdog = new IdleWatchdog(api.Time);
        while (true)
        {
            // Each connection can be dropped on its own: by the watchdog when no event comes for two intervals and
            // five seconds (a proxy that buffers the stream, a connection that died without a word).
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            watchdog.Watch(connection, IdleLimit(reconnectAfter));
            var (response, serverWait) = await ConnectAsync(lastAlert, connection.Token, cancellationToken).ConfigureAwait(false);
            var failed = response is null;
            var received = 0;
            using (response)
            {
                RequireEventStream(response);
                var body = response is null ? Stream.Null : await ReadBodyAsync(response, connection.Token, cancellationToken).ConfigureAwait(false);
                var events = SseParser.Create(body).EnumerateAsync(connection.Token).GetAsyncEnumerator(connection.Token);
                await using (events.ConfigureAwait(false))
                {
                    while (await NextAsync(events, cancellationToken).ConfigureAwait(false))
                    {
                        var item = events.Current;
                        reconnectAfter = item.ReconnectionInterval is { } asked ? Bounded(asked) : reconnectAfter;
                        watchdog.Watch(connection, IdleLimit(reconnectAfter));
                        received++;
                        if (item.EventType == ErrorEvent)
                        {
                            // An error event without a status is the server's error, as a 500 would be.
                            var problem = QuotasProblem.Parse(500, item.Data);
                            var status = (HttpStatusCode)(problem.Status ?? 500);
                            if (!IsTransient(status))
                            {
                                throw new QuotasApiException(status, problem);
                            }

                            failed = true;
                            break;
                        }

                        UsageStreamEvent? given = item.EventType switch
                        {
                            UsageEvent => new UsageSnapshot(Read<TenantStats>(item.Data)),
                            AlertEvent => new UsageAlertRaised(Read<QuotaAlert>(item.Data)),
                            _ => null,
                        };
                        if (given is not null)
                        {
                            lastAlert = item.EventType == AlertEvent ? item.EventId : lastAlert;

                            // The caller's time with the event is not the connection's silence: the watchdog waits
                            // from when the next event is asked for.
                            watchdog.Stop();
                            yield return given;
                            watchdog.Watch(connection, IdleLimit(reconnectAfter));
                        }

                        // Any other event type is of a newer gateway: skipped, as EventSource skips events nobody listens to.
                    }
                }
            }

            watchdog.Stop();

            // The gateway ended the stream (it is stopping) or could not serve it: connect again after about the
            // interval, and after twice as long for each failure in a row (a connection without any event is one).
            // A refusal's Retry-After (too many streams, a gateway that cannot reach the cluster) is waited for at least.
            failures = failed || received == 0 ? failures + 1 : 0;
            var wait = Backoff(reconnectAfter, failures);
            await Task.Delay(serverWait > wait ? Min(serverWait.Value, s_longestRefusalWait) : wait, api.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The stream's response; null when the gateway could not be reached or could not serve it for now, with the
    /// Retry-After of its refusal, if it gave one.
    /// </summary>
    private async Task<(HttpResponseMessage? Response, TimeSpan? RetryAfter)> ConnectAsync(string? lastAlert, CancellationToken connection, CancellationToken caller)
    {
        try
        {
            return (await api.OpenEventStreamAsync(path, lastAlert, connection).ConfigureAwait(false), null);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException && !caller.IsCancellationRequested)
        {
            // Refused, reset, timed out (HttpClient.Timeout) or dropped by the watchdog: try again later.
            return (null, null);
        }
        catch (QuotasApiException exception) when (exception.StatusCode is { } status && IsTransient(status))
        {
            return (null, exception.RetryAfter);
        }
    }

    private static async Task<Stream> ReadBodyAsync(HttpResponseMessage response, CancellationToken connection, CancellationToken caller)
    {
        try
        {
            return await response.Content.ReadAsStreamAsync(connection).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException or OperationCanceledException && !caller.IsCancellationRequested)
        {
            return Stream.Null;
        }
    }

    /// <summary>
    /// A success that is no event stream (a proxy's page or a login form in front of the gateway) ends the stream with
    /// what answered: read as one without events, it was connected to again for ever while the caller's loop waited.
    /// </summary>
    private void RequireEventStream(HttpResponseMessage? response)
    {
        var mediaType = response?.Content.Headers.ContentType?.MediaType;
        if (response is not null && !string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            throw new QuotasApiException(
                $"GET {path} answered {(int)response.StatusCode} with {mediaType ?? "no content type"}, not an event stream; check that BaseAddress is the gateway's.");
        }
    }

    /// <summary>
    /// Answers that waiting may change: too many streams, a gateway or proxy that cannot reach the cluster now, a
    /// timeout. A 500 is not among them: it is the server's error (a tenant whose stored state no longer reads, say),
    /// which reconnecting would meet again for ever while the caller's loop waited on nothing.
    /// </summary>
    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>
    /// The interval the stream's <c>retry:</c> field asks for, from a second to a minute, as the stream's own waits:
    /// a day's would leave a dead connection unnoticed that long, and one beyond 49 days made the watchdog throw.
    /// </summary>
    private static TimeSpan Bounded(TimeSpan asked) =>
        asked < s_shortestReconnect ? s_shortestReconnect : asked > s_longestReconnect ? s_longestReconnect : asked;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan IdleLimit(TimeSpan interval) => (2 * interval) + TimeSpan.FromSeconds(5);

    /// <summary>
    /// About the interval after an end, twice as long for each failure in a row up to a minute, each wait a quarter
    /// either way (so that the clients of a stopping gateway do not all come back at once, also at the longest), and a
    /// second at least: a proxy or gateway asking for no wait at all (retry: 0) would make the loop spin.
    /// </summary>
    private static TimeSpan Backoff(TimeSpan interval, int failures)
    {
        var wait = interval * Math.Pow(2, Math.Min(failures, 7) - (failures > 0 ? 1 : 0));
        wait = wait < s_longestReconnect ? wait : s_longestReconnect;
        wait *= 0.75 + (Random.Shared.NextDouble() / 2);
        return wait > s_shortestReconnect ? wait : s_shortestReconnect;
    }

    /// <summary>Whether an event came; false when the stream ended or its connection dropped (<paramref name="cancellationToken"/> is the caller's).</summary>
    private static async Task<bool> NextAsync(IAsyncEnumerator<SseItem<string>> events, CancellationToken cancellationToken)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The connection dropped, or the watchdog dropped it: the caller did not cancel.
            return false;
        }
    }

    private static T Read<T>(string data) =>
        JsonSerializer.Deserialize<T>(data, ApiTransport.Json) ?? throw new QuotasApiException($"The usage stream sent an empty {typeof(T).Name}.");

    /// <summary>The query of an interval the gateway takes (whole seconds, 1 to 60); refused here before anything is sent.</summary>
    public static string Query(TimeSpan? interval)
    {
        if (interval is not { } every)
        {
            return "";
        }

        if (every < TimeSpan.FromSeconds(1) || every > TimeSpan.FromSeconds(60) || every.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be whole seconds from 1 to 60; pass null for the gateway's default (2 s).");
        }

        return "?interval=" + ((long)every.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }
}
