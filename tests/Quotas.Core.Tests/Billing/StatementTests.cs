using Quotas.Core.Billing;
using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Billing;

/// <summary>Monthly statements priced and projected by hand: December 2026 has 31 days.</summary>
public sealed class StatementTests
{
    private static readonly TenantId s_acme = TenantId.Parse("acme");
    private static readonly DateTimeOffset s_december = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly PricingPlan s_standard = new("standard", "EUR", 49.00m, [
        new MeterPrice("cpu_ms", 0.02m, Included: 1_000_000, PerUnits: 1000),
        new MeterPrice("jobs", 0.005m),
        new MeterPrice("gpu_hours", 1.75m),
    ]);

    [Fact]
    public void A_closed_month_charges_the_fee_and_each_meter_beyond_what_is_included()
    {
        var usage = new Dictionary<string, long> { ["cpu_ms"] = 3_500_000, ["jobs"] = 1_001, ["memory_mb_seconds"] = 77 };

        var statement = Statements.For(s_acme, s_standard, 2026, 12, usage, s_december.AddMonths(1).AddHours(5));

        Assert.True(statement.Closed);
        Assert.Equal(s_december, statement.PeriodStart);
        Assert.Equal(s_december.AddMonths(1), statement.PeriodEnd);
        Assert.Equal(("standard", "EUR", 49.00m), (statement.Plan, statement.Currency, statement.MonthlyFee));
        Assert.Equal(
            [
                // 2,500,000 beyond the million included, at 0.02 per thousand: 50.00.
                new StatementLine("cpu_ms", 3_500_000, 1_000_000, 2_500_000, 0.02m, 1000, 50.00m, null, null),
                // Priced, unused: a line of zero, so the statement shows every price.
                new StatementLine("gpu_hours", 0, 0, 0, 1.75m, 1, 0m, null, null),
                // 1,001 × 0.005 = 5.005, rounded half away from zero.
                new StatementLine("jobs", 1_001, 0, 1_001, 0.005m, 1, 5.01m, null, null),
                // Recorded but not priced: shown at no charge.
                new StatementLine("memory_mb_seconds", 77, 0, 77, 0m, 1, 0m, null, null),
            ],
            statement.Lines);
        Assert.Equal(104.01m, statement.Total);
        Assert.Null(statement.ProjectedTotal);
    }

    [Theory]
    [InlineData("JPY", 5)] // 1,001 × 0.005 = 5.005: whole yen
    [InlineData("KWD", 5.005)] // fils: three decimals
    [InlineData("USD", 5.01)]
    [InlineData("CLF", 5.005)]
    public void Amounts_are_rounded_to_the_decimals_of_the_plans_currency(string currency, double jobs)
    {
        var plan = s_standard with { Currency = currency, MonthlyFee = 49m };

        var statement = Statements.For(s_acme, plan, 2026, 12, new Dictionary<string, long> { ["jobs"] = 1_001 }, s_december.AddMonths(1).AddHours(1));

        Assert.Equal((decimal)jobs, statement.Lines.Single(l => l.Meter == "jobs").Amount);
        Assert.Equal(CurrencyDecimals.Of(currency), statement.Decimals);
    }

    [Fact]
    public void A_stored_fee_with_more_decimals_than_its_currency_has_is_rounded_like_the_lines()
    {
        var plan = s_standard with { Currency = "JPY", MonthlyFee = 1000.5m, Prices = [] }; // a row edited by hand

        var statement = Statements.For(s_acme, plan, 2026, 12, new Dictionary<string, long>(), s_december.AddMonths(1).AddHours(1));

        Assert.Equal((1001m, 1001m, 0), (statement.MonthlyFee, statement.Total, statement.Decimals));
    }

