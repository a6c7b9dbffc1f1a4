using Grains.Testing;

namespace Quotas.Gateway.Tests;

/// <summary>A client cannot give its usage or its leases the ids the service uses for a pool job's charges and leases.</summary>
public sealed class ReservedIdTests
{
    [Fact]
    public async Task A_tenant_cannot_take_the_event_id_of_its_next_jobs_charge_and_the_job_is_charged_in_full()
    {
        const string budgets = """[{"name":"cpu","kind":"budget","limit":100000000,"period":"month"},{"name":"workers","kind":"gauge","limit":10}]""";

        // Manual time: the month's budget read at the end would start again at a month's end on the real clock.
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)));
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", budgets));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);

        // Job ids count up per pool, so the id the pool will charge the next job under can be guessed.
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cpu","amount":1,"eventId":"job/pool-a/1/cpu"}""")).Problem(400, "invalid_event_id");
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cpu","amount":1}""", "job/pool-a/1/cpu")).Problem(400, "invalid_event_id");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"workers","amount":1,"ttlSeconds":60}""", "job/pool-a/1/1/workers")).Problem(400, "invalid_idempotency_key");

        var job = await (await tenant.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":300}}""", "j1")).Ok(201);
        Assert.Single((await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", """{"freeCapacity":{"cpu":1000},"leaseTtlSeconds":30,"maxJobs":5}""")).Ok()).AsArray());
        await (await admin.PostJson($"/v1/pools/pool-a/jobs/{job["id"]}/complete", """{"outcome":"succeeded","actualUsage":{"cpu":300},"workerId":"w1"}""")).Ok();

        var stats = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        var cpu = (long)stats["budgets"]!.AsArray().Single(b => (string?)b!["quota"] == "cpu")!["current"]!;
        Assert.Equal(300, cpu);
    }

    [Fact]
    public async Task A_tenant_key_can_neither_release_nor_renew_the_lease_a_pool_holds_for_its_running_job_nor_a_parents_reservation()
    {
        // Lease numbers start from the microseconds since the epoch: on a clock that stands still, each tenant's first is that.
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var first = (time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", """[{"name":"concurrent_jobs","kind":"gauge","limit":1}]"""));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":100}}""", "j1")).Ok(201);
        Assert.Single((await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", """{"freeCapacity":{"cpu":1000},"leaseTtlSeconds":60,"maxJobs":5}""")).Ok()).AsArray());

        // Lease ids are "<tenant>:<sequence>": the pool's is the tenant's first.
        await (await tenant.DeleteAsync($"/v1/tenants/acme/leases/acme:{first}")).Problem(409, "lease_held_by_service");
        await (await tenant.PostJson($"/v1/tenants/acme/leases/acme:{first}/renew", """{"ttlSeconds":0.001}""")).Problem(409, "lease_held_by_service");
        var gauges = (await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok())["gauges"]!.AsArray();
        Assert.Equal(1, (long)gauges.Single(g => (string?)g!["quota"] == "concurrent_jobs")!["current"]!);

        // A parent's reservation for its child's lease is the parent's lease: the parent's key cannot release it either.
        using var parent = server.Client(await admin.CreateTenantWithKey("parent", """[{"name":"workers","kind":"gauge","limit":5}]"""));
        await (await admin.PostJson("/v1/tenants", """{"id":"child","parentId":"parent","quotas":[{"name":"workers","kind":"gauge","limit":5}]}""")).Ok(201);
        await (await admin.PostJson("/v1/tenants/child/leases", """{"quota":"workers","amount":2,"ttlSeconds":60}""")).Ok(201);
        await (await parent.DeleteAsync($"/v1/tenants/parent/leases/parent:{first}")).Problem(409, "lease_held_by_service");
        await (await parent.PostJson($"/v1/tenants/parent/leases/parent:{first}/renew", """{"ttlSeconds":86400}""")).Problem(409, "lease_held_by_service");
        var parentGauges = (await (await parent.GetAsync("/v1/tenants/parent/usage")).Ok())["gauges"]!.AsArray();
        Assert.Equal(2, (long)parentGauges.Single(g => (string?)g!["quota"] == "workers")!["current"]!);
    }
}
