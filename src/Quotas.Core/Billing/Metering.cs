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

    /// <summary>
    /// Whether a tenant deleted at <paramref name="deletedAt"/> has, at <paramref name="now"/>, no month left whose
    /// statement can be asked for (each after the delete, or older than the rollups keep): what it kept to bill from
    /// serves nothing any more.
    /// </summary>
    public static bool Outlived(DateTimeOffset deletedAt, DateTimeOffset now) => deletedAt < UsageRollups.OldestKept(RollupGranularity.Month, now);

    /// <summary>
    /// The statement of a calendar month (UTC), priced under the plan in force in that month. For a tenant deleted at
    /// <paramref name="deletedAt"/>, a month after the delete is refused, and the month of the delete is not projected.
    /// </summary>
    public BillingStatement Statement(Tenants.TenantId tenant, int year, int month, DateTimeOffset now, DateTimeOffset? deletedAt = null)
    {
        var start = Statements.MonthStart(year, month);
        if (deletedAt is { } deleted && start > deleted)
        {
            throw new Tenants.QuotaValidationException(
                Tenants.ValidationCodes.DeletedBeforePeriod,
                $"Tenant '{tenant}' was deleted at {deleted:O}: it has no statement after {deleted:yyyy-MM}; ask for that month or an earlier one.");
        }

        return Statements.For(tenant, Plans.For(start), year, month, Rollups.MonthTotals(start, now), now, usageEnded: deletedAt);
    }
}
