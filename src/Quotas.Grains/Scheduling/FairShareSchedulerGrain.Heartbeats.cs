using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>Workers' heartbeats: the job leases extended, and the tenant leases held for those jobs renewed.</summary>
public sealed partial class FairShareSchedulerGrain
{
    public async Task<HeartbeatResult> Heartbeat(string workerId, IReadOnlyList<JobId> jobIds, TimeSpan leaseTtl)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var result = await MutateAsync(scheduler => scheduler.Heartbeat(workerId, jobIds, leaseTtl, _time.GetUtcNow()), result => result.Renewed.Count > 0);
        List<JobId>? stop = null;
        foreach (var job in InPreemptionOrder(result.Renewed))
        {
            var id = job.Id;
            if (await _admission.RenewAsync(id, job.Tenant, TenantLeaseTtl(leaseTtl)))
            {
                continue;
            }

            // The tenant no longer grants the quota the job runs under (a soft quota past its grace): the job must stop,
            // or its tenant lease would lapse while it still ran and the quota would count less than what runs. The
            // mark is stored before the tenant's leases are given back, so that a crash between the two cannot leave
            // the job running unmarked with nothing held; giving them back at once lets the tenant renew its other
            // jobs as soon as it is under its limit again, so no more jobs are stopped than that takes.
            if (!await MutateAsync(scheduler => scheduler.PreemptForTenantQuota(workerId, id, job.Attempts), stopped => stopped))
            {
                // Reported or leased again while the tenant answered: its leases are the new lease's, or already given back.
                continue;
            }

            (stop ??= []).Add(id);
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

        return stop is null ? result : result with { Preempt = [.. result.Preempt.Union(stop)] };
    }

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
