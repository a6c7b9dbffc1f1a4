using Quotas.Contracts.Gateway;

namespace Quotas.Gateway.Tests;

public sealed class KeyRevocationRaceTests
{
    [Fact]
    public async Task A_key_revoked_on_this_gateway_while_its_verification_was_answering_stops_working_at_once()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        var issued = await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201);
        var keyText = (string)issued["key"]!;
        var keyId = (string)issued["keyId"]!;

        // This gateway's resolver; the grain's answer to the first verification is on its way when the revoke runs.
        var held = new HeldVerify();
        var resolver = new Auth.CallerResolver(new InterceptingGrains<IApiKeyGrain>(server.Cluster.GrainFactory, key => new HeldVerify.Held(key, held)), new Auth.AdminKey(GatewayServer.AdminKey), new GatewayOptions(), TimeProvider.System);
        var inFlight = resolver.ResolveAsync(BearerRequest.With(keyText)).AsTask();
        await held.Answered.Task;

        // What the revoke endpoint does on this gateway: the grain revokes, then this gateway forgets the key.
        await server.Cluster.GrainFactory.GetGrain<IApiKeyGrain>(keyId).Revoke();
        resolver.Forget(keyId);
        held.Release.SetResult();
        await inFlight;

        Assert.Null((await resolver.ResolveAsync(BearerRequest.With(keyText))).Caller);
    }

    /// <summary>
    /// A deleted tenant's keys stop working on the deleting gateway at once, also one the delete revoked that was issued
    /// after the gateway read the tenant's key ids: it forgot those ids alone, and such a key worked for its cache time.
    /// </summary>
    [Fact]
    public async Task Every_key_of_a_deleted_tenant_stops_working_on_this_gateway_at_once()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        var issued = await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201);
        var resolver = new Auth.CallerResolver(server.Cluster.GrainFactory, new Auth.AdminKey(GatewayServer.AdminKey), new GatewayOptions(), TimeProvider.System);
        Assert.Equal("acme", (await resolver.ResolveAsync(BearerRequest.With((string)issued["key"]!))).Caller!.TenantId); // cached

        // The delete revoked it; this gateway had not read it among the tenant's key ids.
        await server.Cluster.GrainFactory.GetGrain<IApiKeyGrain>((string)issued["keyId"]!).Revoke();
        resolver.ForgetTenant("acme");

        Assert.Null((await resolver.ResolveAsync(BearerRequest.With((string)issued["key"]!))).Caller);
    }

    /// <summary>A revoke whose answer is lost (504) may have happened: the gateway stops trusting the key all the same.</summary>
    [Fact]
    public async Task A_key_whose_revoke_timed_out_is_checked_again_at_its_next_use_on_this_gateway()
    {
        var time = new global::Grains.Testing.ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z"));
        await using var server = await GatewayServer.StartAsync(
            Backend.EmbeddedSqlite, gatewayTime: time, wrapGrains: grains => new InterceptingGrains<IApiKeyGrain>(grains, key => new LostRevokeAnswer(key)));
        using var admin = server.Admin();
        var keyText = await admin.CreateTenantWithKey("acme");
        var keyId = (string)(await (await admin.GetAsync("/v1/tenants/acme/api-keys")).Ok())["items"]![0]!["keyId"]!;
        using var tenant = server.Client(keyText);
        await (await tenant.GetAsync("/v1/tenants/acme/limits")).Ok(); // verified, and cached

        await (await admin.DeleteAsync($"/v1/tenants/acme/api-keys/{keyId}")).Problem(504, "timeout");

        await (await tenant.GetAsync("/v1/tenants/acme/limits")).Problem(401, "unauthorized");
    }

    /// <summary>An API key grain whose revoke happens but whose answer is lost on the way back.</summary>
    private sealed class LostRevokeAnswer(IApiKeyGrain inner) : IApiKeyGrain
    {
        public Task<ApiKeyInfo> Register(string tenantId, string secretHash) => inner.Register(tenantId, secretHash);

        public Task<ApiKeyInfo> RegisterWorker(string poolId, string secretHash, DateTimeOffset? poolDeletedAt) => inner.RegisterWorker(poolId, secretHash, poolDeletedAt);

        public Task<string?> Verify(string secretHash) => inner.Verify(secretHash);

        public Task<ApiKeyScope?> VerifyScope(string secretHash) => inner.VerifyScope(secretHash);

        public Task<ApiKeyInfo?> Get() => inner.Get();

        public async Task<bool> Revoke()
        {
            await inner.Revoke();
            throw new global::Grains.GrainCallTimeoutException("the answer to Revoke was lost");
        }

        public Task<bool> IsLive() => inner.IsLive();
    }

    /// <summary>Holds the first answer of an API key grain's VerifyScope, once the grain gave it, until released.</summary>
    private sealed class HeldVerify
    {
        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public sealed class Held(IApiKeyGrain inner, HeldVerify owner) : IApiKeyGrain
        {
            public Task<ApiKeyInfo> Register(string tenantId, string secretHash) => inner.Register(tenantId, secretHash);

            public Task<ApiKeyInfo> RegisterWorker(string poolId, string secretHash, DateTimeOffset? poolDeletedAt) => inner.RegisterWorker(poolId, secretHash, poolDeletedAt);

            public Task<string?> Verify(string secretHash) => inner.Verify(secretHash);

            public async Task<ApiKeyScope?> VerifyScope(string secretHash)
            {
                var answer = await inner.VerifyScope(secretHash);
                if (owner.Answered.TrySetResult())
                {
                    await owner.Release.Task;
                }

                return answer;
            }

            public Task<ApiKeyInfo?> Get() => inner.Get();

            public Task<bool> Revoke() => inner.Revoke();

            public Task<bool> IsLive() => inner.IsLive();
        }
    }
}
