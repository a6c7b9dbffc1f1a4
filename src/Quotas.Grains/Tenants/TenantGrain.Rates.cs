using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Rate checks through the hierarchy: a hit counts in the tenant's own window first and, when admitted there, in each
/// ancestor that defines a rate quota of the same name (each parent asks its own), all or nothing, so that a parent's
/// rate limit caps the sum of its subtree (DESIGN section 4). A refusal anywhere takes the hit back below it. A tenant
/// without a parent answers from memory at once, as before.
/// </summary>
/// <remarks>
/// The turn waits for the parent's answer, so the window cannot change between the count and a take-back; the parent
/// never waits on a child (it tells children of changes without waiting), so the chain cannot deadlock. Rate windows
/// stay in memory, as every tenant's do: a parent that is reactivated counts its subtree from an empty window.
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
        var here = new RateHit(tenant.CheckRate(quota, cost, now), WindowOf(tenant, quota));
        if (!here.Decision.Allowed || tenant.Config.ParentId is not { } parent)
        {
            QuotaMetrics.Decided("rate", here.Decision.Allowed);
            return Task.FromResult(here);
        }

        return DecidedAsync(HitAboveAsync(parent, quota, cost, here, now, countedHere: true));
    }

    public Task<RateHit> HitRateForChild(string quota, long cost)
    {
        var tenant = Tenant();
        var now = time.GetUtcNow();
        var counted = tenant.CheckRateForChild(quota, cost, now);
        var here = counted is { } decision ? new RateHit(decision, WindowOf(tenant, quota)) : s_noCapAbove;
        return !here.Decision.Allowed || tenant.Config.ParentId is not { } parent
            ? Task.FromResult(here)
            : HitAboveAsync(parent, quota, cost, here, now, countedHere: counted is not null);
    }

    /// <summary>Asks the ancestors about a hit admitted here; takes it back when they refuse it or cannot be asked.</summary>
    private async Task<RateHit> HitAboveAsync(TenantId parent, string quota, long cost, RateHit here, DateTimeOffset countedAt, bool countedHere)
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
            TakeBack(quota, cost, countedAt, countedHere, refusedAbove: false);
            throw;
        }

        if (!above.Decision.Allowed)
        {
            TakeBack(quota, cost, countedAt, countedHere, refusedAbove: true);
            return above;
        }

        return Tighter(here, above);
    }

    private void TakeBack(string quota, long cost, DateTimeOffset countedAt, bool countedHere, bool refusedAbove)
    {
        if (countedHere)
        {
            Tenant().TakeBackRate(quota, cost, countedAt, time.GetUtcNow(), refusedAbove);
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
