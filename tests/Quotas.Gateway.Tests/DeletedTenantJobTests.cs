namespace Quotas.Gateway.Tests;

/// <summary>A tenant created again under a deleted tenant's id starts afresh in every pool.</summary>
public sealed class DeletedTenantJobTests
{
    private const string Budgets = JobChargeTests.Budgets;

    [Fact]
    public async Task A_tenant_created_again_neither_sees_nor_is_charged_for_the_deleted_tenants_jobs()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var oldOwner = server.Client(await admin.CreateTenantWithKey("acme", Budgets));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        var running = await (await oldOwner.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":300}}""", "running")).Ok(201);
        Assert.Single((await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", """{"freeCapacity":{"cpu":300},"leaseTtlSeconds":60,"maxJobs":5}""")).Ok()).AsArray());
        await (await oldOwner.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":300},"priority":7}""", "secret-project-x")).Ok(201);

        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme?force=true")).Ok(204);
        using var newOwner = server.Client(await admin.CreateTenantWithKey("acme", Budgets));

        var jobs = await (await newOwner.GetAsync("/v1/tenants/acme/pools/pool-a/jobs")).Ok();
        Assert.Empty(jobs["items"]!.AsArray());
        Assert.Empty((await (await admin.GetAsync("/v1/pools/pool-a/jobs")).Ok())["items"]!.AsArray());

        // The worker still running the old job learns it is gone; its late report counts nothing for anyone.
        var beat = await (await admin.PostJson("/v1/pools/pool-a/workers/w1/heartbeat", $$"""{"jobIds":[{{running["id"]}}],"leaseTtlSeconds":60}""")).Ok();
        Assert.Single(beat["lost"]!.AsArray());
        await (await admin.PostJson($"/v1/pools/pool-a/jobs/{running["id"]}/complete", """{"outcome":"succeeded","actualUsage":{"cpu":300},"workerId":"w1"}""")).Ok();
        Assert.Empty((await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", """{"freeCapacity":{"cpu":1000},"leaseTtlSeconds":60,"maxJobs":5}""")).Ok()).AsArray());

        var budgets = (await (await newOwner.GetAsync("/v1/tenants/acme/usage")).Ok())["budgets"]!.AsArray();
        Assert.All(budgets, b => Assert.Equal(0, (long)b!["current"]!));

        // The deleted tenant was charged the job it was running as a cancelled one (its demand, and one job): its month,
        // which the admin reads with the new tenant's, bills it; the worker's late report added nothing.
        var billed = await JobChargeTests.ThisMonthsQuantitiesAsync(admin, "acme");
        Assert.Equal(1, billed["jobs"]);
        Assert.Equal(300, billed["cpu"]);
    }
}
