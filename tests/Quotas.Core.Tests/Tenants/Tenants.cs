using System.Text.Json;
using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Tenants;

internal static class Tenants
{
    public static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public static TenantQuotas Basic(string id = "acme", params QuotaDefinition[] quotas) =>
        new(TenantConfig.Create(id, Tier.Basic, quotas));

    public static string Json(TenantQuotas tenant) => JsonSerializer.Serialize(tenant.ToSnapshot());
}
