using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>Tenant administration and API keys (admin key; a tenant key may read its own tenant).</summary>
public sealed class TenantsApi
{
    private readonly ApiTransport _api;

    internal TenantsApi(ApiTransport api) => _api = api;

    public Task<Tenant> CreateAsync(NewTenant tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return _api.SendAsync<Tenant>(HttpMethod.Post, "v1/tenants", tenant, null, cancellationToken);
    }

    public Task<Tenant> GetAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<Tenant>(HttpMethod.Get, Paths.Tenant(tenantId), null, null, cancellationToken);

    /// <summary>Every tenant, in id order, fetched <paramref name="pageSize"/> at a time.</summary>
    public IAsyncEnumerable<Tenant> ListAsync(int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<Tenant>("v1/tenants", pageSize, cancellationToken);

    /// <summary>Replaces the tenant's quota overrides; they are in force when this returns.</summary>
    public Task<Tenant> UpdateQuotasAsync(string tenantId, IReadOnlyList<QuotaSpec> quotas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        return _api.SendAsync<Tenant>(HttpMethod.Put, Paths.Tenant(tenantId) + "/quotas", new { quotas }, null, cancellationToken);
    }

    public Task<Tenant> SuspendAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<Tenant>(HttpMethod.Post, Paths.Tenant(tenantId) + "/suspend", null, null, cancellationToken);

    public Task<Tenant> ActivateAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<Tenant>(HttpMethod.Post, Paths.Tenant(tenantId) + "/activate", null, null, cancellationToken);

    /// <summary>Deletes a suspended tenant; <paramref name="force"/> also deletes one that still holds leases.</summary>
    public Task DeleteAsync(string tenantId, bool force = false, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Delete, Paths.Tenant(tenantId) + (force ? "?force=true" : ""), null, null, cancellationToken);

    /// <summary>Issues a tenant key. The key text is in the answer only: store it now.</summary>
    public Task<IssuedApiKey> IssueApiKeyAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<IssuedApiKey>(HttpMethod.Post, Paths.Tenant(tenantId) + "/api-keys", null, null, cancellationToken);

    /// <summary>The tenant's keys in id order, revoked ones with the time (never the key text), <paramref name="pageSize"/> at a time.</summary>
    public IAsyncEnumerable<ApiKeySummary> ListApiKeysAsync(string tenantId, int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<ApiKeySummary>(Paths.Tenant(tenantId) + "/api-keys", pageSize, cancellationToken);

    /// <summary>One of the tenant's keys, revoked or not (never the key text).</summary>
    public Task<ApiKeySummary> GetApiKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<ApiKeySummary>(HttpMethod.Get, Paths.Tenant(tenantId) + "/api-keys/" + Paths.Segment(keyId, nameof(keyId)), null, null, cancellationToken);

    public Task RevokeApiKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Delete, Paths.Tenant(tenantId) + "/api-keys/" + Paths.Segment(keyId, nameof(keyId)), null, null, cancellationToken);
}
