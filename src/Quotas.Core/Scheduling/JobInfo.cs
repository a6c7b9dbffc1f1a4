namespace Quotas.Core.Scheduling;

/// <summary>An immutable view of a job; also its persisted form.</summary>
/// <remarks>
/// EnqueuedAt: Start of the wait that aging counts from; kept across requeues. Attempts: Leases the job was given,
/// however each ended. Expiries: Leases it lost by expiry, the count held against <see cref="PoolConfig.MaxAttempts"/>;
/// absent from jobs stored before it was kept, which read as 0. LeaseRenewedAt: when the running job's lease was last
/// given or extended by a heartbeat (what <see cref="FairShareScheduler.ResumeLeases"/> measures a whole lease by);
/// absent from jobs stored before it was kept. PreemptedUsage: what the job's preempted runs reported, added up (null
/// when none did); <see cref="ActualUsage"/> includes it once the job has ended, and a debt without it is charged
/// <see cref="ChargedUsage"/>.
/// </remarks>
public sealed record JobInfo(
    JobId Id,
    TenantId Tenant,
    ResourceVector Demand,
    int Priority,
    string IdempotencyKey,
    TimeSpan? EstimatedDuration,
    JobState State,
    DateTimeOffset SubmittedAt,
    DateTimeOffset EnqueuedAt,
    int Attempts,
    string? WorkerId = null,
    DateTimeOffset? LeasedAt = null,
    DateTimeOffset? LeaseExpiresAt = null,
    bool PreemptionRequested = false,
    DateTimeOffset? CompletedAt = null,
    ResourceVector? ActualUsage = null,
    int Expiries = 0,
    DateTimeOffset? LeaseRenewedAt = null,
    ResourceVector? PreemptedUsage = null)
{
    /// <summary>
    /// What the job is charged: its actual usage once it ended with a report (which includes that of its preempted
    /// runs), else its demand with what its preempted runs reported.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ResourceVector ChargedUsage => ActualUsage ?? RunUsage.Plus(Demand, PreemptedUsage);
}
