using System.Text.Json.Nodes;

namespace Quotas.Gateway.Tests;

/// <summary>Every 201 names what it created in <c>Location</c>, and a GET of that URL reads it.</summary>
public sealed class LocationTests
{
    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Every_created_resources_location_is_read_by_a_get(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();

        var tenantCreated = await admin.PostJson("/v1/tenants", """{"id":"acme","tier":"basic","quotas":[{"name":"cpu","kind":"gauge","limit":10}]}""");
        await tenantCreated.Ok(201);
        var poolCreated = await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""");
        await poolCreated.Ok(201);
        var apiKeyCreated = await admin.PostAsync("/v1/tenants/acme/api-keys", null);
        var apiKey = await apiKeyCreated.Ok(201);
        var workerKeyCreated = await admin.PostAsync("/v1/pools/pool-a/worker-keys", null);
        var workerKey = await workerKeyCreated.Ok(201);
        using var tenant = server.Client((string)apiKey["key"]!);
        var leaseCreated = await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":4,"ttlSeconds":30}""");
        var lease = await leaseCreated.Ok(201);

        Assert.Equal("acme", (string?)(await ReadAsync(admin, tenantCreated))["id"]);
        Assert.Equal("pool-a", (string?)(await ReadAsync(admin, poolCreated))["id"]);

        var keyRead = await ReadAsync(admin, apiKeyCreated);
        Assert.Equal((string?)apiKey["keyId"], (string?)keyRead["keyId"]);
        Assert.Equal("acme", (string?)keyRead["tenantId"]);
        Assert.Null(keyRead["key"]); // the key text is shown once, at issue
        Assert.Null(keyRead["revokedAt"]);

        var workerKeyRead = await ReadAsync(admin, workerKeyCreated);
        Assert.Equal((string?)workerKey["keyId"], (string?)workerKeyRead["keyId"]);
        Assert.Equal("pool-a", (string?)workerKeyRead["poolId"]);
        Assert.True((bool)workerKeyRead["live"]!);
        Assert.Null(workerKeyRead["key"]);

        var leaseRead = await ReadAsync(tenant, leaseCreated);
        Assert.Equal((string?)lease["leaseId"], (string?)leaseRead["leaseId"]);
        Assert.Equal(("cpu", 4L), ((string?)leaseRead["quota"], (long)leaseRead["amount"]!));
        Assert.Equal((string?)lease["expiresAt"], (string?)leaseRead["expiresAt"]);
        Assert.False((bool)leaseRead["heldByService"]!);

        // Once revoked or released, a key still reads (with the time it was revoked); a lease no longer does.
        await (await tenant.DeleteAsync(leaseCreated.Headers.Location)).Ok(204);
        await (await admin.DeleteAsync(apiKeyCreated.Headers.Location)).Ok(204);
        await (await admin.DeleteAsync(workerKeyCreated.Headers.Location)).Ok(204);
        Assert.NotNull((await (await admin.GetAsync(apiKeyCreated.Headers.Location)).Ok())["revokedAt"]);
        Assert.False((bool)(await (await admin.GetAsync(workerKeyCreated.Headers.Location)).Ok())["live"]!);
        await (await admin.GetAsync(leaseCreated.Headers.Location)).Problem(404, "not_found");
    }

    [Fact]
    public async Task A_key_is_read_only_under_its_own_tenant_or_pool_and_an_unknown_owner_is_404()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await admin.CreateTenantWithKey("acme");
        await admin.CreateTenantWithKey("other");
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        await (await admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":1000}}""")).Ok(201);
        var apiKeyId = (string)(await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201))["keyId"]!;
        var workerKeyId = (string)(await (await admin.PostAsync("/v1/pools/pool-a/worker-keys", null)).Ok(201))["keyId"]!;

        await (await admin.GetAsync($"/v1/tenants/acme/api-keys/{apiKeyId}")).Ok();
        await (await admin.GetAsync($"/v1/tenants/other/api-keys/{apiKeyId}")).Problem(404, "not_found");
        await (await admin.GetAsync($"/v1/tenants/acme/api-keys/{workerKeyId}")).Problem(404, "not_found");
        await (await admin.GetAsync("/v1/tenants/acme/api-keys/not-a-key-id")).Problem(404, "not_found");
        await (await admin.GetAsync($"/v1/tenants/no-such-tenant/api-keys/{apiKeyId}")).Problem(404, "unknown_tenant");

        await (await admin.GetAsync($"/v1/pools/pool-a/worker-keys/{workerKeyId}")).Ok();
        await (await admin.GetAsync($"/v1/pools/pool-b/worker-keys/{workerKeyId}")).Problem(404, "not_found");
        await (await admin.GetAsync($"/v1/pools/pool-a/worker-keys/{apiKeyId}")).Problem(404, "not_found");
        await (await admin.GetAsync($"/v1/pools/no-such-pool/worker-keys/{workerKeyId}")).Problem(404, "unknown_pool");
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_tenants_live_leases_are_listed_in_pages_with_those_the_service_holds_for_its_running_jobs(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", """[{"name":"cpu","kind":"gauge","limit":1000}]"""));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        var own = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            own.Add((string)(await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":10,"ttlSeconds":30}""")).Ok(201))["leaseId"]!);
        }

        var released = (string)(await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":10,"ttlSeconds":30}""")).Ok(201))["leaseId"]!;
        await (await tenant.DeleteAsync($"/v1/tenants/acme/leases/{released}")).Ok(204);
        await (await tenant.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":100}}""", "job-1")).Ok(201);
        Assert.Single((await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", """{"freeCapacity":{"cpu":1000},"leaseTtlSeconds":30,"maxJobs":1}""")).Ok()).AsArray());

        var listed = new List<JsonNode>();
        var pages = 0;
        string? next = "/v1/tenants/acme/leases?limit=2";
        while (next is not null)
        {
            var response = await tenant.GetAsync(next);
            var page = await response.Ok();
            listed.AddRange(page["items"]!.AsArray().Select(item => item!));
            next = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('<', '>')[1] : null;
            Assert.Equal(next is null, page["nextCursor"] is null);
            Assert.True(++pages <= 3, "The pages did not end.");
        }

        var ids = listed.Select(lease => (string)lease["leaseId"]!).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(own.Order(StringComparer.Ordinal), listed.Where(lease => !(bool)lease["heldByService"]!).Select(lease => (string)lease["leaseId"]!));
        var forJob = Assert.Single(listed, lease => (bool)lease["heldByService"]!);
        Assert.Equal(("cpu", 100L), ((string?)forJob["quota"], (long)forJob["amount"]!));
        Assert.DoesNotContain(released, ids);
        await (await tenant.GetAsync($"/v1/tenants/acme/leases/{forJob["leaseId"]}")).Ok();
        await (await tenant.GetAsync("/v1/tenants/acme/leases?limit=0")).Problem(400);
    }

    /// <summary>GETs the response's Location with <paramref name="client"/>; returns the body.</summary>
    private static async Task<JsonNode> ReadAsync(HttpClient client, HttpResponseMessage created)
    {
        Assert.NotNull(created.Headers.Location);
        return await (await client.GetAsync(created.Headers.Location)).Ok();
    }
}
