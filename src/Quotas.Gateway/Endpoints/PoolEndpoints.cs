using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Scheduling;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Endpoints;

/// <summary>Pools (admin): create, list, read, replace, update capacity, delete, its tenants' standings and jobs; and the worker protocol (admin key).</summary>
internal static class PoolEndpoints
{
    public static void MapPoolEndpoints(this RouteGroupBuilder v1)
    {
        var pools = v1.MapGroup("/pools").WithTags("Pools").RequireAdmin();
        // While a pool is being deleted, a call that would change it answers 409 pool_being_deleted; a create, 409 for a
        // pool that exists; a delete, 409 for a pool with jobs (without force).
        pools.MapPost("/", Create).WithName("CreatePool")
            .Produces<PoolConfig>(StatusCodes.Status201Created).ReadsBody().ProducesProblem(StatusCodes.Status409Conflict);
        pools.MapGet("/", List).WithName("ListPools").IsPaged();
        pools.MapGet("/{poolId}", Get).WithName("GetPool").Produces<PoolConfig>(StatusCodes.Status200OK).NamesById();
        pools.MapPut("/{poolId}", Replace).WithName("ReplacePool")
            .Produces<PoolConfig>(StatusCodes.Status200OK).ReadsBody().NamesById().ProducesProblem(StatusCodes.Status409Conflict);
        pools.MapPut("/{poolId}/capacity", UpdateCapacity).WithName("UpdatePoolCapacity")
            .Produces<PoolConfig>(StatusCodes.Status200OK).ReadsBody().NamesById().ProducesProblem(StatusCodes.Status409Conflict);
        pools.MapDelete("/{poolId}", Delete).WithName("DeletePool")
            .Produces(StatusCodes.Status204NoContent).NamesById().ProducesProblem(StatusCodes.Status409Conflict);
        pools.MapGet("/{poolId}/tenants", ListTenants).WithName("ListPoolTenants").IsPaged().NamesById();
        pools.MapGet("/{poolId}/jobs", ListJobs).WithName("ListPoolJobs").IsPaged().NamesById();

        var workers = v1.MapGroup("/pools/{poolId}").WithTags("Workers").RequireWorkerOrAdmin().NamesById();
        // While the pool is being deleted, a call that would change it answers 409 pool_being_deleted.
        workers.MapPost("/workers/{workerId}/leases", LeaseJobs).WithName("LeaseJobs").ReadsBody().ProducesProblem(StatusCodes.Status409Conflict);
        workers.MapPost("/workers/{workerId}/heartbeat", Heartbeat).WithName("Heartbeat").ReadsBody().ProducesProblem(StatusCodes.Status409Conflict);
        workers.MapPost("/jobs/{jobId:long}/complete", Complete).WithName("CompleteJob").ReadsBody().ProducesProblem(StatusCodes.Status409Conflict);
    }

    // Create, replace and capacity changes are each one call to the pool, so that two at once cannot both create it,
    // a replace cannot bring back a pool deleted meanwhile, and a capacity change cannot undo a replace. A silo of an
    // earlier release does not know them (docs/contracts.md): the pool is read first and configured, as before.
    private static async Task<IResult> Create(HttpContext context, PoolConfig config, IGrainFactory grains)
    {
        var pool = JobEndpoints.Pool(grains, config.Id ?? "");
        PoolConfig created;
        try
        {
            created = await pool.CreatePool(config);
        }
        catch (NotSupportedException)
        {
            if (await pool.GetConfig() is not null)
            {
                throw new SchedulingException(SchedulingErrorCodes.PoolExists, $"Pool '{config.Id}' already exists; replace it with PUT /v1/pools/{config.Id}.");
            }

            created = await pool.Configure(config);
        }

        return TypedResults.Created($"/v1/pools/{created.Id}", created);
    }

