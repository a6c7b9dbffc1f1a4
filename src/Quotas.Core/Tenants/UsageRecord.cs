namespace Quotas.Core.Tenants;

/// <summary>Result of recording usage against a budget. A duplicate event id changes nothing and reports the current totals.</summary>
public sealed record UsageRecord(
    bool Duplicate,
    string Quota,
    long Consumed,
    long Limit,
    bool OverLimit,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd);
