namespace Quotas.Client;

/// <summary>The length of a usage bucket: a UTC hour, a UTC day or a calendar month in UTC.</summary>
public enum RollupGranularity
{
    Hour,
    Day,
    Month,
}

/// <summary>Usage of one meter (a budget's name) within the bucket starting at <paramref name="Start"/>.</summary>
public sealed record UsageBucket(string Meter, DateTimeOffset Start, long Amount);

/// <summary>A tenant's usage buckets, by meter and oldest first; <paramref name="KeptFrom"/> is where the kept history starts.</summary>
public sealed record UsageHistory(
    string TenantId,
    RollupGranularity Granularity,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset KeptFrom,
    IReadOnlyList<UsageBucket> Buckets);

/// <summary>
/// What a tenant pays per calendar month (UTC): <paramref name="MonthlyFee"/>, plus each priced meter's usage beyond
/// what is included, in <paramref name="Currency"/> (ISO 4217).
/// </summary>
public sealed record PricingPlan(string Name, string Currency, decimal MonthlyFee, IReadOnlyList<MeterPrice> Prices);

/// <summary><paramref name="UnitPrice"/> per <paramref name="PerUnits"/> units of a meter's usage beyond <paramref name="Included"/> units a month.</summary>
public sealed record MeterPrice(string Meter, decimal UnitPrice, long Included = 0, long PerUnits = 1);

/// <summary>A tenant's pricing plan in force now; <paramref name="Plan"/> is null when none is set.</summary>
public sealed record PricingPlanResponse(string TenantId, PricingPlan? Plan);

/// <summary>
/// What a tenant owes for a calendar month; while the month runs, figures so far and a projection to its end. Every
/// amount is rounded to <paramref name="Decimals"/>, the currency's.
/// </summary>
public sealed record BillingStatement(
    string TenantId,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    bool Closed,
    DateTimeOffset ComputedAt,
    string? Plan,
    string? Currency,
    decimal MonthlyFee,
    IReadOnlyList<StatementLine> Lines,
    decimal Total,
    decimal? ProjectedTotal,
    int Decimals = 2);

/// <summary>One meter's usage in the month, what of it is billable, and what it costs.</summary>
public sealed record StatementLine(
    string Meter,
    long Quantity,
    long Included,
    long Billable,
    decimal UnitPrice,
    long PerUnits,
    decimal Amount,
    long? ProjectedQuantity,
    decimal? ProjectedAmount);

/// <summary>A tenant whose stored state the service could not read, with what its storage said.</summary>
public sealed record UnreadableTenant(string TenantId, string Detail);
