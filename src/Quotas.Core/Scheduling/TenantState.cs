namespace Quotas.Core.Scheduling;

/// <summary>One tenant's queue, allocation and history in a pool.</summary>
internal sealed class TenantState
{
    public TenantState(TenantId id, int ordinal, int resources)
    {
        Id = id;
        Ordinal = ordinal;
        Allocated = new long[resources];
        Marked = new long[resources];
        QueuedDemand = new Int128[resources];
        Guaranteed = new long[resources];
        ReportedUsage = new long[resources];
        History = new double[resources];
    }

    public TenantId Id { get; }

    /// <summary>
    /// Unique among the pool's tenants: order of first appearance, except that a tenant the pool dropped leaves its
    /// ordinal to the next one it meets. The last tie-break of the fair order, and the tenant's slot in its heap.
    /// </summary>
    public int Ordinal { get; }

    public double Weight { get; set; } = 1;

    /// <summary>Weight per resource (weighted DRF); null when every resource weighs <see cref="Weight"/>.</summary>
    public double[]? ResourceWeights { get; set; }

    /// <summary>The tenant's tier as last reported (<see cref="FairShareScheduler.SetTenantTier"/>); null when none was.</summary>
    public string? Tier { get; set; }

    public long[] Guaranteed { get; set; }

    /// <summary>Guaranteed plus borrowing limit per resource; null when the tenant may borrow up to capacity.</summary>
    public long[]? Limit { get; set; }

    public bool HasGuarantee { get; set; }

    public long[] Allocated { get; }

    /// <summary>Part of <see cref="Allocated"/> held by jobs marked for preemption.</summary>
    public long[] Marked { get; }

    public Int128[] QueuedDemand { get; }

    /// <summary>The part of <see cref="QueuedDemand"/> held by jobs set aside (that the tenant could not hold); null when none.</summary>
    public Int128[]? SetAsideDemand { get; set; }

    /// <summary>What reclaim holds for this tenant: what its queued jobs that fit its guarantee in order need (see FairShareScheduler.UpdateWant); null when none.</summary>
    public long[]? Want { get; set; }

    public int QueuedCount { get; set; }

    public int LeasedCount { get; set; }

    public long CompletedCount { get; set; }

    /// <summary>True while counted usage has a change not yet taken by <see cref="FairShareScheduler.TakeChanges"/>.</summary>
    public bool UsageChanged { get; set; }

    public long[] ReportedUsage { get; }

    /// <summary>Decayed resource-seconds as of <see cref="HistoryAt"/>.</summary>
    public double[] History { get; }

    public DateTimeOffset HistoryAt { get; set; }

    /// <summary>The running jobs' demand weighted by when each was leased (see <see cref="RunningUsage"/>); null until a job runs under a blended order.</summary>
    public double[]? RunningWeighted { get; set; }

    /// <summary>The moment <see cref="RunningWeighted"/>'s weights are relative to.</summary>
    public DateTimeOffset RunningReference { get; set; }

    public PriorityQueue<Job, JobKey> Queue { get; } = new();

    /// <summary>Every job the pool still knows for the tenant (queued, leased, or finished and not yet forgotten).</summary>
    public Dictionary<StoredKey, Job> ByIdempotencyKey { get; } = new(StoredKeyComparer.Instance);

    /// <summary>Finds a job by the caller's key string without copying it.</summary>
    public bool TryGetByIdempotencyKey(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Job job) =>
        ByIdempotencyKey.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key.AsSpan(), out job);

    public double ShareKey { get; set; }

    /// <summary>
    /// The tenant's next job while it is passed over for lack of free capacity, and since when; null once it got a
    /// job, or when something else keeps it out. In memory only: a pool activated again starts counting afresh.
    /// </summary>
    public (long Job, DateTimeOffset Since)? Blocked { get; set; }

    /// <summary>
    /// The worker whose free capacity is held for the <see cref="Blocked"/> job when the pool has room for it but no one
    /// worker has (see FairShareScheduler.HoldFor), and when it last asked for jobs; null when none is.
    /// </summary>
    public (string Worker, DateTimeOffset SeenAt)? HeldOn { get; set; }

    /// <summary>When the tenant last got a job; among equal shares the one served longest ago goes first.</summary>
    public long ServedStamp { get; set; }


    /// <summary>The next queued job, dropping cancelled or completed entries left in the heap.</summary>
    public Job? PeekHead()
    {
        while (Queue.TryPeek(out var job, out _))
        {
            if (job.State == JobState.Queued)
            {
                return job;
            }

            Queue.Dequeue().InTenantQueue = false;
        }

        return null;
    }
}
