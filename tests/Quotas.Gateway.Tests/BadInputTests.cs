namespace Quotas.Gateway.Tests;

public sealed class BadInputTests
{
    [Fact]
    public async Task Malformed_json_wrong_types_unknown_fields_oversized_bodies_and_invalid_ids_get_4xx_problem_details()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.MaxRequestBodyBytes = 4096);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", """[{"name":"cpu","kind":"gauge","limit":10}]"""));

        await (await admin.PostJson("/v1/tenants", """{"id":"x", """)).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"id":42}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"id":"x","colour":"red"}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"id":"x","tier":"gold"}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"name":"no id"}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", "[" + new string(' ', 5000) + "]")).Problem(413, "payload_too_large");
        await (await admin.PostJson("/v1/tenants", """{"id":"Not_Valid"}""")).Problem(400, "invalid_tenant_id");
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Problem(409, "tenant_exists");
        await (await admin.PostJson("/v1/tenants", """{"id":"child","parentId":"ghost"}""")).Problem(400);
        await (await admin.GetAsync("/v1/tenants/" + new string('a', 64))).Problem(400, "invalid_tenant_id");
        await (await admin.GetAsync("/v1/tenants?limit=0")).Problem(400);
        await (await admin.GetAsync("/v1/no-such-route")).Problem(404);

        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":0,"ttlSeconds":30}""")).Problem(400, "invalid_amount");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":-1,"ttlSeconds":30}""")).Problem(400, "invalid_amount");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":99999999999999999999,"ttlSeconds":30}""")).Problem(400, "malformed_request");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"gpu","amount":1,"ttlSeconds":30}""")).Problem(400, "unknown_quota");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":1,"ttlSeconds":0}""")).Problem(400, "invalid_ttl");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":"1","ttlSeconds":30}""")).Problem(400, "malformed_request");
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/nothing/hits", """{"cost":1}""")).Problem(400, "unknown_quota");
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":1}""", new string('k', 200))).Problem(400, "invalid_idempotency_key");

        var stats = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(0, (long)stats["gauges"]!.AsArray().Single(g => (string?)g!["quota"] == "cpu")!["current"]!);
    }
}
