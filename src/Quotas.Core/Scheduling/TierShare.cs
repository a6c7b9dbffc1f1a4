namespace Quotas.Core.Scheduling;

/// <summary>
/// The settings a pool gives the tenants of one tier that it does not list by name. A tenant listed in the pool's
/// tenants has its own settings instead.
/// </summary>
/// <remarks>
/// Tier: the tier's name, e.g. <c>premium</c>. Weight: relative share, &gt; 0, default 1. BorrowingLimit: how much
/// the tenant may hold per resource; null or an absent resource means up to the pool's capacity. A tier gives no
/// guarantee: guarantees must fit in the capacity (<see cref="PoolGuarantees"/>), which only a list of named tenants
/// can be checked against.
/// </remarks>
public sealed record TierShare(string Tier, double Weight = 1, ResourceVector? BorrowingLimit = null);
