using System.Globalization;
using Grains;
using Grains.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Billing;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;

namespace Quotas.Gateway.Endpoints;

/// <summary>Metering and billing: a tenant's usage history, its monthly statements and its pricing plan.</summary>
internal static class BillingEndpoints
{
    /// <summary>The tenants of a statements page whose state could not be read: for CSV, which has no place for them.</summary>
    public const string UnreadableTenantsHeader = "Unreadable-Tenants";

    private static readonly string[] s_isoFormats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    public static void MapBillingEndpoints(this RouteGroupBuilder v1)
    {
        var tenant = v1.MapGroup("/tenants/{tenantId}").WithTags("Billing").RequireTenantOrAdmin();
        tenant.MapGet("/usage/history", History).WithName("GetUsageHistory").ProducesProblem(StatusCodes.Status400BadRequest);
        tenant.MapGet("/statements/{month}", Statement).WithName("GetStatement").ProducesProblem(StatusCodes.Status400BadRequest);
        tenant.MapGet("/pricing-plan", GetPlan).WithName("GetPricingPlan");

        var admin = v1.MapGroup("/tenants/{tenantId}").WithTags("Billing").RequireAdmin();
        admin.MapPut("/pricing-plan", SetPlan).WithName("SetPricingPlan").ReadsBody().NamesById();
        admin.MapDelete("/pricing-plan", RemovePlan).WithName("RemovePricingPlan").Produces(StatusCodes.Status204NoContent).NamesById();

        v1.MapGet("/statements/{month}", ListStatements).WithTags("Billing").WithName("ListStatements").RequireAdmin().IsPaged()
            .Produces<StatementPage>(StatusCodes.Status200OK)
            .WithDescription("Every tenant's statement of the month, by tenant id. A tenant whose stored state cannot be read is listed in `unreadable` (and in the `Unreadable-Tenants` header) instead of failing the page: the page is not complete until an operator repairs it. With `Accept: text/csv`, the page as CSV (RFC 4180): a header row, a row per statement line and one per monthly fee (meter `monthly_fee`); the next page in `Link`.");
    }

