using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>What a budget counted is never lost to a lagging clock or to a change of its period.</summary>
public sealed class BudgetClockAndRedefinitionTests
{
    private static TenantConfig Config(BudgetPeriod period, long limit = 10_000, string zone = "UTC") =>
        TenantConfig.Create("acme", Tier.Basic, QuotaDefinition.Budget(QuotaNames.Cost, QuotaLimit.Hard(limit), period)) with { TimeZoneId = zone };

    /// <summary>The tenant as an update of its quotas rebuilds it: its snapshot under the new configuration.</summary>
    private static TenantQuotas Redefined(TenantQuotas tenant, TenantConfig config)
    {
        var snapshot = tenant.ToSnapshot();
        snapshot.Config = config;
        return TenantQuotas.FromSnapshot(snapshot);
    }

    /// <summary>The budget as the stats API shows it at <paramref name="now"/> (reading it consumes nothing).</summary>
    private static QuotaUsage Budget(TenantQuotas tenant, DateTimeOffset now) => tenant.Stats(now).Budgets.Single(b => b.Quota == QuotaNames.Cost);

    [Fact]
    public void A_clock_behind_the_period_counts_in_it_instead_of_starting_the_earlier_one_afresh()
    {
        var tenant = new TenantQuotas(Config(BudgetPeriod.Day));
        tenant.RecordUsage("e1", QuotaNames.Cost, 500, Utc(2030, 3, 2, 0, 0, 1));

        // A silo whose clock is two seconds behind takes over the tenant.
        var lagging = Utc(2030, 3, 1, 23, 59, 59);
        var record = tenant.RecordUsage("e2", QuotaNames.Cost, 1, lagging);
        Assert.Equal(501, record.Consumed);
        Assert.Equal(Utc(2030, 3, 2), record.PeriodStart);
        Assert.Equal(501, Budget(tenant, lagging).Current);
        Assert.Equal(501, Budget(tenant, Utc(2030, 3, 2)).Current);

        var restored = TenantQuotas.FromSnapshot(tenant.ToSnapshot());
        Assert.Equal(501, Budget(restored, lagging).Current);

        // The period still ends when it ends.
        Assert.Equal(7, tenant.RecordUsage("e5", QuotaNames.Cost, 7, Utc(2030, 3, 3)).Consumed);
    }

    [Fact]
    public void A_day_changed_to_a_month_keeps_the_day_in_the_month()
    {
        var tenant = new TenantQuotas(Config(BudgetPeriod.Day));
        tenant.RecordUsage("e1", QuotaNames.Cost, 800, Utc(2030, 3, 15, 9));

        var monthly = Redefined(tenant, Config(BudgetPeriod.Month));
        monthly.RecordUsage("e2", QuotaNames.Cost, 900, Utc(2030, 3, 15, 18));

        // The next day is still in the month: nothing counted is lost at midnight.
        var record = monthly.RecordUsage("e3", QuotaNames.Cost, 1, Utc(2030, 3, 16, 0, 0, 1));
        Assert.Equal(1701, record.Consumed);
        Assert.Equal(Utc(2030, 3, 1), record.PeriodStart);
        Assert.Equal(Utc(2030, 4, 1), record.PeriodEnd);
        Assert.Equal(5, monthly.RecordUsage("e4", QuotaNames.Cost, 5, Utc(2030, 4, 1)).Consumed);
    }

    [Fact]
    public void A_budget_counted_near_the_largest_number_refuses_a_request_whose_sum_would_wrap_round()
    {
        var tenant = new TenantQuotas(Config(BudgetPeriod.Day, limit: QuotaLimit.MaxValue));
        for (var i = 0; i < 1023; i++)
        {
            tenant.RecordUsage($"e{i}", QuotaNames.Cost, QuotaLimit.MaxValue, Utc(2030, 3, 15, 12));
        }

        var refused = Assert.IsType<AdmissionDecision.Deny>(tenant.CheckBudget(QuotaNames.Cost, QuotaLimit.MaxValue, Utc(2030, 3, 15, 12)));
        Assert.Equal(ReasonCodes.BudgetExhausted, refused.ReasonCode);
    }

