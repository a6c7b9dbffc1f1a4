using System.Globalization;
using Grains;
using Grains.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Billing;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Endpoints;

/// <summary>
/// Every tenant's statement of a month, by tenant id, paged like every list: what a platform bills from at the month's
/// end. The tenants that exist and those deleted whose usage or pricing is kept are listed (a tenant deleted during the
/// month still owes it); one deleted before the month is left out.
/// </summary>
/// <remarks>
/// A tenant whose stored row no longer reads fails the page, naming it, so that no billing run takes a page without it
/// for complete. An operator who must bill the others before the row is repaired asks with
/// <c>returnPartialSuccess=true</c> (as Google's AIP-217 names it): the page then lists the others and names the tenant
/// in <see cref="StatementPage.Unreadable"/>, and the <see cref="UnreadableTenantsHeader"/> header says how many there are,
/// for CSV, which has no place for them. A failure that may pass (storage unreachable, a timeout) fails the page either
/// way, to be retried whole.
/// </remarks>
internal static partial class StatementListing
{
    /// <summary>How many tenants of the page could not be read (only when some could not); their ids are in the JSON body.</summary>
    public const string UnreadableTenantsHeader = "Unreadable-Tenants";

    public static async Task<IResult> List(
        HttpContext context, string month, IGrainFactory grains, ILoggerFactory logs, TimeProvider time, string? cursor, int? limit, bool? returnPartialSuccess)
    {
        var (year, number) = BillingEndpoints.Month(month);
        var size = Paging.Limit(limit);

        // A month no statement can be asked for is refused here, whatever the page holds: each tenant would refuse it
        // too, but a page of deleted tenants only (which refuse a month after their delete first) would answer empty.
        Quotas.Core.Billing.Statements.CheckMonth(year, number, time.GetUtcNow());

        // The first ids of the lists after the cursor hold the first of their union. Read one after the other, the
        // existing tenants before and after the deleted ones: a delete adds its tenant to the deleted list before it
        // takes it from the other, and a create does the reverse, so a tenant moving between them is in one of the
        // three reads (read at once, the two could both have missed it).
        var existing = grains.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.Key);
        var before = await existing.List(cursor, size);
        var deleted = await grains.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.DeletedTenantsKey).List(cursor, size);
        var after = await existing.List(cursor, size);
        var ids = before.Concat(deleted).Concat(after).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(size).ToList();
        var read = await Task.WhenAll(ids.Select(id => TryStatement(grains, id, year, number)));

        var unreadable = new List<UnreadableTenant>();
        var logger = logs.CreateLogger(typeof(StatementListing).FullName!);
        foreach (var (tenantId, error) in read.Where(r => r.Unreadable is not null).Select(r => (r.TenantId, r.Unreadable!)))
        {
            LogUnreadable(logger, error, tenantId, month);
            unreadable.Add(new UnreadableTenant(tenantId, $"Its stored state cannot be read; the gateway's log has the cause (trace id {Problem.TraceId(context)})."));
        }

        if (unreadable.Count > 0 && returnPartialSuccess != true)
        {
            var names = string.Join(", ", unreadable.Select(u => $"'{u.TenantId}'"));
            return Problem.Result(context, Problem.Details(context, StatusCodes.Status500InternalServerError, ProblemTypes.Internal, "Internal error",
                $"The stored state of tenant {names} cannot be read, so this page would be incomplete; retrying does not help. An operator must repair the row (the gateway's log has the cause). To bill the other tenants meanwhile, ask with returnPartialSuccess=true: they are listed, and these are named in unreadable.",
                "state_unreadable"));
        }

        if (unreadable.Count > 0)
        {
            context.Response.Headers[UnreadableTenantsHeader] = unreadable.Count.ToString(CultureInfo.InvariantCulture);
        }

        var page = Paging.Page(context, read.Select(r => r.Statement).OfType<BillingStatement>().ToList(), ids.Count == size ? ids[^1] : null);
        context.Response.Headers.Vary = "Accept"; // one URL, JSON or CSV: a cache must keep them apart
        return StatementsCsv.Accepted(context.Request)
            ? TypedResults.Text(StatementsCsv.Write(page.Items), StatementsCsv.ContentType)
            : TypedResults.Ok(new StatementPage(page.Items, page.NextCursor, unreadable));
    }

    /// <summary>
    /// A tenant's statement; neither for one deleted while the page was read (listed, but gone, or gone before the
    /// month); the error for one whose stored state no longer reads.
    /// </summary>
    private static async Task<(string TenantId, BillingStatement? Statement, GrainStateSerializationException? Unreadable)> TryStatement(
        IGrainFactory grains, string tenantId, int year, int month)
    {
        try
        {
            return (tenantId, await grains.GetGrain<ITenantGrain>(tenantId).GetStatement(year, month), null);
        }
        catch (QuotaValidationException e) when (e.Code is "unknown_tenant" or ValidationCodes.DeletedBeforePeriod)
        {
            return (tenantId, null, null);
        }
        catch (GrainStateSerializationException e)
        {
            return (tenantId, null, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The statement of tenant {TenantId} for {Month} could not be read: its stored state needs an operator's repair")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string tenantId, string month);
}
