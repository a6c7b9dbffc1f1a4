namespace Quotas.Core.Tenants;

/// <summary>What a tenant persists (System.Text.Json): configuration, leases, budgets, idempotency records and the alert
/// feed. Rate windows are in memory, and stored only when the tenant leaves memory gracefully (<see cref="RateCounts"/>).</summary>
public sealed class TenantSnapshot
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    public TenantConfig? Config { get; set; }

    /// <summary>The parent's effective quotas the tenant inherited from, null for a root tenant.</summary>
    public List<QuotaDefinition>? ParentQuotas { get; set; }

    public long LastLeaseSequence { get; set; }

    public List<LeaseInfo> Leases { get; set; } = [];

    /// <summary>Recently released or expired leases by idempotency key, oldest first.</summary>
    public List<KeyedLease> ReleasedLeases { get; set; } = [];

    /// <summary>Gauges above a soft limit and since when.</summary>
    public List<SoftBurstSnapshot> SoftBursts { get; set; } = [];

    /// <summary>Reported gauges above a soft limit and since when; null when none is (and in rows of earlier releases).</summary>
    public List<SoftBurstSnapshot>? ReportedBursts { get; set; }

    public List<BudgetSnapshot> Budgets { get; set; } = [];

    /// <summary>Recently recorded usage event ids, oldest first.</summary>
    public List<string> SeenEventIds { get; set; } = [];

    /// <summary>
    /// What the callers' event ids at the end of <see cref="SeenEventIds"/> were recorded as, in their order (the
    /// first entry is for the id this many places from the end); an entry is null for an id whose row did not say.
    /// Null in rows of earlier releases, whose ids are answered as duplicates whatever a resend says.
    /// </summary>
    public List<RecordedEvent?>? SeenEventRecords { get; set; }

    /// <summary>Charges of pool jobs their pools have not yet said they will not send again, oldest first; absent before.</summary>
    public List<string> PoolChargeIds { get; set; } = [];

    public List<ReportedSnapshot> Reported { get; set; } = [];

    public List<ViolationSnapshot> Violations { get; set; } = [];

    /// <summary>Budget usage the parent has not counted yet (see <see cref="UsageOutbox"/>); null until usage is first put in it, and in rows of earlier releases.</summary>
    public UsageOutboxSnapshot? Outbox { get; set; }

    /// <summary>The last delivery counted from each child's life; absent before.</summary>
    public List<ChildDelivery> ChildDeliveries { get; set; } = [];

    /// <summary>The alert feed (its newest <see cref="AlertFeed.Capacity"/>, oldest first); absent before.</summary>
    public List<QuotaAlert>? Alerts { get; set; }

    /// <summary>
    /// The thresholds (in percent) each gauge and reported gauge was above, by "{kind}/{quota}" (e.g.
    /// "gauge/workers"), so that a tenant read back does not alert again for them; null when none, and in rows of earlier
    /// releases.
    /// </summary>
    public Dictionary<string, List<int>>? ThresholdsCrossed { get; set; }

    /// <summary>The usage rollups (<see cref="Billing.UsageRollups"/>); null while no usage was recorded.</summary>
    public List<Billing.UsageSeriesSnapshot>? Usage { get; set; }

    /// <summary>The pricing plans by the month they apply from (<see cref="Billing.PricingHistory"/>); null while none was set.</summary>
    public List<Billing.PlanPeriod>? PricingPlans { get; set; }

    /// <summary>
    /// What the rate quotas counted when the tenant last left memory gracefully, for its next activation to count on
    /// from; null in rows of earlier releases, and dropped by the next write of the tenant from memory. A crash before
    /// that write starts the tenant from these counts again: hits that did happen, which age out by the clock.
    /// </summary>
    public List<RateCountsSnapshot>? RateCounts { get; set; }
}

/// <summary>The last delivery counted from a child's life; <see cref="ChildDeliveries.Ended"/> with the time once it ended.</summary>
public sealed record ChildDelivery(string Child, long Sequence, DateTimeOffset? EndedAt = null);

public sealed record KeyedLease(string IdempotencyKey, LeaseInfo Lease);

public sealed record SoftBurstSnapshot(string Quota, DateTimeOffset OverSince);

public sealed record BudgetSnapshot(string Quota, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long Consumed, DateTimeOffset? OverSince);

public sealed record ReportedSnapshot(string Quota, long Value);

public sealed record ViolationSnapshot(QuotaKind Kind, string Quota, long Count);
