using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class AlertAndStatsTests
{
    [Fact]
    public void Threshold_alerts_fire_once_per_upward_crossing_and_re_arm_below()
    {
        var tenant = Basic("alerts", QuotaDefinition.Gauge("slots", QuotaLimit.Hard(100)));
        tenant.Acquire("slots", 80, Hour, null, T0);
        var ten = ((AdmissionDecision.Allow)tenant.Acquire("slots", 10, Hour, null, T0)).LeaseId!;
        var five = ((AdmissionDecision.Allow)tenant.Acquire("slots", 5, Hour, null, T0)).LeaseId!;
        Assert.Equal([80, 95], tenant.Alerts.Items.Select(a => a.ThresholdPercent));

        tenant.Release(five, T0);
        tenant.Release(ten, T0);      // 80: 95 re-armed, 80 still crossed
        tenant.Acquire("slots", 15, Hour, null, T0);
        Assert.Equal([80, 95, 95], tenant.Alerts.Items.Select(a => a.ThresholdPercent));
        var sequences = tenant.Alerts.Items.Select(a => a.Sequence).ToList();
        Assert.Equal(Micros(T0) + 2, tenant.Alerts.LastSequence);
        Assert.Equal([Micros(T0), Micros(T0) + 1, Micros(T0) + 2], sequences);
        Assert.Single(tenant.Alerts.After(sequences[1]));
    }

    [Fact]
    public void A_feed_started_later_numbers_its_alerts_above_an_earlier_feeds_so_a_remembered_sequence_misses_none()
    {
        // A tenant's alerts live in memory: an activation starts a new feed. A stream that saw the first one's last
        // alert resumes after it and must get every alert of the second.
        var first = Basic("alerts", QuotaDefinition.Gauge("slots", QuotaLimit.Hard(100)));
        first.Acquire("slots", 96, Hour, null, T0);
        var seen = first.Alerts.LastSequence;

        var second = Basic("alerts", QuotaDefinition.Gauge("slots", QuotaLimit.Hard(100)));
        second.Acquire("slots", 81, Hour, null, T0.AddMilliseconds(1));

        var resumed = second.Alerts.After(seen);
        Assert.Equal([80], resumed.Select(a => a.ThresholdPercent));
        Assert.True(resumed[0].Sequence > seen);
    }

    [Fact]
    public void The_feed_is_kept_in_the_snapshot_and_numbering_goes_on_above_it_while_rows_of_earlier_releases_have_none()
    {
        var tenant = Basic("alerts", QuotaDefinition.Gauge("slots", QuotaLimit.Hard(100)));
        tenant.Acquire("slots", 96, Hour, null, T0);
        var snapshot = tenant.ToSnapshot();

        var restored = TenantQuotas.FromSnapshot(snapshot);
        Assert.Equal(tenant.Alerts.Items, restored.Alerts.Items);
        Assert.Equal(tenant.Alerts.LastSequence, restored.Alerts.LastSequence);

        // The thresholds crossed are stored too: the restored tenant, still above them, does not report them again.
        restored.Acquire("slots", 1, Hour, null, T0);
        Assert.Equal([80, 95], restored.Alerts.Items.Select(a => a.ThresholdPercent));

        // A row of an earlier release has neither: thresholds are armed afresh, and the new alerts number above the old.
        (snapshot.Alerts, snapshot.ThresholdsCrossed) = (null, null);
        var earlier = TenantQuotas.FromSnapshot(snapshot);
        earlier.Acquire("slots", 1, Hour, null, T0.AddSeconds(1));
        Assert.Equal([80, 95], earlier.Alerts.Items.Select(a => a.ThresholdPercent));
        Assert.True(earlier.Alerts.Items[0].Sequence > tenant.Alerts.LastSequence);
    }

    /// <summary>
    /// A budget reports each crossing once, in the record that makes it: read back (after idle collection, a move, a
    /// restart) it does not report 80 % again; a threshold added later is reported when crossed; and the first record of
    /// a new period that goes past 80 % reports it, however the last period ended.
    /// </summary>
    [Fact]
    public void A_budget_reports_each_crossing_once_across_a_restore_a_configuration_change_and_a_new_period()
    {
        var budget = QuotaDefinition.Budget("cost", QuotaLimit.Hard(100), BudgetPeriod.Month);
        var tenant = new TenantQuotas(TenantConfig.Create("alerts", Tier.Basic, budget) with { AlertThresholds = [80, 90] });
        tenant.RecordUsage("e1", "cost", 85, T0);
        var snapshot = tenant.ToSnapshot();
        Assert.Null(snapshot.ThresholdsCrossed); // a budget needs nothing stored

        var restored = TenantQuotas.FromSnapshot(snapshot);
        restored.RecordUsage("e2", "cost", 1, T0);
        restored.RecordUsage("e3", "cost", 5, T0);
        Assert.Equal([80, 90], restored.Alerts.Items.Select(a => a.ThresholdPercent));

        // New settings, as the tenant's grain applies them: a threshold is added. 92 of 100 crosses none; 96 crosses 95.
        var changed = restored.ToSnapshot();
        changed.Config = changed.Config! with { AlertThresholds = [80, 90, 95] };
        var edited = TenantQuotas.FromSnapshot(changed);
        edited.KeepMemoryOf(restored, T0);
        edited.RecordUsage("e4", "cost", 1, T0);
        Assert.Equal([80, 90], edited.Alerts.Items.Select(a => a.ThresholdPercent));
        edited.RecordUsage("e5", "cost", 4, T0);
        Assert.Equal([80, 90, 95], edited.Alerts.Items.Select(a => a.ThresholdPercent));

        edited.RecordUsage("e6", "cost", 85, T0.AddMonths(1));
        Assert.Equal([80, 90, 95, 80], edited.Alerts.Items.Select(a => a.ThresholdPercent));
    }

    /// <summary>
    /// A gauge's crossings are stored with its leases; read back under a raised limit, those the usage is no longer
    /// above are armed again, so the next crossing of the new limit is reported.
    /// </summary>
    [Fact]
    public void A_gauges_crossings_read_back_under_a_raised_limit_keep_only_those_still_crossed()
    {
        var tenant = Basic("alerts", QuotaDefinition.Gauge("slots", QuotaLimit.Hard(100)));
        tenant.Acquire("slots", 96, Hour, null, T0);
        var snapshot = tenant.ToSnapshot();
        Assert.Equal([80, 95], snapshot.ThresholdsCrossed!["gauge/slots"]);

        snapshot.Config = snapshot.Config! with { Quotas = [QuotaDefinition.Gauge("slots", QuotaLimit.Hard(200))] };
        var raised = TenantQuotas.FromSnapshot(snapshot);
        raised.Acquire("slots", 64, Hour, null, T0); // 160 of 200: 80 % crossed anew

        Assert.Equal([80, 95, 80], raised.Alerts.Items.Select(a => a.ThresholdPercent));
    }

    /// <summary>
    /// A limit lowered under usage already counted reports the thresholds that usage now reaches, at the change: a
    /// budget would otherwise stay silent for the rest of its period (its records report only the crossings they make),
    /// and a gauge until its next lease. A raised limit reports nothing, and nothing is reported twice.
    /// </summary>
    [Fact]
    public void A_limit_lowered_under_the_usage_reports_the_thresholds_the_usage_now_reaches_at_the_change()
    {
        var tenant = new TenantQuotas(TenantConfig.Create(
            "alerts", Tier.Basic, QuotaDefinition.Budget("cost", QuotaLimit.Hard(100), BudgetPeriod.Month), QuotaDefinition.Gauge("slots", QuotaLimit.Hard(100)))
            with { AlertThresholds = [80, 90] });
        tenant.RecordUsage("e1", "cost", 85, T0);
        tenant.Acquire("slots", 85, Hour, null, T0);
        Assert.Equal([("cost", 80), ("slots", 80)], tenant.Alerts.Items.Select(a => (a.Quota, a.ThresholdPercent)));

        var lowered = Edited(tenant, budget: 90, slots: 90, At(60)); // 85 of 90: 94 %
        Assert.Equal([("slots", 90, At(60)), ("cost", 90, At(60))], lowered.Alerts.Items.Skip(2).Select(a => (a.Quota, a.ThresholdPercent, a.At)));
        lowered.RecordUsage("e2", "cost", 1, At(120));
        lowered.Acquire("slots", 1, Hour, null, At(120));
        Assert.Equal(4, lowered.Alerts.Items.Count);

        var raised = Edited(lowered, budget: 200, slots: 200, At(180));
        Assert.Equal(4, raised.Alerts.Items.Count);
    }

    /// <summary>
    /// A rate alert raised since the last write (a rate hit writes nothing) is kept when a later write fails and memory
    /// goes back to the stored state: its crossing stays marked, so it would never be reported again. An alert the failed
    /// call itself raised (a budget's) goes with the call, whose retry raises it again.
    /// </summary>
    [Fact]
    public void A_rate_alert_not_yet_stored_outlives_a_failed_write_and_the_failed_calls_own_alert_does_not()
    {
        var config = TenantConfig.Create(
            "alerts", Tier.Basic, QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(100), TimeSpan.FromMinutes(1)), QuotaDefinition.Budget("spend", QuotaLimit.Hard(100), BudgetPeriod.Month))
            with { AlertThresholds = [80] };
        var tenant = new TenantQuotas(config);
        var stored = tenant.ToSnapshot();
        tenant.CheckRate("calls", 85, T0);                      // raised in memory, stored by the next write
        tenant.RecordUsage("evt-1", "spend", 90, T0.AddSeconds(1)); // this call's write fails

        var restored = TenantQuotas.FromSnapshot(stored);
        restored.CarryOverRates(tenant, T0.AddSeconds(1));

        var kept = Assert.Single(restored.Alerts.Items);
        Assert.Equal((QuotaKind.Rate, "calls", 80), (kept.Kind, kept.Quota, kept.ThresholdPercent));
        restored.CheckRate("calls", 1, T0.AddSeconds(2));
        restored.RecordUsage("evt-1", "spend", 90, T0.AddSeconds(2)); // the retry
        Assert.Equal([("calls", 80), ("spend", 80)], restored.Alerts.Items.Select(a => (a.Quota, a.ThresholdPercent)));
        Assert.True(restored.Alerts.Items[1].Sequence > tenant.Alerts.Items[1].Sequence); // no number given twice
    }

    /// <summary>
    /// A rate window carried over to the tenant a configuration change builds (or to memory put back after a failed
    /// write) keeps its reported crossings: usage that never fell below 80 % does not report it again. A threshold only a
    /// lowered limit reaches is reported at the next hit.
    /// </summary>
    [Fact]
    public void A_rate_reports_a_crossing_once_across_a_configuration_change_and_a_restored_memory()
    {
        static TenantConfig Config(long limit, string other) => TenantConfig.Create(
            "alerts", Tier.Basic, QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(limit), TimeSpan.FromMinutes(1)), QuotaDefinition.Gauge(other, QuotaLimit.Hard(10)))
            with { AlertThresholds = [80, 90] };
        var tenant = new TenantQuotas(Config(100, "slots"));
        tenant.CheckRate("calls", 85, T0);
        Assert.Equal([80], tenant.Alerts.Items.Select(a => a.ThresholdPercent));

        // Another quota changes: the window goes on at 85 of 100.
        var edited = Rebuilt(tenant, Config(100, "disks"), T0);
        edited.CheckRate("calls", 1, T0.AddSeconds(1));
        Assert.Equal([80], edited.Alerts.Items.Select(a => a.ThresholdPercent));

        // Memory put back after a failed write: the same.
        var restored = TenantQuotas.FromSnapshot(edited.ToSnapshot());
        restored.CarryOverRates(edited, T0.AddSeconds(2));
        restored.CheckRate("calls", 1, T0.AddSeconds(2));
        Assert.Equal([80], restored.Alerts.Items.Select(a => a.ThresholdPercent));

        // Lowered to 95: 87 of 95 is past 90 % only under the new limit, reported at the next hit.
        var lowered = Rebuilt(restored, Config(95, "disks"), T0);
        lowered.CheckRate("calls", 1, T0.AddSeconds(3));
        Assert.Equal([80, 90], lowered.Alerts.Items.Select(a => a.ThresholdPercent));
    }

    /// <summary>A soft budget that a lowered limit puts past it is over from the change: its burst ends an hour later.</summary>
    [Fact]
    public void A_soft_budget_lowered_under_its_consumption_counts_its_burst_from_the_change()
    {
        static TenantConfig Config(long limit) => TenantConfig.Create("alerts", Tier.Basic,
            QuotaDefinition.Budget("cost", QuotaLimit.Soft(limit, 1_000, TimeSpan.FromHours(1), TimeSpan.Zero), BudgetPeriod.Month));
        var tenant = new TenantQuotas(Config(100));
        tenant.RecordUsage("e1", "cost", 85, T0);

        var snapshot = tenant.ToSnapshot();
        snapshot.Config = Config(50);
        var lowered = TenantQuotas.FromSnapshot(snapshot);
        lowered.KeepMemoryOf(tenant, At(60));

        Assert.IsType<AdmissionDecision.Allow>(lowered.CheckBudget("cost", 1, At(60 + 3599)));
        var refused = Assert.IsType<AdmissionDecision.Deny>(lowered.CheckBudget("cost", 1, At(60 + 3600)));
        Assert.Equal(ReasonCodes.BudgetExhausted, refused.ReasonCode);

        // Raised back above the consumption, it is within its limit again: past it later, a new burst starts then.
        var raisedSnapshot = lowered.ToSnapshot();
        raisedSnapshot.Config = Config(100);
        var raised = TenantQuotas.FromSnapshot(raisedSnapshot);
        raised.KeepMemoryOf(lowered, At(7200));
        raised.RecordUsage("e2", "cost", 20, At(7200));
        Assert.IsType<AdmissionDecision.Allow>(raised.CheckBudget("cost", 1, At(7200 + 3599)));
    }

    /// <summary>A soft gauge lowered under its usage is over from the change: its leases renew until the burst ends an hour later.</summary>
    [Fact]
    public void A_soft_gauge_lowered_under_its_usage_counts_its_burst_from_the_change()
    {
        static TenantConfig Config(long limit) => TenantConfig.Create("alerts", Tier.Basic,
            QuotaDefinition.Gauge("slots", QuotaLimit.Soft(limit, 1_000, TimeSpan.FromHours(1), TimeSpan.Zero)));
        var tenant = new TenantQuotas(Config(100));
        var lease = ((AdmissionDecision.Allow)tenant.Acquire("slots", 85, TimeSpan.FromDays(1), null, T0)).LeaseId!;

        var snapshot = tenant.ToSnapshot();
        snapshot.Config = Config(50);
        var lowered = TenantQuotas.FromSnapshot(snapshot);
        lowered.KeepMemoryOf(tenant, At(60));

        Assert.True(lowered.Renew(lease, TimeSpan.FromDays(1), At(60 + 3599)).Renewed);
        Assert.Equal(ReasonCodes.SoftGraceExpired, lowered.Renew(lease, TimeSpan.FromDays(1), At(60 + 3600)).ReasonCode);
    }

    /// <summary>
    /// A soft gauge made hard while over its limit, then soft again a day later with usage still over it: its burst
    /// counts from the change back, as for any soft limit a change puts usage past. It kept the burst's old start, so
    /// grace had run out the moment it was soft again and every renewal was refused.
    /// </summary>
    [Fact]
    public void A_soft_gauge_made_hard_and_then_soft_again_counts_its_burst_from_the_change_back()
    {
        static TenantConfig Config(QuotaLimit limit) => TenantConfig.Create("alerts", Tier.Basic, QuotaDefinition.Gauge("slots", limit));
        var soft = QuotaLimit.Soft(10, 15, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));
        var tenant = new TenantQuotas(Config(soft));
        var lease = ((AdmissionDecision.Allow)tenant.Acquire("slots", 12, TimeSpan.FromDays(2), null, T0)).LeaseId!; // a burst starts

        var hard = Rebuilt(tenant, Config(QuotaLimit.Hard(10)), At(60));
        Assert.True(hard.Renew(lease, TimeSpan.FromDays(2), At(3600)).Renewed);
        var softAgain = Rebuilt(hard, Config(soft), At(86_400));

        Assert.True(softAgain.Renew(lease, TimeSpan.FromDays(2), At(86_400 + 599)).Renewed);
        Assert.Equal(ReasonCodes.SoftGraceExpired, softAgain.Renew(lease, TimeSpan.FromDays(2), At(86_400 + 600)).ReasonCode);
    }

    /// <summary>
    /// A hard budget that recorded usage put over its limit, made soft a day later: its burst counts from the change.
    /// It kept the start noted under the hard limit, so the burst had long run out and every check was refused.
    /// </summary>
    [Fact]
    public void A_hard_budget_over_its_limit_made_soft_counts_its_burst_from_the_change()
    {
        static TenantConfig Config(QuotaLimit limit) => TenantConfig.Create("alerts", Tier.Basic, QuotaDefinition.Budget("cost", limit, BudgetPeriod.Month));
        var tenant = new TenantQuotas(Config(QuotaLimit.Hard(100)));
        tenant.RecordUsage("e1", "cost", 150, T0); // usage is a fact: recorded past a hard limit

        var soft = Rebuilt(tenant, Config(QuotaLimit.Soft(100, 1_000, TimeSpan.FromHours(1), TimeSpan.Zero)), At(86_400));

        Assert.IsType<AdmissionDecision.Allow>(soft.CheckBudget("cost", 1, At(86_400 + 3599)));
        Assert.IsType<AdmissionDecision.Deny>(soft.CheckBudget("cost", 1, At(86_400 + 3600)));
    }

    /// <summary>The tenant rebuilt under <paramref name="config"/> at <paramref name="at"/>, as its grain applies new settings.</summary>
    private static TenantQuotas Rebuilt(TenantQuotas previous, TenantConfig config, DateTimeOffset at)
    {
        var snapshot = previous.ToSnapshot();
        snapshot.Config = config;
        var next = TenantQuotas.FromSnapshot(snapshot);
        next.KeepMemoryOf(previous, at);
        return next;
    }

    /// <summary>The tenant rebuilt with the budget "cost" and the gauge "slots" limited as given, as its grain applies new settings at <paramref name="at"/>.</summary>
    private static TenantQuotas Edited(TenantQuotas tenant, long budget, long slots, DateTimeOffset at)
    {
        var snapshot = tenant.ToSnapshot();
        snapshot.Config = snapshot.Config! with
        {
            Quotas = [QuotaDefinition.Budget("cost", QuotaLimit.Hard(budget), BudgetPeriod.Month), QuotaDefinition.Gauge("slots", QuotaLimit.Hard(slots))],
        };
        var edited = TenantQuotas.FromSnapshot(snapshot);
        edited.KeepMemoryOf(tenant, at);
        return edited;
    }

    private static long Micros(DateTimeOffset at) => (at - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    [Fact]
    public void Alert_feed_is_bounded()
    {
        var tenant = Basic("alerts", QuotaDefinition.Gauge("slots", QuotaLimit.Hard(10)));
        for (var i = 0; i < 100; i++)
        {
            var lease = ((AdmissionDecision.Allow)tenant.Acquire("slots", 10, Hour, null, T0)).LeaseId!;
            tenant.Release(lease, T0);
        }

        Assert.Equal(AlertFeed.Capacity, tenant.Alerts.Items.Count);
        Assert.Equal(Micros(T0) + 199, tenant.Alerts.LastSequence);
        Assert.Equal(tenant.Alerts.LastSequence, tenant.Alerts.Items[^1].Sequence);
    }

    [Fact]
    public void Stats_report_usage_utilization_peak_rate_and_violations()
    {
        var tenant = Basic("stats");
        tenant.Acquire(QuotaNames.CpuMillicores, 250, Hour, null, T0);
        tenant.Acquire(QuotaNames.CpuMillicores, 2000, Hour, null, T0); // violation
        for (var i = 0; i < 40; i++)
        {
            tenant.CheckRate(QuotaNames.Requests, 1, T0.AddMinutes(1));
        }

        tenant.CheckRate(QuotaNames.Requests, 70, T0.AddMinutes(5)); // 40 + 70 > 100 in a minute? no: window slid; 70 allowed
        tenant.CheckRate(QuotaNames.Requests, 31, T0.AddMinutes(5)); // 101 > 100: violation
        tenant.RecordUsage("e", QuotaNames.Jobs, 3, T0);

        var stats = tenant.Stats(T0.AddMinutes(5));
        var cpu = stats.Gauges.Single(g => g.Quota == QuotaNames.CpuMillicores);
        Assert.Equal(250, cpu.Current);
        Assert.Equal(25.0, cpu.UtilizationPercent);
        Assert.Equal(1, cpu.Violations);
        Assert.Equal(70, stats.Rates.Single(r => r.Quota == QuotaNames.Requests).Current);
        Assert.Equal(70, stats.PeakRequestsPerMinuteLastHour);
        Assert.Equal(3, stats.Budgets.Single(b => b.Quota == QuotaNames.Jobs).Current);
        Assert.Null(stats.Budgets.Single(b => b.Quota == QuotaNames.Jobs).UtilizationPercent);
        Assert.Equal(2, stats.TotalViolations);
        Assert.Equal(0, tenant.Stats(T0.AddHours(2)).PeakRequestsPerMinuteLastHour);
    }
}
