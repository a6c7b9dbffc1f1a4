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

    /// <summary>
    /// The tenant's usage as it changes, until <paramref name="cancellationToken"/> ends it: a <see cref="UsageSnapshot"/>
    /// at once and every <paramref name="interval"/> (whole seconds, 1 to 60; the gateway's 2 s when null), and a
    /// <see cref="UsageAlertRaised"/> for each alert, first those the tenant still keeps (its newest 32). When the
    /// gateway ends the stream (it stops) or the connection drops, the SDK connects again after the interval and goes on
    /// after the last alert it gave. A tenant that can no longer be read (deleted) ends it with <see cref="QuotasApiException"/>.
    /// </summary>
    public IAsyncEnumerable<UsageStreamEvent> StreamAsync(string tenantId, TimeSpan? interval = null, CancellationToken cancellationToken = default) =>
        new UsageStream(_api, Paths.Tenant(tenantId) + "/usage/events" + UsageStream.Query(interval), interval, afterAlert: null).ReadAsync(cancellationToken);

    /// <summary>
    /// <see cref="StreamAsync"/> from where an earlier stream left off: only the alerts after sequence
    /// <paramref name="afterAlert"/> (the last <see cref="QuotaAlert.Sequence"/> the caller handled, kept across its
    /// restarts), so that a new stream does not give again, as new, the alerts the tenant still keeps.
    /// </summary>
    public IAsyncEnumerable<UsageStreamEvent> ResumeStreamAsync(string tenantId, long afterAlert, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterAlert);
        return new UsageStream(_api, Paths.Tenant(tenantId) + "/usage/events" + UsageStream.Query(interval), interval, afterAlert).ReadAsync(cancellationToken);
    }
}
