using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>Workers' leases: jobs leased in fair order, with the quota leases their tenants grant held for them.</summary>
public sealed partial class FairShareSchedulerGrain
{
    /// <summary>
    /// Leases jobs in fair order, then has each job's tenant grant its quota leases. A job whose tenant refuses goes back
    /// to the queue (its tenant is skipped until its retry-after) and is not handed to the worker; the worker's next
    /// call gets other tenants' jobs.
    /// </summary>
    public async Task<IReadOnlyList<JobLease>> LeaseJobs(string workerId, ResourceVector freeCapacity, TimeSpan leaseTtl, int maxJobs)
    {
        // Each leased job's tenant is asked in turn before the call answers: a bounded batch answers well within a call's time.
        if (maxJobs > MaxJobsPerLease)
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, $"maxJobs {maxJobs} is more than {MaxJobsPerLease:N0}; lease at most that many jobs per call.");
        }

        // Noted as admitting in the step that leases them, so that a cancel while the lease is stored or its tenant asked
        // (the pool is reentrant) sees that no worker has the job yet; by attempt, as the job may be leased again meanwhile.
        var taken = new List<(long Job, int Attempt)>();
        try
        {
            var leases = await MutateAsync(
                scheduler =>
                {
                    var leases = scheduler.LeaseJobs(workerId, freeCapacity, leaseTtl, _time.GetUtcNow(), maxJobs);
                    foreach (var lease in leases)
                    {
                        taken.Add((lease.JobId.Value, lease.Attempt));
                        _admitting[(lease.JobId.Value, lease.Attempt)] = _admitting.GetValueOrDefault((lease.JobId.Value, lease.Attempt)) + 1;
                    }

                    return leases;
                },
                leases => leases.Count > 0);
            if (leases.Count == 0)
            {
                return leases;
            }

            KeepWhileLeased(leaseTtl);
            return await AdmitAsync(workerId, leaseTtl, leases);
        }
        finally
        {
            foreach (var lease in taken)
            {
                if (_admitting[lease] == 1)
                {
                    _admitting.Remove(lease);
                }
                else
                {
                    _admitting[lease]--;
                }
            }
        }
    }

    /// <summary>Asks each leased job's tenant for its quota leases; hands the worker the jobs admitted, once stored.</summary>
    private async Task<IReadOnlyList<JobLease>> AdmitAsync(string workerId, TimeSpan leaseTtl, IReadOnlyList<JobLease> leases)
    {
        // Another call's write that fails while the tenants are asked puts memory back to the stored state, which lacks
        // what this call decided so far: the decisions are kept here and made again (see RedecideAsync).
        var restores = _restores;
        var decided = new List<(JobLease Lease, List<string>? Granted)>(leases.Count);
        var failed = new HashSet<TenantId>();
        foreach (var lease in leases)
        {
            List<string>? granted;
            try
            {
                // A tenant that failed for an earlier job of this call (no answer within the tenant timeout, say) is not
                // asked again in it: the worker would wait for it once more per job.
                granted = failed.Contains(lease.Tenant) ? null : await _admission.AcquireAsync(lease, TenantLeaseTtl(leaseTtl));
            }
            catch
            {
                failed.Add(lease.Tenant);
                granted = null;
            }

            // The pool is reentrant: while the tenant was asked, the job may have been cancelled, or its lease may have
            // expired and gone to another worker (whose own leases are then held for it). Only this lease's job is
            // touched: what was granted for a lease that ended goes back, and a refusal requeues only a job still leased.
            if (StillLeased(lease, workerId))
            {
                decided.Add((lease, granted));
                Decide(lease, granted, workerId);
            }
            else
            {
                await GiveBackAsync(lease, granted ?? []);
            }
        }

        while (true)
        {
            try
            {
                await _commit.PersistAsync();
            }
            catch
            {
                await GiveBackUnstoredGrantsAsync(leases, [.. decided.Where(d => d.Granted is not null).Select(d => (d.Lease, d.Granted!))], workerId);
                throw;
            }

            if (restores == _restores)
            {
                break;
            }

            restores = _restores;
            decided = await RedecideAsync(leases, decided, workerId);
        }

        // A job cancelled (or taken back) while the last write was stored is not handed out: its tenant leases went with it.
        return [.. decided.Where(d => d.Granted is not null && StillLeased(d.Lease, workerId)).Select(d => d.Lease)];
    }

    /// <summary>Holds what the tenant granted for a job still leased, or requeues the job its tenant refused.</summary>
    private void Decide(JobLease lease, List<string>? granted, string workerId)
    {
        if (granted is null)
        {
            Pool().Complete(lease.JobId, JobOutcome.Preempted, null, _time.GetUtcNow(), workerId);
        }
        else if (!_admission.HoldsExactly(lease.JobId, granted))
        {
            _admission.Hold(lease, granted);
        }
    }

    /// <summary>
    /// Makes this call's decisions again after memory went back to the stored state (another call's write failed):
    /// for the jobs still leased to the worker there, what was granted is held and what was refused requeued; what was
    /// granted for a job that is not (the stored state ended its lease) goes back. A job of <paramref name="leases"/>
    /// that ended while its tenant was asked (its grant went back) and that the stored state leases again is requeued:
    /// the worker does not get it. Returns the decisions still standing.
    /// </summary>
    private async Task<List<(JobLease Lease, List<string>? Granted)>> RedecideAsync(
        IReadOnlyList<JobLease> leases, List<(JobLease Lease, List<string>? Granted)> decided, string workerId)
    {
        var standing = new List<(JobLease Lease, List<string>? Granted)>(decided.Count);
        foreach (var (lease, granted) in decided)
        {
            if (StillLeased(lease, workerId))
            {
                Decide(lease, granted, workerId);
                standing.Add((lease, granted));
            }
            else
            {
                await GiveBackAsync(lease, granted ?? []);
            }
        }

        foreach (var lease in leases)
        {
            if (!decided.Any(d => d.Lease.JobId == lease.JobId) && StillLeased(lease, workerId))
            {
                Decide(lease, null, workerId);
            }
        }

        return standing;
    }

    /// <summary>
    /// Gives back tenant leases granted for a job lease that ended meanwhile (never held for the job). Those the tenant
    /// could not release are set apart, for the sweep to release as it does those of an ended lease: recorded nowhere,
    /// they stayed held at the tenant (its concurrent jobs, its ancestors' holds) until they expired, twice the worker's
    /// lease, for a job that never ran.
    /// </summary>
    private async Task GiveBackAsync(JobLease lease, List<string> granted)
    {
        try
        {
            await _admission.ReleaseAsync(lease.Tenant, granted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _admission.SetApart.Add(lease.JobId.Value, lease.Tenant, granted);
            LogSettleFailed(_logger, e, GetPrimaryKeyString(), lease.JobId.Value);
        }
    }

    /// <summary>
    /// After the write that stores what the call's leases came to failed (memory is back to the stored state, where every
    /// job of <paramref name="leases"/> is leased, those a tenant refused too, and holds nothing unless an earlier write
    /// of this call stored it): the jobs, which no worker got, go back to the queue without counting an expiry, what they
    /// hold is set apart for release, and the tenant leases granted for them go back to their tenants. When that cannot
    /// be stored either, the jobs stay leased as stored and their leases run out.
    /// </summary>
    private async Task GiveBackUnstoredGrantsAsync(IReadOnlyList<JobLease> leases, List<(JobLease Lease, List<string> Granted)> held, string workerId)
    {
        var requeued = false;
        foreach (var lease in leases)
        {
            if (StillLeased(lease, workerId))
            {
                _admission.ReleaseLater(lease.JobId, lease.Tenant);
                Pool().Complete(lease.JobId, JobOutcome.Preempted, null, _time.GetUtcNow(), workerId);
                requeued = true;
            }
        }

        if (requeued)
        {
            try
            {
                await _commit.PersistAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Memory is back to the stored state again: the leases expire on the sweep.
            }
        }

        foreach (var (lease, granted) in held)
        {
            // Not held for the job any more (memory is back to the stored state).
            await GiveBackAsync(lease, granted);
        }
    }

    private bool StillLeased(JobLease lease, string workerId) =>
        !_deleting && _scheduler?.Get(lease.JobId) is { State: JobState.Leased } job && job.WorkerId == workerId && job.Attempts == lease.Attempt;

    /// <summary>A tenant lease outlives the worker's lease by as much again, so a heartbeat renews both before either
    /// runs out; when the pool itself is gone, the tenant's lease still expires on its own.</summary>
    private static TimeSpan TenantLeaseTtl(TimeSpan workerLeaseTtl) => workerLeaseTtl * 2;
}
