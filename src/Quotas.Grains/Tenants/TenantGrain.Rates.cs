using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Rate checks through the hierarchy. A hit counts in the tenant's own window first; when admitted there and an
/// ancestor sets a limited rate quota of that name itself, it counts in that ancestor too (which asks the next one
/// that sets it), all or nothing, so that such a limit caps the sum of its subtree's hits. A refusal anywhere takes
/// the hit back below it. Tier defaults and inherited values cap no subtree: they limit each tenant's own hits, so a
/// hierarchy asks an ancestor only about the rates an operator capped there, and a tenant whose ancestors cap nothing
/// of that name answers from memory at once, as a tenant without a parent does.
/// </summary>
/// <remarks>
/// A child learns which ancestors cap which names when it reads what it inherits (<see cref="InheritFromParentAsync"/>:
/// at activation, when told of a change, and every 30 seconds), and asks the nearest capping ancestor directly, so
/// tenants in between that cap nothing are not involved. The turn waits for that ancestor's answer (tenant timers
/// queue behind it), so nothing else is counted between a hit and its take-back; no tenant waits on a descendant
/// (changes are told without waiting), so the chain cannot deadlock. Rate windows stay in memory, as every tenant's
/// do: an ancestor whose silo shut down gracefully counts on from what it handed over, one that crashed or moved to a
/// silo that joined from an empty window.
/// </remarks>
public sealed partial class TenantGrain
{
    /// <summary>What an ancestor answers that caps nothing of this name (or was deleted): no limit above.</summary>
    private static readonly RateHit s_noCapAbove = new(
        new RateDecision(true, null, QuotaNames.Requests, 0, QuotaLimit.UnlimitedValue, QuotaLimit.UnlimitedValue, TimeSpan.Zero, null),
        TimeSpan.Zero);

    /// <summary>Rate quota name to the nearest ancestor that sets it; null until read (a tenant with a parent only).</summary>
    private Dictionary<string, string>? _rateCapsAbove;

    public Task<RateDecision> CheckRate(string quota, long cost)
    {
        if (!AnsweredHere(quota))
        {
            return DecisionOfAsync(HitWithAncestorsAsync(quota, cost));
        }

        return Task.FromResult(DecideHere(Tenant(), quota, cost));
    }

    public Task<RateHit> HitRate(string quota, long cost)
    {
        if (!AnsweredHere(quota))
        {
            return HitWithAncestorsAsync(quota, cost);
        }

        var tenant = Tenant();
        return Task.FromResult(new RateHit(DecideHere(tenant, quota, cost), WindowOf(tenant, quota)));
    }

    public async Task<RateHit> HitRateForChild(string quota, long cost)
    {
        // The next capping ancestor first: a failure to read it then leaves nothing counted here.
        var above = await CappingAncestorAsync(quota);
        var tenant = Tenant();
        var counted = tenant.CountChildRate(quota, cost, time.GetUtcNow());
        var here = counted is { } decision ? new RateHit(decision, WindowOf(tenant, quota)) : s_noCapAbove;
        if (!here.Decision.Allowed)
        {
            return here;
        }

        return above is { } capping
            ? await HitAboveAsync(capping, quota, cost, here, countedHere: counted is not null, ownHit: false)
            : Admitted(here, countedHere: counted is not null);
    }

    public async Task<IReadOnlyList<RateCap>> GetRateCapsForChild(string childId)
    {
        ArgumentException.ThrowIfNullOrEmpty(childId);
        var own = Tenant().OwnRateCaps().ToHashSet(StringComparer.Ordinal);
        var above = Tenant().Config.ParentId is null ? [] : await RateCapsAboveAsync();
        _children.Add(childId);

        // Never the child itself: caps read before a tenant under its id was deleted and created again elsewhere in
        // the hierarchy may name it, and a tenant that asked itself (or its descendant) would wait on itself.
        return [.. own.Select(quota => new RateCap(quota, Id)),
            .. above.Where(cap => !own.Contains(cap.Key) && cap.Value != childId).Select(cap => new RateCap(cap.Key, cap.Value))];
    }

    /// <summary>Whether a hit is answered from this tenant's own window alone: no parent, or no ancestor caps the name.</summary>
    private bool AnsweredHere(string quota) =>
        Tenant().Config.ParentId is null || _rateCapsAbove is { } caps && !caps.ContainsKey(quota);

    /// <summary>A hit answered from this tenant's own window alone, counted in the decision metrics.</summary>
    private RateDecision DecideHere(TenantQuotas tenant, string quota, long cost)
    {
        var decision = tenant.CheckRate(quota, cost, time.GetUtcNow());
        QuotaMetrics.Decided("rate", decision.Allowed);
        return decision;
    }

    private static async Task<RateDecision> DecisionOfAsync(Task<RateHit> hit) => (await hit).Decision;

    /// <summary>A hit of a tenant whose ancestors' caps are not read yet, or cap this name.</summary>
    private async Task<RateHit> HitWithAncestorsAsync(string quota, long cost)
    {
        var capping = await CappingAncestorAsync(quota);
        var tenant = Tenant();
        if (capping is null)
        {
            return new RateHit(DecideHere(tenant, quota, cost), WindowOf(tenant, quota));
        }

        var here = new RateHit(tenant.CountRatePendingAbove(quota, cost, time.GetUtcNow()), WindowOf(tenant, quota));
        var hit = here.Decision.Allowed ? await HitAboveAsync(capping.Value, quota, cost, here, countedHere: true, ownHit: true) : here;
        QuotaMetrics.Decided("rate", hit.Decision.Allowed);
        return hit;
    }

