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
    /// <summary>A submission waits at most this long for each of the (at most two) reads of its tenant: far less than a caller's own timeout.</summary>
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(2);

    private readonly TenantReadCache<(string? Tier, bool Suspended, bool Exists, bool Deleted)> _tiers = new(time, TimeSpan.FromSeconds(5));

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

    /// <summary>Forgets what was read for a tenant (it was deleted): the next submission reads it again.</summary>
    public void Forget(Core.Scheduling.TenantId tenant) => _tiers.Forget(tenant.Value);

    /// <summary>
    /// The tenant's tier, and whether it is suspended; Known false, with the failure, when its TenantGrain could not
    /// answer within a few seconds (the pool then goes on with the tier it already has: a submission does not wait on
    /// an unreachable tenant).
    /// </summary>
    public async ValueTask<TierLookup> OfAsync(Core.Scheduling.TenantId tenant)
    {
        try
        {
            var (read, overtaken) = await _tiers.ReadAsync(tenant.Value, () => ReadAsync(tenant));
            return overtaken
                ? new TierLookup(false, null, new InvalidOperationException($"Tenant '{tenant}' was deleted while it was read."))
                : new TierLookup(true, read.Tier, null, read.Suspended, read.Exists, read.Deleted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new TierLookup(false, null, e);
        }
    }

    private async Task<(string? Tier, bool Suspended, bool Exists, bool Deleted)> ReadAsync(Core.Scheduling.TenantId tenant)
    {
        var grain = grains.GetGrain<ITenantGrain>(tenant.Value);
        try
        {
            var config = await grain.GetConfig().WaitAsync(s_readTimeout, time);
            return (Name(config.Tier), config.Status == TenantStatus.Suspended, true, false);
        }
        catch (QuotaValidationException e) when (e.Code == Tenants.TenantErrors.UnknownTenant)
        {
            // A deleted tenant remembers when it was deleted, one that never was has nothing: only the first is refused.
            // Unknown when that cannot be read: the tenant runs as one without a grain, as before the question was asked,
            // unless the pool removed it lately (FairShareSchedulerGrain.Submit).
            try
            {
                var deletedAt = await grain.GetLastDeletedAt().WaitAsync(s_readTimeout, time);
                return (null, false, false, deletedAt is not null);
            }
            catch (Exception deletedUnknown) when (deletedUnknown is not OperationCanceledException)
            {
                return (null, false, false, false);
            }
        }
    }
}

/// <summary>
/// A tenant's tier as read for a pool, whether it is suspended and whether it has a TenantGrain at all (a tenant without
/// one runs on the pool's limits alone), and, without one, whether it had one that was deleted (<paramref name="Deleted"/>):
/// Known false when the tenant could not be read (<paramref name="Failure"/>).
/// </summary>
internal readonly record struct TierLookup(bool Known, string? Tier, Exception? Failure, bool Suspended = false, bool Exists = true, bool Deleted = false);

