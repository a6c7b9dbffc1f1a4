namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>Queued jobs of one tenant looked at to size what reclaim holds for it (see <see cref="DemandThatFitsInOrder"/>).</summary>
    private const int MaxJobsReclaimedFor = 256;

    // The jobs MarkVictims walks, in the order reclaim marks them, with their sort keys (see VictimOrder). When
    // _victimOrderOf = _leasedChanges they are every leased job, kept from an earlier evaluation: a job's key does not
    // change while it runs. Under a pending reclaim every change re-evaluates it, and sorting thousands of running jobs
    // each time was most of the evaluation.
    private Job[] _victims = [];
    private VictimKey[] _victimKeys = [];
    private int _victimCount;
    private long _leasedChanges;
    private long _victimOrderOf = -1;
    private long _leasedChangesAtLastEvaluation = -1;

    /// <summary>True when something reclaim weighs changed since it was last evaluated (see <see cref="SettleReclaim"/>).</summary>
    private bool _reclaimStale;

    /// <summary>The answers of the tenants' quota checks the last evaluation went by, with the demand each was asked for.</summary>
    private readonly List<(TenantState Tenant, ResourceVector Demand, bool Allowed)> _quotaAnswers = [];

    /// <summary>
    /// Notes a change to what reclaim weighs (allocations, queues, marks, capacity, guarantees); the next call that acts
    /// on reclaim (a lease, a heartbeat), shows a running job's mark, or takes what is to be stored evaluates it
    /// (<see cref="SettleReclaim"/>). Changes between two such calls cost one evaluation, not one each: under a large
    /// pending reclaim an evaluation walks thousands of running jobs, and heartbeats, the most frequent call, mostly
    /// change nothing it weighs.
    /// </summary>
    private void ReclaimLater() => _reclaimStale = true;

    /// <summary>
    /// Evaluates reclaim when a change since the last evaluation may have changed its outcome. With
    /// <paramref name="recheckQuotas"/> (leases and heartbeats, the calls that act on it), also when a tenant's quota
    /// check, which the pool's state does not show, now answers otherwise than the evaluation went by: a tenant refused
    /// then may try again, or one admitted then no longer.
    /// </summary>
    private void SettleReclaim(bool recheckQuotas = false)
    {
        if (_reclaimStale || (recheckQuotas && QuotaAnswersChanged()))
        {
            EvaluateReclaim();
        }
    }

    private bool QuotaAnswersChanged()
    {
        foreach (var (tenant, demand, allowed) in _quotaAnswers)
        {
            if (_quotaCheck!(tenant.Id, demand) != allowed)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Re-balances: marks no worker has been told of are taken back and made afresh from the current state, so a reason
    /// gone before a worker heard of it preempts nothing; a delivered mark stays, as its worker may already be stopping
    /// the job. Then what reclaim holds for tenants below their guarantee is summed again.
    /// </summary>
    private void EvaluateReclaim()
    {
        _quotaAnswers.Clear();
        TakeBackUndeliveredMarks();
        MarkForReclaim();
        SettleTakenBackMarks();
        SumProtected();
        _leasedChangesAtLastEvaluation = _leasedChanges;
        _reclaimStale = false; // last: the marks made and taken back on the way are this evaluation's own
    }

    /// <summary>
    /// Takes back borrowed capacity: first what exceeds a shrunken capacity, then what tenants below their guarantee
    /// need for their waiting jobs. Marks jobs running on borrowed capacity, lowest priority then youngest first,
    /// only as many as needed; capacity already marked counts as on its way back.
    /// </summary>
    private void MarkForReclaim()
    {
        var count = _layout.Count;
        Span<long> need = stackalloc long[count];
        for (var i = 0; i < count; i++)
        {
            need[i] = Math.Max(0, _allocated[i] - _marked[i] - _capacity[i]);
        }

        if (VectorMath.AnyPositive(need))
        {
            MarkVictims(need, exclude: null);
        }

        if (_guaranteed.Count == 0)
        {
            return;
        }

        // What remains once marked jobs stop, less what the tenants before this one claimed of it, shared out among
        // the tenants below their guarantee in turn. Worked out again for each tenant: a job marked for one tenant may
        // free more than that tenant wants, and the rest goes to the next, rather than have another job marked for it.
        Span<long> claimed = stackalloc long[count];
        foreach (var tenant in _guaranteed)
        {
            if (!UpdateWant(tenant))
            {
                continue;
            }

            var want = tenant.Want!;
            for (var i = 0; i < count; i++)
            {
                var available = Math.Max(0, _capacity[i] - _allocated[i] + _marked[i] - claimed[i]);
                need[i] = Math.Max(0, want[i] - available);
                claimed[i] += want[i];
            }

            if (VectorMath.AnyPositive(need))
            {
                MarkVictims(need, tenant);
            }
        }
    }

    /// <summary>
    /// Sets <see cref="_protected"/> to the sum of the guaranteed tenants' current wants. Summed afresh rather than
    /// adjusted by differences, so that it cannot drift from the wants it stands for.
    /// </summary>
    private void SumProtected()
    {
        Array.Clear(_protected);
        foreach (var tenant in _guaranteed)
        {
            if (tenant.Want is { } want)
            {
                VectorMath.Add(_protected, want);
            }
        }
    }

    /// <summary>
    /// Recomputes what reclaim holds for <paramref name="tenant"/>, when its next job fits within its guarantee: what
    /// its queued jobs need, in the order it would run them, up to the first that would not fit within the guarantee
    /// (that one would borrow, and reclaim frees nothing for borrowing). A resource the guarantee leaves out guarantees
    /// nothing and is not reclaimed, but does not keep the job from fitting either: a tenant guaranteed CPU alone still
    /// gets its CPU back for jobs that also ask for memory, which they then take from what is free. The caller sums
    /// <see cref="_protected"/> afterwards.
    /// </summary>
    private bool UpdateWant(TenantState tenant)
    {
        tenant.Want = null;
        var head = tenant.QueuedCount > 0 ? tenant.PeekHead() : null;
        if (head is null)
        {
            return false;
        }

        // A tenant whose own quotas refuse it now would not take what reclaim freed: borrowers' jobs would be stopped
        // and the capacity held idle for it. Asked again at each lease and heartbeat (SettleReclaim), so reclaim resumes once it may.
        if (_quotaCheck is not null)
        {
            var allowed = _quotaCheck(tenant.Id, head.Demand);
            _quotaAnswers.Add((tenant, head.Demand, allowed));
            if (!allowed)
            {
                return false;
            }
        }

        // A head its tenant could never hold is passed, as dispatch sets it aside (it may not have had the chance yet,
        // as when borrowers fill the pool or a change has just put it back): the walk then starts after it.
        var headHoldable = CouldEverHold(tenant, head.Dense);
        if (headHoldable && !FitsWithinGuarantee(tenant, head.Dense, before: []))
        {
            return false;
        }

        var want = new long[_layout.Count];
        for (var i = 0; i < want.Length; i++)
        {
            // Jobs set aside are queued but cannot run: nothing is reclaimed for them.
            var runnable = (long)Int128.Min(tenant.QueuedDemand[i] - (tenant.SetAsideDemand?[i] ?? 0), long.MaxValue);
            var missing = tenant.Guaranteed[i] - tenant.Allocated[i];
            want[i] = Math.Max(0, Math.Min(missing, runnable));
        }

        // Only the jobs that fit, in order, and that the tenant could ever hold: whole jobs rarely fill what the guarantee
        // misses exactly, and a queued job may need more of a resource the guarantee does not name than the pool has
        // (after a capacity change, before dispatch sets it aside), which the queued totals alone do not show.
        DemandThatFitsInOrder(tenant, want);

        if (!VectorMath.AnyPositive(want))
        {
            return false;
        }

        tenant.Want = want;
        return true;
    }

    /// <summary>
    /// Lowers <paramref name="want"/> to what the tenant's queued jobs need, taken in its queue's order while each still
    /// fits within its guarantee, on the resources the guarantee names; a job its tenant could never hold is passed, as
    /// dispatch sets it aside. The jobs are taken out of the queue's heap and put back, O(k log n) for the k jobs looked
    /// at. When <see cref="MaxJobsReclaimedFor"/> jobs all fit, the look stops and <paramref name="want"/> stays what is
    /// missing of the guarantee (capped by the queued demand), which may be more than the jobs past them can use: the
    /// price of a bounded look while a deep queue waits for reclaim at every evaluation.
    /// </summary>
    private void DemandThatFitsInOrder(TenantState tenant, long[] want)
    {
        var fit = new long[want.Length];
        var looked = new List<(Job Job, JobKey Key)>();
        var stopped = false;
        while (looked.Count < MaxJobsReclaimedFor && tenant.Queue.TryDequeue(out var job, out var key))
        {
            if (job.State != JobState.Queued)
            {
                // A stale entry, dropped as PeekHead drops it.
                job.InTenantQueue = false;
                continue;
            }

            looked.Add((job, key));
            if (!CouldEverHold(tenant, job.Dense))
            {
                continue;
            }

            if (!FitsWithinGuarantee(tenant, job.Dense, fit))
            {
                stopped = true;
                break;
            }

            for (var i = 0; i < fit.Length; i++)
            {
                fit[i] += tenant.Guaranteed[i] > 0 ? job.Dense[i] : 0;
            }
        }

        foreach (var (job, key) in looked)
        {
            tenant.Queue.Enqueue(job, key);
        }

        if (stopped || looked.Count < MaxJobsReclaimedFor)
        {
            fit.CopyTo(want, 0);
        }
    }

    /// <summary>Whether <paramref name="demand"/> fits within the guarantee on top of what the tenant holds and <paramref name="before"/> (none when empty).</summary>
    private static bool FitsWithinGuarantee(TenantState tenant, long[] demand, ReadOnlySpan<long> before)
    {
        for (var i = 0; i < demand.Length; i++)
        {
            if (tenant.Guaranteed[i] > 0 && tenant.Allocated[i] + (before.IsEmpty ? 0 : before[i]) + demand[i] > tenant.Guaranteed[i])
            {
                return false;
            }
        }

        return true;
    }

    private void MarkVictims(Span<long> need, TenantState? exclude)
    {
        // In order, each job checked as it comes: marking one only makes the next less likely to run on borrowed
        // capacity, and a need only shrinks, so this marks what filtering first and sorting the rest would.
        PutVictimsInOrder(need, exclude);
        for (var v = 0; v < _victimCount; v++)
        {
            var job = _victims[v];
            if (job.PreemptionRequested || job.Tenant == exclude || !Helps(job, need) || !RunsOnBorrowedCapacity(job))
            {
                continue;
            }

            Mark(job);
            for (var i = 0; i < need.Length; i++)
            {
                need[i] = Math.Max(0, need[i] - job.Dense[i]);
            }

            if (!VectorMath.AnyPositive(need))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Puts the jobs MarkVictims walks in the order reclaim marks them. While no job is leased or released between
    /// evaluations, that is every leased job, sorted once and kept. While jobs are, a kept order would be sorted again
    /// at each evaluation: then it is only the jobs that could be marked now (on borrowed capacity, helping the need),
    /// sorted afresh, usually far fewer.
    /// </summary>
    private void PutVictimsInOrder(ReadOnlySpan<long> need, TenantState? exclude)
    {
        if (_victimOrderOf == _leasedChanges)
        {
            return;
        }

        var every = _leasedChangesAtLastEvaluation == _leasedChanges;

        // Sorted by keys copied out of the jobs: a comparison reads no job record. A kept order is used only while no
        // job was leased or released since, so every job in it still runs (a finished job's record is reused).
        Array.Clear(_victims, 0, _victimCount);
        _victimCount = 0;
        foreach (var job in _leased)
        {
            if (every || (!job.PreemptionRequested && job.Tenant != exclude && Helps(job, need) && RunsOnBorrowedCapacity(job)))
            {
                if (_victimCount == _victims.Length)
                {
                    Array.Resize(ref _victims, Math.Max(16, _victimCount * 2));
                    Array.Resize(ref _victimKeys, _victims.Length);
                }

                // A leased job always has its lease time; a stored one without is taken as the oldest lease.
                _victimKeys[_victimCount] = new VictimKey(job.Priority, job.LeasedAt?.UtcTicks ?? 0, job.Id);
                _victims[_victimCount++] = job;
            }
        }

        Array.Sort(_victimKeys, _victims, 0, _victimCount);
        _victimOrderOf = every ? _leasedChanges : -1;
    }

    private static bool Helps(Job job, ReadOnlySpan<long> need)
    {
        for (var i = 0; i < need.Length; i++)
        {
            if (need[i] > 0 && job.Dense[i] > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when stopping the job leaves its tenant at or above its guarantee: never preempt into the guarantee.</summary>
    private static bool RunsOnBorrowedCapacity(Job job)
    {
        var tenant = job.Tenant;
        for (var i = 0; i < job.Dense.Length; i++)
        {
            if (job.Dense[i] > 0 && tenant.Allocated[i] - tenant.Marked[i] - job.Dense[i] < tenant.Guaranteed[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The order in which reclaim marks: lowest priority first, then the youngest lease, then the newest job.</summary>
    private readonly record struct VictimKey(int Priority, long LeasedAtTicks, long JobId) : IComparable<VictimKey>
    {
        public int CompareTo(VictimKey other)
        {
            var c = Priority.CompareTo(other.Priority);
            if (c == 0)
            {
                c = other.LeasedAtTicks.CompareTo(LeasedAtTicks);
            }

            return c != 0 ? c : other.JobId.CompareTo(JobId);
        }
    }
}
