namespace Quotas.Gateway.Tests;

public sealed class TenantApiTests
{
    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Admin_creates_reads_lists_updates_suspends_activates_and_deletes_a_tenant(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();

        var created = await (await admin.PostJson("/v1/tenants", """{"id":"acme","name":"Acme","tier":"premium","quotas":[{"name":"requests","kind":"rate","limit":3,"windowSeconds":60}]}""")).Ok(201);
        Assert.Equal("acme", (string?)created["id"]);
        Assert.Equal("premium", (string?)created["tier"]);
        await (await admin.PostJson("/v1/tenants", """{"id":"beta"}""")).Ok(201);

        var read = await (await admin.GetAsync("/v1/tenants/acme")).Ok();
        Assert.Equal("Acme", (string?)read["name"]);
        var firstPage = await admin.GetAsync("/v1/tenants?limit=1");
        var page = await firstPage.Ok();
        Assert.Equal("acme", (string?)page["items"]![0]!["id"]);
        Assert.Equal("</v1/tenants?limit=1&cursor=acme>; rel=\"next\"", firstPage.Headers.GetValues("Link").Single());
        var second = await (await admin.GetAsync("/v1/tenants?limit=1&cursor=acme")).Ok();
        Assert.Equal("beta", (string?)second["items"]![0]!["id"]);

        var updated = await (await admin.PutJson("/v1/tenants/acme/quotas", """{"quotas":[{"name":"requests","kind":"rate","limit":7,"windowSeconds":60}]}""")).Ok();
        Assert.Equal(7, (long)updated["quotas"]![0]!["limit"]!);

        await (await admin.DeleteAsync("/v1/tenants/acme")).Problem(409, "tenant_not_suspended");
        Assert.Equal("suspended", (string?)(await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok())["status"]);
        Assert.Equal("active", (string?)(await (await admin.PostEmpty("/v1/tenants/acme/activate")).Ok())["status"]);
        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);
        await (await admin.GetAsync("/v1/tenants/acme")).Problem(404, "unknown_tenant");
        var after = await (await admin.GetAsync("/v1/tenants")).Ok();
        Assert.Equal(["beta"], after["items"]!.AsArray().Select(t => (string?)t!["id"]));
    }
}
