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
    /// Tells <paramref name="workerId"/> to stop the jobs among <paramref name="ids"/> it holds, because their tenant
    /// no longer holds the quota they run under (it refused to renew the job's lease: a soft quota past its grace).
    /// They are marked for preemption as told at once, so reclaim keeps the mark and counts their capacity as on its
    /// way back; the worker reports <see cref="JobOutcome.Preempted"/> and the job waits in the queue for its tenant
    /// to admit it again. Returns the jobs to stop, which the caller adds to the heartbeat's answer.
    /// </summary>
    public IReadOnlyList<JobId> PreemptForTenantQuota(string workerId, IEnumerable<JobId> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var stop = new List<JobId>();
        foreach (var id in ids)
        {
            if (!_jobs.TryGetValue(id.Value, out var job) || !IsLeasedTo(job, workerId))
            {
                continue;
            }

            if (!job.PreemptionRequested)
            {
                Mark(job);
            }

            if (!job.PreemptionDelivered)
            {
                job.PreemptionDelivered = true;
                Changed(job);
            }

            stop.Add(id);
        }

        return stop;
    }

    /// <summary>Clears a job's mark and the capacity it counted as on its way back; the caller reports the change.</summary>
    private void Unmark(Job job)
    {
        if (!job.PreemptionRequested)
        {
            return;
        }

        VectorMath.Subtract(job.Tenant.Marked, job.Dense);
        VectorMath.Subtract(_marked, job.Dense);
        job.PreemptionRequested = false;
        job.PreemptionDelivered = false;
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
