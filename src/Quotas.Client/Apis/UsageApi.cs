using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>What a tenant uses: stats, every limit with what is left, and the alert feed. Reading consumes nothing.</summary>
public sealed class UsageApi
{
    private readonly ApiTransport _api;

    internal UsageApi(ApiTransport api) => _api = api;

    public Task<TenantStats> GetStatsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<TenantStats>(HttpMethod.Get, Paths.Tenant(tenantId) + "/usage", null, null, cancellationToken);

    public Task<TenantLimits> GetLimitsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<TenantLimits>(HttpMethod.Get, Paths.Tenant(tenantId) + "/limits", null, null, cancellationToken);

    /// <summary>Every alert (threshold crossings), oldest first.</summary>
    public IAsyncEnumerable<QuotaAlert> ListAlertsAsync(string tenantId, int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<QuotaAlert>(Paths.Tenant(tenantId) + "/alerts", pageSize, cancellationToken);
}