    [Fact]
    public void A_month_in_progress_is_projected_at_its_rate_so_far_to_the_months_end()
    {
        var usage = new Dictionary<string, long> { ["cpu_ms"] = 1_000_000, ["jobs"] = 100 };

        // 10 days of 31 gone: each quantity times 3.1.
        var statement = Statements.For(s_acme, s_standard, 2026, 12, usage, s_december.AddDays(10));

        Assert.False(statement.Closed);
        var cpu = statement.Lines.Single(l => l.Meter == "cpu_ms");
        Assert.Equal((0L, 0m, 3_100_000L, 42.00m), (cpu.Billable, cpu.Amount, cpu.ProjectedQuantity, cpu.ProjectedAmount)); // 2.1 million × 0.02 / 1000
        var jobs = statement.Lines.Single(l => l.Meter == "jobs");
        Assert.Equal((0.50m, 310L, 1.55m), (jobs.Amount, jobs.ProjectedQuantity, jobs.ProjectedAmount));
        Assert.Equal(49.50m, statement.Total);
        Assert.Equal(49.00m + 42.00m + 1.55m, statement.ProjectedTotal);
    }

    /// <summary>
    /// A tenant created on 25 December with 300 jobs by the 28th has used 3 days, not 27: 100 a day over the 7 days it
    /// has in the month projects 700 (from the month's start it would be 344). A later month projects from its start.
    /// </summary>
    [Fact]
    public void A_tenant_created_during_the_month_is_projected_over_the_time_since_its_creation()
    {
        var usage = new Dictionary<string, long> { ["jobs"] = 300 };
        var created = s_december.AddDays(24);

        var first = Statements.For(s_acme, s_standard, 2026, 12, usage, s_december.AddDays(27), usageBegan: created);
        var next = Statements.For(s_acme, s_standard, 2027, 1, usage, s_december.AddMonths(1).AddDays(3), usageBegan: created);

        Assert.Equal(700, Assert.Single(first.Lines, l => l.Meter == "jobs").ProjectedQuantity);
        Assert.Equal(3100, Assert.Single(next.Lines, l => l.Meter == "jobs").ProjectedQuantity); // 300 in 3 of 31 days
    }

    [Fact]
    public void Without_a_plan_the_statement_gives_the_usage_at_no_price()
    {
        var statement = Statements.For(s_acme, null, 2026, 12, new Dictionary<string, long> { ["jobs"] = 4 }, s_december.AddDays(31).AddTicks(-1));

        Assert.Null(statement.Plan);
        Assert.Null(statement.Currency);
        Assert.Equal(new StatementLine("jobs", 4, 0, 4, 0m, 1, 0m, 4, 0m), Assert.Single(statement.Lines));
        Assert.Equal(0m, statement.Total);
        Assert.Equal(0m, statement.ProjectedTotal);
    }

    [Fact]
    public void A_projection_early_in_the_month_of_a_huge_quantity_stops_at_the_largest_long()
    {
        var usage = new Dictionary<string, long> { ["jobs"] = QuotaLimit.MaxValue };

        var statement = Statements.For(s_acme, s_standard, 2026, 12, usage, s_december.AddTicks(1));

        var jobs = Assert.Single(statement.Lines, l => l.Meter == "jobs");
        Assert.Equal(long.MaxValue, jobs.ProjectedQuantity);
        Assert.Equal(Math.Round(long.MaxValue * 0.005m, 2), jobs.ProjectedAmount);
    }

