using Grains;

namespace Quotas.Contracts.Gateway;

/// <summary>
/// A sorted list of ids, for listing and paging: the tenants' (key <see cref="Key"/>) and the pools' (key
/// <see cref="PoolsKey"/>). Tenants and pools add and remove themselves when they are created and deleted; both are
/// idempotent.
/// </summary>
public interface ITenantDirectoryGrain : IGrainWithStringKey
{
    const string Key = "tenants";

    /// <summary>The directory of pool ids (the same grain type: one sorted set of ids per key).</summary>
    const string PoolsKey = "pools";

    Task Add(string tenantId);

    Task Remove(string tenantId);

    /// <summary>Up to <paramref name="limit"/> ids after <paramref name="after"/> (exclusive) in ordinal order.</summary>
    [Idempotent]
    Task<IReadOnlyList<string>> List(string? after, int limit);
}
