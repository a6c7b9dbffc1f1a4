using Grains;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// The tiers of the tenants that submit to a pool, asked of their TenantGrains: the scheduler knows tenants by id only,
/// and gives a tenant the pool does not list by name its tier's settings (<see cref="PoolConfig.Tiers"/>). A tier is
/// reused for a few seconds, as the tenants' quota names are; a tenant without a TenantGrain has none.
/// </summary>
internal sealed class TenantTiers(IGrainFactory grains, TimeProvider time)
{
    private static readonly TimeSpan s_lifetime = TimeSpan.FromSeconds(5);

    /// <summary>Beyond this many remembered tenants, the ones past their lifetime are dropped.</summary>
    private const int TrimAbove = 10_000;

    private readonly Dictionary<string, (string? Tier, DateTimeOffset At)> _tiers = new(StringComparer.Ordinal);

    /// <summary>The names a pool's tier settings may use: the tenant tiers, as the API spells them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<Tier>().Select(Name)];

    public static string Name(Tier tier) => tier.ToString().ToLowerInvariant();

    /// <summary>
    /// Refuses tier settings that would never apply, silently: a name that is no tenant tier, or tiers in a pool that
    /// admits only the tenants it lists by name (who have their own settings).
    /// </summary>
    public static void EnsureUsable(PoolConfig config)
    {
        foreach (var share in config.Tiers ?? [])
        {
            if (share?.Tier is { } name && !Names.Contains(name))
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.InvalidPoolConfig, $"Tier '{name}' is not a tenant tier; use {string.Join(", ", Names)}.");
            }
        }

        if (config.ListedTenantsOnly && config.Tiers is { Count: > 0 })
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidPoolConfig,
                "Tier settings apply to tenants a pool does not list, and this pool admits only listed tenants; remove the tiers or turn listedTenantsOnly off.");
        }
    }

    /// <summary>
    /// The tenant's tier, or Known false when its TenantGrain could not answer (the pool then keeps the tier it
    /// already has: a submission does not fail because the tenant's silo is unreachable).
    /// </summary>
    public async Task<(bool Known, string? Tier)> OfAsync(Core.Scheduling.TenantId tenant)
    {
        var now = time.GetUtcNow();
        if (_tiers.TryGetValue(tenant.Value, out var remembered) && now - remembered.At < s_lifetime)
        {
            return (true, remembered.Tier);
        }

        string? tier;
        try
        {
            tier = Name((await grains.GetGrain<ITenantGrain>(tenant.Value).GetConfig()).Tier);
        }
        catch (QuotaValidationException e) when (e.Code == "unknown_tenant")
        {
            tier = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (false, null);
        }

        Remember(tenant.Value, tier, now);
        return (true, tier);
    }

    private void Remember(string tenant, string? tier, DateTimeOffset now)
    {
        if (_tiers.Count >= TrimAbove)
        {
            foreach (var (id, entry) in _tiers)
            {
                if (now - entry.At >= s_lifetime)
                {
                    _tiers.Remove(id);
                }
            }
        }

        _tiers[tenant] = (tier, now);
    }
}
