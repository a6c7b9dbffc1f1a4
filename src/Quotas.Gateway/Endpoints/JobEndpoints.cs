using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Idempotency;
using Quotas.Gateway.Problems;
using SchedulingTenantId = Quotas.Core.Scheduling.TenantId;

namespace Quotas.Gateway.Endpoints;

/// <summary>A tenant's jobs in a pool: submit (idempotent), get, cancel, list; and the tenant's standing in the pool.</summary>
internal static class JobEndpoints
{
    public static void MapJobEndpoints(this RouteGroupBuilder v1)
    {
        var jobs = v1.MapGroup("/tenants/{tenantId}/pools/{poolId}/jobs").WithTags("Jobs").RequireTenantOrAdmin();
        // 200 for a retry that finds the job it created; 403 for a pool that does not admit the tenant or a suspended
        // tenant; 409 while the pool is being deleted or the same Idempotency-Key still runs; 429 for a full queue; 503
        // when a pool with tier settings cannot read the tenant's tier.
        jobs.MapPost("/", Submit).WithName("SubmitJob").TakesIdempotencyKey(storesResponse: true)
            .Produces<JobInfo>(StatusCodes.Status201Created).Produces<JobInfo>(StatusCodes.Status200OK).ReadsBody()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("/", List).WithName("ListJobs").IsPaged();
        jobs.MapGet("/{jobId:long}", Get).WithName("GetJob").Produces<JobInfo>(StatusCodes.Status200OK);
        jobs.MapDelete("/{jobId:long}", Cancel).WithName("CancelJob").Produces<JobInfo>(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status409Conflict);
        v1.MapGet("/tenants/{tenantId}/pools/{poolId}/usage", Usage).WithName("GetPoolUsage").WithTags("Jobs").RequireTenantOrAdmin()
            .ProducesProblem(StatusCodes.Status403Forbidden);
    }

    /// <summary>The tenant's standing in the pool: what it holds and waits for, its weight, and its key in the fair order.</summary>
    private static async Task<TenantUsage> Usage(string tenantId, string poolId, IGrainFactory grains) =>
        await Pool(grains, poolId).GetTenantUsage(new SchedulingTenantId(tenantId));

    private static Task<IResult> Submit(HttpContext context, string tenantId, string poolId, SubmitJobBody body, IGrainFactory grains)
    {
        // The pool id is checked before the key is claimed: the claim stores it, and an id no pool can have must answer 400, not fail the write.
        _ = Pool(grains, poolId);
        return IdempotentRequest.RunAsync(context, tenantId, $"jobs/{poolId}", body, async key =>
        {
            // Without a key the submission is not deduplicated; the scheduler still needs one, so it gets a fresh one.
            var request = new SubmitJobRequest(
                new SchedulingTenantId(tenantId),
                body.Demand ?? throw new SchedulingException(SchedulingErrorCodes.DemandEmpty, "The job needs a demand, e.g. {\"cpu\": 500}."),
                body.Priority,
                key ?? Guid.NewGuid().ToString("N"),
                body.EstimatedDurationSeconds is { } seconds ? Seconds(seconds) : null);
            var pool = Pool(grains, poolId);
            SubmitResult result;
            try
            {
                result = await pool.Submit(request);
            }
            catch (SchedulingException e) when (QueueFullRefusal.Matches(e))
            {
                return IdempotentRequest.Outcome.Refusal(await QueueFullRefusal.AnswerAsync(context, pool, request.Tenant, e));
            }

            return IdempotentRequest.Outcome.Success(
                result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK, result.Job, $"/v1/tenants/{tenantId}/pools/{poolId}/jobs/{result.Job.Id}");
        });
    }

    private static async Task<IResult> Get(HttpContext context, string tenantId, string poolId, long jobId, IGrainFactory grains)
    {
        var job = await Pool(grains, poolId).GetJob(new JobId(jobId));
        return job is not null && job.Tenant.Value == tenantId ? TypedResults.Ok(job) : Problem.NotFound(context, $"Job {jobId} does not exist in pool '{poolId}'.");
    }

    private static async Task<IResult> Cancel(HttpContext context, string tenantId, string poolId, long jobId, IGrainFactory grains)
    {
        var pool = Pool(grains, poolId);
        var job = await pool.GetJob(new JobId(jobId));
        if (job is null || job.Tenant.Value != tenantId)
        {
            return Problem.NotFound(context, $"Job {jobId} does not exist in pool '{poolId}'.");
        }

        var status = await pool.Cancel(new JobId(jobId));
        if (status == CancelStatus.NotFound)
        {
            return Problem.NotFound(context, $"Job {jobId} does not exist in pool '{poolId}'.");
        }

        // A pool that keeps no finished jobs (maxFinishedJobs 0) has already forgotten it: a job this call cancelled is
        // answered as it ended; one that had finished before is no longer known, as a read of it would say.
        return await pool.GetJob(new JobId(jobId)) is { } after
            ? TypedResults.Ok(after)
            : status == CancelStatus.Cancelled
                ? (IResult)TypedResults.Ok(job with
                {
                    State = JobState.Cancelled,
                    WorkerId = null,
                    LeaseExpiresAt = null,
                    PreemptionRequested = false,
                    CompletedAt = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
                })
                : Problem.NotFound(context, $"Job {jobId} had finished and is no longer kept in pool '{poolId}'.");
    }

    private static async Task<Page<JobInfo>> List(HttpContext context, string tenantId, string poolId, IGrainFactory grains, string? cursor, int? limit)
    {
        var page = await Pool(grains, poolId).ListJobs(new SchedulingTenantId(tenantId), Paging.Limit(limit), cursor);
        return Paging.Page(context, page.Jobs, page.NextCursor);
    }

    internal static IFairShareSchedulerGrain Pool(IGrainFactory grains, string poolId) =>
        // Pool ids follow the tenant id rule, so that they are safe in paths and grain keys.
        Core.Tenants.TenantId.IsValid(poolId)
            ? grains.GetGrain<IFairShareSchedulerGrain>(poolId)
            : throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, "The pool id is invalid: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit.");

    internal static TimeSpan Seconds(double seconds) => seconds is > 0 and <= 7 * 86_400
        ? TimeSpan.FromSeconds(seconds)
        : throw new QuotaValidationException(ValidationCodes.Invalid, $"A duration of {seconds} seconds is out of range: use more than 0 and at most 604,800 (a week).");
}
