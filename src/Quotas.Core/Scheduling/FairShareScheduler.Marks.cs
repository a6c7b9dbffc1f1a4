namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    // Marks made by the last reclaim evaluation. An entry whose job was since told, released or reused is skipped:
    // every evaluation empties the list before it marks again, so it never outgrows one evaluation's marks.
    private readonly List<Job> _undeliveredMarks = [];

    // Jobs whose undelivered mark the running evaluation took back; empty between evaluations.
    private readonly List<Job> _takenBackMarks = [];

    /// <summary>Marks a leased job for preemption; its worker learns it at its next heartbeat.</summary>
    private void Mark(Job job)
    {
        ReclaimLater();
        job.PreemptionRequested = true;
        job.PreemptionDelivered = false;
        VectorMath.Add(job.Tenant.Marked, job.Dense);
        VectorMath.Add(_marked, job.Dense);
        _undeliveredMarks.Add(job);

        // Marked again after its mark was taken back, the job is as it was before the evaluation.
        if (!job.MarkTakenBack)
        {
            Changed(job);
        }
    }

    /// <summary>
    /// Tells <paramref name="workerId"/> to stop job <paramref name="id"/>, in its lease <paramref name="attempt"/>,
    /// because its tenant no longer holds the quota it runs under (it refused to renew the job's lease: a soft quota
    /// past its grace). It is marked for preemption as told, with the lease the heartbeat just extended as its grace, so
    /// reclaim keeps the mark and counts its capacity as on its way back; the worker reports
    /// <see cref="JobOutcome.Preempted"/> and the job waits in the queue for its tenant to admit it again. False when the
    /// worker no longer holds that lease (reported meanwhile, or leased again), which is then left alone.
    /// </summary>
    public bool PreemptForTenantQuota(string workerId, JobId id, int attempt)
    {
        if (!_jobs.TryGetValue(id.Value, out var job) || !IsLeasedTo(job, workerId) || job.Attempts != attempt)
        {
            return false;
        }

        if (!job.PreemptionRequested)
        {
            Mark(job);
        }

        if (!job.PreemptionDelivered || !job.PreemptionGraceGiven)
        {
            job.PreemptionDelivered = true;
            job.PreemptionGraceGiven = true;
            Changed(job);
        }

        return true;
    }

    /// <summary>Clears a job's mark and the capacity it counted as on its way back; the caller reports the change.</summary>
    private void Unmark(Job job)
    {
        if (!job.PreemptionRequested)
        {
            return;
        }

        ReclaimLater();
        VectorMath.Subtract(job.Tenant.Marked, job.Dense);
        VectorMath.Subtract(_marked, job.Dense);
        job.PreemptionRequested = false;
        job.PreemptionDelivered = false;
        job.PreemptionGraceGiven = false;
    }

    /// <summary>
    /// Takes back the marks no worker has been told of, so that the evaluation recomputes them from the current state:
    /// a reason gone before the worker heard of it (capacity back, a guarantee lowered) then preempts nothing, and a
    /// raised guarantee is respected. O(marks made by the last evaluation); nothing when there are none.
    /// </summary>
    private void TakeBackUndeliveredMarks()
    {
        foreach (var job in _undeliveredMarks)
        {
            if (job.PreemptionRequested && !job.PreemptionDelivered)
            {
                Unmark(job);
                job.MarkTakenBack = true;
                _takenBackMarks.Add(job);
            }
        }

        _undeliveredMarks.Clear();
    }

    /// <summary>Reports as changed the jobs whose mark was taken back and not made again, so that their owner stores it.</summary>
    private void SettleTakenBackMarks()
    {
        foreach (var job in _takenBackMarks)
        {
            job.MarkTakenBack = false;
            if (!job.PreemptionRequested)
            {
                Changed(job);
            }
        }

        _takenBackMarks.Clear();
    }

    /// <summary>Restores a stored mark; <paramref name="delivered"/> false only when the snapshot says the worker was not told.</summary>
    private void RestoreMark(Job job, bool delivered)
    {
        job.PreemptionRequested = true;
        job.PreemptionDelivered = delivered;
        VectorMath.Add(job.Tenant.Marked, job.Dense);
        VectorMath.Add(_marked, job.Dense);
        if (!delivered)
        {
            _undeliveredMarks.Add(job);
        }
    }
}
