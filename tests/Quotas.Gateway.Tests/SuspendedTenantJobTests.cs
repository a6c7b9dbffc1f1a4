namespace Quotas.Gateway.Tests;

public sealed class SuspendedTenantJobTests
{
    [Fact]
    public async Task A_suspended_tenant_submits_no_job_by_any_key_and_activation_lets_it_submit_again()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();

        // The pool reads a tenant's status with its tier and keeps both a few seconds: a new pool reads it now.
        await (await admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":1000}}""")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/pools/pool-b/jobs", """{"demand":{"cpu":100}}""", "after")).Problem(403, "tenant_suspended");
        await (await admin.PostJson("/v1/tenants/acme/pools/pool-b/jobs", """{"demand":{"cpu":100}}""", "by-admin")).Problem(403, "tenant_suspended");
        Assert.Empty((await (await admin.GetAsync("/v1/pools/pool-b/jobs")).Ok())["items"]!.AsArray());

        await (await admin.PostEmpty("/v1/tenants/acme/activate")).Ok();
        await (await admin.PostJson("/v1/pools", """{"id":"pool-c","capacity":{"cpu":1000}}""")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/pools/pool-c/jobs", """{"demand":{"cpu":100}}""", "after")).Ok(201);
    }
}
