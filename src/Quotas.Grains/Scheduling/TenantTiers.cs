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

    private readonly Dictionary<string, (string? Tier, DateTimeOffset At)> _tiers = new(StringComparer.Ordinal);

    /// <summary>The names a pool's tier settings may use: the tenant tiers, as the API spells them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<Tier>().Select(Name)];

    public static string Name(Tier tier) => tier.ToString().ToLowerInvariant();

    /// <summary>Refuses tier settings that name no tenant tier: they would never apply, silently.</summary>
    public static void EnsureKnown(PoolConfig config)
    {
        foreach (var share in config.Tiers ?? [])
        {
            if (share?.Tier is { } name && !Names.Contains(name))
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.InvalidPoolConfig, $"Tier '{name}' is not a tenant tier; use {string.Join(", ", Names)}.");
            }
        }
    }

    public async Task<string?> OfAsync(Core.Scheduling.TenantId tenant)
    {
        var now = time.GetUtcNow();
        if (_tiers.TryGetValue(tenant.Value, out var known) && now - known.At < s_lifetime)
        {
            return known.Tier;
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

        _tiers[tenant.Value] = (tier, now);
        return tier;
    }
}
