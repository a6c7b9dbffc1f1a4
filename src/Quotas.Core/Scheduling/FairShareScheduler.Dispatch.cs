namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// Leases jobs that fit in <paramref name="freeCapacity"/> (a resource it omits does not limit the worker), in
    /// fair order: each time the tenant with the lowest weighted dominant share whose next job is admitted.
    /// </summary>
    public IReadOnlyList<JobLease> LeaseJobs(string workerId, ResourceVector freeCapacity, TimeSpan leaseTtl, DateTimeOffset now, int maxJobs = int.MaxValue)
    {
        ValidateWorker(workerId, leaseTtl);
        if (!IsValidWorkerId(workerId))
        {
            // New ids only: a worker that leased under an id of an earlier release's looser rule still heartbeats
            // and completes its jobs under it (ValidateWorker asks only for one).
            throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, InvalidWorkerId);
        }

        ArgumentNullException.ThrowIfNull(freeCapacity);
        if (maxJobs < 1)
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, "maxJobs must be at least 1.");
        }

        var worker = _layout.ToDense(freeCapacity, "the worker's free capacity", long.MaxValue);
        var free = new long[_layout.Count];
        for (var i = 0; i < free.Length; i++)
        {
            if (worker[i] < 0)
            {
                throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, $"Free capacity {_layout.NameAt(i)}={worker[i]} is negative; report 0 or more.");
            }

            free[i] = Math.Min(worker[i], Math.Max(0, _capacity[i] - _allocated[i]));
        }

        RefreshKeysIfStale(now);
        SettleReclaim(recheckQuotas: true);

        var leases = new List<JobLease>();

        // A tenant passed over stays out until the call ends: within one call free capacity only shrinks and only
        // the leasing tenant's allocation grows, so it could not be admitted later in the same call.
        List<TenantState>? passedOver = null;

        // Capacity held for a job passed over for too long (see PoolConfig.HoldCapacityAfter); no other job borrows it:
        // of the pool's free capacity, or of this worker's, when only the worker lacks room (see HoldFor).
        Hold? held = null;
        var learnedWorker = false;
        while (leases.Count < maxJobs && _ready.Count > 0 && !NothingCanFit(free))
        {
            var tenant = _ready[0];
            if (tenant.PeekHead() is not { } job)
            {
                // Only jobs set aside are left: the tenant is out of the order until one is queued or the pool changes.
                _ready.Pop();
                continue;
            }

            if (!CouldEverHold(tenant, job.Dense))
            {
                SetAside(job);
                continue;
            }

            if (Admits(tenant, job, free, held))
            {
                leases.Add(Lease(job, workerId, leaseTtl, now, free));
                continue;
            }

            if (held is null)
            {
                // The walk over the running jobs is needed only when no worker seen so far is large enough for the job.
                if (!learnedWorker && LargerThanAnyWorkerSeen(job.Dense))
                {
                    LearnWorkerSize(workerId, worker);
                    learnedWorker = true;
                }

                held = HoldFor(tenant, job, now, workerId, worker, free);
            }

            _ready.Pop();
            (passedOver ??= []).Add(tenant);
        }

        if (passedOver is not null)
        {
            foreach (var tenant in passedOver)
            {
                if (tenant.QueuedCount > 0 && !_ready.Contains(tenant))
                {
                    _ready.Add(tenant);
                }
            }
        }

        return leases;
    }

    /// <summary>
    /// The longest worker lease: the pool holds the job's tenant quota leases for twice as long (so that a heartbeat
    /// renews both before either runs out), and a quota lease lasts at most <see cref="Tenants.LeaseBook.MaxTtl"/>.
    /// </summary>
    public static readonly TimeSpan MaxLeaseTtl = Tenants.LeaseBook.MaxTtl / 2;

    private static void ValidateWorker(string workerId, TimeSpan leaseTtl)
    {
        if (string.IsNullOrEmpty(workerId))
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, "workerId is empty; give the worker's stable id.");
        }

        if (leaseTtl <= TimeSpan.Zero || leaseTtl > MaxLeaseTtl)
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidArgument,
                $"leaseTtl {leaseTtl} is out of range: use more than zero and at most {MaxLeaseTtl.TotalSeconds:0} seconds (3.5 days), e.g. 30 seconds, and renew with heartbeats; a job's quota leases are held for twice as long, and a quota lease lasts at most 7 days.");
        }
    }

    /// <summary>
    /// A worker id: 1 to 253 characters of ASCII letters, digits and <c>-._:</c>, enough for a host or pod name. It is
    /// kept on every job the worker leases, shown to tenants and logged, so it carries no control characters or markup.
    /// </summary>
    internal static bool IsValidWorkerId(string? workerId) =>
        workerId is { Length: > 0 and <= 253 } && workerId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or ':');

    private const string InvalidWorkerId =
        "workerId is invalid: give the worker's stable id, 1 to 253 characters of ASCII letters, digits and '-', '.', '_' or ':' (a host or pod name fits).";

    /// <summary>True when some resource is exhausted and every queued job needs some of it.</summary>
    private bool NothingCanFit(long[] free)
    {
        for (var i = 0; i < free.Length; i++)
        {
            if (free[i] == 0 && _queuedZero[i] == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What is held for a job passed over for too long: <see cref="PoolWide"/> of the pool's free capacity, or
    /// <see cref="OnWorker"/> of the calling worker's (the pool has room for the job, spread over workers none of which
    /// has it: this worker, large enough for the job, keeps what frees on it until the job fits).
    /// </summary>
    private readonly record struct Hold(long[]? PoolWide, long[]? OnWorker);

    private bool Admits(TenantState tenant, Job job, long[] free, Hold? held)
    {
        var demand = job.Dense;
        for (var i = 0; i < demand.Length; i++)
        {
            var d = demand[i];
            if (d == 0)
            {
                continue;
            }

            var after = tenant.Allocated[i] + d;

            // What is held for a starved job is kept from borrowing; a tenant within its guarantee takes its own.
            if (d > free[i] || (held is { } hold && after > tenant.Guaranteed[i] &&
                ((hold.PoolWide is { } pool && _capacity[i] - _allocated[i] - d < pool[i]) || (hold.OnWorker is { } here && free[i] - d < here[i]))))
            {
                return false;
            }

            if (tenant.Limit is { } limit && after > limit[i])
            {
                return false;
            }

            // Borrowed capacity may not eat the reserve nor what reclaim holds for tenants below their guarantee.
            if (after > tenant.Guaranteed[i] && _capacity[i] - _allocated[i] - d < _reserve[i] + _protected[i])
            {
                return false;
            }
        }

        return _quotaCheck is null || _quotaCheck(tenant.Id, job.Demand);
    }

    private bool LargerThanAnyWorkerSeen(long[] demand)
    {
        for (var i = 0; i < demand.Length; i++)
        {
            if (demand[i] > _largestWorker[i])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Learns the calling worker's size: what it offers free plus what it runs. Worked out only when a passed-over job
    /// is larger than every worker seen (O(leased jobs)), and kept in memory as the largest seen.
    /// </summary>
    private void LearnWorkerSize(string workerId, long[] offered)
    {
        var size = WorkerSize(workerId, offered);
        for (var i = 0; i < size.Length; i++)
        {
            _largestWorker[i] = Math.Max(_largestWorker[i], size[i]);
        }
    }

    /// <summary>The calling worker's size: what it offers free plus what it runs (O(leased jobs)).</summary>
    private long[] WorkerSize(string workerId, long[] offered)
    {
        var size = (long[])offered.Clone();
        foreach (var job in _leased)
        {
            if (job.WorkerId == workerId)
            {
                for (var i = 0; i < size.Length; i++)
                {
                    size[i] = size[i] > long.MaxValue - job.Dense[i] ? long.MaxValue : size[i] + job.Dense[i];
                }
            }
        }

        return size;
    }

    /// <summary>
    /// What to hold free for <paramref name="job"/>, its tenant's next, passed over now: per resource, its demand plus,
    /// where it borrows, the reserve and what reclaim protects, which it needs free to be admitted. Held once the job has
    /// been kept out by free capacity for <see cref="PoolConfig.HoldCapacityAfter"/>; null before, and null (the wait
    /// starting afresh) when what keeps it out is not free capacity: its tenant's limit or quotas, a demand larger than
    /// any worker seen is (free plus running), or more than the capacity itself.
    /// <para>
    /// When the pool has room for it but the calling worker has not (what is free is spread over workers, none with
    /// enough), the calling worker's free capacity is held instead, when the worker is large enough to run the job once
    /// its own jobs end: a hold of the pool's free capacity would hold nothing, and a stream of small jobs would take
    /// each worker's room as it frees, for ever.
    /// </para>
    /// </summary>
    private Hold? HoldFor(TenantState tenant, Job job, DateTimeOffset now, string workerId, long[] offered, long[] free)
    {
        var hold = new long[job.Dense.Length];
        var blockedPoolWide = false;
        var blockedHere = false;
        for (var i = 0; i < hold.Length && hold is not null; i++)
        {
            var d = job.Dense[i];
            if (d == 0)
            {
                continue;
            }

            var after = tenant.Allocated[i] + d;
            hold[i] = d + (after > tenant.Guaranteed[i] ? _reserve[i] + _protected[i] : 0);
            if ((tenant.Limit is { } limit && after > limit[i]) || d > _largestWorker[i] || hold[i] > _capacity[i])
            {
                hold = null;
                break;
            }

            blockedPoolWide |= _capacity[i] - _allocated[i] < hold[i];
            blockedHere |= free[i] < d;
        }

        if (hold is null || !(blockedPoolWide || blockedHere) || (_quotaCheck is not null && !_quotaCheck(tenant.Id, job.Demand)))
        {
            (tenant.Blocked, tenant.HeldOn) = (null, null);
            return null;
        }

        if (tenant.Blocked?.Job != job.Id)
        {
            tenant.Blocked = (job.Id, now);
            tenant.HeldOn = null;
        }

        if (now - tenant.Blocked.Value.Since < _config.HoldCapacityAfter)
        {
            return null;
        }

        if (blockedPoolWide)
        {
            return new Hold(hold, null);
        }

        // One worker holds its room, as the pool-wide hold holds the job's demand once: the first large enough to call,
        // until it stops calling for a minute (gone, or stopped asking for work); the others go on as before.
        if (tenant.HeldOn is { } holder && holder.Worker != workerId && now - holder.SeenAt < s_holderTimeout)
        {
            return null;
        }

        if (tenant.HeldOn?.Worker != workerId)
        {
            var size = WorkerSize(workerId, offered);
            for (var i = 0; i < size.Length; i++)
            {
                if (size[i] < job.Dense[i])
                {
                    return null; // this worker could never run it; a larger one will hold its room when it calls
                }
            }
        }

        tenant.HeldOn = (workerId, now);
        return new Hold(null, job.Dense);
    }

    /// <summary>How long a worker that holds its room for a job may go without asking for jobs before another takes the hold over.</summary>
    private static readonly TimeSpan s_holderTimeout = TimeSpan.FromMinutes(1);

    private JobLease Lease(Job job, string workerId, TimeSpan leaseTtl, DateTimeOffset now, long[] free)
    {
        var tenant = job.Tenant;
        ReclaimLater();
        tenant.Blocked = null;
        tenant.HeldOn = null;
        tenant.Queue.Dequeue().InTenantQueue = false;
        LeaveQueue(job);
        job.State = JobState.Leased;
        job.WorkerId = workerId;
        job.LeasedAt = now;
        job.LeaseExpiresAt = now + leaseTtl;
        job.LeaseRenewedAt = now;
        job.PreemptionRequested = false;
        job.Attempts++;
        Changed(job);
        VectorMath.Add(tenant.Allocated, job.Dense);
        VectorMath.Add(_allocated, job.Dense);
        VectorMath.Subtract(free, job.Dense);
        if (_config.HistoryBlend > 0)
        {
            RunningUsage.Started(tenant, job.Dense, now, _config.UsageHalfLife);
        }

        tenant.LeasedCount++;
        AddLeased(job);
        tenant.ServedStamp = ++_servedClock;
        UpdateKey(tenant, now);
        if (tenant.Want is not null)
        {
            UpdateWant(tenant);
            SumProtected();
        }

        return new JobLease(new JobId(job.Id), tenant.Id, job.Demand, job.Priority, job.LeaseExpiresAt.Value, job.Attempts);
    }

    /// <summary>Weighted dominant share, optionally blended with decayed history, and the tenant's place in the order.</summary>
    private void UpdateKey(TenantState tenant, DateTimeOffset now)
    {
        tenant.ShareKey = ComputeShareKey(tenant, now);
        _ready.Update(tenant);
    }

    /// <summary>
    /// The tenant's dominant share divided by its weight: with one weight, the largest of its shares of each resource
    /// over that weight; with a weight per resource (weighted DRF), the largest of each share over its own weight.
    /// </summary>
    private double ComputeShareKey(TenantState tenant, DateTimeOffset now)
    {
        var weights = tenant.ResourceWeights;
        var current = 0.0;
        for (var i = 0; i < _capacity.Length; i++)
        {
            var share = tenant.Allocated[i] / (double)_capacity[i];
            current = Math.Max(current, weights is null ? share : share / weights[i]);
        }

        var scalar = weights is null ? tenant.Weight : 1;
        var blend = _config.HistoryBlend;
        if (blend == 0)
        {
            return current / scalar;
        }

        var history = UsageHistory.Share(tenant, _capacity, _config.UsageHalfLife, now);
        return (((1 - blend) * current) + (blend * history)) / scalar;
    }

    private void RefreshKeysIfStale(DateTimeOffset now)
    {
        // History decays for every tenant at once; refreshing all keys a few times per half-life bounds the drift.
        if (_config.HistoryBlend > 0 && now - _keysRefreshedAt >= _config.UsageHalfLife / 16)
        {
            RefreshAllKeys(now);
        }
    }

    private void RefreshAllKeys(DateTimeOffset now)
    {
        foreach (var tenant in _tenants.Values)
        {
            tenant.ShareKey = ComputeShareKey(tenant, now);
        }

        _ready.Rebuild();
        _keysRefreshedAt = now;
    }
}
