using Microsoft.AspNetCore.Http;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Gateway.Problems;

/// <summary>
/// A submission refused because its tenant's job queue in the pool is full, answered like any refused quota: the pool
/// setting that bounds the queue is the violated policy, with the jobs queued and the limit. The scheduler's refusal
/// travels between silos as a code and a message, so the counts are read from the pool after it (as of the answer).
/// A full pool queue is answered by <see cref="ExceptionProblems"/>, with the scheduler's message, which has its counts.
/// </summary>
internal static class QueueFullRefusal
{
    /// <summary>A guess: when a queue drains depends on the workers, not on a window this service knows.</summary>
    private static readonly TimeSpan s_retryAfter = TimeSpan.FromSeconds(1);

    public static bool Matches(SchedulingException e) => e.Code == SchedulingErrorCodes.TenantQueueFull;

    public static async Task<IResult> AnswerAsync(HttpContext context, IFairShareSchedulerGrain pool, TenantId tenant, SchedulingException refusal)
    {
        if (await pool.GetConfig() is not { } config)
        {
            throw refusal;
        }

        var queued = (await pool.GetTenantUsage(tenant)).QueuedJobs;
        return QuotaRefusals.Refused(context, refusal.Code, "maxQueuedJobsPerTenant", queued, config.MaxQueuedJobsPerTenant, s_retryAfter);
    }
}
