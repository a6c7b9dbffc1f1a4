using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Rate checks of a tenant whose parent caps the same rate: the parent's limit caps the sum of its children's use,
/// exactly, so the check asks the parent (which asks its own, level by level) before it counts here. This tenant
/// first looks whether its own window would admit, without counting; only then asks up; and counts here only once
/// every ancestor counted. Turns do not interleave, so nothing else changes this tenant's window meanwhile; what is
/// refused anywhere is counted nowhere below. The one exception is a soft limit whose grace ends during the wait: then
/// the ancestors counted a hit this tenant refuses, which errs on the safe side.
/// </summary>
public sealed partial class TenantGrain
{
    public async Task<RateDecision> HitRateForChild(string quota, long cost)
    {
        var tenant = Tenant();
        if (tenant.Rates.IndexOf(quota) < 0)
        {
            // The child read this tenant's quotas before the rate was removed: nothing caps it here any more.
            QuotaNames.Validate(quota);
            return new RateDecision(true, null, quota, 0, QuotaLimit.UnlimitedValue, QuotaLimit.UnlimitedValue, TimeSpan.Zero, null);
        }

        return (await CountWithAncestorsAsync(quota, cost)).Decision;
    }

    private async Task<RateDecision> CheckRateWithAncestorsAsync(string quota, long cost)
    {
        var (decision, _) = await CountWithAncestorsAsync(quota, cost);
        QuotaMetrics.Decided("rate", decision.Allowed);
        return decision;
    }

    private async Task<RateHit> HitRateWithAncestorsAsync(string quota, long cost)
    {
        var (decision, above) = await CountWithAncestorsAsync(quota, cost);
        QuotaMetrics.Decided("rate", decision.Allowed);

        // A refusal from above carries that ancestor's window, which the parent's quotas in force describe.
        var quotas = above && Tenant().ParentQuotas is { } parentQuotas ? parentQuotas : Tenant().Effective;
        return new RateHit(decision, WindowOf(quotas, decision.Quota));
    }

    /// <summary>The decision, and whether it is an ancestor's refusal.</summary>
    private async Task<(RateDecision Decision, bool Above)> CountWithAncestorsAsync(string quota, long cost)
    {
        var tenant = Tenant();
        var here = tenant.PeekRate(quota, cost, time.GetUtcNow());
        if (!here.Allowed || tenant.ParentRate(quota) is null || tenant.Config.ParentId is not { } parent)
        {
            // Refused here (counted as a refusal, consuming nothing), or nothing above caps this rate.
            return (tenant.CheckRate(quota, cost, time.GetUtcNow()), false);
        }

        if (await AskParentForRateAsync(parent, quota, cost) is { Allowed: false } refused)
        {
            return (refused, true);
        }

        return (Tenant().CheckRate(quota, cost, time.GetUtcNow()), false);
    }

    /// <summary>
    /// The parent's decision; null when nothing above caps the rate: the parent was deleted (its caps went with it, as
    /// with leases) or runs a release that does not know the call (during a rolling upgrade).
    /// </summary>
    private async Task<RateDecision?> AskParentForRateAsync(TenantId parent, string quota, long cost)
    {
        try
        {
            return await AskParentAsync<RateDecision?>(parent, async p => await p.HitRateForChild(quota, cost), gone: null);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }
}