    [Theory]
    [InlineData(2027, 1, "has not started yet")]
    [InlineData(2025, 11, "older than the usage kept (13 months, from 2025-12)")]
    [InlineData(2026, 13, "is not a month")]
    [InlineData(1999, 12, "is not a month")]
    public void A_month_not_started_not_kept_or_not_a_month_is_refused_with_what_to_ask_for(int year, int month, string reason)
    {
        var error = Assert.Throws<QuotaValidationException>(() => Statements.For(s_acme, s_standard, year, month, new Dictionary<string, long>(), s_december.AddDays(4)));

        Assert.Equal(ValidationCodes.InvalidPeriod, error.Code);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_oldest_month_kept_can_still_be_stated()
    {
        var statement = Statements.For(s_acme, s_standard, 2025, 12, new Dictionary<string, long>(), s_december.AddDays(4));

        Assert.True(statement.Closed);
        Assert.Equal(49.00m, statement.Total);
    }

    public static TheoryData<PricingPlan, string> BadPlans => new()
    {
        { s_standard with { Name = "" }, "name must be 1 to 64" },
        { s_standard with { Currency = "eur" }, "not an ISO 4217 code" },
        { s_standard with { MonthlyFee = -1m }, "monthlyFee is -1" },
        { s_standard with { MonthlyFee = 1_000_001m }, "use 0 to 1000000" },
        { s_standard with { MonthlyFee = 9.999m }, "with at most 2 decimals (the amounts of EUR have 2)" },
        { s_standard with { Currency = "JPY", MonthlyFee = 1000.5m }, "with at most 0 decimals" },
        { s_standard with { Prices = null! }, "prices must be a list" },
        { s_standard with { Prices = [new MeterPrice("CPU", 1m)] }, "meter 'CPU' is not a budget name" },
        { s_standard with { Prices = [new MeterPrice("jobs", 1m), new MeterPrice("jobs", 2m)] }, "meter 'jobs' is priced twice" },
        { s_standard with { Prices = [new MeterPrice("monthly_fee", 1m)] }, "meter 'monthly_fee' names the plan's monthly fee" },
        { s_standard with { Prices = [new MeterPrice("jobs", -0.01m)] }, "unitPrice of 'jobs' is -0.01" },
        { s_standard with { Prices = [new MeterPrice("jobs", 1m, Included: -1)] }, "included of 'jobs' is -1" },
        { s_standard with { Prices = [new MeterPrice("jobs", 1m, PerUnits: 0)] }, "perUnits of 'jobs' is 0" },
        { s_standard with { Prices = [null!] }, "empty entry" },
    };

    [Theory]
    [MemberData(nameof(BadPlans))]
    public void A_plan_that_cannot_price_is_refused_with_what_to_change(PricingPlan plan, string reason)
    {
        var error = Assert.Throws<QuotaValidationException>(plan.Validate);

        Assert.Equal(ValidationCodes.InvalidPricingPlan, error.Code);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plan_changed_reprices_the_month_it_is_changed_in_and_no_closed_month()
    {
        var tenant = Metered();
        tenant.SetPricingPlan(s_standard, s_december.AddMonths(-1).AddDays(3));
        tenant.RecordUsage("e1", "jobs", 1000, s_december.AddMonths(-1).AddDays(20)); // November: 5.00 under the standard plan
        tenant.RecordUsage("e2", "jobs", 2000, s_december.AddDays(1));
        var cheaper = s_standard with { Name = "cheaper", Prices = [new MeterPrice("jobs", 0.001m)] };
        tenant.SetPricingPlan(cheaper, s_december.AddDays(15));

        var restored = TenantQuotas.FromSnapshot(tenant.ToSnapshot());
        var now = s_december.AddDays(20);
        var november = restored.Metering!.Statement(s_acme, 2026, 11, now);
        var december = restored.Metering.Statement(s_acme, 2026, 12, now);

        Assert.Equal(("standard", 54.00m), (november.Plan, november.Total));
        Assert.Equal(("cheaper", 51.00m), (december.Plan, december.Total)); // the whole month, days before the change too
        Assert.Equal(cheaper, restored.Metering.Plans.Current);
    }

    [Fact]
    public void A_second_change_in_a_month_replaces_the_first_and_a_removed_plan_prices_nothing_from_its_month()
    {
        var history = new PricingHistory();
        history.Set(s_standard, s_december.AddMonths(-2));
        history.Set(s_standard with { Name = "first" }, s_december.AddDays(1));
        history.Set(null, s_december.AddDays(2));

        Assert.Equal([new PlanPeriod(s_december.AddMonths(-2), s_standard), new PlanPeriod(s_december, null)], history.Periods);
        Assert.Null(history.Current);
        Assert.Same(s_standard, history.For(s_december.AddMonths(-1)));
        Assert.Null(history.For(s_december.AddMonths(-3)));
    }

    [Fact]
    public void Plans_of_months_no_longer_kept_are_forgotten_but_the_one_in_force_at_the_oldest_kept_month_stays()
    {
        var history = new PricingHistory();
        history.Set(s_standard with { Name = "a" }, s_december.AddMonths(-20));
        history.Set(s_standard with { Name = "b" }, s_december.AddMonths(-15));
        history.Set(s_standard with { Name = "c" }, s_december.AddMonths(-3));
        history.Set(s_standard with { Name = "d" }, s_december);

        // Kept at December 2026: from December 2025, which plan b (from September 2025) prices.
        Assert.Equal(["b", "c", "d"], history.Periods.Select(p => p.Plan!.Name));
        Assert.Equal("b", history.For(s_december.AddMonths(-12))!.Name);
    }

    [Fact]
    public void A_bad_plan_is_refused_and_the_plan_in_force_stays()
    {
        var tenant = Metered();
        tenant.SetPricingPlan(s_standard, s_december);

        var error = Assert.Throws<QuotaValidationException>(() => tenant.SetPricingPlan(s_standard with { Currency = "E" }, s_december));

        Assert.Equal(ValidationCodes.InvalidPricingPlan, error.Code);
        Assert.Same(s_standard, tenant.Metering!.Plans.Current);
    }

    /// <summary>Three capital letters are not enough: a statement in a typo's currency, or in gold, bills what no one can pay.</summary>
    [Theory]
    [InlineData("EUX")]
    [InlineData("HRK")]
    [InlineData("XAU")]
    public void A_plan_in_a_currency_not_in_use_is_refused(string currency)
    {
        var tenant = Metered();

        var error = Assert.Throws<QuotaValidationException>(() => tenant.SetPricingPlan(s_standard with { Currency = currency }, s_december));

        Assert.Equal(ValidationCodes.InvalidPricingPlan, error.Code);
        Assert.Contains($"'{currency}' is not an ISO 4217 currency in use", error.Message, StringComparison.Ordinal);
        tenant.SetPricingPlan(s_standard with { Currency = "CHF" }, s_december);
        Assert.Equal("CHF", tenant.Metering!.Plans.Current!.Currency);
    }

    [Fact]
    public void A_plan_that_prices_a_meter_the_tenant_has_no_budget_of_is_refused_as_it_would_bill_nothing()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("acme", Tier.Basic, QuotaDefinition.Budget("jobs", QuotaLimit.Unlimited, BudgetPeriod.Month)));

        var error = Assert.Throws<QuotaValidationException>(() => tenant.SetPricingPlan(s_standard, s_december));

        Assert.Equal(ValidationCodes.InvalidPricingPlan, error.Code);
        Assert.Contains("meter 'cpu_ms', which is not a budget of tenant 'acme'", error.Message, StringComparison.Ordinal);
        Assert.Null(tenant.Metering);
    }

