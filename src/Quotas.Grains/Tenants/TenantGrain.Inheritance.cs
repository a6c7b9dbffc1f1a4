using Grains.Timers;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// What a tenant inherits from its parent and hands to its children: the parent's quotas in force are read on
/// activation, on the tenant's own quota change, when the parent says they changed, and on a periodic refresh; the
/// children that read them are told when they change.
/// </summary>
public sealed partial class TenantGrain
{
    /// <summary>How often an active child tenant re-reads its parent's quotas: the longest a parent's change takes to arrive.</summary>
    internal static readonly TimeSpan ParentRefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>The parent refresh of a child tenant; tenants without a parent have none.</summary>
    private IGrainTimer? _parentRefresh;

    /// <summary>Children that read this tenant's quotas during this activation: told when those quotas change.</summary>
    private readonly HashSet<string> _children = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<QuotaDefinition>> GetEffectiveQuotasForChild(string childId)
    {
        ArgumentException.ThrowIfNullOrEmpty(childId);
        var effective = Tenant().Effective;
        _children.Add(childId);
        return Task.FromResult(effective);
    }

    public Task ParentQuotasChanged()
    {
        // A deleted child answers unknown_tenant, and the parent forgets it.
        _ = Tenant();
        return InheritFromParentAsync(CancellationToken.None);
    }

    /// <summary>
    /// The parent's quotas in force, read so that the parent remembers this child. A parent hosted by a silo of an
    /// earlier release (during a rolling upgrade) does not know that call: its quotas are then read the older way, and
    /// its changes reach this child by the periodic refresh until the upgrade is done.
    /// </summary>
    internal static async Task<IReadOnlyList<QuotaDefinition>> ReadParentQuotasAsync(ITenantGrain parent, string childId)
    {
        try
        {
            return await parent.GetEffectiveQuotasForChild(childId);
        }
        catch (NotSupportedException)
        {
            // UnknownGrainMethodException, or the plain NotSupportedException with which earlier silos reported it.
            return await parent.GetEffectiveQuotas();
        }
    }

