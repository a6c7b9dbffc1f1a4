using Microsoft.Extensions.Logging;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>Workers' heartbeats: the job leases extended, and the tenant leases held for those jobs renewed.</summary>
public sealed partial class FairShareSchedulerGrain
{
    public async Task<HeartbeatResult> Heartbeat(string workerId, IReadOnlyList<JobId> jobIds, TimeSpan leaseTtl)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var result = await MutateAsync(scheduler => scheduler.Heartbeat(workerId, jobIds, leaseTtl, _time.GetUtcNow()), result => result.Renewed.Count > 0);
        if (result.Renewed.Count > 0)
        {
            KeepWhileLeased(leaseTtl);
        }

        // Each tenant's jobs in turn, the tenants side by side: a refusal frees the tenant's leases for its next jobs, so
        // its order matters; one tenant's has nothing to do with another's, and a slow tenant held up the others' renewals.
        var stopped = await Task.WhenAll(InPreemptionOrder(result.Renewed).GroupBy(job => job.Tenant).Select(jobs => RenewOfTenantAsync(workerId, [.. jobs], leaseTtl)));
        List<JobId> stop = [.. stopped.SelectMany(jobs => jobs)];

        return stop.Count == 0 ? result : result with { Preempt = [.. result.Preempt.Union(stop)] };
    }

    /// <summary>
    /// Renews the tenant leases of one tenant's jobs in the order given, stopping a job the tenant no longer grants;
    /// returns the jobs stopped.
    /// </summary>
    private async Task<List<JobId>> RenewOfTenantAsync(string workerId, List<JobInfo> jobs, TimeSpan leaseTtl)
    {
        List<JobId> stop = [];
        foreach (var job in jobs)
        {
            var id = job.Id;
            bool renewed;
            try
            {
                renewed = await _admission.RenewAsync(id, job.Tenant, TenantLeaseTtl(leaseTtl));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A tenant out of reach refuses nothing: its jobs run on under the leases they hold (twice the worker's
                // lease), renewed at a later heartbeat, and the jobs of the other tenants are renewed all the same. The
                // job leases are stored already: the worker is answered, not failed. Its other jobs are not asked again.
                LogRenewFailed(_logger, e, GetPrimaryKeyString(), job.Tenant.Value, workerId);
                break;
            }

            if (renewed)
            {
                continue;
            }

            // The tenant no longer grants the quota the job runs under (a soft quota past its grace): the job must stop,
            // or its tenant lease would lapse while it still ran and the quota would count less than what runs. The
            // mark is stored before the tenant's leases are given back, so that a crash between the two cannot leave
            // the job running unmarked with nothing held; giving them back at once lets the tenant renew its other
            // jobs as soon as it is under its limit again, so no more jobs are stopped than that takes.
            bool marked;
            try
            {
                marked = await MutateAsync(scheduler => scheduler.PreemptForTenantQuota(workerId, id, job.Attempts), stopped => stopped);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The mark could not be stored (memory is back to what is stored, unmarked): the worker is answered with
                // the stops stored so far, not failed; the next heartbeat asks the tenant again and marks then.
                LogMarkFailed(_logger, e, GetPrimaryKeyString(), id.Value, workerId);
                break;
            }

            if (!marked)
            {
                // Reported or leased again while the tenant answered: its leases are the new lease's, or already given back.
                continue;
            }

            stop.Add(id);
            try
            {
                await ReleaseTenantLeasesAsync([(id, job.Tenant)]);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Kept apart for the sweep, which releases them again.
                LogSettleFailed(_logger, e, GetPrimaryKeyString(), id.Value);
            }
        }

        return stop;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool} could not store the stop of job {Job}, whose tenant no longer grants its quota, for worker {Worker}; the next heartbeat stops it")]
    private static partial void LogMarkFailed(ILogger logger, Exception exception, string pool, long job, string worker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool} could not renew the quota leases of tenant {Tenant} for the jobs of worker {Worker}; they run on, and the next heartbeat renews them")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string pool, string tenant, string worker);

    /// <summary>
    /// The jobs in the order a tenant's refusal stops them, as reclaim does: lowest priority first, then the youngest
    /// lease. Their tenant leases are renewed in that order, so the jobs stopped are the ones preemption would choose.
    /// </summary>
    private IEnumerable<JobInfo> InPreemptionOrder(IReadOnlyList<JobId> ids) => ids
        .Select(id => Pool().Get(id))
        .OfType<JobInfo>()
        .OrderBy(job => job.Priority)
        .ThenByDescending(job => job.LeasedAt)
        .ThenByDescending(job => job.Id.Value)
        .ToList();
}
