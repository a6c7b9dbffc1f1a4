using Grains;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using TenantId = Quotas.Core.Tenants.TenantId;

namespace Quotas.Gateway;

/// <summary>
/// The demo data of the embedded mode: three tenants, one per tier, and a pool whose tier settings weigh them 1, 2
/// and 4; created once, left alone afterwards.
/// </summary>
public static class DemoTenants
{
    public static IReadOnlyList<(string Id, Tier Tier)> All { get; } =
        [("demo-basic", Tier.Basic), ("demo-premium", Tier.Premium), ("demo-enterprise", Tier.Enterprise)];

    /// <summary>Eight workers' worth of CPU and memory; the tiers' own CPU and memory quotas bound each tenant within it.</summary>
    public static PoolConfig Pool { get; } = new()
    {
        Id = "demo-pool",
        Capacity = ResourceVector.Of((ResourceName.CpuMillicores, 8000), (ResourceName.MemoryMb, 16384), (ResourceName.Workers, 8)),
        Tiers = [new TierShare("premium", 2), new TierShare("enterprise", 4)],
    };

    public static async Task SeedAsync(IGrainFactory grains)
    {
        foreach (var (id, tier) in All)
        {
            try
            {
                await grains.GetGrain<ITenantGrain>(id).Create(new TenantConfig(TenantId.Parse(id), $"Demo ({tier})", tier, []));
            }
            catch (QuotaValidationException e) when (e.Code == "tenant_exists")
            {
                // Seeded by an earlier run.
            }
        }

        var pool = grains.GetGrain<IFairShareSchedulerGrain>(Pool.Id);
        if (await pool.GetConfig() is null)
        {
            await pool.Configure(Pool);
        }
    }
}
