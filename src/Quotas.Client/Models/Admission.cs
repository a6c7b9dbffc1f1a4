namespace Quotas.Client;

public sealed record Lease(string LeaseId, string Quota, long Amount, DateTimeOffset ExpiresAt, long Remaining);

public sealed record LeaseRenewal(string LeaseId, DateTimeOffset ExpiresAt);

/// <summary>
/// A live lease. <paramref name="HeldByService"/>: the service holds it for the tenant (for a pool's running job or a
/// child tenant's lease); it ends with what it stands for, and renewing or releasing it is refused.
/// </summary>
public sealed record HeldLease(string LeaseId, string Quota, long Amount, DateTimeOffset ExpiresAt, bool HeldByService);

/// <summary>The rate quota after an admitted hit: what is left and the whole seconds until the window frees units.</summary>
public sealed record RateHit(string Quota, long Limit, long Remaining, double ResetSeconds);

/// <summary>
/// Budget usage as recorded. <see cref="Duplicate"/>: the tenant had counted the event before and did not count it
/// again. A retry the gateway replays (the SDK sends the event id in the body, which the gateway keeps as the request's
/// key) gets the first answer as it was, with Duplicate false and the totals of then.
/// </summary>
public sealed record UsageRecord(
    bool Duplicate,
    string Quota,
    long Consumed,
    long Limit,
    bool OverLimit,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd);

public sealed record QuotaUsage(string Quota, long Current, long Limit, double? UtilizationPercent, long Violations, DateTimeOffset? ResetsAt = null);

public sealed record TenantStats(
    string Tenant,
    TenantStatus Status,
    DateTimeOffset At,
    IReadOnlyList<QuotaUsage> Gauges,
    IReadOnlyList<QuotaUsage> Rates,
    IReadOnlyList<QuotaUsage> Budgets,
    IReadOnlyList<QuotaUsage> Reported,
    int LiveLeases,
    long PeakRequestsPerMinuteLastHour,
    long TotalViolations);

public sealed record LimitEntry(string Quota, QuotaKind Kind, long Limit, long Used, long Remaining, DateTimeOffset? ResetAt);

public sealed record TenantLimits(string TenantId, DateTimeOffset At, IReadOnlyList<LimitEntry> Limits);

public sealed record QuotaAlert(long Sequence, DateTimeOffset At, QuotaKind Kind, string Quota, int ThresholdPercent, long Usage, long Limit);
