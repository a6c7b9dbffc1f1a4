namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// Forgets every job of a deleted tenant (queued, running and finished) and its counted usage, so that a tenant
    /// created again under its id starts afresh: it neither sees nor is charged for the deleted one's jobs. Running
    /// jobs free their capacity at once; their workers learn at their next heartbeat that the jobs are gone. The
    /// tenant's settings in the pool's configuration stay; a tenant the configuration does not list is forgotten
    /// altogether, so that tenants created and deleted over a pool's life do not pile up in it (the change that its
    /// usage says nothing more removes its stored usage). Returns the ids of the jobs forgotten.
    /// </summary>
    public IReadOnlyList<JobId> RemoveTenant(TenantId id, DateTimeOffset now)
    {
        if (!_tenants.TryGetValue(id, out var tenant))
        {
            return [];
        }

        var jobs = tenant.ByIdempotencyKey.Values.ToList();
        foreach (var job in jobs)
        {
            if (job.State == JobState.Queued)
            {
                LeaveQueue(job);
            }
            else if (job.State == JobState.Leased)
            {
                Release(job, now, updateKey: false, recordHistory: false);
            }

            _jobs.Remove(job.Id);
            Forgotten(job);
        }

        // Their records are not reused: none may be met again, in the retention queue or anywhere else.
        tenant.ByIdempotencyKey.Clear();
        if (jobs.Exists(job => job.IsTerminal))
        {
            var kept = _finished.Where(job => job.Tenant != tenant).ToList();
            _finished.Clear();
            kept.ForEach(_finished.Enqueue);
        }

        tenant.CompletedCount = 0;
        Array.Clear(tenant.ReportedUsage);
        Array.Clear(tenant.History);
        tenant.Tier = null;
        ApplyTierSettings(tenant);
        UsageChanged(tenant);
        UpdateKey(tenant, now);
        if (!_shares.ContainsKey(id))
        {
            Drop(tenant);
        }

        ReclaimLater();
        return jobs.ConvertAll(job => new JobId(job.Id));
    }

    /// <summary>Forgets a tenant that has no job left; its ordinal goes to the next tenant the pool meets.</summary>
    private void Drop(TenantState tenant)
    {
        _ready.Remove(tenant);
        _guaranteed.Remove(tenant);
        _tenants.Remove(tenant.Id);
        _freeOrdinals.Push(tenant.Ordinal);
    }
}
