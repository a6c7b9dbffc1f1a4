using Grains;

namespace Quotas.Contracts.Gateway;

/// <summary>
/// The sorted list of tenant ids, for listing and paging (one grain, key <see cref="Key"/>). Tenants add and remove
/// themselves when they are created and deleted; both are idempotent.
/// </summary>
public interface ITenantDirectoryGrain : IGrainWithStringKey
{
    const string Key = "tenants";

    Task Add(string tenantId);

    Task Remove(string tenantId);

    /// <summary>Up to <paramref name="limit"/> ids after <paramref name="after"/> (exclusive) in ordinal order.</summary>
    [Idempotent]
    Task<IReadOnlyList<string>> List(string? after, int limit);
}
