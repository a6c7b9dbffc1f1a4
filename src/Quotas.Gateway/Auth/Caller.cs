namespace Quotas.Gateway.Auth;

/// <summary>Who sent the request: the admin, or one tenant (by its API key).</summary>
public sealed record Caller(bool IsAdmin, string? TenantId)
{
    public static Caller Admin { get; } = new(true, null);

    public static Caller Tenant(string tenantId) => new(false, tenantId);

    /// <summary>The admin reaches every tenant; a tenant key reaches only its own.</summary>
    public bool MayAccess(string tenantId) => IsAdmin || TenantId == tenantId;
}
