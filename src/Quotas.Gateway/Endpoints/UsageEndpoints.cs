using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Quotas.Contracts;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Streams;

namespace Quotas.Gateway.Endpoints;

/// <summary>What a tenant used: stats, limits (consumes nothing) and the alert feed.</summary>
internal static class UsageEndpoints
{
    public static void MapUsageEndpoints(this RouteGroupBuilder v1)
    {
        var tenant = v1.MapGroup("/tenants/{tenantId}").WithTags("Usage").RequireTenantOrAdmin();
        tenant.MapGet("/usage", Stats).WithName("GetUsage");
        tenant.MapGet("/limits", Limits).WithName("GetLimits");
        tenant.MapGet("/alerts", Alerts).WithName("ListAlerts").IsPaged();
        tenant.MapUsageEventStream();
    }

    private static Task<TenantStats> Stats(string tenantId, IGrainFactory grains) => grains.GetGrain<ITenantGrain>(tenantId).GetStats();

    private static async Task<LimitsResponse> Limits(string tenantId, IGrainFactory grains)
    {
        var stats = await grains.GetGrain<ITenantGrain>(tenantId).GetStats();
        var limits = new List<LimitEntry>();
        Add(limits, QuotaKind.Gauge, stats.Gauges);
        Add(limits, QuotaKind.Rate, stats.Rates);
        Add(limits, QuotaKind.Budget, stats.Budgets);
        Add(limits, QuotaKind.ReportedGauge, stats.Reported);
        return new LimitsResponse(tenantId, stats.At, limits);
    }

    private static async Task<Page<QuotaAlert>> Alerts(HttpContext context, string tenantId, IGrainFactory grains, string? cursor, int? limit)
    {
        var size = Paging.Limit(limit);
        long after = 0;
        if (cursor is not null && !long.TryParse(cursor, out after))
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, "cursor is not one this API returned; start again without a cursor.");
        }

        var alerts = await grains.GetGrain<ITenantGrain>(tenantId).GetAlerts(after);
        var page = alerts.Take(size).ToList();
        var next = alerts.Count > size ? page[^1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return Paging.Page(context, page, next);
    }

    private static void Add(List<LimitEntry> limits, QuotaKind kind, IReadOnlyList<QuotaUsage> usages)
    {
        foreach (var usage in usages)
        {
            var remaining = usage.Limit < 0 ? -1 : Math.Max(0, usage.Limit - usage.Current);
            limits.Add(new LimitEntry(usage.Quota, kind, usage.Limit, usage.Current, remaining, usage.ResetsAt));
        }
    }
}
