using Grains;

namespace Quotas.Contracts.Gateway;

/// <summary>
/// A sorted list of ids, for listing and paging: the tenants' (key <see cref="Key"/>), the pools' (key
/// <see cref="PoolsKey"/>) and each pool's worker keys' (<see cref="WorkerKeysKeyPrefix"/>). Tenants and pools add
/// and remove themselves when they are created and deleted; a worker key is added when it is issued and stays, to be
/// listed as ended, after it is revoked or its pool deleted. Both are idempotent.
/// </summary>
public interface ITenantDirectoryGrain : IGrainWithStringKey
{
    const string Key = "tenants";

    /// <summary>
    /// The directory of deleted tenants whose usage or pricing is kept, so that their last months can still be billed
    /// (<c>GET /v1/statements/{month}</c> lists them with the tenants that exist); an id leaves it when a tenant of the
    /// id is created again, or when no month the tenant existed in can be billed any more (asked for its statement then).
    /// </summary>
    const string DeletedTenantsKey = "tenants-deleted";

    /// <summary>The directory of pool ids (the same grain type: one sorted set of ids per key).</summary>
    const string PoolsKey = "pools";

    /// <summary>The directory of a pool's worker key ids: this prefix and the pool id.</summary>
    const string WorkerKeysKeyPrefix = "worker-keys/";

    Task Add(string tenantId);

    Task Remove(string tenantId);

    /// <summary>Up to <paramref name="limit"/> ids after <paramref name="after"/> (exclusive) in ordinal order.</summary>
    [Idempotent]
    Task<IReadOnlyList<string>> List(string? after, int limit);
}