    /// <summary>
    /// Asks the capping ancestor about a hit admitted here. When it refuses or cannot be asked, the hit is taken back
    /// here (a refusal counts as a violation of the tenant whose caller it refused, <paramref name="ownHit"/>, only);
    /// when it admits, the hit's alert here is raised.
    /// </summary>
    private async Task<RateHit> HitAboveAsync(TenantId capping, string quota, long cost, RateHit here, bool countedHere, bool ownHit)
    {
        RateHit above;
        try
        {
            above = await AskParentAsync(capping, p => p.HitRateForChild(quota, cost), s_noCapAbove);
        }
        catch (NotSupportedException)
        {
            // UnknownGrainMethodException: the ancestor runs on a silo of an earlier release, which capped no subtree.
            above = s_noCapAbove;
        }
        catch
        {
            // Ancestors that counted the hit before the failure keep it until it leaves their windows: a failure errs
            // towards refusing, never towards admitting more than a limit.
            TakeBack(quota, cost, countedHere, violation: false);
            throw;
        }

        if (!above.Decision.Allowed)
        {
            TakeBack(quota, cost, countedHere, violation: ownHit);
            return above;
        }

        return Tighter(Admitted(here, countedHere), above);
    }

    private RateHit Admitted(RateHit here, bool countedHere)
    {
        if (countedHere)
        {
            Tenant().AdmittedAbove(here.Decision, time.GetUtcNow());
        }

        return here;
    }

    private void TakeBack(string quota, long cost, bool countedHere, bool violation)
    {
        if (countedHere)
        {
            Tenant().TakeBackRate(quota, cost, time.GetUtcNow(), violation);
        }
    }

    /// <summary>The nearest ancestor that sets a limited rate quota of this name itself; null when none does.</summary>
    private async Task<TenantId?> CappingAncestorAsync(string quota)
    {
        if (Tenant().Config.ParentId is null)
        {
            return null;
        }

        return (await RateCapsAboveAsync()).TryGetValue(quota, out var capping) && capping != Id ? new TenantId(capping) : null;
    }

    private async Task<Dictionary<string, string>> RateCapsAboveAsync()
    {
        if (_rateCapsAbove is null && Tenant().Config.ParentId is { } parent)
        {
            _rateCapsAbove = await ReadRateCapsAsync(parent);
        }

        return _rateCapsAbove ?? [];
    }

    /// <summary>
    /// A new tenant learns its ancestors' caps with its creation, so that its first hit asks no extra question. A
    /// parent out of reach now leaves them to be read at the first hit (which fails while it stays out of reach).
    /// </summary>
    private async Task ReadRateCapsOnCreateAsync()
    {
        _rateCapsAbove = null; // an earlier life of this id may have had another parent
        try
        {
            await RateCapsAboveAsync();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The tenant is stored; its caps are read again at the first hit.
        }
    }

    /// <summary>Takes the caps just read from the parent; answers whether they differ from those known before.</summary>
    private bool RateCapsRead(Dictionary<string, string> caps)
    {
        var before = _rateCapsAbove;
        _rateCapsAbove = caps;
        return before is null
            ? caps.Count > 0
            : before.Count != caps.Count || caps.Any(cap => !before.TryGetValue(cap.Key, out var was) || was != cap.Value);
    }

    /// <summary>
    /// The parent's answer to <see cref="GetRateCapsForChild"/>, which registers this tenant as its child: nothing
    /// when the parent was deleted or runs on a silo of an earlier release, which caps no subtree's rates.
    /// </summary>
    private async Task<Dictionary<string, string>> ReadRateCapsAsync(TenantId parent)
    {
        IReadOnlyList<RateCap> caps;
        try
        {
            caps = await AskParentAsync(parent, p => p.GetRateCapsForChild(Id), []);
        }
        catch (NotSupportedException)
        {
            caps = [];
        }

        return caps.ToDictionary(cap => cap.Quota, cap => cap.TenantId, StringComparer.Ordinal);
    }

    /// <summary>The allowance with fewer units remaining, so that a client's RateLimit fields follow the limit it meets first.</summary>
    private static RateHit Tighter(RateHit here, RateHit above)
    {
        var (mine, theirs) = (here.Decision.Remaining, above.Decision.Remaining);
        var aboveIsTighter = theirs != QuotaLimit.UnlimitedValue && (mine == QuotaLimit.UnlimitedValue || theirs < mine);
        return aboveIsTighter ? above : here;
    }

    /// <summary>The quota's window for the RateLimit-Policy header; zero when the tenant has no rate quota of that name.</summary>
    private static TimeSpan WindowOf(TenantQuotas tenant, string quota)
    {
        var effective = tenant.Effective;
        for (var i = 0; i < effective.Count; i++) // by index: a foreach over the list's interface allocates on every hit
        {
            var definition = effective[i];
            if (definition.Kind == QuotaKind.Rate && definition.Name == quota)
            {
                return definition.PolicyWindow();
            }
        }

        return TimeSpan.Zero;
    }
}
