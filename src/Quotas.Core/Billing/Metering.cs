namespace Quotas.Core.Billing;

/// <summary>
/// What a tenant keeps to bill from: its usage rollups and the pricing plans that price them. Made when a tenant first
/// records usage or gets a plan; a tenant that only checks rates and leases keeps none.
/// </summary>
public sealed class Metering
{
    public UsageRollups Rollups { get; } = new();

    public PricingHistory Plans { get; } = new();

    /// <summary>The metering stored in a tenant's snapshot (<see cref="Tenants.TenantSnapshot.Usage"/>, <see cref="Tenants.TenantSnapshot.PricingPlans"/>); null when neither holds anything.</summary>
    public static Metering? FromSnapshot(IReadOnlyCollection<UsageSeriesSnapshot>? usage, IReadOnlyCollection<PlanPeriod>? plans)
    {
        if (usage is not { Count: > 0 } && plans is not { Count: > 0 })
        {
            return null;
        }

        var metering = new Metering();
        metering.Rollups.Restore(usage);
        metering.Plans.Restore(plans);
        return metering;
    }

    /// <summary>How far ahead of the service's clock a usage event may say it happened (a sender's clock running ahead).</summary>
    public static readonly TimeSpan MaxClockAhead = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The earliest time usage can be dated at <paramref name="now"/>: the start of the oldest month whose statement is
    /// still open (the previous month's, within <see cref="Statements.ClosingGrace"/> of its end), so that usage sent
    /// late never changes a closed statement.
    /// </summary>
    public static DateTimeOffset DatableFrom(DateTimeOffset now) =>
        BucketIndex.StartOf(RollupGranularity.Month, BucketIndex.Of(RollupGranularity.Month, now - Statements.ClosingGrace));

    /// <summary>
    /// The time usage that happened at <paramref name="occurredAt"/> is rolled up at: that time (the service's clock
    /// when a little ahead of it). Refuses a time in a month whose statement has closed, or too far ahead.
    /// </summary>
    public static DateTimeOffset UsageTime(DateTimeOffset occurredAt, DateTimeOffset now)
    {
        if (occurredAt > now + MaxClockAhead)
        {
            throw new Tenants.QuotaValidationException(
                Tenants.ValidationCodes.InvalidOccurredAt,
                $"occurredAt {occurredAt:O} is ahead of the service's clock ({now:O}) by more than {MaxClockAhead.TotalMinutes:0} minutes: send the time the usage happened.");
        }

        var from = DatableFrom(now);
        if (occurredAt < from)
        {
            throw new Tenants.QuotaValidationException(
                Tenants.ValidationCodes.InvalidOccurredAt,
                $"occurredAt {occurredAt:O} is in a month whose statement has closed: usage can be dated from {from:O} on. Send it without occurredAt to count it now.");
        }

        return occurredAt > now ? now : occurredAt;
    }

    /// <summary>
    /// Whether a tenant deleted at <paramref name="deletedAt"/> has, at <paramref name="now"/>, no month left whose
    /// statement can be asked for (each after the delete, or older than the rollups keep), and has had none for a day:
    /// what it kept to bill from serves nothing any more, even on a silo whose clock is behind.
    /// </summary>
    public static bool Outlived(DateTimeOffset deletedAt, DateTimeOffset now) =>
        deletedAt < UsageRollups.OldestKept(RollupGranularity.Month, now - TimeSpan.FromDays(1));

    /// <summary>
    /// The statement of a calendar month (UTC), priced under the plan in force in that month. For a tenant deleted at
    /// <paramref name="deletedAt"/>, a month after the delete is refused, and the month of the delete is not projected.
    /// </summary>
    public BillingStatement Statement(Tenants.TenantId tenant, int year, int month, DateTimeOffset now, DateTimeOffset? deletedAt = null, DateTimeOffset? createdAt = null) =>
        Statement(tenant, year, month, now, [], deletedAt, createdAt);

    /// <summary>
    /// <see cref="Statement(Tenants.TenantId, int, int, DateTimeOffset, DateTimeOffset?, DateTimeOffset?)"/> of a month this
    /// metering's tenant shared with <paramref name="earlier"/> tenants of the same id (deleted in the month, the next one
    /// created in it): their usage is added to this one's, priced under the plan of the latest of them that set a plan
    /// (or removed one) for the month, this tenant first, and projected over the whole month.
    /// </summary>
    public BillingStatement Statement(
        Tenants.TenantId tenant, int year, int month, DateTimeOffset now, IReadOnlyList<Metering> earlier, DateTimeOffset? deletedAt = null, DateTimeOffset? createdAt = null)
    {
        var start = Statements.MonthStart(year, month);
        if (deletedAt is { } deleted && start > deleted)
        {
            throw new Tenants.QuotaValidationException(
                Tenants.ValidationCodes.DeletedBeforePeriod,
                $"Tenant '{tenant}' was deleted at {deleted:O}: it has no statement after {deleted:yyyy-MM}; ask for that month or an earlier one.");
        }

        if (earlier.Count == 0)
        {
            return Statements.For(tenant, Plans.For(start), year, month, Rollups.MonthTotals(start, now), now, usageEnded: deletedAt, usageBegan: createdAt);
        }

        var usage = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var metering in earlier.Prepend(this))
        {
            foreach (var (meter, amount) in metering.Rollups.MonthTotals(start, now))
            {
                usage[meter] = Tenants.Saturating.Add(usage.GetValueOrDefault(meter), amount);
            }
        }

        // The latest tenant that set a plan (or removed one) for the month prices it; one that never set any does not.
        var pricing = Plans.IsSetFor(start) ? this : earlier.LastOrDefault(m => m.Plans.IsSetFor(start)) ?? this;
        var plan = pricing.Plans.For(start);

        return Statements.For(tenant, plan, year, month, usage, now, usageEnded: deletedAt, usageBegan: null);
    }
}
