using Quotas.Core.Tenants;

namespace Quotas.Gateway.Api;

/// <summary>
/// The ids the service gives to what it records in a tenant for a pool's job: its usage charges and its tenant leases
/// ("job/{pool}/{job}/..."). A client's usage event id or lease idempotency key may not take that shape: it could
/// stand for one of them, and the tenant would then drop the job's charge as a duplicate, or hand the client the
/// pool's lease.
/// </summary>
internal static class ReservedIds
{

    /// <summary>Returns <paramref name="id"/>; refuses one the service keeps for itself with <paramref name="code"/>.</summary>
    public static string? Refuse(string? id, string what, string code) =>
        id is not null && id.StartsWith(TenantQuotas.PoolJobKeyPrefix, StringComparison.Ordinal)
            ? throw new QuotaValidationException(code, $"{what} '{id}' starts with '{TenantQuotas.PoolJobKeyPrefix}', which the service keeps for the charges and leases of pool jobs; use another id.")
            : id;
}
