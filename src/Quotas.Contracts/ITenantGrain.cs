using Grains;
using Quotas.Core.Tenants;

namespace Quotas.Contracts;

/// <summary>
/// One tenant, keyed by tenant id: its configuration, leases, rate windows and budgets. Admission checks are answered
/// from memory; a granted lease, a recorded usage event and every configuration change are persisted before the call
/// returns. Rate windows live in memory; a tenant leaving memory gracefully (its silo shut down, idle collection) stores
/// them for its next activation, and a crash or a move to a silo that joined loses them.
/// </summary>
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Creates the tenant from its tier plus overrides; its parent, when set, must exist.</summary>
    Task<TenantConfig> Create(TenantConfig config);

    /// <summary>The tenant's configuration; fails with <c>unknown_tenant</c> when it does not exist.</summary>
    Task<TenantConfig> GetConfig();

    /// <summary>The quotas in force: the tier's, overridden by the tenant's own, inheriting the parent's where unset.</summary>
    Task<IReadOnlyList<QuotaDefinition>> GetEffectiveQuotas();

    /// <summary>Replaces the tenant's own quota overrides; takes effect at once.</summary>
    Task<TenantConfig> UpdateQuotas(IReadOnlyList<QuotaDefinition> quotas);

    /// <summary>Every check is denied with <c>tenant_suspended</c>; leases already granted are kept.</summary>
    Task Suspend();

    Task Activate();

    /// <summary>
    /// Deletes a suspended tenant and revokes every API key issued for it, so that a tenant created later with the
    /// same id is not reached by them; refused while leases are live unless forced.
    /// </summary>
    Task Delete(bool force);

    /// <summary>
    /// The ids of the API keys issued for this tenant, revoked ones included; empty when the tenant does not exist.
    /// A method of its own rather than a result of <see cref="Delete"/>: a changed result type would break callers of
    /// other releases during a rolling upgrade (docs/contracts.md).
    /// </summary>
    [Idempotent]
    Task<IReadOnlyList<string>> GetApiKeyIds();

    /// <summary>
    /// When a tenant of this id was last deleted; null when none ever was. Answered whether or not the tenant exists
    /// now: what was recorded for a deleted tenant before that time (idempotency records) is not the new tenant's.
    /// </summary>
    [Idempotent]
    Task<DateTimeOffset?> GetLastDeletedAt();

    /// <summary>
    /// Records an API key issued for this tenant, before the key itself is stored, so that deleting the tenant revokes
    /// it; fails with <c>unknown_tenant</c> when the tenant does not exist.
    /// </summary>
    Task AddApiKey(string keyId);

    /// <summary>The lease <paramref name="leaseId"/> names while it is live; null once it was released or expired, or when none was granted.</summary>
    [Idempotent]
    Task<HeldLease?> GetLease(string leaseId);

    /// <summary>
    /// The live leases in ordinal order of their ids, after <paramref name="afterLeaseId"/> (null: from the first), at
    /// most <paramref name="limit"/> (1 to 1,000), those the service holds for the tenant included.
    /// </summary>
    [Idempotent]
    Task<IReadOnlyList<HeldLease>> ListLeases(string? afterLeaseId, int limit);

    /// <summary>Acquires a gauge lease here and a matching reservation in every ancestor, all or nothing.</summary>
    Task<AdmissionDecision> Acquire(string quota, long amount, TimeSpan ttl, string? idempotencyKey);

    /// <summary>Releases a lease (and its ancestors' reservations); a second release changes nothing.</summary>
    Task<bool> Release(string leaseId);

    /// <summary>
    /// <see cref="Release"/> for a client (the gateway's release route): refuses, with <c>lease_held_by_service</c>, a
    /// lease the service holds for a pool's running job or a child tenant's lease.
    /// </summary>
    Task<bool> ReleaseClientLease(string leaseId);

    Task<LeaseRenewal> Renew(string leaseId, TimeSpan ttl);

    /// <summary>
    /// <see cref="Renew"/> for a client (the gateway's renew route): refuses, with <c>lease_held_by_service</c>, a lease
    /// the service holds, whose time the service alone sets (shortened, a parent's hold could lapse under its child's
    /// lease; lengthened, a finished job's quota would stay held).
    /// </summary>
    Task<LeaseRenewal> RenewClientLease(string leaseId, TimeSpan ttl);

    /// <summary>
    /// Counts <paramref name="cost"/> units against a rate quota here and, all or nothing, in every ancestor that sets a
    /// limited rate quota of that name itself (tier defaults and inherited values cap nothing above the tenant); the
    /// result carries remaining and reset (of the tightest, see <see cref="HitRate"/>).
    /// </summary>
    Task<RateDecision> CheckRate(string quota, long cost);

    /// <summary>
    /// Like <see cref="CheckRate"/>, with the deciding quota's window for the RateLimit-Policy header: an ancestor's
    /// refusal, or else the allowance with the fewest units remaining, this tenant's or an ancestor's.
    /// </summary>
    Task<RateHit> HitRate(string quota, long cost);

    /// <summary>
    /// Called by a descendant whose own window admitted a hit: counts it against this tenant's rate quota of that name
    /// when this tenant sets one itself, and then in the next ancestor that does, all or nothing, so that the limit
    /// caps the sum of the subtree. Added after the first release: a descendant asking a silo of an earlier release
    /// gets <see cref="UnknownGrainMethodException"/> and counts the hit against its own quota only, as that release did.
    /// </summary>
    Task<RateHit> HitRateForChild(string quota, long cost);

    /// <summary>
    /// Called by a child tenant when it reads what it inherits: the rate quotas this tenant or an ancestor sets itself,
    /// each with the nearest tenant that does; while this tenant stays active it tells the child
    /// (<see cref="ParentQuotasChanged"/>) when they change. Added after the first release: a silo of an earlier
    /// release answers <see cref="UnknownGrainMethodException"/>, and the child then asks no ancestor about its hits.
    /// </summary>
    Task<IReadOnlyList<RateCap>> GetRateCapsForChild(string childId);

    /// <summary>Records budget usage once per event id.</summary>
    Task<UsageRecord> RecordUsage(string eventId, string quota, long amount);

    /// <summary>
    /// Records budget usage once per event id, as <see cref="RecordUsage"/>, rolled up for billing at the time it
    /// happened (<see cref="Core.Billing.Metering.UsageTime"/>: in a month whose statement is still open, refused with
    /// <c>invalid_occurred_at</c> otherwise); the budgets count it now. Added after the first release: a silo of an
    /// earlier release answers <see cref="UnknownGrainMethodException"/>.
    /// </summary>
    Task<UsageRecord> RecordUsageAt(string eventId, string quota, long amount, DateTimeOffset occurredAt);

    /// <summary>Sets a reported gauge such as storage bytes.</summary>
    Task ReportGauge(string quota, long value);

    /// <summary>Whether <paramref name="additional"/> more units fit under a reported gauge (storage); consumes nothing.</summary>
    Task<AdmissionDecision> CheckReported(string quota, long additional);

    /// <summary>
    /// Whether <paramref name="amount"/> more fits in a budget's current period; consumes nothing. Refused: the
    /// budget's deny with a retry-after until the period ends (or none when the amount exceeds the limit itself).
    /// <paramref name="countAsViolation"/>: a refusal counts among the tenant's violations (a client's check does; a
    /// pool asking again while it holds the tenant's jobs back does not).
    /// </summary>
    Task<AdmissionDecision> CheckBudget(string quota, long amount, bool countAsViolation);

    Task<TenantStats> GetStats();

    /// <summary>
    /// The usage recorded here (a child's own, not its subtree's), per meter in UTC hours, days or months: the buckets
    /// that overlap [<paramref name="from"/>, <paramref name="to"/>), among those kept
    /// (<see cref="Core.Billing.UsageRollups.Kept"/>). Added after 2026-12-05, as are the two methods below: a silo of
    /// an earlier release answers <see cref="UnknownGrainMethodException"/>.
    /// </summary>
    [Idempotent]
    Task<Core.Billing.UsageHistory> GetUsageHistory(Core.Billing.RollupGranularity granularity, DateTimeOffset from, DateTimeOffset to, string? meter);

    /// <summary>
    /// The statement of a calendar month (UTC), priced under the plan in force in that month and projected to the
    /// month's end while it runs; for administrators. A month tenants of this id shared (one deleted in it, the next
    /// created in it) bills the usage of all of them.
    /// </summary>
    [Idempotent]
    Task<Core.Billing.BillingStatement> GetStatement(int year, int month);

    /// <summary>
    /// <see cref="GetStatement"/> as the tenant that exists now may see it, for its own key: a month whose statement is
    /// a deleted tenant's of the same id (it had closed when this one was created) reads as any month before its
    /// creation does, empty, so that nothing of the deleted tenant reaches whoever holds the id now. Administrators
    /// read <see cref="GetStatement"/>.
    /// </summary>
    [Idempotent]
    Task<Core.Billing.BillingStatement> GetOwnStatement(int year, int month);

    /// <summary>The pricing plan in force now; null when none is set.</summary>
    [Idempotent]
    Task<Core.Billing.PricingPlan?> GetPricingPlan();

    /// <summary>
    /// Sets the pricing plan (null: none) from the current calendar month (UTC) on, that whole month included; a
    /// closed month keeps the plan it was under.
    /// </summary>
    Task SetPricingPlan(Core.Billing.PricingPlan? plan);

    /// <summary>Utilization alerts newer than <paramref name="afterSequence"/>, oldest first.</summary>
    Task<IReadOnlyList<QuotaAlert>> GetAlerts(long afterSequence);

    /// <summary>Called by a child tenant: reserves capacity on behalf of the child's lease (idempotent by lease id).</summary>
    Task<AdmissionDecision> ReserveForChild(string childLeaseId, string quota, long amount, TimeSpan ttl);

    /// <summary>Called by a child tenant: releases the reservation held for the child's lease, if any.</summary>
    Task<bool> ReleaseChildReservation(string childLeaseId);

    /// <summary>Called by a child tenant: renews the reservation held for the child's lease.</summary>
    Task<LeaseRenewal> RenewChildReservation(string childLeaseId, TimeSpan ttl);

    /// <summary>
    /// Called by a child tenant: the quotas in force, as <see cref="GetEffectiveQuotas"/>; while this tenant stays
    /// active it tells the child (<see cref="ParentQuotasChanged"/>) when they change.
    /// </summary>
    Task<IReadOnlyList<QuotaDefinition>> GetEffectiveQuotasForChild(string childId);

    /// <summary>Called by the parent tenant when its quotas in force changed: this tenant re-reads them at once.</summary>
    Task ParentQuotasChanged();

    /// <summary>
    /// Called by a pool once it has stored that these charges of its jobs are paid, so it will never send them again:
    /// the tenant stops remembering them (it remembers pool charges until told, at most
    /// <see cref="Core.Tenants.BudgetLedger.RememberedPoolCharges"/>). Added after the first release: an older silo
    /// answers that it does not know the method, and the pool then drops the acknowledgement.
    /// </summary>
    Task ForgetPoolCharges(IReadOnlyList<string> eventIds);

    /// <summary>
    /// Called by a child tenant: counts a delivery of the budget usage recorded in the child's subtree in this
    /// tenant's budgets and passes it up to this tenant's parent in turn (see <see cref="Core.Tenants.UsageOutbox"/>).
    /// <paramref name="child"/> names the child's life; a delivery already counted from it changes nothing and answers
    /// false.
    /// </summary>
    Task<bool> RecordChildUsage(string child, Core.Tenants.UsageBatch batch);

    /// <summary>Called by a deleted child: that life of the child has ended, and nothing more from it counts.</summary>
    Task EndChildUsage(string child);

    /// <summary>
    /// Sends the parent the budget usage it has not counted yet and waits for its answer (the tenant sends by itself
    /// every second while active, without waiting); answers true when nothing is left to send. Throws when the parent
    /// cannot be reached.
    /// </summary>
    Task<bool> DeliverUsageToParent();
}

/// <summary>A rate check and the window of its quota (zero when the quota is unlimited).</summary>
public sealed record RateHit(RateDecision Decision, TimeSpan Window);
