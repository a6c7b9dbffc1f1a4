using Grains;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Tenants;

internal static class Tenants
{
    public static async Task<ITenantGrain> CreateAsync(IGrainFactory grains, string id, long workers, string? parent = null)
    {
        var grain = grains.GetGrain<ITenantGrain>(id);
        var config = TenantConfig.Create(id, Tier.Basic, QuotaDefinition.Gauge("workers", QuotaLimit.Hard(workers)));
        await grain.Create(parent is null ? config : config with { ParentId = TenantId.Parse(parent) });
        return grain;
    }

    public static long Used(TenantStats stats, string quota) => stats.Gauges.Single(g => g.Quota == quota).Current;
}
