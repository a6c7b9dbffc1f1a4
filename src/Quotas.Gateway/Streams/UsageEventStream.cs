using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quotas.Contracts;
using Quotas.Gateway.Auth;
using Quotas.Core.Tenants;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Streams;

/// <summary>
/// A tenant's usage as a live stream of server-sent events, which the dashboard shows: a <c>usage</c> event (the
/// tenant's stats, as <c>GET /usage</c> answers them) at once and then every interval, and an <c>alert</c> event for
/// each alert, with its sequence as the event id, so that a client reconnecting with <c>Last-Event-ID</c> gets only
/// the alerts it missed (of the newest 32 a tenant keeps). The stream ends when the client leaves, when the gateway
/// stops (a client then reconnects to another gateway), or after an <c>error</c> event (a problem details body) when
/// the tenant can no longer be read.
/// </summary>
internal static partial class UsageEventStream
{
    public const string UsageEvent = "usage";
    public const string AlertEvent = "alert";
    public const string ErrorEvent = "error";
    public const string PingEvent = "ping";
    public const int DefaultIntervalSeconds = 2;
    public const int MaxIntervalSeconds = 60;

    /// <summary>
    /// The longest the stream stays silent: between usage events further apart, a <c>ping</c> event (no data) keeps
    /// the connection in use, well within the idle timeout of common proxies and load balancers (often 60 s).
    /// </summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Maps the stream under a tenant's group (whose access rule it shares).</summary>
    public static void MapUsageEventStream(this RouteGroupBuilder tenant) =>
        // Out of the request duration histogram: a stream is one request that lasts minutes or hours, which would land
        // in its +Inf bucket (quotas_gateway_event_streams counts them). The active requests, counted before routing,
        // still include each open stream.
        tenant.MapGet("/usage/events", Stream).WithName("StreamUsage").DisableHttpMetrics()
            .WithDescription($"Server-sent events: '{UsageEvent}' (the tenant's stats) at once and every interval seconds (1 to {MaxIntervalSeconds}, " +
                $"default {DefaultIntervalSeconds}); '{AlertEvent}' per alert, its sequence as id (send Last-Event-ID to resume); '{ErrorEvent}' (problem details) before the stream ends on a failure; " +
                $"'{PingEvent}' (no data) every {KeepAlive.TotalSeconds:0} seconds between usage events further apart, for proxies that close idle connections. " +
                "429 when the tenant holds its most streams open on this gateway, 503 when the gateway does (poll GET usage and alerts instead) or is stopping. The key is checked at every interval.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> Stream(
        HttpContext context,
        string tenantId,
        int? interval,
        IGrainFactory grains,
        TimeProvider time,
        EventStreamSlots slots,
        GatewayOptions options,
        CallerResolver callers,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        var every = TimeSpan.FromSeconds(interval ?? DefaultIntervalSeconds);
        if (interval is < 1 or > MaxIntervalSeconds)
        {
            return Problem.Validation(context, ValidationCodes.Invalid, $"interval must be a whole number of seconds from 1 to {MaxIntervalSeconds}; omit it for {DefaultIntervalSeconds}.");
        }

        if (!TryLastEventId(context.Request, out var after))
        {
            return Problem.Validation(context, ValidationCodes.Invalid, "Last-Event-ID must be the id of an alert event this stream sent (a whole number); omit it to start with every alert kept.");
        }

        // A stopping gateway takes no new stream: its clients are to reconnect to another one, not to get one event and an end.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            CloseConnectionAfter(context);
            return Unavailable(context, every, "draining", "This gateway is stopping; connect again, to another gateway.");
        }

        // The slot is taken before the tenant is read, so that what the bound keeps away includes those reads. An
        // operator's stream (the admin key, resolved already by the route's access check) counts toward the gateway's
        // bound only: the tenant's own streams must not lock it out of watching the tenant.
        var byAdmin = (await callers.ResolveAsync(context)).Caller?.IsAdmin == true;
        if (slots.TryTake(byAdmin ? null : tenantId, out var tenantFull) is not { } slot)
        {
            // A refused quota like any other: the policy it violates, with its count and limit (the streams open on this gateway).
            return tenantFull
                ? QuotaRefusals.Refused(context, QuotaRefusals.TooManyStreamsForTenant, QuotaRefusals.StreamsPolicy, options.MaxEventStreamsPerTenant, options.MaxEventStreamsPerTenant, every)
                : Unavailable(context, every, "too_many_streams",
                    $"This gateway holds as many event streams open as it may; poll GET /v1/tenants/{tenantId}/usage and /alerts instead, or retry later.");
        }

        // Freed when the request ends, however it ends (an unknown tenant below, or a client gone before any event).
        context.Response.RegisterForDispose(slot);

        // Read before the response starts, so that an unknown tenant or an unreachable cluster gets an ordinary problem
        // answer. A client that leaves meanwhile (a slow tenant, say) ends the request, and frees its slot, at once.
        var grain = grains.GetGrain<ITenantGrain>(tenantId);
        Snapshot first;
        try
        {
            first = await Snapshot.ReadAsync(grain, after, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }

        var feed = new Feed(tenantId, grain, every, time, context, callers, lifetime.ApplicationStopping, loggers.CreateLogger(typeof(UsageEventStream).FullName!));
        return TypedResults.ServerSentEvents(feed.Events(first, after));
    }

    /// <summary>
    /// Asks the server to close the request's connection once it is answered (HTTP/1.1 <c>Connection: close</c>, HTTP/2
    /// GOAWAY): a client that reconnects to a stopping gateway comes back on a new connection, which a load balancer
    /// sends to another gateway, rather than on the kept-alive one, which would meet this one again until it stops.
    /// </summary>
    private static void CloseConnectionAfter(HttpContext context) =>
        context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();

