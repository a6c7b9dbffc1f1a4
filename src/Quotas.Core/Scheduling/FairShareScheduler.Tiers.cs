namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// Records the tier of a tenant that has jobs in the pool, as its owner learns it (the scheduler knows tenants by
    /// id only). A tenant the pool does not list by name then gets its tier's settings from
    /// <see cref="PoolConfig.Tiers"/>, or the defaults when its tier has none; the fair order and reclaim follow at
    /// once. The tier is kept with the tenant's usage, so a rebuilt pool keeps it. Returns whether anything changed.
    /// </summary>
    public bool SetTenantTier(TenantId tenant, string? tier, DateTimeOffset now)
    {
        if (!_tenants.TryGetValue(tenant, out var state) || state.Tier == tier)
        {
            return false;
        }

        state.Tier = tier;
        UsageChanged(state);
        if (_shares.ContainsKey(tenant))
        {
            return true;
        }

        ApplyTierSettings(state);
        ReturnSetAside();
        UpdateKey(state, now);
        EvaluateReclaim();
        return true;
    }

    /// <summary>Gives a tenant not listed by name the settings of its tier, or the defaults.</summary>
    private void ApplyTierSettings(TenantState tenant)
    {
        if (_shares.ContainsKey(tenant.Id))
        {
            return;
        }

        var share = tenant.Tier is not null && _tierShares.TryGetValue(tenant.Tier, out var tier)
            ? new TenantShare(tenant.Id, tier.Weight, null, tier.BorrowingLimit)
            : new TenantShare(tenant.Id);
        ApplySettings(tenant, share);
    }
}
