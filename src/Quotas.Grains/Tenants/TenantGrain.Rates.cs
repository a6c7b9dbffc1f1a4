using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Rate checks through the hierarchy: a hit counts in the tenant's own window first and, when admitted there, in each
/// ancestor with a rate quota of the same name in force (its own, its tier's or inherited; each parent asks its own),
/// all or nothing, so that a parent's rate limit caps the sum of its subtree's hits. A refusal anywhere takes the hit
/// back below it. A tenant without a parent answers from memory at once, as before.
/// </summary>
/// <remarks>
/// The turn waits for the parent's answer (tenant timers queue behind it), so nothing else is counted between a hit
/// and its take-back; the parent never waits on a child (it tells children of changes without waiting), so the chain
/// cannot deadlock. Rate windows stay in memory, as every tenant's do: a parent that is reactivated counts its subtree
/// from an empty window.
/// </remarks>
public sealed partial class TenantGrain
{
    /// <summary>What an ancestor answers that caps nothing of this name (or was deleted): no limit above.</summary>
    private static readonly RateHit s_noCapAbove = new(
        new RateDecision(true, null, QuotaNames.Requests, 0, QuotaLimit.UnlimitedValue, QuotaLimit.UnlimitedValue, TimeSpan.Zero, null),
        TimeSpan.Zero);

    public async Task<RateDecision> CheckRate(string quota, long cost) => (await HitRate(quota, cost)).Decision;

    public Task<RateHit> HitRate(string quota, long cost)
    {
        var tenant = Tenant();
        var now = time.GetUtcNow();
        if (tenant.Config.ParentId is not { } parent)
        {
            var decision = tenant.CheckRate(quota, cost, now);
            QuotaMetrics.Decided("rate", decision.Allowed);
            return Task.FromResult(new RateHit(decision, WindowOf(tenant, quota)));
        }

        var here = new RateHit(tenant.CountRatePendingAbove(quota, cost, now), WindowOf(tenant, quota));
        if (!here.Decision.Allowed)
        {
            QuotaMetrics.Decided("rate", allowed: false);
            return Task.FromResult(here);
        }

        return DecidedAsync(HitAboveAsync(parent, quota, cost, here, countedHere: true, ownHit: true));
    }

    public Task<RateHit> HitRateForChild(string quota, long cost)
    {
        var tenant = Tenant();
        var counted = tenant.CountChildRate(quota, cost, time.GetUtcNow());
        var here = counted is { } decision ? new RateHit(decision, WindowOf(tenant, quota)) : s_noCapAbove;
        if (!here.Decision.Allowed)
        {
            return Task.FromResult(here);
        }

        if (tenant.Config.ParentId is not { } parent)
        {
            tenant.AdmittedAbove(here.Decision, time.GetUtcNow());
            return Task.FromResult(here);
        }

        return HitAboveAsync(parent, quota, cost, here, countedHere: counted is not null, ownHit: false);
    }

    /// <summary>
    /// Asks the ancestors about a hit admitted here. When they refuse it or cannot be asked, it is taken back here (a
    /// refusal counts as a violation of the tenant whose caller it refused, <paramref name="ownHit"/>, only); when
    /// they admit it, its alert is raised.
    /// </summary>
    private async Task<RateHit> HitAboveAsync(TenantId parent, string quota, long cost, RateHit here, bool countedHere, bool ownHit)
    {
        RateHit above;
        try
        {
            above = await AskParentAsync(parent, p => p.HitRateForChild(quota, cost), s_noCapAbove);
        }
        catch (NotSupportedException)
        {
            // UnknownGrainMethodException: the parent runs on a silo of an earlier release, which capped no child's rate.
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

        if (countedHere)
        {
            Tenant().AdmittedAbove(here.Decision, time.GetUtcNow());
        }

        return Tighter(here, above);
    }

    private void TakeBack(string quota, long cost, bool countedHere, bool violation)
    {
        if (countedHere)
        {
            Tenant().TakeBackRate(quota, cost, time.GetUtcNow(), violation);
        }
    }

    /// <summary>The allowance with fewer units remaining, so that a client's RateLimit fields follow the limit it meets first.</summary>
    private static RateHit Tighter(RateHit here, RateHit above)
    {
        var (mine, theirs) = (here.Decision.Remaining, above.Decision.Remaining);
        var aboveIsTighter = theirs != QuotaLimit.UnlimitedValue && (mine == QuotaLimit.UnlimitedValue || theirs < mine);
        return aboveIsTighter ? above : here;
    }

    private static async Task<RateHit> DecidedAsync(Task<RateHit> hit)
    {
        var decided = await hit;
        QuotaMetrics.Decided("rate", decided.Decision.Allowed);
        return decided;
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