    /// <summary>
    /// Every tenant's statement of a month, by tenant id, paged like every list: what a platform bills from at the
    /// month's end. The tenants that exist and those deleted whose usage or pricing is kept are listed (a tenant deleted
    /// during the month still owes it); one deleted before the month is left out.
    /// </summary>
    /// <remarks>With <c>Accept: text/csv</c>, the page's lines as CSV (<see cref="StatementsCsv"/>), the next page in <c>Link</c>.</remarks>
    private static async Task<IResult> ListStatements(HttpContext context, string month, IGrainFactory grains, string? cursor, int? limit)
    {
        var (year, number) = Month(month);
        var size = Paging.Limit(limit);

        // The first ids of the two lists after the cursor hold the first of their union.
        var lists = await Task.WhenAll(
            grains.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.Key).List(cursor, size),
            grains.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.DeletedTenantsKey).List(cursor, size));
        var ids = lists[0].Concat(lists[1]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(size).ToList();
        var read = await Task.WhenAll(ids.Select(id => TryStatement(grains, id, year, number)));
        var page = Paging.Page(context, read.Select(r => r.Statement).OfType<BillingStatement>().ToList(), ids.Count == size ? ids[^1] : null);
        var unreadable = read.Select(r => r.Unreadable).OfType<UnreadableTenant>().ToList();
        if (unreadable.Count > 0)
        {
            context.Response.Headers[UnreadableTenantsHeader] = string.Join(", ", unreadable.Select(u => u.TenantId));
        }

        return StatementsCsv.Accepted(context.Request)
            ? TypedResults.Text(StatementsCsv.Write(page.Items), StatementsCsv.ContentType)
            : TypedResults.Ok(new StatementPage(page.Items, page.NextCursor, unreadable));
    }

    /// <summary>
    /// A tenant's statement; neither for one deleted while the page was read (listed, but gone, or gone before the
    /// month); <see cref="UnreadableTenant"/> for one whose stored state no longer reads, so that one row an operator
    /// must repair does not keep every other tenant of the page, and of the pages after it, from being billed. A
    /// failure that may pass (storage unreachable, a timeout) still fails the page, to be retried whole.
    /// </summary>
    private static async Task<(BillingStatement? Statement, UnreadableTenant? Unreadable)> TryStatement(IGrainFactory grains, string tenantId, int year, int month)
    {
        try
        {
            return (await grains.GetGrain<ITenantGrain>(tenantId).GetStatement(year, month), null);
        }
        catch (QuotaValidationException e) when (e.Code is "unknown_tenant" or ValidationCodes.DeletedBeforePeriod)
        {
            return (null, null);
        }
        catch (GrainStateSerializationException e)
        {
            return (null, new UnreadableTenant(tenantId, e.Message));
        }
    }

    /// <summary>
    /// The buckets that overlap [<paramref name="from"/>, <paramref name="to"/>); without either, everything kept: the
    /// rollups keep 48 hours, 62 days and 13 months.
    /// </summary>
    private static Task<UsageHistory> History(string tenantId, IGrainFactory grains, string? granularity, string? from, string? to, string? meter) =>
        grains.GetGrain<ITenantGrain>(tenantId).GetUsageHistory(
            Granularity(granularity),
            Time(from, "from") ?? DateTimeOffset.MinValue,
            Time(to, "to") ?? DateTimeOffset.MaxValue,
            meter);

    private static Task<BillingStatement> Statement(string tenantId, string month, IGrainFactory grains)
    {
        var (year, number) = Month(month);
        return grains.GetGrain<ITenantGrain>(tenantId).GetStatement(year, number);
    }

    private static (int Year, int Month) Month(string month) =>
        DateTime.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            ? (start.Year, start.Month)
            : throw new QuotaValidationException(ValidationCodes.InvalidPeriod, $"Month '{Echo(month)}' is not a month: give it as yyyy-MM, e.g. 2026-12.");

    private static async Task<PricingPlanResponse> GetPlan(string tenantId, IGrainFactory grains) =>
        new(tenantId, await grains.GetGrain<ITenantGrain>(tenantId).GetPricingPlan());

    private static async Task<PricingPlanResponse> SetPlan(string tenantId, PricingPlan plan, IGrainFactory grains)
    {
        await grains.GetGrain<ITenantGrain>(tenantId).SetPricingPlan(plan);
        return new PricingPlanResponse(tenantId, plan);
    }

    private static async Task<IResult> RemovePlan(string tenantId, IGrainFactory grains)
    {
        await grains.GetGrain<ITenantGrain>(tenantId).SetPricingPlan(null);
        return TypedResults.NoContent();
    }

    private static RollupGranularity Granularity(string? value) => value?.ToLowerInvariant() switch
    {
        null or "day" => RollupGranularity.Day,
        "hour" => RollupGranularity.Hour,
        "month" => RollupGranularity.Month,
        _ => throw new QuotaValidationException(ValidationCodes.InvalidPeriod, $"granularity '{Echo(value)}' is unknown: use hour, day or month (day when left out)."),
    };

    /// <summary>ISO 8601 only: a date, or a date and time with an offset (none means UTC).</summary>
    private static DateTimeOffset? Time(string? value, string name)
    {
        if (value is null)
        {
            return null;
        }

        // A '+' of an offset that the client did not encode arrives as a space.
        return DateTimeOffset.TryParseExact(value.Replace(' ', '+'), s_isoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new QuotaValidationException(
                ValidationCodes.InvalidPeriod, $"{name} '{Echo(value)}' is not an ISO 8601 time: give e.g. 2026-12-01T00:00:00Z or 2026-12-01 (encode a '+' of an offset as %2B).");
    }

    // Echoes at most a short prefix of what the caller sent.
    private static string Echo(string? value) => value is { Length: > 40 } ? value[..40] + "..." : value ?? "";
}
