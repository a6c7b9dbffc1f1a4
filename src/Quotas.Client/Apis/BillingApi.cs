using System.Globalization;
using System.Runtime.CompilerServices;
using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>Metering and billing: a tenant's usage history, its monthly statements, and its pricing plan (set by the admin key).</summary>
public sealed class BillingApi
{
    private readonly ApiTransport _api;

    internal BillingApi(ApiTransport api) => _api = api;

    /// <summary>
    /// The tenant's usage per meter in the buckets of <paramref name="granularity"/> that overlap [<paramref name="from"/>,
    /// <paramref name="to"/>); everything kept when both are null (48 hours, 62 days, 13 months). <paramref name="meter"/>
    /// keeps one meter.
    /// </summary>
    public Task<UsageHistory> GetUsageHistoryAsync(
        string tenantId,
        RollupGranularity granularity = RollupGranularity.Day,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        string? meter = null,
        CancellationToken cancellationToken = default)
    {
        var query = "?granularity=" + granularity.ToString().ToLowerInvariant();
        query += from is { } f ? "&from=" + Uri.EscapeDataString(f.ToString("O", CultureInfo.InvariantCulture)) : "";
        query += to is { } t ? "&to=" + Uri.EscapeDataString(t.ToString("O", CultureInfo.InvariantCulture)) : "";
        query += meter is null ? "" : "&meter=" + Uri.EscapeDataString(meter);
        return _api.SendAsync<UsageHistory>(HttpMethod.Get, Paths.Tenant(tenantId) + "/usage/history" + query, null, null, cancellationToken);
    }

    /// <summary>The statement of calendar month <paramref name="month"/> of <paramref name="year"/> (UTC).</summary>
    public Task<BillingStatement> GetStatementAsync(string tenantId, int year, int month, CancellationToken cancellationToken = default) =>
        _api.SendAsync<BillingStatement>(HttpMethod.Get, Paths.Tenant(tenantId) + "/statements/" + Period(year, month), null, null, cancellationToken);

    /// <summary>
    /// Every tenant's statement of a month, by tenant id, fetched <paramref name="pageSize"/> at a time (admin key).
    /// When the service could not read some tenants' stored state, every statement it could read is given first and then
    /// <see cref="StatementsIncompleteException"/> names those tenants: a billing run must not take the list as complete.
    /// </summary>
    public IAsyncEnumerable<BillingStatement> ListStatementsAsync(int year, int month, int pageSize = 100, CancellationToken cancellationToken = default) =>
        ListStatementsAsync("v1/statements/" + Period(year, month) + "?returnPartialSuccess=true", pageSize, cancellationToken);

    public Task<PricingPlanResponse> GetPricingPlanAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<PricingPlanResponse>(HttpMethod.Get, Paths.Tenant(tenantId) + "/pricing-plan", null, null, cancellationToken);

    /// <summary>Sets the plan from the current month on, that whole month included; closed months keep theirs (admin key).</summary>
    public Task<PricingPlanResponse> SetPricingPlanAsync(string tenantId, PricingPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return _api.SendAsync<PricingPlanResponse>(HttpMethod.Put, Paths.Tenant(tenantId) + "/pricing-plan", plan, null, cancellationToken);
    }

    /// <summary>Removes the plan from the current month on (admin key).</summary>
    public Task RemovePricingPlanAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Delete, Paths.Tenant(tenantId) + "/pricing-plan", null, null, cancellationToken);

    private async IAsyncEnumerable<BillingStatement> ListStatementsAsync(string path, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var unreadable = new List<UnreadableTenant>();
        await foreach (var statement in _api.ListAsync<BillingStatement, StatementPage>(path, pageSize, page => unreadable.AddRange(page.Unreadable ?? []), cancellationToken).ConfigureAwait(false))
        {
            yield return statement;
        }

        if (unreadable.Count > 0)
        {
            throw new StatementsIncompleteException(unreadable);
        }
    }

    private static string Period(int year, int month)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(month, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(month, 12);
        ArgumentOutOfRangeException.ThrowIfLessThan(year, 2000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(year, 9998);
        return string.Create(CultureInfo.InvariantCulture, $"{year:D4}-{month:D2}");
    }
}
