using System.Diagnostics.CodeAnalysis;

namespace Quotas.Core.Scheduling;

/// <summary>The scheduler's mutable record of one job.</summary>
internal sealed class Job
{
    private char[] _keyBuffer;
    private int _keyLength;

    public Job(long id, TenantState tenant, ResourceVector demand, long[] dense, int priority, string idempotencyKey, TimeSpan? estimatedDuration, DateTimeOffset submittedAt) =>
        Reset(id, tenant, demand, dense, priority, idempotencyKey, estimatedDuration, submittedAt);

    /// <summary>
    /// Makes a forgotten job record a new job. Records are reused because with a deep queue every new job would
    /// otherwise survive into the old generation, and promoting them dominated the garbage collector's pauses.
    /// </summary>
    [MemberNotNull(nameof(Tenant), nameof(Demand), nameof(Dense), nameof(_keyBuffer))]
    public void Reset(long id, TenantState tenant, ResourceVector demand, long[] dense, int priority, string idempotencyKey, TimeSpan? estimatedDuration, DateTimeOffset submittedAt)
    {
        Id = id;
        Tenant = tenant;
        Demand = demand;
        Dense = dense;
        Priority = priority;
        if (_keyBuffer is null || _keyBuffer.Length < idempotencyKey.Length)
        {
            _keyBuffer = new char[Math.Max(idempotencyKey.Length, 32)];
        }

        idempotencyKey.CopyTo(_keyBuffer);
        _keyLength = idempotencyKey.Length;
        EstimatedDuration = estimatedDuration;
        SubmittedAt = submittedAt;
        EnqueuedAt = submittedAt;
        Key = default;
        State = JobState.Queued;
        Attempts = 0;
        Expiries = 0;
        WorkerId = null;
        LeasedAt = null;
        LeaseExpiresAt = null;
        LeaseRenewedAt = null;
        PreemptionRequested = false;
        PreemptionDelivered = false;
        PreemptionGraceGiven = false;
        MarkTakenBack = false;
        CompletedAt = null;
        ActualUsage = null;
        PreemptedUsage = null;
        LeasedIndex = -1;
        InTenantQueue = false;
        SetAside = false;
        Changed = false;
    }

    public long Id { get; private set; }

    public TenantState Tenant { get; private set; }

    public ResourceVector Demand { get; private set; }

    /// <summary>Demand in the pool's layout; shared between jobs, never mutated.</summary>
    public long[] Dense { get; private set; }

    public int Priority { get; private set; }

    /// <summary>The key in the record's own buffer (see <see cref="StoredKey"/>); valid until the record is reused.</summary>
    public StoredKey StoredIdempotencyKey => new(_keyBuffer, _keyLength);

    /// <summary>The key as a new string, for results and messages.</summary>
    public string IdempotencyKey => new(_keyBuffer, 0, _keyLength);

    public TimeSpan? EstimatedDuration { get; private set; }

    public DateTimeOffset SubmittedAt { get; private set; }

    public DateTimeOffset EnqueuedAt { get; set; }

    public JobKey Key { get; set; }

    public JobState State { get; set; }

    /// <summary>Leases the job was given, however each ended.</summary>
    public int Attempts { get; set; }

    /// <summary>Leases the job lost by expiry; these alone count against <see cref="PoolConfig.MaxAttempts"/>.</summary>
    public int Expiries { get; set; }

    public string? WorkerId { get; set; }

    public DateTimeOffset? LeasedAt { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>When the lease was last given or extended; with <see cref="LeaseExpiresAt"/> it says how long a whole lease is.</summary>
    public DateTimeOffset? LeaseRenewedAt { get; set; }

    public bool PreemptionRequested { get; set; }

    /// <summary>
    /// True once a heartbeat returned the mark: the worker may already be stopping the job, so the mark stays. A mark
    /// not yet delivered is taken back and recomputed at each reclaim evaluation.
    /// </summary>
    public bool PreemptionDelivered { get; set; }

    /// <summary>
    /// True once a heartbeat extended the lease of the marked job for the last time (the grace to stop it in). In
    /// memory only: a pool activated again gives one more, so a worker always gets a whole lease after it is told.
    /// </summary>
    public bool PreemptionGraceGiven { get; set; }

    /// <summary>
    /// True only during a reclaim evaluation, for a job whose undelivered mark was taken back to be recomputed: marked
    /// again, the job has not changed and is not reported as changed.
    /// </summary>
    public bool MarkTakenBack { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public ResourceVector? ActualUsage { get; set; }

    /// <summary>What the job's preempted runs reported, added up; charged with the run that ends the job. Null when none did.</summary>
    public ResourceVector? PreemptedUsage { get; set; }

    /// <summary>Position in the scheduler's leased list; -1 when not leased.</summary>
    public int LeasedIndex { get; set; } = -1;

    /// <summary>True while an entry for the job sits in its tenant's queue heap (possibly a stale one).</summary>
    public bool InTenantQueue { get; set; }

    /// <summary>True while the job, queued, waits outside its tenant's queue because its tenant could not hold it.</summary>
    public bool SetAside { get; set; }

    /// <summary>True while the job has a change not yet taken by <see cref="FairShareScheduler.TakeChanges"/>.</summary>
    public bool Changed { get; set; }

    public bool IsTerminal => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Expired;

    public JobInfo ToInfo() => new(
        new JobId(Id),
        Tenant.Id,
        Demand,
        Priority,
        IdempotencyKey,
        EstimatedDuration,
        State,
        SubmittedAt,
        EnqueuedAt,
        Attempts,
        WorkerId,
        LeasedAt,
        LeaseExpiresAt,
        PreemptionRequested,
        CompletedAt,
        ActualUsage,
        Expiries,
        LeaseRenewedAt,
        PreemptedUsage);
}
