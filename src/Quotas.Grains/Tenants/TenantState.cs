using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>What a tenant persists: configuration, leases, budgets and idempotency records (rate windows only as it leaves memory, see <see cref="TenantSnapshot.RateCounts"/>).</summary>
public sealed class TenantState
{
    /// <summary>Null until the tenant is created, and again after it is deleted.</summary>
    public TenantSnapshot? Snapshot { get; set; }

    /// <summary>
    /// The gauges of the snapshot's parent quotas that the parent no longer sets and that this tenant keeps, at 0, for
    /// its leases of them (see TenantGrain.KeepingLeasedGauges); null when none. Told apart from the parent's own so that
    /// they go once those leases end, also while the parent is deleted and its last quotas otherwise stay in force.
    /// </summary>
    public List<string>? KeptGauges { get; set; }

    /// <summary>Ids of the API keys issued for the tenant, revoked when it is deleted.</summary>
    public List<string> ApiKeyIds { get; set; } = [];

    /// <summary>
    /// The last lease id sequence of a deleted tenant: all that is kept of it, so that a tenant created again under
    /// its id goes on from there and never hands out a lease id still held by someone for the deleted one.
    /// </summary>
    public long RetiredLeaseSequence { get; set; }

    /// <summary>When a tenant of this id was last deleted, kept like <see cref="RetiredLeaseSequence"/>; null when never.</summary>
    public DateTimeOffset? LastDeletedAt { get; set; }

    /// <summary>
    /// The usage rollups of the tenant last deleted under this id, so that its last months can still be billed; null
    /// when it recorded none, and once no month it could bill is left. A tenant created again starts afresh, and keeps
    /// these for the statements that had closed when it was created (<see cref="RecreatedAt"/>).
    /// </summary>
    public List<Core.Billing.UsageSeriesSnapshot>? RetiredUsage { get; set; }

    /// <summary>The pricing plans of the tenant last deleted under this id, kept with <see cref="RetiredUsage"/>.</summary>
    public List<Core.Billing.PlanPeriod>? RetiredPricingPlans { get; set; }

    /// <summary>
    /// When the tenant that exists now was created under the id of a deleted one: a month whose statement had closed by
    /// then stays the deleted tenant's while its metering is kept, since a closed statement never changes, and a month
    /// that began after the delete and closed before the creation was no tenant's.
    /// </summary>
    public DateTimeOffset? RecreatedAt { get; set; }

    /// <summary>When the tenant that exists now was created: its first month's statement projects its usage over the time since. Null in rows of earlier releases.</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>
    /// The metering of tenants deleted before the last one, each kept when the tenant after it was created while it
    /// could still be billed (<see cref="RecreatedAt"/>): a statement that had closed by that creation, of a month it
    /// lived in, stays its own, whatever came after. Each drops its metering once no month it could bill is left, and goes
    /// once no month between its delete and the next creation can be asked for either (those months were no tenant's).
    /// </summary>
    public List<EarlierLife> EarlierLives { get; set; } = [];
}

/// <summary>One deleted tenant's metering, kept for its closed statements (see <see cref="TenantState.EarlierLives"/>).</summary>
public sealed class EarlierLife
{
    public List<Core.Billing.UsageSeriesSnapshot>? Usage { get; set; }

    public List<Core.Billing.PlanPeriod>? PricingPlans { get; set; }

    /// <summary>When it was deleted.</summary>
    public DateTimeOffset DeletedAt { get; set; }

    /// <summary>When the tenant after it was created: the statements that had closed by then are its own.</summary>
    public DateTimeOffset NextCreatedAt { get; set; }
}
