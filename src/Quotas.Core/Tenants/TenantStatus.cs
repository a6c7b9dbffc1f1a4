namespace Quotas.Core.Tenants;

public enum TenantStatus
{
    Active,

    /// <summary>Every check is denied with <c>tenant_suspended</c>; existing leases are kept (and may be renewed and released).</summary>
    Suspended,

    /// <summary>Every check is denied with <c>tenant_deleted</c>.</summary>
    Deleted,
}
