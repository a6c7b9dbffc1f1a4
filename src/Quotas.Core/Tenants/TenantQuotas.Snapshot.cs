using Quotas.Core.Billing;

namespace Quotas.Core.Tenants;

public sealed partial class TenantQuotas
{
    public TenantSnapshot ToSnapshot()
    {
        var snapshot = new TenantSnapshot
        {
            Config = Config,
            ParentQuotas = _parentQuotas?.ToList(),
            LastLeaseSequence = Gauges.LastSequence,
            Leases = Gauges.Leases().ToList(),
            ReleasedLeases = Gauges.Released().Select(p => new KeyedLease(p.Key, p.Value)).ToList(),
            SeenEventIds = Budgets.SeenEventIds().ToList(),
            SeenEventRecords = Budgets.SeenEventRecords().ToList(),
            PoolChargeIds = Budgets.PoolChargeIds().ToList(),
            Violations = _violations.All().OrderBy(v => v.Kind).ThenBy(v => v.Quota, StringComparer.Ordinal)
                .Select(v => new ViolationSnapshot(v.Kind, v.Quota, v.Count)).ToList(),
            Outbox = _outbox?.ToSnapshot(),
            ChildDeliveries = _childDeliveries is not { } deliveries ? [] : deliveries.Last.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new ChildDelivery(p.Key, p.Value, deliveries.EndedAt(p.Key))).ToList(),
            Alerts = Alerts.ToSnapshot(),
            ThresholdsCrossed = _alerts.Crossed(StoredAlertKey),
            Usage = _metering?.Rollups.ToSnapshot(),
            PricingPlans = _metering?.Plans.ToSnapshot(),
        };
        for (var i = 0; i < Gauges.Quotas.Count; i++)
        {
            if (Gauges.OverSinceTicks(i) != 0)
            {
                snapshot.SoftBursts.Add(new SoftBurstSnapshot(Gauges.Quotas[i].Name, new DateTimeOffset(Gauges.OverSinceTicks(i), TimeSpan.Zero)));
            }
        }

        for (var i = 0; i < Budgets.Quotas.Count; i++)
        {
            if (Budgets.Started(i))
            {
                var record = Budgets.Describe(i, false);
                var over = Budgets.OverSinceTicks(i);
                snapshot.Budgets.Add(new BudgetSnapshot(
                    record.Quota, record.PeriodStart, record.PeriodEnd, record.Consumed, over == 0 ? null : new DateTimeOffset(over, TimeSpan.Zero)));
            }
        }

        for (var i = 0; i < Reported.Quotas.Count; i++)
        {
            if (Reported.ValueAt(i) != 0)
            {
                snapshot.Reported.Add(new ReportedSnapshot(Reported.Quotas[i].Name, Reported.ValueAt(i)));
            }

            if (Reported.OverSinceTicks(i) != 0)
            {
                (snapshot.ReportedBursts ??= []).Add(new SoftBurstSnapshot(Reported.Quotas[i].Name, new DateTimeOffset(Reported.OverSinceTicks(i), TimeSpan.Zero)));
            }
        }

