using Quotas.Grains.Scheduling;
using Quotas.Grains.Tenants;

namespace Quotas.Gateway.Tests;

/// <summary>
/// A tenant's or a pool's stored rows damaged behind the service's back: the lists of tenants and of pools fail naming
/// it, without inviting a retry that cannot help, and the page after it can still be listed. They used to fail with a
/// 500 that named nothing, at every retry, so that no list could get past it.
/// </summary>
public sealed class UnreadableListingTests
{
    [Fact]
    public async Task A_tenant_or_pool_whose_stored_state_no_longer_reads_is_named_by_the_list_that_meets_it()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        foreach (var id in new[] { "alpha", "broken", "gamma" })
        {
            await admin.CreateTenantWithKey(id);
            await (await admin.PostJson("/v1/pools", $$$"""{"id":"{{{id}}}","capacity":{"cpu":1000}}""")).Ok(201);
        }

        await DamageAsync(server, TenantGrain.GrainTypeName, "UPDATE grains_storage SET payload = 'not json'");
        await DamageAsync(server, FairShareSchedulerGrain.GrainTypeName, "UPDATE grains_storage_entries SET payload = 'not json'");
        foreach (var silo in server.Cluster.Silos)
        {
            await silo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero); // the next call reads the rows again
        }

        foreach (var list in new[] { "/v1/tenants", "/v1/pools" })
        {
            var failed = await admin.GetAsync(list);
            var detail = (string?)(await failed.Problem(500, "state_unreadable"))["detail"];
            Assert.Contains("'broken' cannot be read", detail, StringComparison.Ordinal);
            Assert.Contains("listed around them: ?limit=1, then ?cursor=broken.", detail, StringComparison.Ordinal);
            Assert.Null(failed.Headers.RetryAfter);

            Assert.Equal(["alpha", "gamma"], [.. await IdsAsync(admin, $"{list}?limit=1"), .. await IdsAsync(admin, $"{list}?cursor=broken")]);
        }
    }

    /// <summary>Two unreadable tenants in one page: the queries list every other one of the page, before, between and after them.</summary>
    [Fact]
    public async Task The_rest_of_a_page_is_listed_around_each_unreadable_tenant_in_it()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        foreach (var id in new[] { "a1", "a2", "b-broken", "c1", "d-broken", "e1", "e2" })
        {
            await admin.CreateTenantWithKey(id);
        }

        await DamageAsync(server, TenantGrain.GrainTypeName, "UPDATE grains_storage SET payload = 'not json'", "b-broken");
        await DamageAsync(server, TenantGrain.GrainTypeName, "UPDATE grains_storage SET payload = 'not json'", "d-broken");
        foreach (var silo in server.Cluster.Silos)
        {
            await silo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero);
        }

        var detail = (string?)(await (await admin.GetAsync("/v1/tenants?cursor=a1&limit=5")).Problem(500, "state_unreadable"))["detail"];

        Assert.Contains("tenant 'b-broken', 'd-broken' cannot be read", detail, StringComparison.Ordinal);
        Assert.Contains("?cursor=a1&limit=1, then ?cursor=b-broken&limit=1, then ?cursor=d-broken.", detail, StringComparison.Ordinal);
        Assert.Equal(
            ["a2", "c1", "e1", "e2"],
            [.. await IdsAsync(admin, "/v1/tenants?cursor=a1&limit=1"), .. await IdsAsync(admin, "/v1/tenants?cursor=b-broken&limit=1"), .. await IdsAsync(admin, "/v1/tenants?cursor=d-broken")]);
    }

    private static async Task<List<string>> IdsAsync(HttpClient admin, string query) =>
        [.. (await (await admin.GetAsync(query)).Ok())["items"]!.AsArray().Select(i => (string)i!["id"]!)];

    private static async Task DamageAsync(GatewayServer server, string grainType, string update, string key = "broken")
    {
        var damaged = await server.Cluster.Options.Storage.ExecuteAsync(
            $"{update} WHERE service_id = @service AND grain_type = @type AND grain_key = @key",
            ("service", server.Cluster.Options.ServiceId), ("type", grainType), ("key", key));
        Assert.True(damaged > 0, $"no {grainType} row of '{key}' to damage");
    }
}