    /// <summary>
    /// The parent's quotas in force; null when the parent was deleted (forced, its children go on), whose last known
    /// quotas then stay in force, as <see cref="InheritFromParentAsync"/> leaves them.
    /// </summary>
    private async Task<IReadOnlyList<QuotaDefinition>?> ParentQuotasIfAnyAsync(TenantId parent)
    {
        try
        {
            return await ReadParentQuotasAsync(Parent(parent), Id);
        }
        catch (QuotaValidationException error) when (error.Code == TenantErrors.UnknownTenant)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<QuotaDefinition>> ParentQuotasAsync(TenantId parent)
    {
        if (parent.Value == Id)
        {
            throw new QuotaValidationException(ValidationCodes.HierarchyCycle, $"Tenant '{Id}' cannot be its own parent.");
        }

        // Walk up to check for cycles and depth before anything is written.
        var chain = new Dictionary<TenantId, TenantId> { [new TenantId(Id)] = parent };
        var current = parent;
        IReadOnlyList<QuotaDefinition>? parentQuotas = null;
        while (true)
        {
            TenantConfig config;
            try
            {
                config = await Parent(current).GetConfig();
            }
            catch (QuotaValidationException error) when (error.Code == TenantErrors.UnknownTenant && current == parent)
            {
                throw new QuotaValidationException(TenantErrors.UnknownParent, $"Parent tenant '{current}' of '{Id}' does not exist; create it first.");
            }
            catch (QuotaValidationException error) when (error.Code == TenantErrors.UnknownTenant)
            {
                // An ancestor further up was deleted: its descendants carry on, and the chain ends here. (Created again
                // under one of them, the walk from it reaches it again and finds the cycle.)
                break;
            }

            parentQuotas ??= await ReadParentQuotasAsync(Parent(parent), Id);
            if (config.ParentId is not { } next)
            {
                break;
            }

            chain[current] = next;
            _ = TenantHierarchy.Ancestors(new TenantId(Id), chain);
            current = next;
        }

        // Read at the first step, which reaches the parent or throws: the chain ends early only above it.
        return parentQuotas!;
    }

    /// <summary>
    /// Takes over the parent's current effective quotas when they differ from those last read, keeping the rate
    /// windows, leases and counters. A deleted parent leaves the last known ones in force.
    /// </summary>
    private async Task InheritFromParentAsync(CancellationToken cancellationToken)
    {
        if (_tenant?.Config.ParentId is not { } parent)
        {
            return;
        }

        // First: a deleted parent answers no caps, and its ancestors then cap this tenant's rates no more either. The
        // children are told at once (their reads queue behind this turn, so they see all of it).
        if (RateCapsRead(await ReadRateCapsAsync(parent).WaitAsync(cancellationToken)))
        {
            TellChildren();
        }

        if (await ParentQuotasIfAnyAsync(parent).WaitAsync(cancellationToken) is not { } current)
        {
            await DropKeptGaugesWithoutLeasesAsync();
            return;
        }

        // The parent lives (created again since it answered gone): usage is owed to it again from the next delivery,
        // rather than dropped until the pause on asking a gone parent ends. It counts nothing recorded before it was
        // created (RecordChildUsage).
        _parentGoneAt = null;
        _parentSeenAlive++;
        if (_tenant is not { } tenant)
        {
            return;
        }

        var (inherited, kept) = KeepingLeasedGauges(current, tenant.Config);
        if ((tenant.ParentQuotas ?? []).SequenceEqual(inherited))
        {
            return;
        }

        await RebuildKeepingAsync(snapshot => snapshot.ParentQuotas = inherited, kept);
        TellChildren();
    }

    /// <summary>
    /// While the parent is deleted (its last quotas stay in force): drops the gauges this tenant kept for its leases
    /// once no lease of them lives any more, as a re-read of a live parent would.
    /// </summary>
    private async Task DropKeptGaugesWithoutLeasesAsync()
    {
        if (state.State.KeptGauges is not { Count: > 0 } kept || _tenant is not { } tenant)
        {
            return;
        }

        var now = time.GetUtcNow();
        var ended = kept.Where(name => !tenant.Gauges.Leases().Any(lease => lease.Quota == name && lease.ExpiresAt > now)).ToHashSet(StringComparer.Ordinal);
        if (ended.Count == 0)
        {
            return;
        }

        List<QuotaDefinition> inherited = [.. (tenant.ParentQuotas ?? []).Where(q => q.Kind != QuotaKind.Gauge || !ended.Contains(q.Name))];
        await RebuildKeepingAsync(snapshot => snapshot.ParentQuotas = inherited, [.. kept.Where(name => !ended.Contains(name))]);
        TellChildren();
    }

    /// <summary><see cref="RebuildAsync"/>, storing <paramref name="kept"/> as the gauges kept for leases in the same write.</summary>
    private async Task RebuildKeepingAsync(Action<TenantSnapshot> change, List<string> kept, Action<TenantQuotas, TenantQuotas>? check = null)
    {
        var previous = state.State.KeptGauges;
        state.State.KeptGauges = kept.Count == 0 ? null : kept;
        try
        {
            await RebuildAsync(change, check);
        }
        catch
        {
            state.State.KeptGauges = previous;
            throw;
        }
    }

    /// <summary>
    /// The parent's quotas as this tenant takes them over: <paramref name="parentQuotas"/>, and, with a hard limit of 0,
    /// each gauge the parent no longer sets that this tenant (under <paramref name="config"/>) only inherits while
    /// leases of it live here: a client's, a pool's for a running job, a hold for a child's. Dropped, they would go
    /// uncounted (a renewal answering lease_not_found while the holder runs on, and the gauge, put back, admitting its
    /// whole limit beside them). At 0 they are renewed and released as before and new ones are refused (here and in the
    /// children, which inherit it so), so the gauge goes at the first re-read after they end (the refresh, at the
    /// latest; while the parent is deleted too, see <see cref="DropKeptGaugesWithoutLeasesAsync"/>).
    /// </summary>
    private (List<QuotaDefinition> Inherited, List<string> Kept) KeepingLeasedGauges(IReadOnlyList<QuotaDefinition> parentQuotas, TenantConfig config)
    {
        var tenant = Tenant();
        var now = time.GetUtcNow();
        var merged = EffectiveQuotas.Merge(TierProfiles.For(config.Tier), config.Quotas, parentQuotas);
        var inherited = new List<QuotaDefinition>(parentQuotas);
        var kept = new List<string>();
        foreach (var previous in tenant.ParentQuotas ?? [])
        {
            if (previous.Kind == QuotaKind.Gauge
                && !merged.Any(q => q.Kind == QuotaKind.Gauge && q.Name == previous.Name)
                && tenant.Gauges.Leases().Any(lease => lease.Quota == previous.Name && lease.ExpiresAt > now))
            {
                inherited.Add(previous with { Limit = QuotaLimit.Hard(0) });
                kept.Add(previous.Name);
            }
        }

        return (inherited, kept);
    }

    /// <summary>
    /// Tells each known child that the quotas in force changed, without waiting: a child may at this moment be
    /// waiting on a call to this tenant, and this turn waiting on the child would deadlock both. A child that cannot
    /// be told is forgotten; its own refresh reads the change and registers it again.
    /// </summary>
    private void TellChildren()
    {
        // A copy: a call that fails at once removes its child before the loop moves on.
        foreach (var child in _children.ToArray())
        {
            _ = TellChildAsync(child);
        }
    }

    private async Task TellChildAsync(string child)
    {
        try
        {
            await GrainFactory.GetGrain<ITenantGrain>(child).ParentQuotasChanged();
        }
        catch (Exception)
        {
            // Nobody awaits this task, so every failure ends here (a timeout too).
            _children.Remove(child);
        }
    }

    private void RefreshFromParentWhileActive()
    {
        if (_parentRefresh is null && _tenant?.Config.ParentId is not null)
        {
            _parentRefresh = RegisterGrainTimer(InheritFromParentAsync, ParentRefreshInterval, ParentRefreshInterval);
        }
    }
}
