using Grains;
using Quotas.Contracts;
using Quotas.Core.Billing;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using TenantId = Quotas.Core.Tenants.TenantId;

namespace Quotas.Gateway;

/// <summary>
/// The demo data of the embedded mode: three tenants, one per tier, each metering the jobs and CPU-seconds its pool
/// jobs use under a pricing plan of its tier, and a pool whose tier settings weigh them 1, 2 and 4; created once, left
/// alone afterwards: one an operator deleted is not created again at the next start.
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

    /// <summary>Budgets that count without limiting: what a pool charges a tenant for its jobs, so that it is metered.</summary>
    private static readonly QuotaDefinition[] s_metered =
    [
        QuotaDefinition.Budget("jobs", QuotaLimit.Unlimited, BudgetPeriod.Month),
        QuotaDefinition.Budget("cpu_seconds", QuotaLimit.Unlimited, BudgetPeriod.Month),
    ];

    /// <summary>A demo tier's pricing: a monthly fee, then jobs beyond those included and CPU by the hour.</summary>
    public static PricingPlan PlanFor(Tier tier) => new(
        $"demo-{tier.ToString().ToLowerInvariant()}",
        "EUR",
        tier switch { Tier.Basic => 0m, Tier.Premium => 49m, _ => 499m },
        [new MeterPrice("jobs", 0.01m, Included: tier == Tier.Basic ? 100 : 10_000), new MeterPrice("cpu_seconds", 0.04m, PerUnits: 3600)]);

    public static async Task SeedAsync(IGrainFactory grains)
    {
        foreach (var (id, tier) in All)
        {
            var tenant = grains.GetGrain<ITenantGrain>(id);
            if (await tenant.GetLastDeletedAt() is not null)
            {
                continue; // deleted by an operator since an earlier run seeded it
            }

            try
            {
                await tenant.Create(new TenantConfig(TenantId.Parse(id), $"Demo ({tier})", tier, s_metered));
            }
            catch (QuotaValidationException e) when (e.Code == "tenant_exists")
            {
                continue; // seeded by an earlier run
            }

            await tenant.SetPricingPlan(PlanFor(tier));
        }

        var pool = grains.GetGrain<IFairShareSchedulerGrain>(Pool.Id);
        if (await pool.GetConfig() is null && await pool.GetLastDeletedAt() is null)
        {
            await pool.Configure(Pool);
        }
    }
}
