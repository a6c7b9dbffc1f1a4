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
        ReclaimLater();
        return true;
    }

    /// <summary>Whether the pool lists the tenant by name, so that its own settings apply rather than its tier's.</summary>
    public bool Lists(TenantId tenant) => _shares.ContainsKey(tenant);

    /// <summary>The tenant's tier as the pool last learnt it; null when it has not.</summary>
    public string? TierOf(TenantId tenant) => _tenants.TryGetValue(tenant, out var state) ? state.Tier : null;

    /// <summary>Gives a tenant not listed by name the settings of its tier, or the defaults.</summary>
    private void ApplyTierSettings(TenantState tenant)
    {
        if (!_shares.ContainsKey(tenant.Id))
        {
            ApplySettings(tenant, TierSettings(tenant.Id, tenant.Tier));
        }
    }

    private TenantShare TierSettings(TenantId tenant, string? tier) =>
        tier is not null && _tierShares.TryGetValue(tier, out var settings)
            ? new TenantShare(tenant, settings.Weight, null, settings.BorrowingLimit)
            : new TenantShare(tenant);

    /// <summary>
    /// The limit a submission of <paramref name="id"/> is held to once its tier is <paramref name="tier"/>: its own when
    /// listed or already of that tier, else its tier's borrowing limit (a tier gives no guarantee); null when none.
    /// </summary>
    private long[]? LimitUnderTier(TenantId id, TenantState? tenant, string? tier)
    {
        if (_shares.ContainsKey(id) || (tenant is not null && tenant.Tier == tier))
        {
            return tenant?.Limit;
        }

        return TierSettings(id, tier).BorrowingLimit is { } limit ? _layout.ToDense(limit, "borrowing limit", long.MaxValue) : null;
    }
}
