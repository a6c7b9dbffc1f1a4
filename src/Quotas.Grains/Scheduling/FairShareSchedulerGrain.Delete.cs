using Microsoft.Extensions.Logging;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>Deleting a pool: no change once it has begun, the writes asked for first, then the debts to tenants settled.</summary>
public sealed partial class FairShareSchedulerGrain
{
    public async Task Delete(bool force)
    {
        var scheduler = Pool();
        if (_deleting)
        {
            throw new SchedulingException(SchedulingErrorCodes.PoolBeingDeleted, $"Pool '{GetPrimaryKeyString()}' is already being deleted.");
        }

        CheckEmpty(scheduler, force);

        // From here no call changes the pool (they answer pool_being_deleted), so that nothing acknowledged is dropped
        // unseen: the writes already asked for are waited for, and what the pool owes its tenants is settled.
        _deleting = true;
        IReadOnlyList<JobInfo> cancelled = [];
        try
        {
            await _commit.DrainAsync();

            // A change that emptied the pool may have failed to store meanwhile, which put its jobs back in memory: the
            // pool is checked again as stored, and the rest reads the pool memory holds now.
            scheduler = Pool();
            CheckEmpty(scheduler, force);
            cancelled = await CancelChargedAsync(scheduler);

            // Each debt as stored when its turn comes: a write of another call that failed meanwhile puts the debts back
            // as records read from storage, which a list of records taken before would not pay (PayAsync pays the
            // stored record).
            foreach (var id in _owed.Oldest(int.MaxValue).ConvertAll(debt => debt.Id))
            {
                if (_owed.TryGetStored(id, out var debt))
                {
                    await PayAsync(debt);
                }
            }

            foreach (var job in _admission.SetApart.Jobs.ToList())
            {
                await _admission.RetryReleasesAsync(new JobId(job));
            }

            // The quota leases still held (for the jobs cancelled above: no job runs any more) go back before the pool
            // retires, while their entries still say which they are: released after, a silo lost in between left them to
            // run out with their time to live. A retirement that then fails leaves the pool to release them again (a
            // release is idempotent at the tenant), as it does those of any job that ended.
            var held = _admission.Snapshot()
                .Select(pair => (Job: pair.Key, Tenant: scheduler.Get(new JobId(pair.Key))?.Tenant ?? _admission.TenantOfHeld(pair.Key), Leases: pair.Value))
                .ToList();
            await ReleaseQuietlyAsync(held);

            // The entries go in the pool's own order of writes (WriteAsync), after any still asked for.
            _retiring = true;
            await _commit.PersistAsync();
            _scheduler = null;
            _admission.Restore(null);
            _admission.BudgetWaits.Restore(null);
            _owed.Restore(null);
        }
        catch when (cancelled.Count > 0 && _scheduler is not null)
        {
            // Failed after its cancels were stored: the pool runs on without those jobs, and their quota leases go back
            // to their tenants now (or by the sweep) instead of with the delete that did not happen. The pool is no
            // longer being deleted first: the write that gives them back must store the pool, not retire it.
            (_deleting, _retiring) = (false, false);
            await GiveBackCancelledAsync(cancelled);
            throw;
        }
        finally
        {
            _deleting = false;
            _retiring = false;
        }

        await UpdateDirectoryAsync(listed: false);
    }

    /// <summary>
    /// Cancels the running jobs of a pool deleted with force, and those waiting after a preempted run, each charged to
    /// its tenant as a cancel charges it, and stores that before the debts are paid: deleting a pool does not spare the
    /// work it ran. A write that fails puts the jobs back as they were, and the delete fails with it.
    /// </summary>
    private async Task<IReadOnlyList<JobInfo>> CancelChargedAsync(FairShareScheduler scheduler)
    {
        var now = _time.GetUtcNow();
        var cancelled = scheduler.CancelCharged(now, job => OweForCancel(job, now, forgotten: true));
        if (cancelled.Count == 0)
        {
            return [];
        }

        await _commit.PersistAsync();
        return cancelled;
    }

    /// <summary>
    /// Gives back the quota leases of jobs a failed delete cancelled: held ones, and those a failed write set apart as
    /// it read the pool back (jobs no longer running). One its tenant cannot take back now stays set apart for the sweep.
    /// </summary>
    private async Task GiveBackCancelledAsync(IReadOnlyList<JobInfo> cancelled)
    {
        try
        {
            await ReleaseTenantLeasesAsync([.. cancelled.Select(job => (job.Id, job.Tenant))]);
            foreach (var job in cancelled)
            {
                await _admission.RetryReleasesAsync(job.Id);
            }

            await _commit.PersistAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSettleFailed(_logger, e, GetPrimaryKeyString(), cancelled[0].Id.Value);
        }
    }

    /// <summary>
    /// Gives back the quota leases a pool being deleted holds for its cancelled jobs (a job it has forgotten, as it keeps
    /// no finished jobs, names its tenant in its leases' ids). One its tenant cannot take back now runs out with its TTL.
    /// </summary>
    private async Task ReleaseQuietlyAsync(List<(long Job, TenantId? Tenant, List<string> Leases)> held)
    {
        foreach (var (job, tenant, leases) in held)
        {
            if (tenant is null)
            {
                continue;
            }

            try
            {
                await _admission.ReleaseAsync(tenant.Value, leases);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDeletedReleaseFailed(_logger, e, GetPrimaryKeyString(), job);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool}, being deleted, could not give back the quota leases of job {Job}; they run out with their time to live")]
    private static partial void LogDeletedReleaseFailed(ILogger logger, Exception exception, string pool, long job);

    private void CheckEmpty(FairShareScheduler scheduler, bool force)
    {
        if (!force && scheduler.QueuedJobs + scheduler.LeasedJobs > 0)
        {
            throw new SchedulingException(SchedulingErrorCodes.PoolNotEmpty, $"Pool '{GetPrimaryKeyString()}' still has {scheduler.QueuedJobs} queued and {scheduler.LeasedJobs} running jobs; cancel them or delete with force.");
        }
    }
}
