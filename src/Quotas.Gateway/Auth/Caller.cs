namespace Quotas.Gateway.Auth;

/// <summary>Who sent the request: the admin, one tenant (by its API key), or the workers of one pool (by a worker key).</summary>
public sealed record Caller(bool IsAdmin, string? TenantId, string? PoolId = null)
{
    public static Caller Admin { get; } = new(true, null);

    public static Caller Tenant(string tenantId) => new(false, tenantId);

    public static Caller Worker(string poolId) => new(false, null, poolId);

    /// <summary>The admin reaches every tenant; a tenant key reaches only its own; a worker key none.</summary>
    public bool MayAccess(string tenantId) => IsAdmin || (TenantId is not null && TenantId == tenantId);

    /// <summary>The admin reaches every pool's worker routes; a worker key only its own pool's.</summary>
    public bool MayWorkFor(string poolId) => IsAdmin || (PoolId is not null && PoolId == poolId);
}