    [Fact]
    public void A_month_closes_five_minutes_after_its_end_so_a_lagging_clocks_usage_still_lands_in_it()
    {
        var usage = new Dictionary<string, long> { ["jobs"] = 100 };

        var justAfter = Statements.For(s_acme, s_standard, 2026, 12, usage, s_december.AddMonths(1).AddMinutes(4));
        var closed = Statements.For(s_acme, s_standard, 2026, 12, usage, s_december.AddMonths(1).AddMinutes(5));

        Assert.False(justAfter.Closed);
        Assert.Equal(100, Assert.Single(justAfter.Lines, l => l.Meter == "jobs").ProjectedQuantity); // the whole month has gone
        Assert.True(closed.Closed);
    }

    [Fact]
    public void A_stored_plan_that_cannot_price_prices_nothing_from_its_month_and_one_that_only_fails_newer_rules_is_kept()
    {
        var snapshot = Metered().ToSnapshot();
        snapshot.PricingPlans =
        [
            new PlanPeriod(s_december.AddMonths(-2), s_standard with { MonthlyFee = 9.999m }), // set before fees had two decimals at most
            new PlanPeriod(s_december.AddMonths(-1), s_standard with { Prices = [new MeterPrice("jobs", 1m), new MeterPrice("jobs", 2m)] }),
            new PlanPeriod(s_december, s_standard with { Prices = null! }),
        ];

        var plans = TenantQuotas.FromSnapshot(snapshot).Metering!.Plans;

        Assert.Equal([s_december.AddMonths(-2), s_december.AddMonths(-1), s_december], plans.Periods.Select(p => p.From));
        Assert.Equal(9.999m, plans.For(s_december.AddMonths(-2))!.MonthlyFee);
        Assert.Null(plans.For(s_december.AddMonths(-1)));
        Assert.Null(plans.For(s_december));
    }

