namespace Quotas.Core.Tenants;

/// <summary>Usage of one quota. <paramref name="UtilizationPercent"/> is null when unlimited; <paramref name="ResetsAt"/> is the
/// budget period end, or when a limited rate quota next frees units (null when it counts nothing).</summary>
public sealed record QuotaUsage(string Quota, long Current, long Limit, double? UtilizationPercent, long Violations, DateTimeOffset? ResetsAt = null);

/// <summary>A point-in-time view of a tenant for the dashboard and the stats API.</summary>
public sealed record TenantStats(
    TenantId Tenant,
    TenantStatus Status,
    DateTimeOffset At,
    IReadOnlyList<QuotaUsage> Gauges,
    IReadOnlyList<QuotaUsage> Rates,
    IReadOnlyList<QuotaUsage> Budgets,
    IReadOnlyList<QuotaUsage> Reported,
    int LiveLeases,
    long PeakRequestsPerMinuteLastHour,
    long TotalViolations);
