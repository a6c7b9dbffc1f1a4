using Grains;
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
        var grains = new HeldVerify(server.Cluster.GrainFactory);
        var resolver = new Auth.CallerResolver(grains, new Auth.AdminKey(GatewayServer.AdminKey), new GatewayOptions(), TimeProvider.System);
        var inFlight = resolver.ResolveAsync(Request(keyText)).AsTask();
        await grains.Answered.Task;

        // What the revoke endpoint does on this gateway: the grain revokes, then this gateway forgets the key.
        await server.Cluster.GrainFactory.GetGrain<IApiKeyGrain>(keyId).Revoke();
        resolver.Forget(keyId);
        grains.Release.SetResult();
        await inFlight;

        Assert.Null(await resolver.ResolveAsync(Request(keyText)));
    }

    private static Microsoft.AspNetCore.Http.DefaultHttpContext Request(string key)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + key;
        return context;
    }

    /// <summary>Holds the first answer of an API key grain's VerifyScope, once the grain gave it, until released.</summary>
    private sealed class HeldVerify(IGrainFactory inner) : IGrainFactory
    {
        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
            where TGrainInterface : IGrainWithStringKey
        {
            var grain = inner.GetGrain<TGrainInterface>(primaryKey);
            return grain is IApiKeyGrain key ? (TGrainInterface)(object)new Held(key, this) : grain;
        }

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
            where TGrainInterface : IGrainWithGuidKey => inner.GetGrain<TGrainInterface>(primaryKey);

        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
            where TGrainInterface : IGrainWithIntegerKey => inner.GetGrain<TGrainInterface>(primaryKey);

        private sealed class Held(IApiKeyGrain inner, HeldVerify owner) : IApiKeyGrain
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
        }
    }
}
