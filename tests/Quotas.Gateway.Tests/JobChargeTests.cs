namespace Quotas.Gateway.Tests;

/// <summary>What a pool job charges its tenant's budgets, over the API.</summary>
public sealed class JobChargeTests
{
    /// <summary>Budgets a job's charges count in: one per job, and the CPU it held.</summary>
    internal const string Budgets = """[{"name":"jobs","kind":"budget","limit":1000,"period":"month"},{"name":"cpu","kind":"budget","limit":100000000,"period":"month"}]""";

    /// <summary>
    /// A run stopped by preemption reports what it used; the job is charged that with its last run when it completes,
    /// as one job: work done before a preemption is not free.
    /// </summary>
    [Fact]
    public async Task A_preempted_runs_usage_is_charged_with_the_run_that_completes_the_job()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", Budgets));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        var job = await (await tenant.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":300}}""", "preempted-once")).Ok(201);
        const string Lease = """{"freeCapacity":{"cpu":300},"leaseTtlSeconds":60,"maxJobs":1}""";

        Assert.Single((await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", Lease)).Ok()).AsArray());
        var preempted = await (await admin.PostJson($"/v1/pools/pool-a/jobs/{job["id"]}/complete", """{"outcome":"preempted","actualUsage":{"cpu":300,"cpu_ms":40000},"workerId":"w1"}""")).Ok();
        Assert.Equal("requeued", (string?)preempted["status"]);
        Assert.Equal(40000, (long)preempted["job"]!["preemptedUsage"]!["cpu_ms"]!);
        Assert.Single((await (await admin.PostJson("/v1/pools/pool-a/workers/w2/leases", Lease)).Ok()).AsArray());
        var done = await (await admin.PostJson($"/v1/pools/pool-a/jobs/{job["id"]}/complete", """{"outcome":"succeeded","actualUsage":{"cpu":300,"cpu_ms":2500},"workerId":"w2"}""")).Ok();
        Assert.Equal("completed", (string?)done["status"]);

        var budgets = (await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok())["budgets"]!.AsArray();
        long Used(string name) => (long)budgets.Single(b => (string?)b!["quota"] == name)!["current"]!;
        Assert.Equal((1L, 600L, 43L), (Used("jobs"), Used("cpu"), Used("cpu_seconds")));
    }

    /// <summary>
    /// A job waiting after a preempted run holds no lease, so its tenant's plain delete and its pool's forced delete
    /// take it: each charges what the run reported, as one job.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_job_waiting_after_a_preempted_run_is_charged_that_run_when_its_tenant_or_pool_is_deleted(bool tenantDeleted)
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", Budgets));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        var job = await (await tenant.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":300}}""", "preempted-then-deleted")).Ok(201);
        Assert.Single((await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", """{"freeCapacity":{"cpu":300},"leaseTtlSeconds":60,"maxJobs":1}""")).Ok()).AsArray());
        await (await admin.PostJson($"/v1/pools/pool-a/jobs/{job["id"]}/complete", """{"outcome":"preempted","actualUsage":{"cpu":300},"workerId":"w1"}""")).Ok();

        if (tenantDeleted)
        {
            await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
            await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);
            var billed = await ThisMonthsQuantitiesAsync(admin, "acme");
            Assert.Equal((1L, 300L), (billed["jobs"], billed["cpu"]));
        }
        else
        {
            await (await admin.DeleteAsync("/v1/pools/pool-a?force=true")).Ok(204);
            var budgets = (await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok())["budgets"]!.AsArray();
            Assert.Equal((1L, 300L), ((long)budgets.Single(b => (string?)b!["quota"] == "jobs")!["current"]!, (long)budgets.Single(b => (string?)b!["quota"] == "cpu")!["current"]!));
        }
    }

    /// <summary>The quantity of each meter in this month's statement of <paramref name="tenantId"/>, as the admin reads it.</summary>
    internal static async Task<Dictionary<string, long>> ThisMonthsQuantitiesAsync(HttpClient admin, string tenantId)
    {
        var month = DateTimeOffset.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var lines = (await (await admin.GetAsync($"/v1/tenants/{tenantId}/statements/{month}")).Ok())["lines"]!.AsArray();
        return lines.ToDictionary(line => (string)line!["meter"]!, line => (long)line!["quantity"]!);
    }
}