    /// <summary>The pools by id, a page at a time; a pool deleted between the directory read and its own is left out.</summary>
    private static async Task<Page<PoolConfig>> List(HttpContext context, IGrainFactory grains, string? cursor, int? limit)
    {
        var size = Paging.Limit(limit);
        var ids = await grains.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.PoolsKey).List(cursor, size);
        var pools = await ListedReads.ReadAsync("pool", cursor, ids, id => grains.GetGrain<IFairShareSchedulerGrain>(id).GetConfig());
        return Paging.Page(context, pools, ids.Count == size ? ids[^1] : null);
    }

    private static async Task<IResult> Get(HttpContext context, string poolId, IGrainFactory grains) =>
        await JobEndpoints.Pool(grains, poolId).GetConfig() is { } config ? TypedResults.Ok(config) : PoolNotFound(context, poolId);

    private static async Task<IResult> Replace(HttpContext context, string poolId, PoolConfig config, IGrainFactory grains)
    {
        if (config.Id != poolId)
        {
            return Problem.Validation(context, SchedulingErrorCodes.InvalidPoolConfig, $"The body names pool '{config.Id}' but the path names '{poolId}'; make them agree.");
        }

        var pool = JobEndpoints.Pool(grains, poolId);
        try
        {
            return TypedResults.Ok(await pool.ReplaceConfig(config));
        }
        catch (SchedulingException e) when (e.Code == SchedulingErrorCodes.UnknownPool)
        {
            return PoolNotFound(context, poolId);
        }
        catch (NotSupportedException)
        {
            return await pool.GetConfig() is null ? PoolNotFound(context, poolId) : TypedResults.Ok(await pool.Configure(config));
        }
    }

    private static async Task<IResult> UpdateCapacity(HttpContext context, string poolId, UpdateCapacityRequest request, IGrainFactory grains)
    {
        var pool = JobEndpoints.Pool(grains, poolId);
        try
        {
            return TypedResults.Ok(await pool.UpdateCapacity(request.Capacity));
        }
        catch (SchedulingException e) when (e.Code == SchedulingErrorCodes.UnknownPool)
        {
            return PoolNotFound(context, poolId);
        }
        catch (NotSupportedException)
        {
            return await pool.GetConfig() is not { } config ? PoolNotFound(context, poolId) : TypedResults.Ok(await pool.Configure(config with { Capacity = request.Capacity }));
        }
    }

    /// <summary>Every tenant's standing in the pool, by tenant id: who holds the pool, who waits, and their weights.</summary>
    private static async Task<Page<TenantUsage>> ListTenants(HttpContext context, string poolId, IGrainFactory grains, string? cursor, int? limit)
    {
        var page = await JobEndpoints.Pool(grains, poolId).ListTenantUsage(Paging.Limit(limit), cursor);
        return Paging.Page(context, page.Tenants, page.NextCursor);
    }

    /// <summary>Every tenant's jobs in the pool by id, optionally in one state: what runs and what waits.</summary>
    private static async Task<Page<JobInfo>> ListJobs(HttpContext context, string poolId, IGrainFactory grains, string? state, string? cursor, int? limit)
    {
        var page = await JobEndpoints.Pool(grains, poolId).ListPoolJobs(ParseState(state), Paging.Limit(limit), cursor);
        return Paging.Page(context, page.Jobs, page.NextCursor);
    }

    private static JobState? ParseState(string? state)
    {
        if (state is null)
        {
            return null;
        }

        foreach (var known in Enum.GetValues<JobState>())
        {
            if (string.Equals(state, known.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        throw new SchedulingException(
            SchedulingErrorCodes.InvalidArgument,
            $"state '{state}' is not a job state; use one of {string.Join(", ", Enum.GetNames<JobState>().Select(n => n.ToLowerInvariant()))}, or leave it out for all.");
    }

    private static async Task<IResult> Delete(string poolId, IGrainFactory grains, CallerResolver callers, bool? force)
    {
        try
        {
            await JobEndpoints.Pool(grains, poolId).Delete(force ?? false);
        }
        finally
        {
            // Its worker keys are dead (see IApiKeyGrain.VerifyScope): forgotten here at once, elsewhere within the cache
            // time; also when the delete failed or timed out, as it may have happened all the same.
            callers.ForgetPool(poolId);
        }

        return TypedResults.NoContent();
    }

    private static async Task<IReadOnlyList<JobLease>> LeaseJobs(string poolId, string workerId, LeaseJobsRequest request, IGrainFactory grains) =>
        await JobEndpoints.Pool(grains, poolId).LeaseJobs(workerId, request.FreeCapacity, LeaseTtl(request.LeaseTtlSeconds), request.MaxJobs);

    private static async Task<HeartbeatResult> Heartbeat(string poolId, string workerId, HeartbeatRequest request, IGrainFactory grains) =>
        await JobEndpoints.Pool(grains, poolId).Heartbeat(workerId, request.JobIds ?? [], LeaseTtl(request.LeaseTtlSeconds));

    // A report without a worker id goes to the older grain method: it answers the same, and keeps working against a
    // silo of an earlier release during a rolling upgrade.
    private static async Task<CompleteResult> Complete(string poolId, long jobId, CompleteJobRequest request, IGrainFactory grains) =>
        request.WorkerId is null
            ? await JobEndpoints.Pool(grains, poolId).Complete(new JobId(jobId), request.Outcome, request.ActualUsage)
            : await JobEndpoints.Pool(grains, poolId).CompleteReportedBy(request.WorkerId, new JobId(jobId), request.Outcome, request.ActualUsage);

    private static IResult PoolNotFound(HttpContext context, string poolId) => Problem.NotFound(context, $"Pool '{poolId}' does not exist.");

    // Checked here with the scheduler's own bound, so that every lease TTL out of range gets the same answer.
    private static TimeSpan LeaseTtl(double seconds) => seconds > 0 && seconds <= FairShareScheduler.MaxLeaseTtl.TotalSeconds
        ? TimeSpan.FromSeconds(seconds)
        : throw new SchedulingException(SchedulingErrorCodes.InvalidArgument,
            $"leaseTtlSeconds {seconds} is out of range: use more than 0 and at most {FairShareScheduler.MaxLeaseTtl.TotalSeconds:0} (3.5 days), e.g. 30, and renew with heartbeats.");
}