    [Fact]
    public void A_month_changed_to_a_day_counts_the_month_so_far_today_and_starts_afresh_tomorrow()
    {
        var tenant = new TenantQuotas(Config(BudgetPeriod.Month, limit: 100_000));
        tenant.RecordUsage("e1", QuotaNames.Cost, 1700, Utc(2030, 3, 3));

        var daily = Redefined(tenant, Config(BudgetPeriod.Day, limit: 1000));
        var today = Utc(2030, 3, 15, 12);
        var refused = Assert.IsType<AdmissionDecision.Deny>(daily.CheckBudget(QuotaNames.Cost, 1, today));
        Assert.Equal(ReasonCodes.BudgetExhausted, refused.ReasonCode);
        Assert.Equal(TimeSpan.FromHours(12), refused.RetryAfter);

        var tomorrow = daily.RecordUsage("e2", QuotaNames.Cost, 3, Utc(2030, 3, 16));
        Assert.Equal(3, tomorrow.Consumed);
        Assert.Equal(Utc(2030, 3, 16), tomorrow.PeriodStart);
        Assert.Equal(Utc(2030, 3, 17), tomorrow.PeriodEnd);
    }

    [Fact]
    public void A_period_changed_after_the_old_one_ended_starts_afresh()
    {
        var tenant = new TenantQuotas(Config(BudgetPeriod.Day));
        tenant.RecordUsage("e1", QuotaNames.Cost, 800, Utc(2030, 2, 27));

        var monthly = Redefined(tenant, Config(BudgetPeriod.Month));
        Assert.Equal(4, monthly.RecordUsage("e2", QuotaNames.Cost, 4, Utc(2030, 3, 2)).Consumed);
    }

    /// <summary>
    /// A month used up and over, its budget changed to weekly two days into the next month: the week holding today
    /// reaches back into the closed month, whose count does not come along (the monthly budget would have started
    /// afresh too). It came along, and refused the tenant until the week ended. A day that ended inside the month a
    /// budget becomes still counts in it.
    /// </summary>
    [Fact]
    public void A_period_changed_after_the_old_one_ended_carries_its_count_only_into_a_period_that_holds_it_whole()
    {
        var monthly = new TenantQuotas(Config(BudgetPeriod.Month, limit: 1000));
        monthly.RecordUsage("e1", QuotaNames.Cost, 1000, Utc(2025, 12, 15));

        var weekly = Redefined(monthly, Config(BudgetPeriod.Week, limit: 1000));
        Assert.Equal(5, weekly.RecordUsage("e2", QuotaNames.Cost, 5, Utc(2026, 1, 2)).Consumed); // the week of Dec 29 to Jan 5

        var daily = new TenantQuotas(Config(BudgetPeriod.Day));
        daily.RecordUsage("e1", QuotaNames.Cost, 800, Utc(2030, 3, 1));
        var thisMonth = Redefined(daily, Config(BudgetPeriod.Month));
        Assert.Equal(804, thisMonth.RecordUsage("e2", QuotaNames.Cost, 4, Utc(2030, 3, 2)).Consumed);
    }

    [Fact]
    public void A_changed_time_zone_moves_the_count_onto_the_zone_s_day()
    {
        var tenant = new TenantQuotas(Config(BudgetPeriod.Day));
        tenant.RecordUsage("e1", QuotaNames.Cost, 800, Utc(2030, 3, 15, 20));

        // 22:00 UTC is 07:00 on the 16th in Tokyo: that day overlaps the UTC day that counted.
        var tokyo = Redefined(tenant, Config(BudgetPeriod.Day, zone: "Asia/Tokyo"));
        var record = tokyo.RecordUsage("e2", QuotaNames.Cost, 1, Utc(2030, 3, 15, 22));
        Assert.Equal(801, record.Consumed);
        Assert.Equal(Utc(2030, 3, 15, 15), record.PeriodStart);

        // Unchanged definitions restore as they were.
        var again = TenantQuotas.FromSnapshot(tokyo.ToSnapshot());
        Assert.Equal(801, Budget(again, Utc(2030, 3, 16, 14)).Current);
        Assert.Equal(Utc(2030, 3, 16, 15), Budget(again, Utc(2030, 3, 16, 14)).ResetsAt);
    }

    [Fact]
    public void A_new_period_counts_from_zero_even_when_the_last_one_was_one_report_from_overflowing()
    {
        var tenant = new TenantQuotas(Config(BudgetPeriod.Day, limit: QuotaLimit.MaxValue));
        for (var i = 0; i < long.MaxValue / QuotaLimit.MaxValue; i++)
        {
            tenant.RecordUsage($"fill-{i}", QuotaNames.Cost, QuotaLimit.MaxValue, Utc(2030, 3, 1, 12));
        }

        Assert.Throws<QuotaValidationException>(() => tenant.RecordUsage("same-day", QuotaNames.Cost, QuotaLimit.MaxValue, Utc(2030, 3, 1, 13)));
        Assert.Equal(QuotaLimit.MaxValue, tenant.RecordUsage("next-day", QuotaNames.Cost, QuotaLimit.MaxValue, Utc(2030, 3, 2, 1)).Consumed);
    }
}
