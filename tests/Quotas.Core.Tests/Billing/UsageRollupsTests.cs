using Quotas.Core.Billing;
using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Billing;

/// <summary>Usage summed into UTC hours, days and months, and the buckets each keeps, checked against sums by hand.</summary>
public sealed class UsageRollupsTests
{
    private static readonly DateTimeOffset s_dec5 = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);

    private readonly UsageRollups _rollups = new();

    [Fact]
    public void Usage_counts_in_its_hour_its_day_and_its_month()
    {
        _rollups.Add("cpu_ms", 100, s_dec5.AddHours(10).AddMinutes(5));
        _rollups.Add("cpu_ms", 50, s_dec5.AddHours(10).AddMinutes(59));
        _rollups.Add("cpu_ms", 7, s_dec5.AddHours(11));
        _rollups.Add("jobs", 1, s_dec5.AddHours(11).AddMinutes(30));
        _rollups.Add("cpu_ms", 3, s_dec5.AddDays(1).AddHours(2)); // 6 December

        var now = s_dec5.AddDays(1).AddHours(3);
        Assert.Equal(
            [new("cpu_ms", s_dec5.AddHours(10), 150), new("cpu_ms", s_dec5.AddHours(11), 7), new("cpu_ms", s_dec5.AddDays(1).AddHours(2), 3)],
            _rollups.Buckets(RollupGranularity.Hour, s_dec5, s_dec5.AddDays(2), "cpu_ms", now));
        Assert.Equal(
            [new("cpu_ms", s_dec5, 157), new("cpu_ms", s_dec5.AddDays(1), 3), new("jobs", s_dec5, 1)],
            _rollups.Buckets(RollupGranularity.Day, s_dec5.AddDays(-3), s_dec5.AddDays(3), null, now));
        var month = _rollups.MonthTotals(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), now);
        Assert.Equal(["cpu_ms", "jobs"], month.Keys);
        Assert.Equal(160, month["cpu_ms"]);
        Assert.Equal(1, month["jobs"]);
    }

    [Fact]
    public void A_range_takes_the_buckets_that_overlap_it()
    {
        _rollups.Add("jobs", 1, s_dec5.AddHours(1));
        _rollups.Add("jobs", 2, s_dec5.AddHours(2));
        _rollups.Add("jobs", 4, s_dec5.AddHours(3));

        var buckets = _rollups.Buckets(RollupGranularity.Hour, s_dec5.AddHours(1).AddMinutes(30), s_dec5.AddHours(3), null, s_dec5.AddHours(4));

        // From inside hour 1: that hour is taken whole, as the range overlaps it; hour 3 starts where the range ends.
        Assert.Equal([new("jobs", s_dec5.AddHours(1), 1), new("jobs", s_dec5.AddHours(2), 2)], buckets);
        Assert.Equal(
            [new("jobs", s_dec5, 7)],
            _rollups.Buckets(RollupGranularity.Day, s_dec5.AddHours(5), s_dec5.AddHours(6), null, s_dec5.AddHours(7)));
    }

    [Fact]
    public void Hours_are_kept_for_two_days_days_for_62_and_months_for_13()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var at = start; at < start.AddMonths(14); at = at.AddHours(6))
        {
            _rollups.Add("jobs", 1, at);
        }

        var now = start.AddMonths(14).AddHours(-1); // 2026-02-28T23:00, the last hour used was 18:00
        var hours = _rollups.Buckets(RollupGranularity.Hour, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, null, now);
        var days = _rollups.Buckets(RollupGranularity.Day, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, null, now);
        var months = _rollups.Buckets(RollupGranularity.Month, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, null, now);

        Assert.Equal(now.AddHours(-47), UsageRollups.OldestKept(RollupGranularity.Hour, now));
        Assert.Equal(8, hours.Count); // 00, 06, 12 and 18 h of 27 and 28 February
        Assert.Equal(new DateTimeOffset(2026, 2, 27, 0, 0, 0, TimeSpan.Zero), hours[0].Start);
        Assert.Equal(62, days.Count);
        Assert.Equal(new DateTimeOffset(2025, 12, 29, 0, 0, 0, TimeSpan.Zero), days[0].Start);
        Assert.All(days, d => Assert.Equal(4, d.Amount));
        Assert.Equal(13, months.Count);
        Assert.Equal(new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero), months[0].Start);
        Assert.Equal(28 * 4, months[0].Amount);
        Assert.Equal(28 * 4, months[^1].Amount); // February 2026
    }

    [Fact]
    public void Buckets_older_than_kept_at_the_time_asked_are_not_answered_though_no_usage_came_since()
    {
        _rollups.Add("jobs", 5, s_dec5);

        Assert.Single(_rollups.Buckets(RollupGranularity.Hour, s_dec5, s_dec5.AddDays(1), null, s_dec5.AddHours(47)));
        Assert.Empty(_rollups.Buckets(RollupGranularity.Hour, s_dec5, s_dec5.AddDays(1), null, s_dec5.AddHours(48)));
        Assert.Single(_rollups.Buckets(RollupGranularity.Day, s_dec5, s_dec5.AddDays(1), null, s_dec5.AddHours(48)));
    }

    [Fact]
    public void Usage_after_the_clock_went_back_counts_in_the_hour_it_names()
    {
        _rollups.Add("jobs", 1, s_dec5.AddHours(5));
        _rollups.Add("jobs", 2, s_dec5.AddHours(3)); // a silo whose clock lags
        _rollups.Add("jobs", 4, s_dec5.AddHours(5));

        Assert.Equal(
            [new("jobs", s_dec5.AddHours(3), 2), new("jobs", s_dec5.AddHours(5), 5)],
            _rollups.Buckets(RollupGranularity.Hour, s_dec5, s_dec5.AddDays(1), null, s_dec5.AddHours(6)));
    }

    [Fact]
    public void Usage_older_than_every_hour_kept_counts_in_its_day_and_month_only()
    {
        _rollups.Add("jobs", 1, s_dec5.AddDays(3));
        _rollups.Add("jobs", 2, s_dec5); // a clock 72 hours behind: older than the 48 hours kept

        var now = s_dec5.AddDays(3);
        Assert.Equal([new("jobs", s_dec5.AddDays(3), 1)], _rollups.Buckets(RollupGranularity.Hour, s_dec5, now.AddHours(1), null, now));
        Assert.Equal(
            [new("jobs", s_dec5, 2), new("jobs", s_dec5.AddDays(3), 1)],
            _rollups.Buckets(RollupGranularity.Day, s_dec5, now.AddDays(1), null, now));
        Assert.Equal(3, _rollups.MonthTotals(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), now)["jobs"]);
    }

    [Fact]
    public void A_gap_longer_than_the_hours_kept_leaves_no_hour_of_before_it()
    {
        _rollups.Add("jobs", 5, s_dec5);
        _rollups.Add("jobs", 7, s_dec5.AddDays(10));

        var now = s_dec5.AddDays(10);
        Assert.Equal([new("jobs", now, 7)], _rollups.Buckets(RollupGranularity.Hour, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, null, now));
    }

    [Fact]
    public void A_sum_stops_at_the_largest_long_instead_of_wrapping()
    {
        _rollups.Add("bytes", long.MaxValue - 1, s_dec5);
        _rollups.Add("bytes", 5, s_dec5);

        Assert.Equal(long.MaxValue, Assert.Single(_rollups.Buckets(RollupGranularity.Hour, s_dec5, s_dec5.AddHours(1), null, s_dec5)).Amount);
    }

    [Fact]
    public void The_rollups_survive_the_tenants_snapshot_and_only_new_usage_is_counted()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("acme", Tier.Basic, QuotaDefinition.Budget("cpu_ms", QuotaLimit.Unlimited, BudgetPeriod.Month)));
        tenant.RecordUsage("e1", "cpu_ms", 40, s_dec5.AddHours(9));
        tenant.RecordUsage("e1", "cpu_ms", 40, s_dec5.AddHours(9)); // a retry: counted once
        tenant.RecordUsage("e2", "cpu_ms", 2, s_dec5.AddHours(10));

        var restored = TenantQuotas.FromSnapshot(tenant.ToSnapshot());
        restored.RecordUsage("e3", "cpu_ms", 1, s_dec5.AddHours(10));

        Assert.Equal(
            [new("cpu_ms", s_dec5.AddHours(9), 40), new("cpu_ms", s_dec5.AddHours(10), 3)],
            restored.Metering!.Rollups.Buckets(RollupGranularity.Hour, s_dec5, s_dec5.AddDays(1), null, s_dec5.AddHours(11)));
        Assert.Equal(43, restored.Metering.Rollups.MonthTotals(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), s_dec5)["cpu_ms"]);
    }

    [Fact]
    public void A_series_is_stored_as_the_amounts_of_consecutive_buckets_from_the_oldest_with_usage()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("acme", Tier.Basic, QuotaDefinition.Budget("jobs", QuotaLimit.Unlimited, BudgetPeriod.Month)));
        tenant.RecordUsage("e1", "jobs", 2, s_dec5.AddHours(1));
        tenant.RecordUsage("e2", "jobs", 3, s_dec5.AddHours(3));

        var hours = Assert.Single(tenant.ToSnapshot().Usage!, u => u.Granularity == RollupGranularity.Hour);

        Assert.Equal((s_dec5.UtcTicks / TimeSpan.TicksPerHour) + 1, hours.First);
        Assert.Equal([2, 0, 3], hours.Amounts);
    }

    [Fact]
    public void A_tenant_that_recorded_no_usage_stores_and_keeps_no_rollups()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("acme", Tier.Basic));

        Assert.Null(tenant.ToSnapshot().Usage);
        Assert.Null(TenantQuotas.FromSnapshot(tenant.ToSnapshot()).Metering);
    }

    [Fact]
    public void A_stored_series_that_does_not_read_as_one_is_left_out_and_the_rest_kept()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("acme", Tier.Basic));
        var snapshot = tenant.ToSnapshot();
        var hour = s_dec5.UtcTicks / TimeSpan.TicksPerHour;
        snapshot.Usage =
        [
            new("cpu_ms", RollupGranularity.Hour, hour, [9]),
            new("cpu_ms", RollupGranularity.Day, -1, [3]), // before the first day there is
            new("cpu_ms", RollupGranularity.Month, 24_311, Enumerable.Repeat(1L, 14).ToArray()), // more months than are kept
            new("Bad Name", RollupGranularity.Hour, hour, [1]),
            new("jobs", (RollupGranularity)7, hour, [1]),
            new("jobs", RollupGranularity.Hour, hour, [-4]), // negative: dropped
            new("jobs", RollupGranularity.Hour, hour, null!),
        ];

        var restored = TenantQuotas.FromSnapshot(snapshot);

        Assert.Equal([new("cpu_ms", s_dec5, 9)], restored.Metering!.Rollups.Buckets(RollupGranularity.Hour, s_dec5, s_dec5.AddHours(1), null, s_dec5));
        Assert.Empty(restored.Metering.Rollups.Buckets(RollupGranularity.Day, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, null, s_dec5));
        Assert.Empty(restored.Metering.Rollups.Buckets(RollupGranularity.Month, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, null, s_dec5));
    }
}
