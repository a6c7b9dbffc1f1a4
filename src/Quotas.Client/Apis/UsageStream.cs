using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>
/// Reads a tenant's usage stream (server-sent events) and connects again when the gateway ends it, the connection drops
/// or the gateway cannot serve it for now (429, 5xx, or an error event with such a status), going on after the last
/// alert given (the gateway replays alerts after the <c>Last-Event-ID</c> it is sent). Only an answer that waiting
/// cannot change (a 4xx: a revoked key, a deleted tenant) ends it, with its exception.
/// </summary>
internal sealed class UsageStream(ApiTransport api, string path, TimeSpan? interval)
{
    private const string UsageEvent = "usage";
    private const string AlertEvent = "alert";
    private const string ErrorEvent = "error";
    private static readonly TimeSpan s_defaultInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_shortestReconnect = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestReconnect = TimeSpan.FromSeconds(60);

    public async IAsyncEnumerable<UsageStreamEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? lastAlert = null;
        var reconnectAfter = interval ?? s_defaultInterval;
        var failures = 0;
        while (true)
        {
            var response = await ConnectAsync(lastAlert, cancellationToken).ConfigureAwait(false);
            failures = response is null ? failures + 1 : failures;
            using (response)
            {
                var body = response is null ? Stream.Null : await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var events = SseParser.Create(body).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                await using (events.ConfigureAwait(false))
                {
                    while (await NextAsync(events, cancellationToken).ConfigureAwait(false))
                    {
                        var item = events.Current;
                        if (item.EventType == ErrorEvent)
                        {
                            var problem = QuotasProblem.Parse(0, item.Data);
                            var status = (HttpStatusCode)(problem.Status ?? 500);
                            if (!IsTransient(status))
                            {
                                throw new QuotasApiException(status, problem);
                            }

                            failures++;
                            break;
                        }

                        failures = 0;
                        if (item.EventType == UsageEvent)
                        {
                            reconnectAfter = item.ReconnectionInterval ?? reconnectAfter;
                            yield return new UsageSnapshot(Read<TenantStats>(item.Data));
                        }
                        else if (item.EventType == AlertEvent)
                        {
                            lastAlert = item.EventId;
                            yield return new UsageAlertRaised(Read<QuotaAlert>(item.Data));
                        }

                        // Any other event type is of a newer gateway: skipped, as EventSource skips events nobody listens to.
                    }
                }
            }

            // The gateway ended the stream (it is stopping), or could not serve it: connect again after the interval, and
            // after twice as long for each failure in a row (up to a minute, with jitter, so that clients spread out).
            await Task.Delay(Backoff(reconnectAfter, failures), api.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The stream's response; null when the gateway could not be reached or could not serve it for now.</summary>
    private async Task<HttpResponseMessage?> ConnectAsync(string? lastAlert, CancellationToken cancellationToken)
    {
        try
        {
            return await api.OpenEventStreamAsync(path, lastAlert, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (QuotasApiException exception) when (exception.StatusCode is { } status && IsTransient(status))
        {
            return null;
        }
    }

    private static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static TimeSpan Backoff(TimeSpan interval, int failures)
    {
        // A second at least: a proxy or gateway asking for no wait at all (retry: 0) would make the loop spin.
        var wait = interval < s_shortestReconnect ? s_shortestReconnect : interval;
        if (failures == 0)
        {
            return wait;
        }

        var grown = wait * Math.Pow(2, Math.Min(failures - 1, 6));
        var capped = grown < s_longestReconnect ? grown : s_longestReconnect;
        return capped * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    /// <summary>Whether an event came; false when the stream ended or its connection dropped.</summary>
    private static async Task<bool> NextAsync(IAsyncEnumerator<SseItem<string>> events, CancellationToken cancellationToken)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
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
