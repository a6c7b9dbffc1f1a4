namespace Quotas.Core.Scheduling;

/// <summary>A tenant's settings in a pool.</summary>
/// <remarks>Weight: Relative share, &gt; 0; the default is 1; Guaranteed: Nominal share the tenant gets back by reclaim when it waits; default none; BorrowingLimit: How much above <paramref name="Guaranteed"/> the tenant may borrow, per resource; null or an absent resource means up to the pool's capacity.</remarks>
public sealed record TenantShare(
    TenantId Tenant,
    double Weight = 1,
    ResourceVector? Guaranteed = null,
    ResourceVector? BorrowingLimit = null);
