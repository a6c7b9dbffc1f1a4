using System.ComponentModel;
using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>
/// A tenant's checks: gauge leases, rate-limit hits, budget usage and reported gauges. A refusal throws
/// <see cref="QuotaExceededException"/> with the quota, its Retry-After and, for rates, the rate-limit fields.
/// </summary>
public sealed class AdmissionApi
{
    private readonly ApiTransport _api;

    internal AdmissionApi(ApiTransport api) => _api = api;

    /// <summary>
    /// Acquires <paramref name="amount"/> of a gauge quota for <paramref name="ttl"/>. The call carries an idempotency
    /// key (a new one when none is given), so a retry never holds two leases.
    /// </summary>
    public Task<Lease> AcquireLeaseAsync(string tenantId, string quota, long amount, TimeSpan ttl, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(quota);
        var body = new { quota, amount, ttlSeconds = Paths.Seconds(ttl, nameof(ttl)) };
        return _api.SendAsync<Lease>(HttpMethod.Post, Paths.Tenant(tenantId) + "/leases", body, ApiTransport.IdempotencyKeyOrNew(idempotencyKey, nameof(idempotencyKey)), cancellationToken);
    }

    public Task<LeaseRenewal> RenewLeaseAsync(string tenantId, string leaseId, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        _api.SendAsync<LeaseRenewal>(HttpMethod.Post, LeasePath(tenantId, leaseId) + "/renew", new { ttlSeconds = Paths.Seconds(ttl, nameof(ttl)) }, null, cancellationToken);

    /// <summary>A live lease; a released or expired one throws <see cref="QuotasApiException"/> with status 404.</summary>
    public Task<HeldLease> GetLeaseAsync(string tenantId, string leaseId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<HeldLease>(HttpMethod.Get, LeasePath(tenantId, leaseId), null, null, cancellationToken);

    /// <summary>The tenant's live leases in id order, those the service holds for it included, <paramref name="pageSize"/> at a time.</summary>
    public IAsyncEnumerable<HeldLease> ListLeasesAsync(string tenantId, int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<HeldLease>(Paths.Tenant(tenantId) + "/leases", pageSize, cancellationToken);

    /// <summary>Releases a lease; releasing one that is already gone succeeds too.</summary>
    public Task ReleaseLeaseAsync(string tenantId, string leaseId, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Delete, LeasePath(tenantId, leaseId), null, null, cancellationToken);

    /// <summary>Counts <paramref name="cost"/> against a rate quota. Not retried: a refusal is the answer.</summary>
    public Task<RateHit> HitAsync(string tenantId, string quota, long cost = 1, CancellationToken cancellationToken = default) =>
        _api.SendAsync<RateHit>(HttpMethod.Post, Paths.Tenant(tenantId) + "/rate-limits/" + Paths.Segment(quota, nameof(quota)) + "/hits", new { cost }, null, cancellationToken);

    /// <summary>
    /// Records budget usage once per <paramref name="eventId"/> (up to 200 characters, sent in the body): the same
    /// event sent again is not counted again. Give the id your own system knows the event by; without one, a fresh
    /// idempotency key makes only this call's retries safe (the exception of a failed call carries it, see
    /// <see cref="QuotasApiException.IdempotencyKey"/>: pass it as <paramref name="idempotencyKey"/> to send the
    /// request again and meet the first attempt's answer).
    /// </summary>
    public Task<UsageRecord> RecordUsageAsync(
        string tenantId, string quota, long amount, string? eventId = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(quota);
        return SendUsageAsync(tenantId, new { quota, amount, eventId }, eventId, idempotencyKey, cancellationToken);
    }

    /// <summary>
    /// Records budget usage once per <paramref name="eventId"/>, dated <paramref name="occurredAt"/>, when it happened:
    /// the usage history and the statements count it then (a month whose statement has closed is refused with
    /// <c>invalid_occurred_at</c>); the budgets count it now.
    /// </summary>
    public Task<UsageRecord> RecordUsageAsync(
        string tenantId,
        string quota,
        long amount,
        DateTimeOffset occurredAt,
        string? eventId = null,
        string? idempotencyKey = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(quota);
        return SendUsageAsync(tenantId, new { quota, amount, occurredAt, eventId }, eventId, idempotencyKey, cancellationToken);
    }

    /// <summary>The form of releases before 2026-12-07, kept so that applications built against them still run.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Task<UsageRecord> RecordUsageAsync(string tenantId, string quota, long amount, string? eventId, CancellationToken cancellationToken) =>
        RecordUsageAsync(tenantId, quota, amount, eventId, idempotencyKey: null, cancellationToken);

    /// <summary>The form of releases before 2026-12-07, kept so that applications built against them still run.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Task<UsageRecord> RecordUsageAsync(string tenantId, string quota, long amount, DateTimeOffset occurredAt, string? eventId, CancellationToken cancellationToken) =>
        RecordUsageAsync(tenantId, quota, amount, occurredAt, eventId, idempotencyKey: null, cancellationToken);

    // An event id goes in the body, where the gateway keeps it as the request's key (its own limits, 200 characters);
    // without one, the Idempotency-Key header (the caller's, or a fresh one) makes the call's retries safe. The gateway
    // keys such a request by its event id alone, so a header beside one would be ignored: refused instead.
    private Task<UsageRecord> SendUsageAsync(string tenantId, object body, string? eventId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (eventId is not null && idempotencyKey is not null)
        {
            throw new ArgumentException(
                "Give an eventId or an idempotencyKey, not both: a usage event is kept once per eventId, which is its key.", nameof(idempotencyKey));
        }

        var headerKey = eventId is null ? ApiTransport.IdempotencyKeyOrNew(idempotencyKey, nameof(idempotencyKey)) : null;
        return _api.SendAsync<UsageRecord>(HttpMethod.Post, Paths.Tenant(tenantId) + "/usage", body, headerKey, cancellationToken, keyedByBody: eventId is not null);
    }

    /// <summary>Reports the current value of a reported gauge (e.g. storage bytes in use).</summary>
    public Task ReportGaugeAsync(string tenantId, string quota, long value, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Put, Paths.Tenant(tenantId) + "/reported/" + Paths.Segment(quota, nameof(quota)), new { value }, null, cancellationToken);

    /// <summary>Checks that <paramref name="additionalBytes"/> more fit the reported gauge; a 507 refusal throws.</summary>
    public Task CheckStorageAsync(string tenantId, string quota, long additionalBytes, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Post, Paths.Tenant(tenantId) + "/reported/" + Paths.Segment(quota, nameof(quota)) + "/check", new { additionalBytes }, null, cancellationToken);

    /// <summary>
    /// Checks that <paramref name="amount"/> more fits in a budget's current period, consuming nothing; a refusal (429
    /// <c>budget_exhausted</c> until the period resets, or <c>request_exceeds_limit</c>) throws <see cref="QuotaExceededException"/>.
    /// </summary>
    public Task CheckBudgetAsync(string tenantId, string quota, long amount, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Post, Paths.Tenant(tenantId) + "/budgets/" + Paths.Segment(quota, nameof(quota)) + "/check", new { amount }, null, cancellationToken);

    private static string LeasePath(string tenantId, string leaseId) => Paths.Tenant(tenantId) + "/leases/" + Paths.Segment(leaseId, nameof(leaseId));
}
