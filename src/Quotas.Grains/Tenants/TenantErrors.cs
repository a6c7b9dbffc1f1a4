using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>The tenant lifecycle errors, with their stable codes.</summary>
public static class TenantErrors
{
    public const string UnknownTenant = "unknown_tenant";
    public const string TenantExists = "tenant_exists";
    public const string UnknownParent = "unknown_parent";
    public const string NotSuspended = "tenant_not_suspended";
    public const string LeasesLive = "tenant_has_live_leases";
    public const string LeaseHeldByService = "lease_held_by_service";

    internal static QuotaValidationException Unknown(string id) =>
        new(UnknownTenant, $"Tenant '{id}' does not exist; create it first.");
}
