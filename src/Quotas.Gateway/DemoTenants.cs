using Grains;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Gateway;

/// <summary>The three demo tenants of the embedded mode, one per tier; created once, left alone afterwards.</summary>
public static class DemoTenants
{
    public static IReadOnlyList<(string Id, Tier Tier)> All { get; } =
        [("demo-basic", Tier.Basic), ("demo-premium", Tier.Premium), ("demo-enterprise", Tier.Enterprise)];

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
    }
}
