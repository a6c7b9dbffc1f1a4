namespace Quotas.Core.Billing;

/// <summary>
/// What a tenant owes for one calendar month (UTC) under its pricing plan, from the usage recorded in that month.
/// While the month runs (<paramref name="Closed"/> false, until five minutes after its end: Statements.ClosingGrace) the
/// figures are so far, and <paramref name="ProjectedTotal"/> extends each meter's usage at its rate so far to the
/// month's end; a closed month's figures no longer change.
/// Without a plan, the lines give the usage alone, at no price. Every amount is rounded to <paramref name="Decimals"/>,
/// the currency's (<see cref="CurrencyDecimals"/>).
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

/// <summary>
/// One meter's usage in the month: <paramref name="Billable"/> is the <paramref name="Quantity"/> beyond what the plan
/// includes, charged <paramref name="UnitPrice"/> per <paramref name="PerUnits"/> units; the projection, while the
/// month runs, is the quantity at its rate so far through the whole month, and what that would cost.
/// </summary>
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
