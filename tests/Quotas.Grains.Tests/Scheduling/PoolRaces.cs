using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>What the tests of a pool racing its tenants share: the cluster, tenant alpha, a worker and the stats they read.</summary>
internal static class PoolRaces
{
    public static ResourceVector Worker => ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192));

    public static TenantConfig Alpha(params QuotaDefinition[] extra) => Alpha(10, extra);

    /// <summary>Tenant alpha running at most <paramref name="concurrentJobs"/> jobs, with a daily budget of 1,000 jobs.</summary>
    public static TenantConfig Alpha(long concurrentJobs, params QuotaDefinition[] extra) => TenantConfig.Create(
        "alpha",
        Tier.Unlimited,
        [QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(concurrentJobs)), QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1000), BudgetPeriod.Day), .. extra]);

    public static long Gauge(TenantStats stats, string quota) => stats.Gauges.Single(g => g.Quota == quota).Current;

    public static long Budget(TenantStats stats, string quota) => stats.Budgets.Single(b => b.Quota == quota).Current;

    /// <summary>A one-silo cluster on SQLite with tenant alpha (<paramref name="alpha"/>, default <see cref="Alpha"/>) and an empty pool.</summary>
    public static async Task<(TestCluster Cluster, ITenantGrain Alpha, IFairShareSchedulerGrain Pool)> StartAsync(
        StorageFaults faults, ManualTimeProvider time, string poolId, TenantConfig? alpha = null)
    {
        var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var tenant = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await tenant.Create(alpha ?? Alpha());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
        await pool.Configure(Pools.Small(poolId));
        return (cluster, tenant, pool);
    }
}
