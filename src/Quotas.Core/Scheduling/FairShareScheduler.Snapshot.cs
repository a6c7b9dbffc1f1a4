namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    public SchedulerSnapshot ToSnapshot()
    {
        SettleReclaim();
        var jobs = new List<JobInfo>(_jobs.Count);
        var undelivered = new List<JobId>();
        // In id order: the table walks ids upwards.
        foreach (var job in _jobs.After(0))
        {
            jobs.Add(job.ToInfo());
            if (job.PreemptionRequested && !job.PreemptionDelivered)
            {
                undelivered.Add(new JobId(job.Id));
            }
        }

        var usage = new List<TenantUsageSnapshot>();
        foreach (var tenant in _tenants.Values)
        {
            // Kept when it says anything: completions, usage, a tier, or past usage (leases that ended without completing count).
            if (UsageSnapshot(tenant) is { } counted && !counted.SaysNothing())
            {
                usage.Add(counted);
            }
        }

        return new SchedulerSnapshot { Pool = _config, Jobs = jobs, Usage = usage, NextJobId = _nextJobId, UndeliveredPreemptions = undelivered };
    }

    /// <summary>
    /// Rebuilds a scheduler from <see cref="ToSnapshot"/>; leases keep their expiry, marks for preemption the worker was
    /// told of (or may have been: any not listed as undelivered) stay, and undelivered ones are made afresh.
    /// </summary>
    public static FairShareScheduler FromSnapshot(SchedulerSnapshot snapshot, QuotaCheck? quotaCheck = null, bool trackChanges = false)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var scheduler = new FairShareScheduler(snapshot.Pool, quotaCheck, trackChanges);
        scheduler.Restore(snapshot);
        return scheduler;
    }

    private void Restore(SchedulerSnapshot snapshot)
    {
        foreach (var usage in snapshot.Usage)
        {
            var tenant = GetOrAddTenant(usage.Tenant);
            tenant.CompletedCount = usage.CompletedJobs;
            VectorMath.AddSaturating(tenant.ReportedUsage, _layout.ToDense(usage.ReportedUsage, "a snapshot's usage"));
            foreach (var (name, seconds) in usage.HistoryResourceSeconds)
            {
                var index = -1;
                for (var i = 0; i < _layout.Count && index < 0; i++)
                {
                    index = _layout.NameAt(i) == name ? i : -1;
                }

                if (index < 0)
                {
                    throw _layout.UnknownResource(name, "a snapshot's history");
                }

                tenant.History[index] = seconds;
            }

            tenant.HistoryAt = usage.HistoryAt;
            if (usage.Tier is not null)
            {
                tenant.Tier = usage.Tier;
                ApplyTierSettings(tenant);
            }
        }

        var maxId = 0L;
        var finished = new List<Job>();
        var undelivered = snapshot.UndeliveredPreemptions.Select(id => id.Value).ToHashSet();
        foreach (var info in snapshot.Jobs.OrderBy(j => j.Id.Value))
        {
            RestoreJob(info, finished, undelivered);
            maxId = Math.Max(maxId, info.Id.Value);
        }

        RestoreServedOrder(snapshot.Jobs);

        // Finished jobs are forgotten in the order they finished; the retention window is applied from the next call.
        finished.Sort(static (a, b) =>
        {
            var c = Nullable.Compare(a.CompletedAt, b.CompletedAt);
            return c != 0 ? c : a.Id.CompareTo(b.Id);
        });
        foreach (var job in finished)
        {
            _finished.Enqueue(job);
        }

        TrimFinished(null);

        _nextJobId = Math.Max(snapshot.NextJobId, maxId + 1);
        foreach (var tenant in _tenants.Values)
        {
            tenant.ShareKey = ComputeShareKey(tenant, tenant.HistoryAt);
        }

        _ready.Rebuild();
        EvaluateReclaim();

        // What was just read is stored; only marks reclaim made or took back on the way differ.
        _poolChanged = false;
    }

    /// <summary>
    /// Puts back which tenant was served longest ago (the fair order's tie-break among equal shares) from when each last
    /// got a job, as the jobs it knows say: not stored itself, it restarted at zero for all, so that ties went by the
    /// order the tenants were read back in, and a tenant just served could go ahead of one that waited.
    /// </summary>
    private void RestoreServedOrder(IReadOnlyList<JobInfo> jobs)
    {
        var lastServed = new Dictionary<TenantId, (DateTimeOffset At, long Job)>();
        foreach (var job in jobs)
        {
            if (job.LeasedAt is { } at && (!lastServed.TryGetValue(job.Tenant, out var seen) || (at, job.Id.Value).CompareTo(seen) > 0))
            {
                lastServed[job.Tenant] = (at, job.Id.Value);
            }
        }

        foreach (var (tenant, _) in lastServed.OrderBy(p => p.Value))
        {
            _tenants[tenant].ServedStamp = ++_servedClock;
        }
    }

    private void RestoreJob(JobInfo info, List<Job>? finished, HashSet<long> undelivered)
    {
        CheckRestorable(info);
        var tenant = GetOrAddTenant(info.Tenant);
        var dense = (long[])_layout.ToDense(info.Demand, "a snapshot's job demand").Clone();
        var job = new Job(info.Id.Value, tenant, info.Demand, dense, info.Priority, info.IdempotencyKey, info.EstimatedDuration, info.SubmittedAt)
        {
            EnqueuedAt = info.EnqueuedAt,
            Attempts = info.Attempts,
            Expiries = info.Expiries,
            LeasedAt = info.LeasedAt,
            CompletedAt = info.CompletedAt,
            ActualUsage = info.ActualUsage,
            PreemptedUsage = info.PreemptedUsage,
        };
        if (!tenant.ByIdempotencyKey.TryAdd(job.StoredIdempotencyKey, job))
        {
            throw Unrestorable(info, $"it has the idempotency key of job {tenant.ByIdempotencyKey[job.StoredIdempotencyKey].Id} of the same tenant");
        }

        _jobs.Add(job);
        switch (info.State)
        {
            case JobState.Queued:
                Enqueue(job);
                break;
            case JobState.Leased:
                job.State = JobState.Leased;
                job.WorkerId = info.WorkerId;
                job.LeaseExpiresAt = info.LeaseExpiresAt;
                job.LeaseRenewedAt = info.LeaseRenewedAt;
                VectorMath.Add(tenant.Allocated, dense);
                VectorMath.Add(_allocated, dense);
                if (_config.HistoryBlend > 0 && job.LeasedAt is { } leasedAt)
                {
                    RunningUsage.Started(tenant, dense, leasedAt, _config.UsageHalfLife);
                }

                tenant.LeasedCount++;
                AddLeased(job);
                if (info.PreemptionRequested)
                {
                    // Unless the snapshot says the worker was not told, it may be stopping the job: the mark stays.
                    RestoreMark(job, delivered: !undelivered.Contains(job.Id));
                }

                break;
            default:
                job.State = info.State;
                finished?.Add(job);
                break;
        }
    }

    /// <summary>
    /// Refuses a stored job that no pool could have written, before anything of it is taken in: restored, it would hold
    /// capacity for ever (a running job with no lease end), vanish from its tenant's keys, or stand in for another job.
    /// </summary>
    private void CheckRestorable(JobInfo info)
    {
        var problem = info switch
        {
            { Id.Value: <= 0 } => "its id is not positive",
            _ when _jobs.TryGetValue(info.Id.Value, out _) => "another stored job has the same id",
            _ when !Enum.IsDefined(info.State) => $"its state {(int)info.State} is unknown",
            _ when string.IsNullOrEmpty(info.IdempotencyKey) => "it has no idempotency key",
            { State: JobState.Leased, WorkerId: null or "" } => "it is running but names no worker",
            { State: JobState.Leased, LeaseExpiresAt: null } => "it is running but its lease has no end",
            _ => null,
        };
        if (problem is not null)
        {
            throw Unrestorable(info, problem);
        }
    }

    private static SchedulingException Unrestorable(JobInfo info, string problem) => new(
        SchedulingErrorCodes.InvalidArgument,
        $"Stored job {info.Id} of tenant '{info.Tenant}' cannot be restored: {problem}. The stored pool was changed outside the service; repair or remove the job's entry.");
}
