using Grains;
using Grains.Testing;
using Quotas.Contracts.Gateway;
using Quotas.Grains.Gateway;

namespace Quotas.Grains.Tests.Gateway;

/// <summary>Key ids anyone can make up cost a storage read each and hold no memory afterwards.</summary>
public sealed class ApiKeyGrainTests
{
    private const string KeyType = "apikey";
    // 64 hex digits: a secret's SHA-256 as the gateway sends it.
    private const string Hash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    [Fact]
    public async Task An_id_without_a_key_answers_and_leaves_memory_while_a_real_key_stays_active()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var silo = cluster.PrimarySilo.Silo;
        await cluster.GrainFactory.GetGrain<IApiKeyGrain>("0000000000000001").Register("acme", Hash);

        Assert.NotNull(await cluster.GrainFactory.GetGrain<IApiKeyGrain>("0000000000000001").VerifyScope(Hash));
        var madeUp = new[] { "00000000000000aa", "00000000000000bb", "00000000000000cc", "00000000000000dd" };
        Assert.Null(await cluster.GrainFactory.GetGrain<IApiKeyGrain>(madeUp[0]).VerifyScope(Hash));
        Assert.Null(await cluster.GrainFactory.GetGrain<IApiKeyGrain>(madeUp[1]).Verify(Hash));
        Assert.False(await cluster.GrainFactory.GetGrain<IApiKeyGrain>(madeUp[2]).IsLive());
        Assert.Null(await cluster.GrainFactory.GetGrain<IApiKeyGrain>(madeUp[3]).Get());

        // Bounded so that a grain that stays active fails the test instead of hanging it.
        await Task.WhenAll(madeUp.Select(id => silo.ActivationGoneAsync(GrainId.Create(KeyType, id)))).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, silo.ActivationCountsByType().GetValueOrDefault(KeyType));
    }

    /// <summary>
    /// A revocation whose write fails leaves the key as stored, live, so that a retry revokes it for good: held in
    /// memory alone, the retry answered "not live" (404, which the SDK takes as done) and the key worked again once its
    /// grain was read back from storage.
    /// </summary>
    [Fact]
    public async Task A_revocation_that_failed_to_store_leaves_the_key_live_and_a_retry_revokes_it_for_good()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var key = cluster.GrainFactory.GetGrain<IApiKeyGrain>("0000000000000002");
        await key.Register("acme", Hash);

        faults.FailWritesOf = KeyType;
        await Assert.ThrowsAnyAsync<Exception>(() => key.Revoke());
        faults.FailWritesOf = null;

        Assert.Null((await key.Get())!.RevokedAt);
        Assert.True(await key.IsLive());
        Assert.True(await key.Revoke());
        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(KeyType, "0000000000000002"));
        Assert.False(await key.IsLive());
        Assert.Null(await key.VerifyScope(Hash));
    }

    [Fact]
    public async Task A_key_registered_under_an_id_that_was_asked_for_before_works()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var key = cluster.GrainFactory.GetGrain<IApiKeyGrain>("00000000000000ee");

        var before = await key.VerifyScope(Hash);
        await key.Register("acme", Hash);

        Assert.Null(before);
        Assert.Equal("acme", (await key.VerifyScope(Hash))?.TenantId);
        Assert.Equal("acme", (await key.Get())?.TenantId);
        Assert.Equal(ApiKeyGrain.KeyExists, (await Assert.ThrowsAsync<Quotas.Core.Tenants.QuotaValidationException>(() => key.Register("other", Hash))).Code);
    }
}
