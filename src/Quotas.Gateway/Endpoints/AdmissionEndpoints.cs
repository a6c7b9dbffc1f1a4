using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Contracts;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Idempotency;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Endpoints;

/// <summary>A tenant's checks: gauge leases, rate-limit hits, budget usage and reported gauges (storage).</summary>
internal static class AdmissionEndpoints
{
    public static void MapAdmissionEndpoints(this RouteGroupBuilder v1)
    {
        // The checks are the API's hottest routes. They take the grain factory from here, not as a parameter from the
        // request's services: the first use of those creates a DI scope for the request, which nothing else here needs.
        var grains = ((IEndpointRouteBuilder)v1).ServiceProvider.GetRequiredService<IGrainFactory>();
        var tenant = v1.MapGroup("/tenants/{tenantId}").WithTags("Admission").RequireTenantOrAdmin();
        tenant.MapPost("/leases", (HttpContext context, string tenantId, AcquireLeaseRequest request) => Acquire(context, tenantId, request, grains))
            .WithName("AcquireLease").TakesIdempotencyKey(storesResponse: false)
            .Produces<LeaseGranted>(StatusCodes.Status201Created).ReadsBody().ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity); // an Idempotency-Key reused with another quota or amount
        // Live leases only: a released or expired lease answers 404, as its renewal does.
        tenant.MapGet("/leases", (HttpContext context, string tenantId, string? cursor, int? limit) => ListLeases(context, tenantId, cursor, limit, grains))
            .WithName("ListLeases").IsPaged();
        tenant.MapGet("/leases/{leaseId}", (HttpContext context, string tenantId, string leaseId) => GetLease(context, tenantId, leaseId, grains))
            .WithName("GetLease").Produces<HeldLease>(StatusCodes.Status200OK);
        // 404 for a lease that was released or expired (the group's 404 covers it); 409 for one the service holds (a
        // pool's for a running job, a parent's for a child's lease), which its holder renews.
        tenant.MapPost("/leases/{leaseId}/renew", (HttpContext context, string tenantId, string leaseId, RenewLeaseRequest? request) =>
                Renew(context, tenantId, leaseId, request, grains))
            .WithName("RenewLease")
            .Produces<LeaseRenewed>(StatusCodes.Status200OK).ReadsBody()
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests);
        tenant.MapDelete("/leases/{leaseId}", (string tenantId, string leaseId) => Release(tenantId, leaseId, grains)).WithName("ReleaseLease")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status409Conflict);
        tenant.MapPost("/rate-limits/{quota}/hits", (HttpContext context, string tenantId, string quota, RateHitRequest? request) =>
                Hit(context, tenantId, quota, request, grains))
            .WithName("HitRateLimit")
            .Accepts<RateHitRequest>(isOptional: true, "application/json")
            .Produces<RateHitResult>(StatusCodes.Status200OK).ReadsBody().ProducesProblem(StatusCodes.Status429TooManyRequests);
        // 409 while a request with the same Idempotency-Key (or eventId) still runs, 422 for it reused with another body.
        tenant.MapPost("/usage", (HttpContext context, string tenantId, RecordUsageRequest request) => RecordUsage(context, tenantId, request, grains))
            .WithName("RecordUsage").TakesIdempotencyKey(storesResponse: true)
            .Produces<UsageRecord>(StatusCodes.Status201Created).ReadsBody()
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        tenant.MapPut("/reported/{quota}", (string tenantId, string quota, ReportGaugeRequest request) => Report(tenantId, quota, request, grains))
            .WithName("ReportGauge").Produces(StatusCodes.Status204NoContent).ReadsBody();
        tenant.MapPost("/reported/{quota}/check", (HttpContext context, string tenantId, string quota, StorageCheckRequest request) =>
                CheckStorage(context, tenantId, quota, request, grains))
            .WithName("CheckStorage")
            .Produces(StatusCodes.Status204NoContent).ReadsBody().ProducesProblem(StatusCodes.Status507InsufficientStorage);
        tenant.MapPost("/budgets/{quota}/check", (HttpContext context, string tenantId, string quota, BudgetCheckRequest request) =>
                CheckBudget(context, tenantId, quota, request, grains))
            .WithName("CheckBudget")
            .Produces(StatusCodes.Status204NoContent).ReadsBody().ProducesProblem(StatusCodes.Status429TooManyRequests);
    }

    private static async Task<IResult> Acquire(HttpContext context, string tenantId, AcquireLeaseRequest request, IGrainFactory grains)
    {
        var key = ReservedIds.Refuse(IdempotentRequest.KeyOf(context), IdempotentRequest.Header, ValidationCodes.InvalidIdempotencyKey);
        var decision = await grains.GetGrain<ITenantGrain>(tenantId).Acquire(request.Quota, request.Amount, Ttl(request.TtlSeconds), key);
        return decision is AdmissionDecision.Allow allow
            ? TypedResults.Created($"/v1/tenants/{tenantId}/leases/{allow.LeaseId}", new LeaseGranted(allow.LeaseId!, request.Quota, request.Amount, allow.ExpiresAt!.Value, allow.Remaining))
            : QuotaRefusals.Refused(context, decision);
    }

    private static async Task<Page<HeldLease>> ListLeases(HttpContext context, string tenantId, string? cursor, int? limit, IGrainFactory grains)
    {
        var size = Paging.Limit(limit);
        var leases = await grains.GetGrain<ITenantGrain>(tenantId).ListLeases(cursor, size);
        return Paging.Page(context, leases, leases.Count == size ? leases[^1].LeaseId : null);
    }

    private static async Task<IResult> GetLease(HttpContext context, string tenantId, string leaseId, IGrainFactory grains) =>
        await grains.GetGrain<ITenantGrain>(tenantId).GetLease(leaseId) is { } lease
            ? TypedResults.Ok(lease)
            : Problem.NotFound(context, $"Lease '{leaseId}' is not held: it was released or expired.");

    private static async Task<IResult> Renew(HttpContext context, string tenantId, string leaseId, RenewLeaseRequest? request, IGrainFactory grains)
    {
        var renewal = await RenewClientLeaseAsync(grains.GetGrain<ITenantGrain>(tenantId), leaseId, Ttl(request?.TtlSeconds ?? 60));
        if (renewal.Renewed)
        {
            return TypedResults.Ok(new LeaseRenewed(leaseId, renewal.ExpiresAt!.Value));
        }

        return renewal.ReasonCode == ReasonCodes.LeaseNotFound
            ? Problem.NotFound(context, $"Lease '{leaseId}' is not held: it was released or expired.")
            : QuotaRefusals.Refused(context, renewal.ReasonCode ?? "refused", renewal.Quota ?? "lease", renewal.Current, renewal.Limit, renewal.RetryAfter);
    }

    /// <summary>A silo of an earlier release does not know RenewClientLease: the lease is renewed as before (docs/contracts.md).</summary>
    private static async Task<LeaseRenewal> RenewClientLeaseAsync(ITenantGrain tenant, string leaseId, TimeSpan ttl)
    {
        try
        {
            return await tenant.RenewClientLease(leaseId, ttl);
        }
        catch (NotSupportedException)
        {
            return await tenant.Renew(leaseId, ttl);
        }
    }

    private static async Task<IResult> Release(string tenantId, string leaseId, IGrainFactory grains)
    {
        // Idempotent: releasing an unknown or already released lease changes nothing and answers the same.
        await grains.GetGrain<ITenantGrain>(tenantId).ReleaseClientLease(leaseId);
        return TypedResults.NoContent();
    }

    // A ValueTask: in the embedded host the grain answers on the calling thread, and the hit then completes without
    // a Task of its own (nor the framework's awaiting of one).
    private static async ValueTask<IResult> Hit(HttpContext context, string tenantId, string quota, RateHitRequest? request, IGrainFactory grains)
    {
        var hit = await grains.GetGrain<ITenantGrain>(tenantId).HitRate(quota, request?.Cost ?? 1);
        var decision = hit.Decision;
        QuotaRefusals.SetRateLimitHeaders(context.Response, decision, hit.Window);
        return decision.Allowed
            ? SizedJson.Ok(new RateHitResult(decision.Quota, decision.Limit, decision.Remaining, QuotaRefusals.Seconds(decision.ResetAfter)))
            : QuotaRefusals.Refused(context, decision.ToAdmission());
    }

    /// <summary>
    /// Records usage once per event: the body's eventId, or else the Idempotency-Key, is kept as the request's key (the
    /// tenant itself remembers only its last 1,024 event ids). The eventId comes first, as it names the event: a sender
    /// that makes a new header key for each attempt still gets one count per event. An eventId is kept apart from
    /// header keys: the same event sent once each way is deduped by the tenant alone.
    /// </summary>
    private static Task<IResult> RecordUsage(HttpContext context, string tenantId, RecordUsageRequest request, IGrainFactory grains)
    {
        var header = IdempotentRequest.KeyOf(context);
        var eventId = request.EventId ?? header ?? throw new QuotaValidationException(
            ValidationCodes.InvalidEventId, $"Recording usage needs an eventId in the body or an {IdempotentRequest.Header} header, so that a retry is counted once.");
        var byEvent = request.EventId is not null;
        var named = byEvent ? "eventId" : IdempotentRequest.Header;
        ReservedIds.Refuse(eventId, named, ValidationCodes.InvalidEventId);
        BudgetLedger.ValidateEventId(eventId);
        return IdempotentRequest.RunAsync(
            context,
            tenantId,
            byEvent ? "usage-event" : "usage",
            request,
            async _ =>
            {
                var tenant = grains.GetGrain<ITenantGrain>(tenantId);
                var record = request.OccurredAt is { } occurredAt
                    ? await tenant.RecordUsageAt(eventId, request.Quota, request.Amount, occurredAt)
                    : await tenant.RecordUsage(eventId, request.Quota, request.Amount);
                return IdempotentRequest.Outcome.Success(StatusCodes.Status201Created, record);
            },
            eventId,
            named);
    }

    private static async Task<IResult> Report(string tenantId, string quota, ReportGaugeRequest request, IGrainFactory grains)
    {
        await grains.GetGrain<ITenantGrain>(tenantId).ReportGauge(quota, request.Value);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> CheckStorage(HttpContext context, string tenantId, string quota, StorageCheckRequest request, IGrainFactory grains)
    {
        var decision = await grains.GetGrain<ITenantGrain>(tenantId).CheckReported(quota, request.AdditionalBytes);
        return decision.IsAllowed ? TypedResults.NoContent() : QuotaRefusals.Refused(context, decision);
    }

    private static async Task<IResult> CheckBudget(HttpContext context, string tenantId, string quota, BudgetCheckRequest request, IGrainFactory grains)
    {
        var decision = await grains.GetGrain<ITenantGrain>(tenantId).CheckBudget(quota, request.Amount, countAsViolation: true);
        return decision.IsAllowed ? TypedResults.NoContent() : QuotaRefusals.Refused(context, decision);
    }

    private static TimeSpan Ttl(double seconds) => seconds is > 0 and <= 86_400
        ? TimeSpan.FromSeconds(seconds)
        : throw new QuotaValidationException(ValidationCodes.InvalidTtl, $"ttlSeconds is {seconds}: use more than 0 and at most 86,400 (one day).");
}
