using Grains;
using Grains.Testing;
using Quotas.Core.Tenants;
using Quotas.Grains.Tenants;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>
/// A tenant leaving memory gracefully (its silo shut down, idle collection) hands what its rate quotas count to its
/// next activation, so a silo stopped in a rolling restart does not give its tenants their limits again.
/// </summary>
public sealed class RateHandOverTests
{
    private static readonly QuotaDefinition s_window = QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(5), TimeSpan.FromHours(1));
    private static readonly QuotaDefinition s_bucket = QuotaDefinition.TokenBucket("writes", 3, TimeSpan.FromHours(1), 3);

    [Fact]
    public async Task A_tenant_deactivated_and_activated_again_counts_on_from_its_windows_and_buckets()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = await CreateAsync(cluster.GrainFactory, "moved");
        await UseUpAsync(tenant);

        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(TenantGrain.GrainTypeName, "moved"));
        await AssertUsedUpAsync(tenant);
    }

    [Fact]
    public async Task A_silo_shut_down_gracefully_hands_its_tenants_rate_counts_to_the_silo_that_takes_them_over()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.PostgreSql(), silos: 2);
        await using var client = await cluster.CreateClientAsync();
        var ids = Enumerable.Range(0, 8).Select(i => $"rolled-{i}").ToList();
        var tenants = new List<Contracts.ITenantGrain>();
        foreach (var id in ids)
        {
            var tenant = await CreateAsync(client.GrainFactory, id);
            await UseUpAsync(tenant);
            tenants.Add(tenant);
        }

        // The silo that holds the first tenant leaves (as a rolling restart stops each silo in turn); the other takes its tenants.
        var owner = client.Client.Membership.Ring.GetOwner(GrainId.Create(TenantGrain.GrainTypeName, ids[0]));
        await cluster.StopSiloAsync(cluster.Silos.Single(s => s.Address == owner));
        await cluster.WaitForStableMembershipAsync(TimeSpan.FromSeconds(30));

        foreach (var tenant in tenants)
        {
            await AssertUsedUpAsync(tenant);
        }
    }

    private static async Task<Contracts.ITenantGrain> CreateAsync(IGrainFactory grains, string id)
    {
        var tenant = grains.GetGrain<Contracts.ITenantGrain>(id);
        await tenant.Create(TenantConfig.Create(id, Tier.Basic, s_window, s_bucket));
        return tenant;
    }

    private static async Task UseUpAsync(Contracts.ITenantGrain tenant)
    {
        Assert.True((await tenant.HitRate("api", 5)).Decision.Allowed);
        Assert.True((await tenant.HitRate("writes", 3)).Decision.Allowed);
    }

    private static async Task AssertUsedUpAsync(Contracts.ITenantGrain tenant)
    {
        var api = (await tenant.HitRate("api", 1)).Decision;
        Assert.False(api.Allowed);
        Assert.Equal(5, api.Current);
        Assert.False((await tenant.HitRate("writes", 1)).Decision.Allowed);
    }
}