    /// <summary>A 503 whose Retry-After is the interval asked for: a client told to poll instead polls at that pace.</summary>
    private static IResult Unavailable(HttpContext context, TimeSpan every, string code, string detail)
    {
        context.Response.Headers.RetryAfter = every.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        return Problem.Result(context, Problem.Details(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Unavailable", detail, code));
    }

    private static bool TryLastEventId(HttpRequest request, out long after)
    {
        after = 0;
        var text = request.Headers["Last-Event-ID"].ToString();
        return text.Length == 0 || (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out after) && after >= 0);
    }

    /// <summary>What one event round sends: the tenant's stats and its alerts after the last sent.</summary>
    private sealed record Snapshot(TenantStats Stats, IReadOnlyList<QuotaAlert> Alerts)
    {
        public static async Task<Snapshot> ReadAsync(ITenantGrain grain, long after, CancellationToken cancellationToken) =>
            new(await grain.GetStats().WaitAsync(cancellationToken), await grain.GetAlerts(after).WaitAsync(cancellationToken));
    }

    private sealed partial class Feed(
        string tenantId,
        ITenantGrain grain,
        TimeSpan every,
        TimeProvider time,
        HttpContext context,
        CallerResolver callers,
        CancellationToken stopping,
        ILogger logger)
    {
        public async IAsyncEnumerable<SseItem<string>> Events(Snapshot first, long after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping, cancellationToken);
            using var closeOnStop = stopping.Register(() => CloseConnectionAfter(context));
            var snapshot = first;
            var reconnect = (TimeSpan?)every;
            while (true)
            {
                foreach (var alert in snapshot.Alerts)
                {
                    after = alert.Sequence;
                    yield return new SseItem<string>(Json(alert), AlertEvent) { EventId = after.ToString(CultureInfo.InvariantCulture) };
                }

                // The first event tells a browser's EventSource to reconnect after one interval rather than its own default.
                yield return new SseItem<string>(Json(snapshot.Stats), UsageEvent) { ReconnectionInterval = reconnect };
                reconnect = null;
                var left = every;
                while (left > KeepAlive)
                {
                    if (!await WaitAsync(KeepAlive, end.Token))
                    {
                        yield break;
                    }

                    left -= KeepAlive;
                    yield return new SseItem<string>("", PingEvent);
                }

                if (!await WaitAsync(left, end.Token))
                {
                    yield break;
                }

                // A slow cluster: the read's calls may take up to their timeouts, and a proxy cuts a stream silent for
                // long. Pings go on every KeepAlive while it runs, so the stream is silent at most twice that (the
                // wait before the read and the first ping's), well within the 60 s idle timeouts common in front of it.
                var reading = ReadAsync(snapshot, after, end.Token);
                using (var pings = CancellationTokenSource.CreateLinkedTokenSource(end.Token))
                {
                    while (await Task.WhenAny(reading, WaitAsync(KeepAlive, pings.Token)) != reading && !end.IsCancellationRequested)
                    {
                        yield return new SseItem<string>("", PingEvent);
                    }

                    await pings.CancelAsync();
                }

                var (next, failure) = await reading;
                if (failure is not null)
                {
                    yield return new SseItem<string>(Json(failure), ErrorEvent);
                    yield break;
                }

                if (next is null)
                {
                    yield break;
                }

                snapshot = next;
            }
        }

        private async Task<bool> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
        {
            try
            {
                await Task.Delay(delay, time, cancellationToken);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        /// <summary>
        /// The next snapshot (the last one's stats again, without alerts, when the tenant is too busy to answer now); or
        /// the problem that ends the stream; or neither when the stream ended meanwhile.
        /// </summary>
        private async Task<(Snapshot? Next, ProblemDetails? Failure)> ReadAsync(Snapshot last, long after, CancellationToken cancellationToken)
        {
            try
            {
                // The key is checked again at every interval (from the resolver's cache), so that a revoked key, or one
                // of a deleted tenant, ends its streams as it ends every other request.
                var (caller, uncheckedFor) = await callers.ResolveAsync(context).AsTask().WaitAsync(cancellationToken);
                if (uncheckedFor is { } wait)
                {
                    return (null, Problem.KeyUncheckedDetails(context, wait));
                }

                if (caller is null || !caller.MayAccess(tenantId))
                {
                    return (null, caller is null
                        ? Problem.Details(context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized",
                            "The API key is no longer valid (revoked, or of a deleted tenant); connect again with a valid key.", "unauthorized")
                        : Problem.Details(context, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", $"Tenant '{tenantId}' does not exist.", "not_found"));
                }

                return (await Snapshot.ReadAsync(grain, after, cancellationToken), null);
            }
            catch (GrainOverloadedException) when (!cancellationToken.IsCancellationRequested)
            {
                // A flood at the tenant passes: the stream waits for the next interval rather than end, and adds no
                // reconnections to the flood.
                return (last with { Alerts = [] }, null);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A deleted tenant is the client's news, not the server's trouble: only a failure of the service is logged.
                var problem = ExceptionProblems.Map(context, exception);
                if (problem.Status >= StatusCodes.Status500InternalServerError)
                {
                    LogReadFailed(logger, exception, context.Request.Path, Problem.TraceId(context));
                }

                return (null, problem);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return (null, null);
            }
        }

        private static string Json<T>(T value) => JsonSerializer.Serialize(value, ApiJson.Options);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The event stream {Path} (trace id {TraceId}) ended: the service could not read its tenant")]
        private static partial void LogReadFailed(ILogger logger, Exception exception, string path, string traceId);
    }
}
