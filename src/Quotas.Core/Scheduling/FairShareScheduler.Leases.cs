using Quotas.Core.Tenants;

namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// Extends the leases <paramref name="workerId"/> holds and says which to stop. A job marked for preemption has its
    /// lease extended once more, at the heartbeat that tells the worker, and then no longer: the worker has that lease's
    /// time to stop it and report <see cref="JobOutcome.Preempted"/>, after which the lease runs out and the job is
    /// queued again without it (a grace period of one lease).
    /// </summary>
    public HeartbeatResult Heartbeat(string workerId, IEnumerable<JobId> jobIds, TimeSpan leaseTtl, DateTimeOffset now)
    {
        ValidateWorker(workerId, leaseTtl);
        ArgumentNullException.ThrowIfNull(jobIds);
        SettleReclaim(recheckQuotas: true);
        var renewed = new List<JobId>();
        var preempt = new List<JobId>();
        var lost = new List<JobId>();
        foreach (var id in jobIds)
        {
            if (_jobs.TryGetValue(id.Value, out var job) && IsLeasedTo(job, workerId))
            {
                if (job.PreemptionGraceGiven)
                {
                    // Told at an earlier heartbeat, with a lease to stop the job in: it is no longer extended, so a worker
                    // that does not stop the job loses it when that lease runs out, and the capacity comes back all the same.
                    preempt.Add(id);
                    continue;
                }

                job.LeaseExpiresAt = now + leaseTtl;
                job.LeaseRenewedAt = now;
                Changed(job);
                renewed.Add(id);
                if (job.PreemptionRequested)
                {
                    // Told now, with the lease extended once more to stop the job in: from here the worker may be stopping
                    // it, so reclaim no longer takes the mark back.
                    job.PreemptionDelivered = true;
                    job.PreemptionGraceGiven = true;
                    preempt.Add(id);
                }
            }
            else
            {
                lost.Add(id);
            }
        }

        return new HeartbeatResult(renewed, preempt, lost);
    }

    /// <summary>
    /// Gives every running job at least a whole lease from <paramref name="resumedAt"/>, a whole lease being what its
    /// last grant or heartbeat gave, as a renewal at that time would. For an owner that keeps the pool in memory and has
    /// just read it back (its process failed or stopped): while no one held the pool, its workers' heartbeats could not
    /// reach it, and taking back the leases that ran out meanwhile would queue again jobs that still run and charge the
    /// lapse to their attempts. A worker that is gone loses the job when this lease runs out. Left as they are: a lease
    /// stored without its renewal time (by a release that did not keep it), and one whose worker was told to stop the
    /// job (it had its lease to stop in). Returns how many leases were extended. In memory until the job is next
    /// stored; the owner keeps a pool with running jobs in memory, so that only a failure or a stop reads it back.
    /// </summary>
    public int ResumeLeases(DateTimeOffset resumedAt)
    {
        var resumed = 0;
        foreach (var job in _leased)
        {
            if (job.LeaseRenewedAt is { } renewed && job.LeaseExpiresAt is { } expires && !job.PreemptionDelivered
                && resumedAt + (expires - renewed) > expires)
            {
                job.LeaseExpiresAt = resumedAt + (expires - renewed);
                job.LeaseRenewedAt = resumedAt;
                resumed++;
            }
        }

        return resumed;
    }

    /// <summary>
    /// Takes back leases that expired by <paramref name="now"/>: the job is queued again (at-least-once), or ends
    /// <see cref="JobState.Expired"/> once it has lost <see cref="PoolConfig.MaxAttempts"/> leases this way. Leases
    /// that ended otherwise (preemption, a tenant's quota refusal) do not count: the job did not fail to report.
    /// Returns the leases taken back, in job id order: they name the tenant even when the job itself is forgotten at
    /// once (see <see cref="PoolConfig.MaxFinishedJobs"/>), so the owner can release what it holds for them.
    /// </summary>
    public IReadOnlyList<JobLease> ExpireLeases(DateTimeOffset now)
    {
        // The owner's sweep: finished jobs past their retention go too, also when no job has finished since.
        TrimFinished(now);
        var expired = new List<Job>();
        foreach (var job in _leased)
        {
            if (job.LeaseExpiresAt <= now)
            {
                expired.Add(job);
            }
        }

        expired.Sort((a, b) => a.Id.CompareTo(b.Id));
        var leases = new JobLease[expired.Count];
        for (var i = 0; i < expired.Count; i++)
        {
            var job = expired[i];
            leases[i] = new JobLease(new JobId(job.Id), job.Tenant.Id, job.Demand, job.Priority, job.LeaseExpiresAt!.Value, job.Attempts);

            // A lease that ran out after its worker was told to stop the job ended by preemption, not by a lost worker.
            var preempted = job.PreemptionDelivered;
            Release(job, now);
            job.Expiries += preempted ? 0 : 1;
            Changed(job);
            if (job.Expiries >= _config.MaxAttempts)
            {
                Finish(job, JobState.Expired, now);
            }
            else
            {
                Enqueue(job);
            }
        }

        return leases;
    }

    /// <summary>Reports how a job ended. Only the first report counts; later ones answer AlreadyCompleted.</summary>
    public CompleteResult Complete(JobId id, bool success, ResourceVector? actualUsage, DateTimeOffset now) =>
        Complete(id, success ? JobOutcome.Succeeded : JobOutcome.Failed, actualUsage, now);

    /// <summary>
    /// Reports how a job ended; <paramref name="actualUsage"/> (default: its demand) is what it held, in the pool's
    /// resources, and what it consumed, in units of any other name; counted once.
    /// A report for a job requeued after its lease expired still completes it: it may have run (at-least-once). So does
    /// one for such a job cancelled while queued again: its usage counts and it stays cancelled.
    /// <paramref name="workerId"/>, when given, names the worker that reports: a <see cref="JobOutcome.Preempted"/>
    /// report from a worker that no longer holds the job's lease changes nothing and answers
    /// <see cref="CompletionStatus.LeaseLost"/>, so a late report cannot take the job from the worker that holds it now.
    /// </summary>
    public CompleteResult Complete(JobId id, JobOutcome outcome, ResourceVector? actualUsage, DateTimeOffset now, string? workerId = null)
    {
        if (workerId is { Length: 0 })
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, "workerId is empty; give the id the worker leased the job with, or leave it out.");
        }

        // Entries naming the pool's resources are what the job held (they count in its tenant's usage and history here);
        // any other name is a unit of consumption (cpu_ms, memory_mb_seconds, gpu_hours, ...) that the pool keeps
        // with the job and charges to the tenant's budget of that name.
        long[]? usage = null;
        if (actualUsage is not null)
        {
            for (var i = 0; i < actualUsage.Count; i++)
            {
                if (actualUsage.AmountAt(i) < 0)
                {
                    throw new SchedulingException(
                        SchedulingErrorCodes.InvalidArgument,
                        $"Actual usage {actualUsage.NameAt(i)}={actualUsage.AmountAt(i)} is negative; report what the job held or consumed, 0 or more.");
                }
            }

            usage = _layout.PoolPart(actualUsage);
        }

        if (!_jobs.TryGetValue(id.Value, out var job))
        {
            return new CompleteResult(CompletionStatus.NotFound, null);
        }

        // No worker has run a job never leased: a report of its end is a mistake (a wrong job id, say), and counts nothing.
        // (A job whose lease its tenant refused was leased, though no worker got it: that is not told apart here.)
        if (job.Attempts == 0 && !job.IsTerminal)
        {
            return new CompleteResult(CompletionStatus.LeaseLost, job.ToInfo());
        }

        if (job.IsTerminal)
        {
            if (outcome == JobOutcome.Preempted || !(job.State == JobState.Expired || RanUncountedBeforeCancel(job)))
            {
                return new CompleteResult(CompletionStatus.AlreadyCompleted, job.ToInfo());
            }

            CheckCountable(actualUsage);
            return job.State == JobState.Expired ? CompleteExpired(job, outcome, actualUsage, usage) : CompleteCancelled(job, actualUsage, usage);
        }

        if (outcome == JobOutcome.Preempted)
        {
            // Requeuing on a stale report would run the job twice at once and silently end the new holder's lease.
            if (workerId is not null && !IsLeasedTo(job, workerId))
            {
                SettleReclaim(); // the job's current holder may have a mark to come
                return new CompleteResult(CompletionStatus.LeaseLost, job.ToInfo());
            }

            if (job.State == JobState.Leased)
            {
                // The run's usage is kept and charged with the run that ends the job, from a report that names the
                // worker holding the lease: one sent again finds the job queued, or leased anew (to another worker),
                // and counts nothing again. A report without a worker id cannot be told from a stale one.
                if (actualUsage is not null && usage is not null && workerId is not null)
                {
                    CheckCountable(actualUsage);
                    job.PreemptedUsage = RunUsage.Plus(actualUsage, job.PreemptedUsage);
                    UsageChanged(job.Tenant);
                    VectorMath.AddSaturating(job.Tenant.ReportedUsage, usage);
                }

                Release(job, now);
                Enqueue(job);
                Changed(job);
            }

            return new CompleteResult(CompletionStatus.Requeued, job.ToInfo());
        }

        CheckCountable(actualUsage);

        // A job queued again when its report arrives holds nothing now; the lease it lost was counted when it ended.
        var heldFor = TimeSpan.Zero;
        if (job.State == JobState.Queued)
        {
            LeaveQueue(job);
        }
        else
        {
            heldFor = now - (job.LeasedAt ?? now);
            Release(job, now, updateKey: false, recordHistory: false);
        }

        job.ActualUsage = RunUsage.Plus(actualUsage ?? job.Demand, job.PreemptedUsage);
        Finish(job, outcome == JobOutcome.Succeeded ? JobState.Succeeded : JobState.Failed, now);
        var tenant = job.Tenant;
        usage ??= job.Dense;
        tenant.CompletedCount++;
        UsageChanged(tenant);
        VectorMath.AddSaturating(tenant.ReportedUsage, usage);
        UsageHistory.Record(tenant, usage, heldFor, _config.UsageHalfLife, now);
        UpdateKey(tenant, now);
        return new CompleteResult(CompletionStatus.Completed, job.ToInfo());
    }

    /// <summary>
    /// A succeeded or failed report for a job that ran out of attempts: the worker of its last lease did run it, so the
    /// report completes it and its usage counts, once (the job leaves Expired). The time its lease held the demand
    /// already counted in the usage history when the lease ran out, and it keeps its place among the finished jobs.
    /// </summary>
    private CompleteResult CompleteExpired(Job job, JobOutcome outcome, ResourceVector? actualUsage, long[]? usage)
    {
        job.ActualUsage = RunUsage.Plus(actualUsage ?? job.Demand, job.PreemptedUsage);
        job.State = outcome == JobOutcome.Succeeded ? JobState.Succeeded : JobState.Failed;
        Changed(job);
        var tenant = job.Tenant;
        tenant.CompletedCount++;
        UsageChanged(tenant);
        VectorMath.AddSaturating(tenant.ReportedUsage, usage ?? job.Dense);
        return new CompleteResult(CompletionStatus.Completed, job.ToInfo());
    }

    /// <summary>
    /// A job cancelled, uncharged, after a lease of it expired: the worker of that lease may have run it, and its report
    /// is the only account of it. A job cancelled while it ran was charged its demand then (<see cref="Cancel"/> sets
    /// <see cref="Job.ActualUsage"/>), and one whose leases all ended otherwise ran nowhere.
    /// </summary>
    private static bool RanUncountedBeforeCancel(Job job) => job is { State: JobState.Cancelled, Expiries: > 0, ActualUsage: null };

    /// <summary>
    /// A succeeded or failed report for a job cancelled after a lease of it expired (<see cref="RanUncountedBeforeCancel"/>):
    /// its usage counts, once. The job stays cancelled, as its tenant asked; the time the lease held the demand counted
    /// in the usage history when the lease ran out.
    /// </summary>
    private CompleteResult CompleteCancelled(Job job, ResourceVector? actualUsage, long[]? usage)
    {
        job.ActualUsage = RunUsage.Plus(actualUsage ?? job.Demand, job.PreemptedUsage);
        Changed(job);
        UsageChanged(job.Tenant);
        VectorMath.AddSaturating(job.Tenant.ReportedUsage, usage ?? job.Dense);
        return new CompleteResult(CompletionStatus.Completed, job.ToInfo());
    }

    /// <summary>
    /// Refuses usage that is about to be recorded when an amount is more than a budget counts: refused here, where the
    /// worker can report again, rather than dropped later by the tenant's budget. Reports that record nothing (for an
    /// unknown or finished job, or a preemption) are not asked.
    /// </summary>
    private static void CheckCountable(ResourceVector? actualUsage)
    {
        if (actualUsage is null)
        {
            return;
        }

        for (var i = 0; i < actualUsage.Count; i++)
        {
            if (actualUsage.AmountAt(i) > QuotaLimit.MaxValue)
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.InvalidArgument,
                    $"Actual usage {actualUsage.NameAt(i)}={actualUsage.AmountAt(i)} is more than a budget can count ({QuotaLimit.MaxValue}); report it in a larger unit.");
            }
        }
    }

    private static bool IsLeasedTo(Job job, string workerId) => job.State == JobState.Leased && job.WorkerId == workerId;

    /// <summary>
    /// Frees a leased job's capacity; <paramref name="updateKey"/> false when the caller updates the key itself. The
    /// time the job held its demand counts in its tenant's usage history however the lease ended (preempted, expired,
    /// cancelled), so that work that did not complete weighs in the blended order too; <paramref name="recordHistory"/>
    /// false when the caller records what the job reported instead (a completion).
    /// </summary>
    private void Release(Job job, DateTimeOffset now, bool updateKey = true, bool recordHistory = true)
    {
        var tenant = job.Tenant;
        ReclaimLater();
        if (recordHistory && job.LeasedAt is { } since)
        {
            UsageHistory.Record(tenant, job.Dense, now - since, _config.UsageHalfLife, now);
            UsageChanged(tenant);
        }

        VectorMath.Subtract(tenant.Allocated, job.Dense);
        VectorMath.Subtract(_allocated, job.Dense);
        if (_config.HistoryBlend > 0 && job.LeasedAt is { } leasedAt)
        {
            RunningUsage.Ended(tenant, job.Dense, leasedAt, _config.UsageHalfLife);
        }

        Unmark(job);
        tenant.LeasedCount--;
        RemoveLeased(job);
        job.WorkerId = null;
        job.LeaseExpiresAt = null;
        job.LeaseRenewedAt = null;
        if (updateKey)
        {
            UpdateKey(tenant, now);
        }
    }
}
