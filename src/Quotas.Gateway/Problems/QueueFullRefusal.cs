using Microsoft.AspNetCore.Http;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Gateway.Problems;

/// <summary>
/// A submission refused because a job queue is full (its tenant's in the pool, or the pool's), answered like any
/// refused quota: the pool setting that bounds the queue is the violated policy, with the jobs queued and the limit.
/// The scheduler's refusal travels between silos as a code and a message, so the counts are read from the pool after
/// it (as of the answer).
/// </summary>
internal static class QueueFullRefusal
{
    /// <summary>A guess: when a queue drains depends on the workers, not on a window this service knows.</summary>
    private static readonly TimeSpan s_retryAfter = TimeSpan.FromSeconds(1);

    public static bool Matches(SchedulingException e) => e.Code is SchedulingErrorCodes.TenantQueueFull or SchedulingErrorCodes.PoolQueueFull;

    /// <summary>The pool setting a full queue's refusal names as its policy: the tenant's queue or the pool's.</summary>
    public static string PolicyOf(string code) => code == SchedulingErrorCodes.TenantQueueFull ? "maxQueuedJobsPerTenant" : "maxQueuedJobsPerPool";

    public static async Task<IResult> AnswerAsync(HttpContext context, IFairShareSchedulerGrain pool, TenantId tenant, SchedulingException refusal)
    {
        if (await pool.GetConfig() is not { } config)
        {
            throw refusal;
        }

        if (refusal.Code == SchedulingErrorCodes.TenantQueueFull)
        {
            var queued = (await pool.GetTenantUsage(tenant)).QueuedJobs;
            return QuotaRefusals.Refused(context, refusal.Code, PolicyOf(refusal.Code), queued, config.MaxQueuedJobsPerTenant, s_retryAfter);
        }

        int total;
        try
        {
            total = await pool.GetQueuedJobs();
        }
        catch (NotSupportedException)
        {
            // A silo of an older release (a rolling upgrade) cannot count: UnknownGrainMethodException, or the plain
            // NotSupportedException of releases before it (docs/contracts.md). The refusal's message has the counts.
            throw refusal;
        }

        return QuotaRefusals.Refused(context, refusal.Code, PolicyOf(refusal.Code), total, config.MaxQueuedJobsPerPool, s_retryAfter);
    }
}
