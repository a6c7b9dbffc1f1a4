namespace Quotas.Core.Scheduling;

/// <summary>A tenant's settings in a pool.</summary>
/// <remarks>Weight: Relative share, &gt; 0; the default is 1; Guaranteed: Nominal share the tenant gets back by reclaim when it waits; default none; BorrowingLimit: How much above <paramref name="Guaranteed"/> the tenant may borrow, per resource; null or an absent resource means up to the pool's capacity; ResourceWeights: The weight of each resource for this tenant, as weighted DRF defines it (Ghodsi et al., NSDI 2011): its dominant share is the largest of its share of each resource divided by that resource's weight; a resource not named weighs <paramref name="Weight"/>; null: every resource weighs <paramref name="Weight"/>.</remarks>
public sealed record TenantShare(
    TenantId Tenant,
    double Weight = 1,
    ResourceVector? Guaranteed = null,
    ResourceVector? BorrowingLimit = null,
    IReadOnlyDictionary<string, double>? ResourceWeights = null);
