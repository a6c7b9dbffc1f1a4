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
        try
        {
            await _commit.DrainAsync();
            foreach (var job in _owed.Oldest(int.MaxValue))
            {
                await PayAsync(job);
            }

            foreach (var job in _admission.UnreleasedJobs.ToList())
            {
                await _admission.RetryReleasesAsync(new JobId(job));
            }

            foreach (var job in _admission.HeldJobs.ToList())
            {
                // A job the pool has forgotten (it keeps no finished jobs) still has its leases given back.
                if ((scheduler.Get(new JobId(job))?.Tenant ?? _admission.TenantOfHeld(job)) is { } tenant)
                {
                    await _admission.ReleaseAsync(new JobId(job), tenant);
                }
            }

            // The entries go in the pool's own order of writes (WriteAsync), after any still asked for.
            _retiring = true;
            await _commit.PersistAsync();
            _scheduler = null;
            _admission.Restore(null);
            _owed.Restore(null);
        }
        finally
        {
            _deleting = false;
            _retiring = false;
        }

        await UpdateDirectoryAsync(listed: false);
    }

    private void CheckEmpty(FairShareScheduler scheduler, bool force)
    {
        if (!force && scheduler.QueuedJobs + scheduler.LeasedJobs > 0)
        {
            throw new SchedulingException(SchedulingErrorCodes.PoolNotEmpty, $"Pool '{GetPrimaryKeyString()}' still has {scheduler.QueuedJobs} queued and {scheduler.LeasedJobs} running jobs; cancel them or delete with force.");
        }
    }
}