    [Fact]
    public void A_meter_the_plan_in_force_prices_stays_allowed_after_its_budget_is_taken_out_but_none_is_added()
    {
        var tenant = Metered();
        tenant.SetPricingPlan(s_standard, s_december);
        var snapshot = tenant.ToSnapshot();
        snapshot.Config = snapshot.Config! with { Quotas = [QuotaDefinition.Budget("jobs", QuotaLimit.Unlimited, BudgetPeriod.Month)] };
        var withoutCpu = TenantQuotas.FromSnapshot(snapshot);

        withoutCpu.SetPricingPlan(s_standard with { MonthlyFee = 59m }, s_december.AddDays(2));
        var added = s_standard with { Prices = [.. s_standard.Prices, new MeterPrice("storage_gb_hours", 1m)] };

        Assert.Equal(59m, withoutCpu.Metering!.Plans.Current!.MonthlyFee);
        Assert.Contains("'storage_gb_hours', which is not a budget", Assert.Throws<QuotaValidationException>(() => withoutCpu.SetPricingPlan(added, s_december.AddDays(2))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deleted_tenant_has_no_statement_after_its_delete_and_the_month_of_it_is_not_projected()
    {
        var tenant = Metered();
        tenant.SetPricingPlan(s_standard, s_december);
        tenant.RecordUsage("e1", "jobs", 1000, s_december.AddDays(2));
        var deletedAt = s_december.AddDays(4);
        var kept = Metering.FromSnapshot(tenant.ToSnapshot().Usage, tenant.ToSnapshot().PricingPlans)!;

        var december = kept.Statement(s_acme, 2026, 12, s_december.AddDays(10), deletedAt);

        Assert.False(december.Closed);
        Assert.Equal(1000, december.Lines.Single(l => l.Meter == "jobs").ProjectedQuantity);
        Assert.Equal(december.Total, december.ProjectedTotal);
        var after = Assert.Throws<QuotaValidationException>(() => kept.Statement(s_acme, 2027, 1, s_december.AddMonths(1).AddDays(3), deletedAt));
        Assert.Equal(ValidationCodes.DeletedBeforePeriod, after.Code);
        Assert.Contains("no statement after 2026-12", after.Message, StringComparison.Ordinal);
    }

    private static TenantQuotas Metered() => new(TenantConfig.Create(
        "acme",
        Tier.Basic,
        QuotaDefinition.Budget("jobs", QuotaLimit.Unlimited, BudgetPeriod.Month),
        QuotaDefinition.Budget("cpu_ms", QuotaLimit.Unlimited, BudgetPeriod.Month),
        QuotaDefinition.Budget("gpu_hours", QuotaLimit.Unlimited, BudgetPeriod.Month)));
}
