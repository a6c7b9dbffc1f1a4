using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using Grains;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Contracts;
using Quotas.Gateway.Streams;
using Quotas.Gateway.Tests.Sdk;

namespace Quotas.Gateway.Tests;

/// <summary>The live usage stream (server-sent events) that the dashboard reads.</summary>
public sealed class UsageStreamTests
{
    private const string Quotas = """[{"name":"cpu","kind":"gauge","limit":10},{"name":"storage_bytes","kind":"reportedGauge","limit":1000}]""";
    private const string Events = "/v1/tenants/acme/usage/events";

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task The_stream_sends_usage_at_once_and_after_each_interval_and_every_alert_once(Backend backend)
    {
        var time = new RecordingTimeProvider();
        await using var server = await GatewayServer.StartAsync(backend, gatewayTime: time);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));

        await using var stream = await EventStream.OpenOkAsync(tenant, Events + "?interval=5");
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        var first = await stream.NextAsync(UsageEventStream.UsageEvent);
        Assert.Equal(TimeSpan.FromSeconds(5), first.ReconnectionInterval);
        Assert.Equal(0, StorageUsed(first));

        await (await tenant.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":900}""")).Ok(204);
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextDelayAsync());
        time.Clock.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, time.Clock.ActiveTimerCount);
        time.Clock.Advance(TimeSpan.FromMilliseconds(1));

        var alert = await stream.NextAsync(UsageEventStream.AlertEvent);
        var body = JsonNode.Parse(alert.Data)!;
        Assert.Equal(((long)body["sequence"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), alert.EventId);
        Assert.Equal("storage_bytes", (string?)body["quota"]);
        Assert.Equal(80, (int)body["thresholdPercent"]!);
        var second = await stream.NextAsync(UsageEventStream.UsageEvent);
        Assert.Equal(900, StorageUsed(second));
        Assert.Null(second.ReconnectionInterval);

        // Nothing new: the next interval brings the usage alone, not the alert again. (Each read first started the
        // wait for a ping, in case it took long.)
        Assert.Equal(UsageEventStream.KeepAlive, await time.NextDelayAsync());
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextDelayAsync());
        time.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(900, StorageUsed(await stream.NextAsync(UsageEventStream.UsageEvent)));
    }

    /// <summary>
    /// Usage events further apart than the keep-alive have a ping between them, so that a proxy closing connections idle
    /// for 60 s (nginx's and many load balancers' default) does not cut a stream asked for every 60 s.
    /// </summary>
    [Fact]
    public async Task A_stream_with_a_long_interval_sends_a_ping_every_fifteen_seconds_between_usage_events()
    {
        var time = new RecordingTimeProvider();
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, gatewayTime: time);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        await using var stream = await EventStream.OpenOkAsync(tenant, Events + "?interval=40");
        await stream.NextAsync(UsageEventStream.UsageEvent);

        foreach (var wait in new[] { 15, 15 })
        {
            Assert.Equal(TimeSpan.FromSeconds(wait), await time.NextDelayAsync());
            time.Clock.Advance(TimeSpan.FromSeconds(wait));
            Assert.Equal("", (await stream.NextAsync(UsageEventStream.PingEvent)).Data);
        }

        Assert.Equal(TimeSpan.FromSeconds(10), await time.NextDelayAsync());
        time.Clock.Advance(TimeSpan.FromSeconds(10));
        await stream.NextAsync(UsageEventStream.UsageEvent);
    }

    /// <summary>
    /// A read that takes long (a slow cluster: the calls may run to their timeouts) does not leave the stream silent: the
    /// pings go on every fifteen seconds until it answers, so that a proxy's idle timeout does not cut the stream.
    /// </summary>
    [Fact]
    public async Task A_slow_read_is_pinged_through_every_fifteen_seconds_until_it_answers()
    {
        var time = new RecordingTimeProvider();
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdNext = 0;
        await using var server = await GatewayServer.StartAsync(
            Backend.EmbeddedSqlite,
            gatewayTime: time,
            wrapGrains: grains => new InterceptingGrains<ITenantGrain>(grains, tenant => ScriptedGrain.Create<ITenantGrain>((method, args) =>
                method.Name == nameof(ITenantGrain.GetStats) && Interlocked.Exchange(ref holdNext, 0) == 1
                    ? slow.Task.ContinueWith(_ => tenant.GetStats(), TaskScheduler.Default).Unwrap()
                    : method.Invoke(tenant, args))));
        using var admin = server.Admin();
        await admin.CreateTenantWithKey("acme", Quotas);
        await using var stream = await EventStream.OpenOkAsync(admin, Events + "?interval=5");
        await stream.NextAsync(UsageEventStream.UsageEvent);

        Volatile.Write(ref holdNext, 1);
        Assert.Equal(TimeSpan.FromSeconds(5), await time.NextDelayAsync());
        time.Clock.Advance(TimeSpan.FromSeconds(5)); // the read starts, and waits
        for (var ping = 0; ping < 2; ping++)
        {
            Assert.Equal(TimeSpan.FromSeconds(15), await time.NextDelayAsync());
            time.Clock.Advance(TimeSpan.FromSeconds(15));
            Assert.Equal("", (await stream.NextAsync(UsageEventStream.PingEvent)).Data);
        }

        slow.SetResult();
        await stream.NextAsync(UsageEventStream.UsageEvent);
    }

    /// <summary>
    /// A client that leaves while its stream's first read waits (a slow tenant) ends the request then, and the slot it
    /// held goes back at once, rather than when the read ends: a client reconnecting meanwhile is not refused for it.
    /// </summary>
    [Fact]
    public async Task A_client_gone_before_the_first_event_frees_its_slot_while_the_tenant_still_answers()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdNext = 1;
        await using var server = await GatewayServer.StartAsync(
            Backend.EmbeddedSqlite,
            o => o.MaxEventStreamsPerTenant = 1,
            wrapGrains: grains => new InterceptingGrains<ITenantGrain>(grains, tenant => ScriptedGrain.Create<ITenantGrain>((method, args) =>
                method.Name == nameof(ITenantGrain.GetStats) && Interlocked.Exchange(ref holdNext, 0) == 1
                    ? HeldAsync()
                    : method.Invoke(tenant, args))));
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));

        using (var leaving = new CancellationTokenSource())
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Events);
            var open = tenant.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leaving.Token);
            await reading.Task;
            var slots = server.Services.GetRequiredService<EventStreamSlots>();
            var freed = FreedAsync(slots);
            await leaving.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open);
            await freed;
        }

        await using var again = await EventStream.OpenOkAsync(tenant, Events);
        await again.NextAsync(UsageEventStream.UsageEvent);
        held.SetResult();

        async Task<Core.Tenants.TenantStats> HeldAsync()
        {
            reading.SetResult();
            await held.Task;
            throw new InvalidOperationException("The held read's answer is never used.");
        }
    }

    [Fact]
    public async Task A_client_that_reconnects_with_Last_Event_ID_gets_only_the_alerts_after_it()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        await (await tenant.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":900}""")).Ok(204);
        await (await tenant.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":960}""")).Ok(204);

        string first, second;
        await using (var fresh = await EventStream.OpenOkAsync(tenant, Events))
        {
            first = (await fresh.NextAsync(UsageEventStream.AlertEvent)).EventId!;
            second = (await fresh.NextAsync(UsageEventStream.AlertEvent)).EventId!;
            Assert.Equal(960, StorageUsed(await fresh.NextAsync(UsageEventStream.UsageEvent)));
        }

        Assert.True(long.Parse(second, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(first, System.Globalization.CultureInfo.InvariantCulture));
        await using var resumed = await EventStream.OpenOkAsync(tenant, Events, lastEventId: first);
        var alert = await resumed.NextAsync(UsageEventStream.AlertEvent);
        Assert.Equal(second, alert.EventId);
        Assert.Equal(95, (int)JsonNode.Parse(alert.Data)!["thresholdPercent"]!);
        await resumed.NextAsync(UsageEventStream.UsageEvent);
    }

    [Fact]
    public async Task Bad_parameters_and_unknown_tenants_get_problems_before_any_stream_starts()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", Quotas));

        foreach (var query in new[] { "?interval=0", "?interval=61", "?interval=-1", "?interval=two" })
        {
            // An event-stream client accepts no JSON; its errors still come as problem details.
            await (await Refused(tenant, Events + query)).Problem(400);
        }

        foreach (var id in new[] { "x", "-1", "1.5", "99999999999999999999" })
        {
            var detail = await (await Refused(tenant, Events, id)).Problem(400, "invalid_request");
            Assert.Contains("Last-Event-ID", (string?)detail["detail"], StringComparison.Ordinal);
        }

        await (await Refused(server.Client(null), Events)).Problem(401, "unauthorized");

        // An unknown tenant is found after the stream's slot was taken: the slot is given back with the answer.
        var slots = server.Services.GetRequiredService<EventStreamSlots>();
        var freed = FreedAsync(slots);
        await (await Refused(admin, "/v1/tenants/nobody/usage/events")).Problem(404);
        await freed;
        Assert.Equal(0, slots.Open);
    }

    [Fact]
    public async Task A_gateway_holding_its_most_streams_answers_503_until_one_ends()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.MaxEventStreams = 1);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var slots = server.Services.GetRequiredService<EventStreamSlots>();
        var atStart = Metrics.Samples.Parse(await server.Client(null).GetStringAsync("/metrics"));
        Assert.Equal(1, atStart.Count("quotas_gateway_event_streams"));
        Assert.Equal(2, atStart.Count("quotas_gateway_event_streams_refused_total")); // by reason: gateway, tenant
        Assert.Equal(0, atStart.Sum("quotas_gateway_event_streams") + atStart.Sum("quotas_gateway_event_streams_refused_total"));

        await using var open = await EventStream.OpenOkAsync(tenant, Events + "?interval=3");
        await open.NextAsync(UsageEventStream.UsageEvent);
        // Retry-After is the interval asked for: a client told to poll instead polls at that pace.
        var full = await Refused(tenant, Events + "?interval=7");
        await full.Problem(503, "too_many_streams");
        Assert.Equal(TimeSpan.FromSeconds(7), full.Headers.RetryAfter?.Delta);

        // The bound comes before the tenant is read: a full gateway does not even ask the cluster (an unknown tenant gets 503 too).
        using var admin = server.Admin();
        await (await Refused(admin, "/v1/tenants/nobody/usage/events")).Problem(503, "too_many_streams");
        var metrics = Metrics.Samples.Parse(await server.Client(null).GetStringAsync("/metrics"));
        Assert.Equal(1, metrics.Sum("quotas_gateway_event_streams"));
        Assert.Equal(2, metrics.Sum("quotas_gateway_event_streams_refused_total", "reason=\"gateway\""));
        Assert.Equal(0, metrics.Sum("quotas_gateway_event_streams_refused_total", "reason=\"tenant\""));

        var freed = FreedAsync(slots);
        await open.DisposeAsync();
        await freed;
        Assert.Equal(0, slots.Open);
        await using var next = await EventStream.OpenOkAsync(tenant, Events);
        await next.NextAsync(UsageEventStream.UsageEvent);
    }

    /// <summary>
    /// A stream is one request that lasts as long as it is watched: counted in the request metrics, it would sit in the
    /// duration histogram's +Inf bucket and in the active requests all its life. quotas_gateway_event_streams counts it.
    /// </summary>
    [Fact]
    public async Task A_stream_is_left_out_of_the_http_request_metrics()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var slots = server.Services.GetRequiredService<EventStreamSlots>();
        await using (var open = await EventStream.OpenOkAsync(tenant, Events))
        {
            await open.NextAsync(UsageEventStream.UsageEvent);
            var freed = FreedAsync(slots);
            await open.DisposeAsync();
            await freed;
        }

        await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        var metrics = Metrics.Samples.Parse(await server.Client(null).GetStringAsync("/metrics"));
        Assert.Equal(1, metrics.Sum("http_server_request_duration_seconds_count", "http_route=\"/v1/tenants/{tenantId}/usage\""));
        Assert.Equal(0, metrics.Count("http_server_request_duration_seconds_count", "http_route=\"/v1/tenants/{tenantId}/usage/events\""));
    }

    /// <summary>One tenant holding its most streams gets 429 for one more; another tenant still gets its stream.</summary>
    [Fact]
    public async Task A_tenant_holding_its_most_streams_answers_429_while_other_tenants_still_get_theirs()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => (o.MaxEventStreams, o.MaxEventStreamsPerTenant) = (10, 2));
        using var admin = server.Admin();
        using var noisy = server.Client(await admin.CreateTenantWithKey("noisy", Quotas));
        using var quiet = server.Client(await admin.CreateTenantWithKey("quiet", Quotas));
        await using var first = await EventStream.OpenOkAsync(noisy, "/v1/tenants/noisy/usage/events");
        await using var second = await EventStream.OpenOkAsync(noisy, "/v1/tenants/noisy/usage/events");
        await first.NextAsync(UsageEventStream.UsageEvent);
        await second.NextAsync(UsageEventStream.UsageEvent);

        var refused = await Refused(noisy, "/v1/tenants/noisy/usage/events?interval=5");
        var problem = await refused.Problem(429, "too_many_streams_for_tenant");
        Assert.Contains("already holds 2 usage event streams", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(("event_streams", 2L, 2L), ((string?)problem["quota"], (long)problem["current"]!, (long)problem["limit"]!));
        Assert.Equal("event_streams", (string?)problem["violated-policies"]![0]);
        Assert.Equal("\"event_streams\";r=0;t=5", refused.Headers.GetValues("RateLimit").Single());
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        var metrics = Metrics.Samples.Parse(await server.Client(null).GetStringAsync("/metrics"));
        Assert.Equal(1, metrics.Sum("quotas_gateway_event_streams_refused_total", "reason=\"tenant\""));

        await using var other = await EventStream.OpenOkAsync(quiet, "/v1/tenants/quiet/usage/events");
        await other.NextAsync(UsageEventStream.UsageEvent);

        // An operator watching the tenant is not locked out by the tenant's own streams.
        await using var watched = await EventStream.OpenOkAsync(admin, "/v1/tenants/noisy/usage/events");
        await watched.NextAsync(UsageEventStream.UsageEvent);

        var slots = server.Services.GetRequiredService<EventStreamSlots>();
        var freed = FreedAsync(slots);
        await first.DisposeAsync();
        await freed;
        await using var again = await EventStream.OpenOkAsync(noisy, "/v1/tenants/noisy/usage/events");
        await again.NextAsync(UsageEventStream.UsageEvent);
    }

    [Fact]
    public async Task The_stream_ends_cleanly_when_the_gateway_stops_so_the_stop_does_not_wait_for_it()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        await using var stream = await EventStream.OpenOkAsync(tenant, Events + "?interval=60");
        await stream.NextAsync(UsageEventStream.UsageEvent);

        var stopping = server.StopGatewayAsync();

        Assert.Null(await stream.NextAsync());
        await stopping;
    }

    /// <summary>
    /// A tenant too busy to answer one interval's read (a flood it refuses with 503 overloaded) does not end its streams,
    /// whose clients would only come back to add to the flood: the interval sends the last usage again, and the next
    /// reads afresh.
    /// </summary>
    [Fact]
    public async Task An_overloaded_tenant_skips_an_interval_of_its_stream_rather_than_end_it()
    {
        var time = new RecordingTimeProvider();
        var refuseNext = 0;
        await using var server = await GatewayServer.StartAsync(
            Backend.EmbeddedSqlite,
            gatewayTime: time,
            wrapGrains: grains => new InterceptingGrains<ITenantGrain>(grains, tenant => ScriptedGrain.Create<ITenantGrain>((method, args) =>
                method.Name == nameof(ITenantGrain.GetStats) && Interlocked.Exchange(ref refuseNext, 0) == 1
                    ? Task.FromException<Core.Tenants.TenantStats>(new GrainOverloadedException("Grain tenant/acme has 2000 calls waiting (a refusal the test set)."))
                    : method.Invoke(tenant, args))));
        using var admin = server.Admin();
        await admin.CreateTenantWithKey("acme", Quotas);
        await using var stream = await EventStream.OpenOkAsync(admin, Events);
        await stream.NextAsync(UsageEventStream.UsageEvent);

        Volatile.Write(ref refuseNext, 1);
        time.Clock.Advance(await time.NextDelayAsync());
        await stream.NextAsync(UsageEventStream.UsageEvent); // the last usage again, not an error
        Assert.Equal(0, Volatile.Read(ref refuseNext));      // the read was refused

        await (await admin.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":900}""")).Ok(204);
        time.Clock.Advance(await time.NextDelayAsync());
        await stream.NextAsync(UsageEventStream.AlertEvent);
        Assert.Equal(900, StorageUsed(await stream.NextAsync(UsageEventStream.UsageEvent)));
    }

    [Fact]
    public async Task A_tenant_deleted_while_streamed_ends_the_stream_with_an_error_event()
    {
        var time = new RecordingTimeProvider();
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, gatewayTime: time);
        using var admin = server.Admin();
        await admin.CreateTenantWithKey("acme", Quotas);
        await using var stream = await EventStream.OpenOkAsync(admin, Events);
        await stream.NextAsync(UsageEventStream.UsageEvent);

        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);
        time.Clock.Advance(await time.NextDelayAsync());

        var error = JsonNode.Parse((await stream.NextAsync(UsageEventStream.ErrorEvent)).Data)!;
        Assert.Equal(404, (int)error["status"]!);
        Assert.NotNull(error["traceId"]);
        Assert.Null(await stream.NextAsync());
    }

    [Fact]
    public async Task A_key_revoked_while_its_stream_is_open_ends_the_stream_at_the_next_interval()
    {
        var time = new RecordingTimeProvider();
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, gatewayTime: time);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        var issued = await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201);
        using var tenant = server.Client((string)issued["key"]!);
        await using var stream = await EventStream.OpenOkAsync(tenant, Events);
        await stream.NextAsync(UsageEventStream.UsageEvent);
        var waiting = await time.NextDelayAsync();

        await (await admin.DeleteAsync($"/v1/tenants/acme/api-keys/{(string)issued["keyId"]!}")).Ok(204);
        time.Clock.Advance(waiting);

        var error = JsonNode.Parse((await stream.NextAsync(UsageEventStream.ErrorEvent)).Data)!;
        Assert.Equal(401, (int)error["status"]!);
        Assert.Equal("unauthorized", (string?)error["code"]);
        Assert.Null(await stream.NextAsync());
    }

    [Fact]
    public async Task A_stopping_gateway_takes_no_new_stream()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var lifetime = server.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();

        // What a host does first when it stops; the gateway still answers requests while it drains.
        lifetime.StopApplication();

        var refused = await Refused(tenant, Events + "?interval=4");
        await refused.Problem(503, "draining");
        Assert.Equal(TimeSpan.FromSeconds(4), refused.Headers.RetryAfter?.Delta);

        // The client comes back on a new connection, which a load balancer sends to another gateway, not on this one.
        Assert.True(refused.Headers.ConnectionClose, "the draining answer did not close its connection");
    }

    /// <summary>
    /// A stream ended because its gateway stops closes its connection too: its client reconnects on a new connection,
    /// which a load balancer sends to another gateway, rather than on the kept-alive one to this gateway.
    /// </summary>
    [Fact]
    public async Task A_stream_ended_by_a_stopping_gateway_closes_its_connection()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        var key = await server.Admin().CreateTenantWithKey("acme", Quotas);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(server.Address.Host, server.Address.Port);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(
            $"GET {Events}?interval=60 HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("event: usage", StringComparison.Ordinal))
        {
            received.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, await socket.ReceiveAsync(buffer, timeout.Token)));
        }

        server.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().StopApplication();

        // The server ends the stream and then the connection: the socket reads to its end (it would stay open, kept alive).
        while (await socket.ReceiveAsync(buffer, timeout.Token) is var read && read > 0)
        {
            received.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.Contains("HTTP/1.1 200", received.ToString(), StringComparison.Ordinal);
    }

    private static long StorageUsed(SseItem<string> usage) =>
        (long)JsonNode.Parse(usage.Data)!["reported"]!.AsArray().Single(q => (string?)q!["quota"] == "storage_bytes")!["current"]!;

    private static async Task<HttpResponseMessage> Refused(HttpClient http, string path, string? lastEventId = null)
    {
        var (stream, response) = await EventStream.OpenAsync(http, path, lastEventId);
        Assert.Null(stream);
        return response;
    }

    /// <summary>Completes when a stream gives its slot back (the server notices a request's end on its own time).</summary>
    private static Task FreedAsync(EventStreamSlots slots)
    {
        var freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slots.Freed += () => freed.TrySetResult();
        return freed.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
