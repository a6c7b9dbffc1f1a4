using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using Quotas.Grains.Tenants;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class PoolTierReadTests
{
    /// <summary>
    /// The tenants' stored state is made unreadable, so their grains fail to activate: a pool with tier settings goes
    /// on for a tenant whose tier it already knows, and answers a retryable refusal for one it knows no tier for,
    /// rather than accept a job that no tier limit was checked against.
    /// </summary>
    [Fact]
    public async Task A_tenant_that_cannot_be_read_submits_with_the_tier_the_pool_knows_and_one_without_is_refused_for_now()
    {
        var storage = TestStorage.PostgreSql();
        var options = QuotaClusters.Options(storage);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (known, unknown, poolId) = ($"known-{suffix}", $"unknown-{suffix}", $"tiered-{suffix}");
        var config = Pools.Small(poolId) with { Tenants = [], Tiers = [new TierShare("premium", 2)] };
        await using (var first = await TestCluster.StartAsync(options))
        {
            foreach (var id in new[] { known, unknown })
            {
                await first.GrainFactory.GetGrain<ITenantGrain>(id).Create(TenantConfig.Create(id, Tier.Premium));
            }

            var pool = first.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
            await pool.Configure(config);
            await pool.Submit(Pools.Job(new(known), "job-1"));
            Assert.Equal(2, (await pool.GetTenantUsage(new(known))).Weight);
            await first.PrimarySilo.Silo.KillAsync();
        }

        Assert.Equal(2, await storage.ExecuteAsync(
            "UPDATE grains_storage SET payload = 'not json' WHERE grain_type = @type AND grain_key IN (@known, @unknown)",
            ("type", TenantGrain.GrainTypeName), ("known", known), ("unknown", unknown)));

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);

        Assert.True((await reopened.Submit(Pools.Job(new(known), "job-2"))).Created);
        Assert.Equal(("premium", 2.0), ((await reopened.GetTenantUsage(new(known))).Tier, (await reopened.GetTenantUsage(new(known))).Weight));
        var refused = await Assert.ThrowsAsync<SchedulingException>(() => reopened.Submit(Pools.Job(new(unknown), "job-1")));
        Assert.Equal(SchedulingErrorCodes.TenantUnavailable, refused.Code);
        Assert.Equal(0, (await reopened.GetTenantUsage(new(unknown))).QueuedJobs);
    }
}
