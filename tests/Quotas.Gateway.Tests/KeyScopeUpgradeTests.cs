using Quotas.Contracts.Gateway;

namespace Quotas.Gateway.Tests;

/// <summary>A gateway of this release with API key grains on silos of the release before (a rolling upgrade).</summary>
public sealed class KeyScopeUpgradeTests
{
    [Fact]
    public async Task A_tenant_key_on_a_silo_that_does_not_know_key_scopes_is_verified_as_before()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        var issued = await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201);
        var resolver = new Auth.CallerResolver(new InterceptingGrains<IApiKeyGrain>(server.Cluster.GrainFactory, key => new Earlier(key)), new Auth.AdminKey(GatewayServer.AdminKey), new GatewayOptions(), TimeProvider.System);

        var caller = (await resolver.ResolveAsync(BearerRequest.With((string)issued["key"]!))).Caller;

        Assert.Equal(Auth.Caller.Tenant("acme"), caller);
        Assert.Null((await resolver.ResolveAsync(BearerRequest.With((string)issued["key"]! + "x"))).Caller);
    }


    [Fact]
    public async Task A_worker_key_whose_silo_cannot_say_whether_it_is_live_is_listed_as_unknown()
    {
        await using var server = await GatewayServer.StartAsync(
            Backend.EmbeddedSqlite, wrapGrains: grains => new InterceptingGrains<IApiKeyGrain>(grains, key => new Earlier(key, knowsWorkerKeys: true)));
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/pools", """{"id":"gpu-pool","capacity":{"cpu":1000}}""")).Ok(201);
        var issued = await (await admin.PostAsync("/v1/pools/gpu-pool/worker-keys", null)).Ok(201);

        var listed = Assert.Single((await (await admin.GetAsync("/v1/pools/gpu-pool/worker-keys")).Ok())["items"]!.AsArray());

        Assert.Equal((string?)issued["keyId"], (string?)listed!["keyId"]);
        Assert.Null(listed["live"]);
    }

    /// <summary>
    /// An API key grain on a silo of an earlier release: it does not know IsLive and, before worker keys
    /// (<paramref name="knowsWorkerKeys"/> false), neither VerifyScope nor RegisterWorker: each answers an unknown method.
    /// </summary>
    private sealed class Earlier(IApiKeyGrain inner, bool knowsWorkerKeys = false) : IApiKeyGrain
    {
        public Task<ApiKeyInfo> Register(string tenantId, string secretHash) => inner.Register(tenantId, secretHash);

        public Task<ApiKeyInfo> RegisterWorker(string poolId, string secretHash, DateTimeOffset? poolDeletedAt) =>
            knowsWorkerKeys ? inner.RegisterWorker(poolId, secretHash, poolDeletedAt) : throw new NotSupportedException("unknown method");

        public Task<string?> Verify(string secretHash) => inner.Verify(secretHash);

        public Task<ApiKeyScope?> VerifyScope(string secretHash) =>
            knowsWorkerKeys ? inner.VerifyScope(secretHash) : throw new NotSupportedException("unknown method");

        public Task<ApiKeyInfo?> Get() => inner.Get();

        public Task<bool> Revoke() => inner.Revoke();

        public Task<bool> IsLive() => throw new NotSupportedException("unknown method");
    }
}
