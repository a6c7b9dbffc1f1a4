namespace Quotas.Core.Scheduling;

/// <summary>The scheduler's mutable record of one job.</summary>
internal sealed class Job
{
    public Job(long id, TenantState tenant, ResourceVector demand, long[] dense, int priority, string idempotencyKey, TimeSpan? estimatedDuration, DateTimeOffset submittedAt)
    {
        Id = id;
        Tenant = tenant;
        Demand = demand;
        Dense = dense;
        Priority = priority;
        IdempotencyKey = idempotencyKey;
        EstimatedDuration = estimatedDuration;
        SubmittedAt = submittedAt;
        EnqueuedAt = submittedAt;
    }

    public long Id { get; }

    public TenantState Tenant { get; }

    public ResourceVector Demand { get; }

    /// <summary>Demand in the pool's layout; shared between jobs, never mutated.</summary>
    public long[] Dense { get; }

    public int Priority { get; }

    public string IdempotencyKey { get; }

    public TimeSpan? EstimatedDuration { get; }

    public DateTimeOffset SubmittedAt { get; }

    public DateTimeOffset EnqueuedAt { get; set; }

    public JobKey Key { get; set; }

    public JobState State { get; set; }

    public int Attempts { get; set; }

    public string? WorkerId { get; set; }

    public DateTimeOffset? LeasedAt { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public bool PreemptionRequested { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public ResourceVector? ActualUsage { get; set; }

    /// <summary>Position in the scheduler's leased list; -1 when not leased.</summary>
    public int LeasedIndex { get; set; } = -1;

    /// <summary>Forgotten after its retention; still referenced by its tenant's paging list until compaction.</summary>
    public bool Purged { get; set; }

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
        ActualUsage);
}
