using Quotas.Core.Billing;
using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Billing;

/// <summary>
/// Usage sent with the time it happened is rolled up then, within the months whose statements are open; the budgets
/// count it when it arrives, as they decide what is admitted now.
/// </summary>
public sealed class DatedUsageTests
{
    private static readonly DateTimeOffset s_dec1 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Late_usage_rolls_up_in_the_hour_it_happened_and_counts_in_the_budget_now()
    {
        var tenant = Tenant();
        var now = s_dec1.AddDays(4).AddHours(10).AddMinutes(30);

        tenant.RecordUsage("e1", "cost", 40, now, occurredAt: now.AddHours(-3));
        tenant.RecordUsage("e2", "cost", 2, now);

        Assert.Equal(
            [new UsageBucket("cost", s_dec1.AddDays(4).AddHours(7), 40), new UsageBucket("cost", s_dec1.AddDays(4).AddHours(10), 2)],
            tenant.Metering!.Rollups.Buckets(RollupGranularity.Hour, s_dec1, now.AddDays(1), "cost", now));
        Assert.Equal(42, tenant.Stats(now).Budgets.Single(b => b.Quota == "cost").Current);
    }

    [Fact]
    public void Usage_of_the_previous_month_is_dated_there_until_its_statement_closes_five_minutes_after_its_end()
    {
        var tenant = Tenant();
        var lastMinuteOfNovember = s_dec1.AddMinutes(-1);

        tenant.RecordUsage("e1", "cost", 7, s_dec1.AddMinutes(4), occurredAt: lastMinuteOfNovember);

        Assert.Equal(7, tenant.Metering!.Rollups.MonthTotals(s_dec1.AddMonths(-1), s_dec1.AddMinutes(4))["cost"]);
        var refused = Assert.Throws<QuotaValidationException>(() => tenant.RecordUsage("e2", "cost", 7, s_dec1.AddMinutes(5), occurredAt: lastMinuteOfNovember));
        Assert.Equal(ValidationCodes.InvalidOccurredAt, refused.Code);
        Assert.Contains("usage can be dated from 2026-12-01T00:00:00.0000000+00:00 on", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_time_ahead_of_the_clock_is_taken_as_now_within_five_minutes_and_refused_beyond_without_counting_anything()
    {
        var tenant = Tenant();
        var now = s_dec1.AddDays(4).AddHours(10).AddMinutes(58);

        tenant.RecordUsage("e1", "cost", 3, now, occurredAt: now.AddMinutes(5));
        var refused = Assert.Throws<QuotaValidationException>(() => tenant.RecordUsage("e2", "cost", 4, now, occurredAt: now.AddMinutes(5).AddTicks(1)));

        Assert.Equal(ValidationCodes.InvalidOccurredAt, refused.Code);
        Assert.Equal([new UsageBucket("cost", s_dec1.AddDays(4).AddHours(10), 3)], tenant.Metering!.Rollups.Buckets(RollupGranularity.Hour, s_dec1, now.AddDays(1), "cost", now));
        Assert.Equal(3, tenant.Stats(now).Budgets.Single(b => b.Quota == "cost").Current);
        Assert.False(tenant.RecordUsage("e2", "cost", 4, now).Duplicate); // the refused event id was not taken
    }

    [Fact]
    public void A_retry_of_a_counted_event_is_a_duplicate_even_once_its_time_can_no_longer_be_accepted()
    {
        var tenant = Tenant();
        tenant.RecordUsage("e1", "cost", 7, s_dec1.AddMinutes(1), occurredAt: s_dec1.AddMinutes(-1));

        var retried = tenant.RecordUsage("e1", "cost", 7, s_dec1.AddMinutes(10), occurredAt: s_dec1.AddMinutes(-1));

        Assert.True(retried.Duplicate);
        Assert.Equal(7, tenant.Metering!.Rollups.MonthTotals(s_dec1.AddMonths(-1), s_dec1.AddMinutes(10))["cost"]);
    }

    [Fact]
    public void A_pool_charge_retried_after_the_callers_events_crowded_it_out_is_a_duplicate_whatever_its_time()
    {
        var tenant = Tenant();
        tenant.RecordUsage("job/pool-a/1/cost", "cost", 7, s_dec1.AddMinutes(1), occurredAt: s_dec1.AddMinutes(-1));
        for (var i = 0; i <= BudgetLedger.RememberedEventIds; i++)
        {
            tenant.RecordUsage($"call-{i}", "cost", 1, s_dec1.AddMinutes(2));
        }

        var retried = tenant.RecordUsage("job/pool-a/1/cost", "cost", 7, s_dec1.AddMinutes(10), occurredAt: s_dec1.AddMinutes(-1));

        Assert.True(retried.Duplicate);
    }

    private static TenantQuotas Tenant() =>
        new(TenantConfig.Create("acme", Tier.Basic, QuotaDefinition.Budget("cost", QuotaLimit.Hard(1_000), BudgetPeriod.Month)));
}
