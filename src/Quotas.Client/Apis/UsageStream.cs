using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>
/// Reads a tenant's usage stream (server-sent events) and connects again when the gateway ends it or the connection
/// drops, going on after the last alert given (the gateway replays alerts after the <c>Last-Event-ID</c> it is sent).
/// </summary>
internal sealed class UsageStream(ApiTransport api, string path, TimeSpan? interval)
{
    private const string UsageEvent = "usage";
    private const string AlertEvent = "alert";
    private const string ErrorEvent = "error";

    public async IAsyncEnumerable<UsageStreamEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? lastAlert = null;
        var reconnectAfter = interval ?? TimeSpan.FromSeconds(2);
        while (true)
        {
            using (var response = await api.OpenEventStreamAsync(path, lastAlert, cancellationToken).ConfigureAwait(false))
            {
                var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var events = SseParser.Create(body).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                await using (events.ConfigureAwait(false))
                {
                    while (await NextAsync(events, cancellationToken).ConfigureAwait(false))
                    {
                        var item = events.Current;
                        switch (item.EventType)
                        {
                            case UsageEvent:
                                reconnectAfter = item.ReconnectionInterval ?? reconnectAfter;
                                yield return new UsageSnapshot(Read<TenantStats>(item.Data));
                                break;
                            case AlertEvent:
                                lastAlert = item.EventId;
                                yield return new UsageAlertRaised(Read<QuotaAlert>(item.Data));
                                break;
                            case ErrorEvent:
                                var problem = QuotasProblem.Parse(0, item.Data);
                                throw new QuotasApiException((HttpStatusCode)(problem.Status ?? 500), problem);
                            default:
                                // An event type of a newer gateway: skipped, as EventSource skips events nobody listens to.
                                break;
                        }
                    }
                }
            }

            // The gateway ended the stream (it is stopping) or the connection dropped: connect again after the interval.
            await Task.Delay(reconnectAfter, api.Time, cancellationToken).ConfigureAwait(false);
        }
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
