namespace Quotas.Core.Billing;

/// <summary>A pricing plan in force from the start of a calendar month (UTC); a null plan prices nothing.</summary>
public sealed record PlanPeriod(DateTimeOffset From, PricingPlan? Plan);

/// <summary>
/// Which pricing plan applied to which month, so that changing a tenant's plan reprices the month it is changed in
/// and never a month already closed. A change applies to the whole month it is made in; a second change in the same
/// month replaces the first. Kept as far back as the monthly rollups.
/// </summary>
public sealed class PricingHistory
{
    private readonly List<PlanPeriod> _periods = [];

    /// <summary>The plan in force now; null when none was ever set or the last change removed it.</summary>
    public PricingPlan? Current => _periods.Count == 0 ? null : _periods[^1].Plan;

    public IReadOnlyList<PlanPeriod> Periods => _periods;

    /// <summary>Sets a plan that <see cref="PricingPlan.Validate"/> accepted (the tenant validates it first).</summary>
    public void Set(PricingPlan? plan, DateTimeOffset now)
    {
        var month = MonthOf(now);

        // A clock behind the last change (a lagging silo) still changes the newest period, never an earlier one.
        if (_periods.Count > 0 && _periods[^1].From >= month)
        {
            _periods[^1] = _periods[^1] with { Plan = plan };
        }
        else
        {
            _periods.Add(new PlanPeriod(month, plan));
        }

        Forget(now);
    }

    /// <summary>Whether a plan, or its removal, was set in or before the month starting at <paramref name="monthStart"/>.</summary>
    public bool IsSetFor(DateTimeOffset monthStart) => _periods.Exists(p => p.From <= monthStart);

    /// <summary>The plan that prices the month starting at <paramref name="monthStart"/>: the last one set in or before it.</summary>
    public PricingPlan? For(DateTimeOffset monthStart)
    {
        for (var i = _periods.Count - 1; i >= 0; i--)
        {
            if (_periods[i].From <= monthStart)
            {
                return _periods[i].Plan;
            }
        }

        return null;
    }

    /// <summary>Drops periods that no kept month falls in: every one before the last that started by the oldest month kept.</summary>
    private void Forget(DateTimeOffset now)
    {
        var oldest = UsageRollups.OldestKept(RollupGranularity.Month, now);
        var stillNeeded = _periods.FindLastIndex(p => p.From <= oldest);
        if (stillNeeded > 0)
        {
            _periods.RemoveRange(0, stillNeeded);
        }
    }

    internal List<PlanPeriod>? ToSnapshot() => _periods.Count == 0 ? null : [.. _periods];

    /// <summary>
    /// Takes back what <see cref="ToSnapshot"/> stored, in order of months. A plan that would no longer validate is kept
    /// as stored, to price as it did; one that cannot price at all (a row edited by hand) prices nothing from its month
    /// on, rather than leaving the plan before it in force.
    /// </summary>
    internal void Restore(IEnumerable<PlanPeriod>? periods)
    {
        foreach (var stored in (periods ?? []).Where(p => p is not null).OrderBy(p => p.From))
        {
            var period = stored.Plan is null or { CanPrice: true } ? stored : stored with { Plan = null };
            if (_periods.Count > 0 && _periods[^1].From == MonthOf(period.From))
            {
                _periods[^1] = period with { From = MonthOf(period.From) };
            }
            else
            {
                _periods.Add(period with { From = MonthOf(period.From) });
            }
        }
    }

    private static DateTimeOffset MonthOf(DateTimeOffset time) => BucketIndex.StartOf(RollupGranularity.Month, BucketIndex.Of(RollupGranularity.Month, time));
}
