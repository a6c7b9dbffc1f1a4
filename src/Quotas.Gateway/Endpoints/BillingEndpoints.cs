using System.Globalization;
using System.Text.Json.Nodes;
using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Quotas.Contracts;
using Quotas.Core.Billing;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;

namespace Quotas.Gateway.Endpoints;

/// <summary>Metering and billing: a tenant's usage history, its monthly statements and its pricing plan.</summary>
internal static class BillingEndpoints
{
    public static void MapBillingEndpoints(this RouteGroupBuilder v1)
    {
        var tenant = v1.MapGroup("/tenants/{tenantId}").WithTags("Billing").RequireTenantOrAdmin();
        tenant.MapGet("/usage/history", History).WithName("GetUsageHistory").ProducesProblem(StatusCodes.Status400BadRequest)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // A string parameter, parsed here for a clear error; the document lists the values it takes.
                if (operation.Parameters?.FirstOrDefault(p => p.Name == "granularity") is OpenApiParameter { Schema: OpenApiSchema schema } granularity)
                {
                    schema.Enum = [JsonValue.Create("hour"), JsonValue.Create("day"), JsonValue.Create("month")];
                    schema.Default = JsonValue.Create("day");
                    granularity.Description = "The buckets' size; day when left out.";
                }

                return Task.CompletedTask;
            });
        tenant.MapGet("/statements/{month}", Statement).WithName("GetStatement").ProducesProblem(StatusCodes.Status400BadRequest);
        tenant.MapGet("/pricing-plan", GetPlan).WithName("GetPricingPlan");

        var admin = v1.MapGroup("/tenants/{tenantId}").WithTags("Billing").RequireAdmin();
        admin.MapPut("/pricing-plan", SetPlan).WithName("SetPricingPlan").ReadsBody().NamesById();
        admin.MapDelete("/pricing-plan", RemovePlan).WithName("RemovePricingPlan").Produces(StatusCodes.Status204NoContent).NamesById();

        v1.MapGet("/statements/{month}", StatementListing.List).WithTags("Billing").WithName("ListStatements").RequireAdmin().IsPaged()
            .Produces<StatementPage>(StatusCodes.Status200OK).WithMetadata(new ProducesText(StatusCodes.Status200OK, StatementsCsv.MediaType))
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .WithDescription("Every tenant's statement of the month, by tenant id. A tenant whose stored state cannot be read fails the page with 500 `state_unreadable` naming it; with `returnPartialSuccess=true` the others are listed and it is named in `unreadable`, their number in the `Unreadable-Tenants` header (for CSV too). With `Accept: text/csv`, the page as CSV (RFC 4180): a header row, a row per statement line and one per monthly fee (meter `monthly_fee`); the next page in `Link`.");
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

    /// <summary>
    /// A tenant's own key reads the statements of the tenant that exists now; only the admin key reads those of a
    /// deleted tenant of the same id (see <see cref="ITenantGrain.GetOwnStatement"/>).
    /// </summary>
    private static async Task<BillingStatement> Statement(string tenantId, string month, IGrainFactory grains, HttpContext context, CallerResolver callers)
    {
        var (year, number) = Month(month);
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        var (caller, _) = await callers.ResolveAsync(context);
        return caller is { IsAdmin: true } ? await tenant.GetStatement(year, number) : await tenant.GetOwnStatement(year, number);
    }

    internal static (int Year, int Month) Month(string month) =>
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
        return IsoTime.TryParse(value.Replace(' ', '+'), out var time)
            ? time
            : throw new QuotaValidationException(
                ValidationCodes.InvalidPeriod, $"{name} '{Echo(value)}' is not an ISO 8601 time: give e.g. 2026-12-01T00:00:00Z or 2026-12-01 (encode a '+' of an offset as %2B).");
    }

    // Echoes at most a short prefix of what the caller sent.
    private static string Echo(string? value) => value is { Length: > 40 } ? value[..40] + "..." : value ?? "";
}