        return snapshot;
    }

    /// <summary>
    /// Takes over what only memory holds from the tenant this one replaces after a configuration change: rate windows
    /// whose shape is unchanged (<see cref="RateBook.CarryOver"/>) and the alert feed. Without it a tenant whose
    /// quotas were edited would start every window empty, and its alert history would vanish. Usage that a lowered
    /// limit puts past a threshold is reported at <paramref name="now"/>, the time of the change.
    /// </summary>
    public void KeepMemoryOf(TenantQuotas previous, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(previous);
        CarryOverRates(previous, now);
        _alerts.KeepFeedOf(previous._alerts);
        ObserveChangedLimits(previous, now);
    }

    /// <summary>
    /// Takes over the rate windows of the tenant this one replaces (a configuration change, or memory put back after a
    /// failed write), with the thresholds their counts reached taken as crossed: the tenant replaced reported them, and
    /// usage that never fell below a threshold does not report it again. A threshold only a lowered limit reaches stays
    /// to be reported at the next hit. The rate alerts it raised and no write stored yet come along too: marked crossed
    /// here, they would otherwise never be reported (a write that failed put the feed back to the stored one).
    /// </summary>
    public void CarryOverRates(TenantQuotas previous, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(previous);
        _alerts.KeepUnstoredRateAlertsOf(previous._alerts);
        Rates.CarryOver(previous.Rates, now);
        for (var i = 0; i < Rates.Quotas.Count; i++)
        {
            var before = previous.Rates.IndexOf(Rates.Quotas[i].Name);
            if (before >= 0)
            {
                _alerts.MarkReached(_firstRateSlot + i, Rates.Current(i, now), Rates.LimitOf(i), previous.Rates.LimitOf(before));
            }
        }
    }

    /// <summary>
    /// Reports the thresholds that usage already counted reaches only under the limits as now configured: otherwise a
    /// budget lowered below its consumption would report nothing until its next period, as a budget reports only the
    /// crossings its own records make, and a gauge nothing until its next lease or release. A budget or soft gauge a
    /// lowered limit puts past it is over from now, so its burst and grace count from the change.
    /// </summary>
    private void ObserveChangedLimits(TenantQuotas previous, DateTimeOffset now)
    {
        for (var i = 0; i < Gauges.Quotas.Count; i++)
        {
            Gauges.UpdateOverSince(i, now);
        }

        ObserveAllGauges(now);
        for (var i = 0; i < Reported.Quotas.Count; i++)
        {
            Reported.UpdateOverSince(i, now);
            _alerts.Observe(FirstReportedSlot + i, QuotaKind.ReportedGauge, Reported.Quotas[i].Name, Reported.ValueAt(i), Reported.Quotas[i].Limit.Limit, now);
        }

        for (var i = 0; i < Budgets.Quotas.Count; i++)
        {
            var name = Budgets.Quotas[i].Name;
            var before = previous.Budgets.IndexOf(name);
            if (!Budgets.Started(i) || before < 0)
            {
                continue;
            }

            var consumed = Budgets.ConsumedUnderChangedLimit(i, now);
            _alerts.ObserveChange(QuotaKind.Budget, name, consumed, previous.Budgets.Quotas[before].Limit.Limit, consumed, Budgets.Quotas[i].Limit.Limit, now);
        }
    }

    /// <summary>
    /// The key under which a slot's crossed thresholds are stored: its kind and quota name, for the gauges and reported
    /// gauges, whose usage is stored with them; none for a rate, whose window starts empty after a crash and so
    /// re-arms its thresholds by itself (counts handed over mark theirs, see <see cref="TakeOverRates"/>), or a budget, which needs no bits (<see cref="UtilizationAlerts.ObserveChange"/>).
    /// </summary>
    private string? StoredAlertKey(int slot)
    {
        return slot < _firstRateSlot ? "gauge/" + Gauges.Quotas[slot].Name
            : slot < FirstReportedSlot ? null
            : "reportedGauge/" + Reported.Quotas[slot - FirstReportedSlot].Name;
    }

    /// <summary>Keeps of the crossings read back only those the usage is still above (the limits may have changed).</summary>
    private void RecheckStoredCrossings()
    {
        for (var i = 0; i < Gauges.Quotas.Count; i++)
        {
            _alerts.Recheck(i, Gauges.UsageAt(i), Gauges.Quotas[i].Limit.Limit);
        }

        for (var i = 0; i < Reported.Quotas.Count; i++)
        {
            _alerts.Recheck(FirstReportedSlot + i, Reported.ValueAt(i), Reported.Quotas[i].Limit.Limit);
        }
    }

    /// <summary>
    /// <see cref="ToSnapshot"/> with what the rate quotas count (<see cref="TenantSnapshot.RateCounts"/>), for a tenant
    /// leaving memory gracefully: its next activation counts on from it (<see cref="TakeOverRates"/>).
    /// </summary>
    public TenantSnapshot HandOverSnapshot(DateTimeOffset now)
    {
        var snapshot = ToSnapshot();
        snapshot.RateCounts = Rates.SaveCounts(now);
        return snapshot;
    }

    /// <summary>
    /// Counts on from what the previous activation's rate quotas counted when it left memory (see
    /// <see cref="HandOverSnapshot"/>), for the quotas that kept their name and shape. The thresholds those counts reach
    /// now, under the limit they were counted under as well as the current one, are taken as crossed: the previous
    /// activation reported them.
    /// </summary>
    public void TakeOverRates(IReadOnlyList<RateCountsSnapshot> counts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(counts);
        Rates.RestoreCounts(counts, now);
        foreach (var saved in counts)
        {
            var index = saved?.Quota is { } quota ? Rates.IndexOf(quota.Name) : -1;
            if (index >= 0)
            {
                _alerts.MarkReached(_firstRateSlot + index, Rates.Current(index, now), Rates.LimitOf(index), RateBook.LimitOf(saved!.Quota));
            }
        }
    }

    /// <summary>Rebuilds a tenant from <see cref="ToSnapshot"/>. State for quotas no longer configured is dropped; rate windows
    /// start empty (with their thresholds' alert states): only an activation takes over handed-over counts (<see cref="TakeOverRates"/>).</summary>
    public static TenantQuotas FromSnapshot(TenantSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Config is null || snapshot.Version != TenantSnapshot.CurrentVersion)
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidSnapshot,
                $"Snapshot version {snapshot.Version} without a configuration cannot be read: expected version {TenantSnapshot.CurrentVersion} with a config.");
        }

        var tenant = new TenantQuotas(snapshot.Config, snapshot.ParentQuotas);
        foreach (var lease in snapshot.Leases)
        {
            tenant.Gauges.Restore(lease, snapshot.LastLeaseSequence);
        }

        tenant.Gauges.RestoreSequence(snapshot.LastLeaseSequence);
        foreach (var released in snapshot.ReleasedLeases)
        {
            tenant.Gauges.RestoreReleased(released.IdempotencyKey, released.Lease);
        }

        foreach (var burst in snapshot.SoftBursts)
        {
            tenant.Gauges.RestoreOverSince(burst.Quota, burst.OverSince.UtcTicks);
        }

        foreach (var budget in snapshot.Budgets)
        {
            tenant.Budgets.Restore(budget.Quota, budget.PeriodStart, budget.PeriodEnd, budget.Consumed, budget.OverSince?.UtcTicks ?? 0);
        }

        var records = snapshot.SeenEventRecords ?? [];
        var firstRecorded = snapshot.SeenEventIds.Count - records.Count;
        for (var i = 0; i < snapshot.SeenEventIds.Count; i++)
        {
            tenant.Budgets.RestoreSeen(snapshot.SeenEventIds[i], i >= firstRecorded ? records[i - firstRecorded] : null);
        }

        foreach (var eventId in snapshot.PoolChargeIds ?? [])
        {
            tenant.Budgets.RestorePoolCharge(eventId);
        }

        foreach (var reported in snapshot.Reported)
        {
            tenant.Reported.Restore(reported.Quota, reported.Value);
        }

        foreach (var burst in snapshot.ReportedBursts ?? [])
        {
            tenant.Reported.RestoreOverSince(burst.Quota, burst.OverSince.UtcTicks);
        }

        foreach (var violation in snapshot.Violations)
        {
            tenant._violations.Restore(violation.Kind, violation.Quota, violation.Count);
        }

        if (snapshot.Outbox is { } outbox)
        {
            tenant.Outbox.Restore(outbox);
        }

        foreach (var delivery in snapshot.ChildDeliveries ?? [])
        {
            tenant.ChildDeliveries.Restore(delivery);
        }

        tenant.Alerts.Restore(snapshot.Alerts);
        tenant._alerts.RestoreCrossed(snapshot.ThresholdsCrossed, tenant.StoredAlertKey);
        tenant.RecheckStoredCrossings();
        tenant._metering = Metering.FromSnapshot(snapshot.Usage, snapshot.PricingPlans);

        return tenant;
    }
}
