namespace Quotas.Gateway.Tests;

/// <summary>A worker key of a pool: the pool's worker routes, and nothing else.</summary>
public sealed class WorkerKeyTests
{
    private const string Pool = """{"id":"gpu-pool","capacity":{"cpu":1000}}""";
    private const string Lease = """{"freeCapacity":{"cpu":1000},"leaseTtlSeconds":30,"maxJobs":5}""";

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_worker_key_leases_heartbeats_and_completes_its_pools_jobs_and_reaches_nothing_else(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await admin.PostJson("/v1/pools", Pool)).Ok(201);
        await (await admin.PostJson("/v1/pools", """{"id":"other-pool","capacity":{"cpu":1000}}""")).Ok(201);
        var issued = await (await admin.PostAsync("/v1/pools/gpu-pool/worker-keys", null)).Ok(201);
        Assert.Equal("gpu-pool", (string?)issued["poolId"]);
        using var worker = server.Client((string)issued["key"]!);
        var job = await (await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", """{"demand":{"cpu":600}}""", "submit-1")).Ok(201);

        var leased = await (await worker.PostJson("/v1/pools/gpu-pool/workers/w1/leases", Lease)).Ok();
        Assert.Equal((long)job["id"]!, (long)leased.AsArray().Single()!["jobId"]!);
        await (await worker.PostJson("/v1/pools/gpu-pool/workers/w1/heartbeat", $$"""{"jobIds":[{{job["id"]}}],"leaseTtlSeconds":30}""")).Ok();
        var done = await (await worker.PostJson($"/v1/pools/gpu-pool/jobs/{job["id"]}/complete", """{"outcome":"succeeded","workerId":"w1"}""")).Ok();
        Assert.Equal("succeeded", (string?)done["job"]!["state"]);

        // Another pool's worker routes look like a pool that does not exist; admin and tenant routes are closed to it.
        await (await worker.PostJson("/v1/pools/other-pool/workers/w1/leases", Lease)).Problem(404);
        Assert.Contains("a worker key reaches its own pool's worker routes only", (string?)(await (await worker.GetAsync("/v1/pools/gpu-pool")).Problem(403))["detail"], StringComparison.Ordinal);
        await (await worker.PostJson("/v1/tenants", """{"id":"intruder"}""")).Problem(403);
        await (await worker.GetAsync("/v1/tenants/acme")).Problem(404);
        await (await worker.PostAsync("/v1/pools/gpu-pool/worker-keys", null)).Problem(403);

        // A tenant key is not a worker key.
        Assert.Contains("needs a worker key of its pool", (string?)(await (await tenant.PostJson("/v1/pools/gpu-pool/workers/w1/leases", Lease)).Problem(403))["detail"], StringComparison.Ordinal);

        await (await admin.DeleteAsync($"/v1/pools/gpu-pool/worker-keys/{issued["keyId"]}")).Ok(204);
        await (await worker.PostJson("/v1/pools/gpu-pool/workers/w1/leases", Lease)).Problem(401, "unauthorized");
        await (await admin.DeleteAsync($"/v1/pools/gpu-pool/worker-keys/{issued["keyId"]}")).Problem(404);
    }

    [Fact]
    public async Task A_pool_created_again_under_a_deleted_ones_id_does_not_take_its_worker_keys()
    {
        // Keys verified lately are trusted for ApiKeyCacheDuration: the delete forgets the pool's on this gateway at once.
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/pools", Pool)).Ok(201);
        using var worker = server.Client((string)(await (await admin.PostAsync("/v1/pools/gpu-pool/worker-keys", null)).Ok(201))["key"]!);
        await (await worker.PostJson("/v1/pools/gpu-pool/workers/w1/leases", Lease)).Ok();

        await (await admin.DeleteAsync("/v1/pools/gpu-pool")).Ok(204);
        await (await admin.PostJson("/v1/pools", Pool)).Ok(201);

        await (await worker.PostJson("/v1/pools/gpu-pool/workers/w1/leases", Lease)).Problem(401, "unauthorized");
        await (await admin.PostAsync("/v1/pools/no-pool/worker-keys", null)).Problem(404, "unknown_pool");
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_pools_worker_keys_are_listed_live_revoked_or_ended_by_the_pools_delete_and_never_with_their_text(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/pools", Pool)).Ok(201);
        await (await admin.PostJson("/v1/pools", """{"id":"other-pool","capacity":{"cpu":1000}}""")).Ok(201);
        async Task<string> IssueAsync(string pool) => (string)(await (await admin.PostAsync($"/v1/pools/{pool}/worker-keys", null)).Ok(201))["keyId"]!;
        var ended = await IssueAsync("gpu-pool");
        var revoked = await IssueAsync("gpu-pool");
        await IssueAsync("other-pool");
        await (await admin.DeleteAsync($"/v1/pools/gpu-pool/worker-keys/{revoked}")).Ok(204);
        await (await admin.DeleteAsync("/v1/pools/gpu-pool")).Ok(204);
        await (await admin.GetAsync("/v1/pools/gpu-pool/worker-keys")).Problem(404, "unknown_pool");
        await (await admin.PostJson("/v1/pools", Pool)).Ok(201);
        var live = await IssueAsync("gpu-pool");

        var firstPage = await admin.GetAsync("/v1/pools/gpu-pool/worker-keys?limit=2");
        var first = await firstPage.Ok();
        Assert.Contains("rel=\"next\"", firstPage.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var rest = await (await admin.GetAsync($"/v1/pools/gpu-pool/worker-keys?limit=2&cursor={first["nextCursor"]}")).Ok();
        var pages = first["items"]!.AsArray().Concat(rest["items"]!.AsArray()).ToList();

        // In id order as returned; the key the pool's delete ended is listed under the pool created again.
        Assert.Equal(new[] { ended, revoked, live }.Order(StringComparer.Ordinal), pages.Select(k => (string?)k!["keyId"]));
        Assert.All(pages, k => Assert.Null(k!["key"]));
        var listed = pages.ToDictionary(k => (string)k!["keyId"]!);
        Assert.Equal((false, false, true), ((bool)listed[ended]!["live"]!, (bool)listed[revoked]!["live"]!, (bool)listed[live]!["live"]!));
        Assert.Null(listed[ended]!["revokedAt"]);
        Assert.NotNull(listed[revoked]!["revokedAt"]);
        Assert.Null(listed[live]!["revokedAt"]);

        using var worker = server.Client((string)(await (await admin.PostAsync("/v1/pools/gpu-pool/worker-keys", null)).Ok(201))["key"]!);
        await (await worker.GetAsync("/v1/pools/gpu-pool/worker-keys")).Problem(403);
    }
}
