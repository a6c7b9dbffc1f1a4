using Quotas.Core.Tenants;

namespace Quotas.Core.Billing;

/// <summary>Prices a month's usage under a pricing plan and projects a month in progress to its end.</summary>
public static class Statements
{

    /// <summary>
    /// How long after its end a month counts as closed: usage that a silo whose clock lags the others records just
    /// after midnight still lands in the month it names, and a closed month's statement does not change after that.
    /// </summary>
    public static readonly TimeSpan ClosingGrace = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The statement of the calendar month <paramref name="year"/>-<paramref name="month"/> (UTC) from each meter's
    /// usage in it. Refuses a month that has not started, or one older than the rollups keep. Usage that ended at
    /// <paramref name="usageEnded"/> (the tenant was deleted) is projected no further than then.
    /// </summary>
    public static BillingStatement For(
        TenantId tenant,
        PricingPlan? plan,
        int year,
        int month,
        IReadOnlyDictionary<string, long> usage,
        DateTimeOffset now,
        DateTimeOffset? usageEnded = null,
        DateTimeOffset? usageBegan = null)
    {
        var start = CheckMonth(year, month, now);
        var end = start.AddMonths(1);

        var closed = now >= end + ClosingGrace;

        // Projected by elapsed time: the usage so far over the part of the month gone, times the whole month (within
        // the closing grace, the month is all gone and the projection is the usage). A tenant created during the month
        // has used it only since: its rate is over that time, and the rest of the month is what it projects over.
        var from = usageBegan is { } began && began > start ? began : start;
        var whole = Math.Max(0, (end - from).Ticks);
        var elapsed = Math.Min((now - from).Ticks, whole);
        if (usageEnded is { } ended && ended < end)
        {
            elapsed = whole; // no more usage will come: the usage so far is the month's
        }

        var prices = plan?.Prices.ToDictionary(p => p.Meter, StringComparer.Ordinal) ?? [];
        var decimals = CurrencyDecimals.Of(plan?.Currency);
        var meters = new SortedSet<string>(usage.Where(u => u.Value > 0).Select(u => u.Key), StringComparer.Ordinal);
        meters.UnionWith(prices.Keys);
        var lines = new List<StatementLine>(meters.Count);
        foreach (var meter in meters)
        {
            var price = prices.GetValueOrDefault(meter) ?? new MeterPrice(meter, 0m);
            var quantity = usage.GetValueOrDefault(meter);
            long? projected = closed ? null : Project(quantity, elapsed, whole);
            lines.Add(new StatementLine(
                meter,
                quantity,
                price.Included,
                Billable(quantity, price),
                price.UnitPrice,
                price.PerUnits,
                Amount(quantity, price, decimals),
                projected,
                projected is { } p ? Amount(p, price, decimals) : null));
        }

        // A stored fee has the currency's decimals (Validate); one edited by hand is rounded like the lines.
        var fee = Math.Round(plan?.MonthlyFee ?? 0m, decimals, MidpointRounding.AwayFromZero);
        return new BillingStatement(
            tenant.Value,
            start,
            end,
            closed,
            now,
            plan?.Name,
            plan?.Currency,
            fee,
            lines,
            fee + lines.Sum(l => l.Amount),
            closed ? null : fee + lines.Sum(l => l.ProjectedAmount ?? 0m),
            decimals);
    }

    /// <summary>
    /// The first instant of a month a statement can be asked for at <paramref name="now"/>; refuses (invalid_period) a
    /// month that has not started, or is older than the usage kept, as <see cref="For"/> does.
    /// </summary>
    public static DateTimeOffset CheckMonth(int year, int month, DateTimeOffset now)
    {
        var start = MonthStart(year, month);
        if (start > now)
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidPeriod, $"Month {start:yyyy-MM} has not started yet (it is {now.UtcDateTime:yyyy-MM} now, UTC): ask for this month or an earlier one.");
        }

        var oldest = UsageRollups.OldestKept(RollupGranularity.Month, now);
        if (start < oldest)
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidPeriod,
                $"Month {start:yyyy-MM} is older than the usage kept ({UsageRollups.Kept(RollupGranularity.Month)} months, from {oldest:yyyy-MM}): ask for {oldest:yyyy-MM} or later.");
        }

        return start;
    }

    /// <summary>The first instant of a calendar month in UTC; refuses a month outside 1 to 12 or a year outside 2000 to 9998.</summary>
    public static DateTimeOffset MonthStart(int year, int month) =>
        year is >= 2000 and <= 9998 && month is >= 1 and <= 12
            ? new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero)
            : throw new QuotaValidationException(ValidationCodes.InvalidPeriod, $"Month {year:D4}-{month:D2} is not a month: give a year from 2000 and a month from 1 to 12, e.g. 2026-12.");

    private static long Billable(long quantity, MeterPrice price) => Math.Max(0, quantity - price.Included);

    /// <summary>An amount rounded as an invoice shows it: to the currency's decimals, half away from zero, per line.</summary>
    private static decimal Amount(long quantity, MeterPrice price, int decimals) =>
        Math.Round(Billable(quantity, price) * price.UnitPrice / price.PerUnits, decimals, MidpointRounding.AwayFromZero);

    private static long Project(long quantity, long elapsedTicks, long wholeTicks)
    {
        if (elapsedTicks <= 0 || quantity == 0)
        {
            return quantity;
        }

        // A quantity near the most a budget counts, early in the month, projects past what a long holds: it stops there.
        var ratio = (decimal)wholeTicks / elapsedTicks;
        if (ratio >= (decimal)long.MaxValue / quantity)
        {
            return long.MaxValue;
        }

        var projected = Math.Round(quantity * ratio, MidpointRounding.AwayFromZero);
        return projected >= long.MaxValue ? long.MaxValue : (long)projected;
    }
}
