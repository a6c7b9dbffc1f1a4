using System.Globalization;

namespace Quotas.Core.Tenants;

/// <summary>
/// Lease ids: the tenant's id and the tenant's lease sequence, "{tenant}:{sequence}". A tenant id has no ':', so the
/// tenant of a lease can be read back from its id, by a pool that kept the id but no longer knows the job it was for.
/// </summary>
public static class LeaseIds
{
    public static string For(TenantId tenant, long sequence) => string.Create(CultureInfo.InvariantCulture, $"{tenant.Value}:{sequence}");

    /// <summary>The tenant that issued <paramref name="leaseId"/>; null when the id is not of that form.</summary>
    public static string? TenantOf(string leaseId)
    {
        var colon = leaseId.LastIndexOf(':');
        return colon > 0 && TenantId.IsValid(leaseId[..colon]) ? leaseId[..colon] : null;
    }
}
