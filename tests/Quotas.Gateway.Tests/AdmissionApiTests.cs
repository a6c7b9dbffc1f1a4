using System.Globalization;
using System.Text.Json.Nodes;
using Grains.Testing;

namespace Quotas.Gateway.Tests;

public sealed class AdmissionApiTests
{
    private const string Quotas = """[{"name":"cpu","kind":"gauge","limit":10},{"name":"requests","kind":"rate","limit":3,"windowSeconds":10,"buckets":10},{"name":"cost","kind":"budget","limit":100,"period":"day"},{"name":"storage_bytes","kind":"reportedGauge","limit":1000}]""";

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Leases_are_granted_refused_with_429_renewed_and_released_idempotently(Backend backend)
    {
        // Manual time: Retry-After counts whole seconds to the lease's expiry, which a slow run on real time would shorten.
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(backend, time: time);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));

        var granted = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":8,"ttlSeconds":30}""")).Ok(201);
        var leaseId = (string)granted["leaseId"]!;
        Assert.Equal(2, (long)granted["remaining"]!);

        var refused = await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":3,"ttlSeconds":30}""");
        var problem = await refused.Problem(429, "quota_exhausted");
        Assert.Equal("https://iana.org/assignments/http-problem-types#quota-exceeded", (string?)problem["type"]);
        Assert.Equal("cpu", (string?)problem["violated-policies"]![0]);
        Assert.Equal(30, int.Parse(refused.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture));
        Assert.Equal((8L, 10L), ((long)problem["current"]!, (long)problem["limit"]!));
        Assert.Equal("\"cpu\";q=10", refused.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Equal("\"cpu\";r=2;t=30", refused.Headers.GetValues("RateLimit").Single());
        var never = await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":11,"ttlSeconds":30}""");
        var neverProblem = await never.Problem(429, "request_exceeds_limit");
        Assert.Equal(10, (long)neverProblem["limit"]!);

        await (await tenant.PostJson($"/v1/tenants/acme/leases/{leaseId}/renew", """{"ttlSeconds":60}""")).Ok();
        await (await tenant.DeleteAsync($"/v1/tenants/acme/leases/{leaseId}")).Ok(204);
        await (await tenant.DeleteAsync($"/v1/tenants/acme/leases/{leaseId}")).Ok(204);
        await (await tenant.PostJson($"/v1/tenants/acme/leases/{leaseId}/renew", """{"ttlSeconds":60}""")).Problem(404);
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":10,"ttlSeconds":30}""")).Ok(201);
    }

    [Fact]
    public async Task A_lease_idempotency_key_reused_with_another_amount_is_422_as_the_openapi_document_says()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));

        var first = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":2,"ttlSeconds":30}""", "lease-k")).Ok(201);
        var again = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":2,"ttlSeconds":30}""", "lease-k")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":3,"ttlSeconds":30}""", "lease-k")).Problem(422, "idempotency_key_mismatch");

        Assert.Equal((string?)first["leaseId"], (string?)again["leaseId"]);
        var document = JsonNode.Parse(await (await server.Client(null).GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync())!;
        Assert.NotNull(document["paths"]!["/v1/tenants/{tenantId}/leases"]!["post"]!["responses"]!["422"]);
    }

    [Fact]
    public async Task A_suspended_tenants_hit_is_refused_without_a_wait_or_rate_limit_fields_that_invite_a_retry()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", Quotas));
        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();

        var refused = await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":1}""");

        await refused.Problem(429, "tenant_suspended");
        Assert.Null(refused.Headers.RetryAfter);
        Assert.False(refused.Headers.Contains("RateLimit"));
        Assert.False(refused.Headers.Contains("RateLimit-Policy"));
    }

    [Fact]
    public async Task A_lease_past_its_soft_quotas_grace_is_not_renewed_and_the_refusal_names_that_quota()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey(
            "acme", """[{"name":"slots","kind":"gauge","limit":10,"limitType":"soft","ceiling":15,"maxBurstSeconds":60,"graceSeconds":60}]"""));
        var leaseId = (string)(await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"slots","amount":12,"ttlSeconds":600}""")).Ok(201))["leaseId"]!;

        time.Advance(TimeSpan.FromSeconds(121)); // the burst's 60 s and the grace's 60 s are over
        var refused = await tenant.PostJson($"/v1/tenants/acme/leases/{leaseId}/renew", """{"ttlSeconds":60}""");

        var problem = await refused.Problem(429, "soft_grace_expired");
        Assert.Equal("slots", (string?)problem["quota"]);
        Assert.Equal("slots", (string?)problem["violated-policies"]![0]);
        Assert.Equal((12L, 10L), ((long)problem["current"]!, (long)problem["limit"]!));
        Assert.Null(refused.Headers.RetryAfter);
        Assert.Equal("\"slots\";r=0", refused.Headers.GetValues("RateLimit").Single());
    }

    [Fact]
    public async Task The_429_headers_agree_with_the_windows_real_reset()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));

        for (var i = 0; i < 3; i++)
        {
            var allowed = await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":1}""");
            await allowed.Ok();
            AssertSized(allowed);
            Assert.Equal("\"requests\";q=3;w=10", allowed.Headers.GetValues("RateLimit-Policy").Single());
            Assert.Equal($"\"requests\";r={2 - i};t=10", allowed.Headers.GetValues("RateLimit").Single());
        }

        time.Advance(TimeSpan.FromSeconds(4));
        var refused = await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":1}""");
        await refused.Problem(429, "rate_limited");
        AssertSized(refused);
        Assert.Equal("6", refused.Headers.RetryAfter!.ToString());
        Assert.Equal("\"requests\";r=0;t=6", refused.Headers.GetValues("RateLimit").Single());
        var limits = await (await tenant.GetAsync("/v1/tenants/acme/limits")).Ok();
        var requests = limits["limits"]!.AsArray().Single(l => (string?)l!["quota"] == "requests" && (string?)l["kind"] == "rate")!;
        Assert.Equal(0, (long)requests["remaining"]!);
        Assert.Equal(time.GetUtcNow().AddSeconds(6), (DateTimeOffset)requests["resetAt"]!);

        // One second before the advertised reset the window is still full; at the reset it admits again.
        time.Advance(TimeSpan.FromSeconds(5));
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":1}""")).Problem(429, "rate_limited");
        time.Advance(TimeSpan.FromSeconds(1));
        var again = await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":3}""");
        await again.Ok();
        Assert.Equal("\"requests\";r=0;t=10", again.Headers.GetValues("RateLimit").Single());
    }

    /// <summary>
    /// A refused hit that costs more than one waits until enough units leave, not only the oldest: its <c>t</c> is its
    /// Retry-After. A hit that costs more than the limit is never admitted, and carries no wait at all.
    /// </summary>
    [Fact]
    public async Task A_refused_hit_s_reset_is_its_own_wait_and_a_hit_larger_than_the_limit_has_none()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":1}""")).Ok();
        time.Advance(TimeSpan.FromSeconds(4));
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":2}""")).Ok();
        time.Advance(TimeSpan.FromSeconds(1));

        var refused = await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":3}""");
        await refused.Problem(429, "rate_limited");
        Assert.Equal("9", refused.Headers.RetryAfter!.ToString()); // the cost-2 hit leaves at 14 s
        Assert.Equal("\"requests\";r=0;t=9", refused.Headers.GetValues("RateLimit").Single());

        var never = await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":4}""");
        await never.Problem(429, "request_exceeds_limit");
        Assert.Null(never.Headers.RetryAfter);
        Assert.Equal("\"requests\";r=0", never.Headers.GetValues("RateLimit").Single());

        time.Advance(TimeSpan.FromSeconds(8));
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":3}""")).Problem(429, "rate_limited");
        time.Advance(TimeSpan.FromSeconds(1));
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":3}""")).Ok();
    }

    [Fact]
    public async Task A_token_bucket_s_policy_announces_its_burst_per_its_refill_time_as_its_reset_counts()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey(
            "acme", """[{"name":"api","kind":"rate","algorithm":"tokenBucket","limit":100,"windowSeconds":60,"burst":10}]"""));

        // 100 a minute with a burst of 10: 10 per 6 s, and an emptied bucket is full again 6 s later.
        var emptied = await tenant.PostJson("/v1/tenants/acme/rate-limits/api/hits", """{"cost":10}""");
        await emptied.Ok();
        Assert.Equal("\"api\";q=10;w=6", emptied.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Equal("\"api\";r=0;t=6", emptied.Headers.GetValues("RateLimit").Single());

        time.Advance(TimeSpan.FromSeconds(6));
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/api/hits", """{"cost":10}""")).Ok();
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_childs_hit_its_parent_refuses_answers_429_with_the_parents_policy_and_reset(Backend backend)
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(backend, time: time);
        var admin = server.Admin();
        await admin.CreateTenantWithKey("org", """[{"name":"requests","kind":"rate","limit":2,"windowSeconds":10,"buckets":10}]""");
        using var left = server.Client(await admin.CreateTenantWithKey("org-left", """[{"name":"requests","kind":"rate","limit":5,"windowSeconds":60}]""", parentId: "org"));
        using var right = server.Client(await admin.CreateTenantWithKey("org-right", """[{"name":"requests","kind":"rate","limit":5,"windowSeconds":60}]""", parentId: "org"));

        var first = await left.PostJson("/v1/tenants/org-left/rate-limits/requests/hits", """{"cost":1}""");
        await first.Ok();
        Assert.Equal("\"requests\";q=2;w=10", first.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Equal("\"requests\";r=1;t=10", first.Headers.GetValues("RateLimit").Single());
        time.Advance(TimeSpan.FromSeconds(3));
        await (await right.PostJson("/v1/tenants/org-right/rate-limits/requests/hits", """{"cost":1}""")).Ok();

        var refused = await right.PostJson("/v1/tenants/org-right/rate-limits/requests/hits", """{"cost":1}""");

        var problem = await refused.Problem(429, "rate_limited");
        Assert.Equal((2L, 2L), ((long)problem["current"]!, (long)problem["limit"]!));
        Assert.Equal("7", refused.Headers.RetryAfter!.ToString()); // the left child's hit leaves the parent's window at 10 s
        Assert.Equal("\"requests\";q=2;w=10", refused.Headers.GetValues("RateLimit-Policy").Single());
        var own = (await (await right.GetAsync("/v1/tenants/org-right/limits")).Ok())["limits"]!.AsArray()
            .Single(l => (string?)l!["quota"] == "requests" && (string?)l["kind"] == "rate")!;
        Assert.Equal(4, (long)own["remaining"]!); // the refused hit is not counted against the child's own 5

        time.Advance(TimeSpan.FromSeconds(7));
        await (await right.PostJson("/v1/tenants/org-right/rate-limits/requests/hits", """{"cost":1}""")).Ok();
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Usage_is_recorded_once_per_idempotency_key_and_limits_consume_nothing(Backend backend)
    {
        // Manual time here and below: a day's budget read on the real clock would start again at midnight.
        await using var server = await GatewayServer.StartAsync(backend, time: new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)));
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));

        var first = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40}""", "evt-1")).Ok(201);
        var replay = await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40}""", "evt-1");
        Assert.Equal(first.ToJsonString(), (await replay.Ok(201)).ToJsonString());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":41}""", "evt-1")).Problem(422, "idempotency_key_mismatch");
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":1}""")).Problem(400, "invalid_event_id");

        var limits = await (await tenant.GetAsync("/v1/tenants/acme/limits")).Ok();
        var again = await (await tenant.GetAsync("/v1/tenants/acme/limits")).Ok();
        var cost = limits["limits"]!.AsArray().Single(l => (string?)l!["quota"] == "cost" && (string?)l["kind"] == "budget")!;
        Assert.Equal(40, (long)cost["used"]!);
        Assert.Equal(60, (long)cost["remaining"]!);
        Assert.NotNull(cost["resetAt"]);
        Assert.Equal(limits["limits"]!.ToJsonString(), again["limits"]!.ToJsonString());

        var usage = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(40, (long)usage["budgets"]!.AsArray().Single(b => (string?)b!["quota"] == "cost")!["current"]!);
    }

    [Fact]
    public async Task A_budget_check_answers_whether_an_amount_fits_the_period_and_consumes_nothing()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)));
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":95}""", "evt-1")).Ok(201);

        await (await tenant.PostJson("/v1/tenants/acme/budgets/cost/check", """{"amount":5}""")).Ok(204);
        var exhausted = await tenant.PostJson("/v1/tenants/acme/budgets/cost/check", """{"amount":6}""");
        var problem = await exhausted.Problem(429, "budget_exhausted");
        await (await tenant.PostJson("/v1/tenants/acme/budgets/cost/check", """{"amount":101}""")).Problem(429, "request_exceeds_limit");
        await (await tenant.PostJson("/v1/tenants/acme/budgets/nothing/check", """{"amount":1}""")).Problem(400);
        await (await tenant.PostJson("/v1/tenants/acme/budgets/cost/check", """{"amount":0}""")).Problem(400);

        Assert.Equal("43200", exhausted.Headers.GetValues("Retry-After").Single()); // until midnight UTC, when the day's budget resets
        Assert.Equal(95, (long)problem["current"]!);
        Assert.Equal(100, (long)problem["limit"]!);
        var limits = await (await tenant.GetAsync("/v1/tenants/acme/limits")).Ok();
        Assert.Equal(95, (long)limits["limits"]!.AsArray().Single(l => (string?)l!["quota"] == "cost")!["used"]!);
    }

    /// <summary>
    /// The same event id as a header key is a request key of its own, which the gateway has not seen (as after its
    /// day): the tenant, which knows what the event was recorded as, refuses other usage under it. It answered
    /// "duplicate" and dropped the usage before.
    /// </summary>
    [Fact]
    public async Task An_event_id_the_tenant_recorded_with_another_amount_is_refused_where_the_gateway_no_longer_keeps_it()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", """[{"name":"cost","kind":"budget","limit":1000000,"period":"day"}]"""));
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40,"eventId":"invoice-9"}""")).Ok(201);

        var corrected = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":41}""", "invoice-9")).Problem(422, "idempotency_key_mismatch");
        var resent = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40}""", "invoice-9")).Ok(201);

        Assert.Contains("Event id 'invoice-9' was recorded as 40 of 'cost'", (string?)corrected["detail"], StringComparison.Ordinal);
        Assert.True((bool)resent["duplicate"]!);
        Assert.Equal(40, (long)resent["consumed"]!);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task An_event_id_sent_without_an_idempotency_key_is_counted_once_however_many_events_came_between(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend, time: new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)));
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey(
            "acme", """[{"name":"cost","kind":"budget","limit":1000000,"period":"day"},{"name":"calls","kind":"budget","limit":1000000,"period":"day"}]"""));

        var first = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40,"eventId":"invoice-7"}""")).Ok(201);

        // More events than the tenant itself remembers, each with an eventId of its own; then invoice-7 is sent again.
        for (var i = 0; i <= 1024; i++)
        {
            await (await tenant.PostJson("/v1/tenants/acme/usage", $$"""{"quota":"calls","amount":1,"eventId":"call-{{i}}"}""")).Ok(201);
        }

        var replay = await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40,"eventId":"invoice-7"}""");
        Assert.Equal(first.ToJsonString(), (await replay.Ok(201)).ToJsonString());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());

        // A sender that makes a new Idempotency-Key for each attempt: the eventId still keys the event.
        var withNewKey = await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40,"eventId":"invoice-7"}""", "attempt-2");
        Assert.Equal(first.ToJsonString(), (await withNewKey.Ok(201)).ToJsonString());
        Assert.Equal("true", withNewKey.Headers.GetValues("Idempotent-Replayed").Single());
        var withSlash = await tenant.PostJson("/v1/tenants/acme/usage/", """{"quota":"cost","amount":40,"eventId":"invoice-7"}""");
        await withSlash.Ok(201);
        Assert.Equal("true", withSlash.Headers.GetValues("Idempotent-Replayed").Single()); // a trailing slash routes the same
        var changed = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":41,"eventId":"invoice-7"}""")).Problem(422, "idempotency_key_mismatch");
        Assert.Contains("eventId 'invoice-7'", (string?)changed["detail"], StringComparison.Ordinal);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"calls","amount":40,"eventId":"invoice-7"}""")).Problem(422, "idempotency_key_mismatch");

        // An eventId the service keeps for itself, or a malformed one, is refused each time before anything is kept.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":1,"eventId":"job/p/1/cost"}""")).Problem(400, "invalid_event_id");
            await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":1,"eventId":"has space"}""")).Problem(400, "invalid_event_id");
        }

        var usage = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(40, (long)usage["budgets"]!.AsArray().Single(b => (string?)b!["quota"] == "cost")!["current"]!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_tenant_created_again_under_a_deleted_ones_id_does_not_get_its_idempotent_answers(bool asHeader)
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var admin = server.Admin();

        // The event's id as the Idempotency-Key, or as the body's eventId (kept as a key of its own).
        Task<HttpResponseMessage> Record(HttpClient client) => asHeader
            ? client.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40}""", "invoice-1")
            : client.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":40,"eventId":"invoice-1"}""");
        using (var old = server.Client(await admin.CreateTenantWithKey("acme", Quotas)))
        {
            await (await Record(old)).Ok(201);
        }

        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);
        time.Advance(TimeSpan.FromSeconds(1)); // a key's record started at the instant of the deletion is the deleted tenant's
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", Quotas));

        // The same key and body: the new tenant's usage is recorded, not answered from the deleted tenant's record.
        var recorded = await Record(tenant);
        await recorded.Ok(201);
        Assert.False(recorded.Headers.Contains("Idempotent-Replayed"));
        var usage = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(40, (long)usage["budgets"]!.AsArray().Single(b => (string?)b!["quota"] == "cost")!["current"]!);

        // And the key works for the new tenant as it did for the old one.
        var replay = await Record(tenant);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_storage_quota_answers_507_and_alerts_are_listed(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));

        await (await tenant.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":900}""")).Ok(204);
        await (await tenant.PostJson("/v1/tenants/acme/reported/storage_bytes/check", """{"additionalBytes":100}""")).Ok(204);
        var full = await (await tenant.PostJson("/v1/tenants/acme/reported/storage_bytes/check", """{"additionalBytes":101}""")).Problem(507, "storage_quota_exceeded");
        Assert.Equal(900, (long)full["current"]!);

        var alerts = await (await tenant.GetAsync("/v1/tenants/acme/alerts")).Ok();
        var alert = alerts["items"]!.AsArray().Single()!;
        Assert.Equal("storage_bytes", (string?)alert["quota"]);
        Assert.Equal(80, (int)alert["thresholdPercent"]!);
    }

    /// <summary>
    /// Hits and problems are answered with a Content-Length rather than chunked, so a client reads one sized body.
    /// Call after the body was read.
    /// </summary>
    private static void AssertSized(HttpResponseMessage response)
    {
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
        Assert.True(response.Content.Headers.TryGetValues("Content-Length", out var length), "The answer carries no Content-Length.");
        Assert.True(long.Parse(length.Single(), CultureInfo.InvariantCulture) > 0);
    }
}
